package handlers

import (
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

// download is GET /api/uploads/{id}/download: the file's bytes.
func (h *uploadHandlers) download(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, h.log, err)
		return
	}
	d, err := h.uploads.Download(c.Request.Context(), actorOf(c), id)
	if err != nil {
		fail(c, h.log, err)
		return
	}
	serveDownload(c, d)
}

// fileOrBytes is GET /api/files/{id}: a numeric id answers the File (as GET
// /api/uploads/{id}); a stored name (<uuid>_<name>, never all digits) answers
// the file's bytes, as the Flask-generation Angular client's getFile reads it.
func (h *uploadHandlers) fileOrBytes(c *gin.Context) {
	name := c.Param("id")
	if _, err := strconv.ParseInt(name, 10, 64); err == nil || name == "" {
		h.file(c)
		return
	}
	d, err := h.uploads.DownloadByName(c.Request.Context(), actorOf(c), name)
	if err != nil {
		fail(c, h.log, err)
		return
	}
	serveDownload(c, d)
}

// serveDownload writes a file's bytes as the /uploads route does: its type by
// extension, nosniff, and saved rather than shown unless it is an image, audio
// or video (never SVG). Bytes from local disk are served with ranges.
func serveDownload(c *gin.Context, d *chat.Download) {
	defer d.Body.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private")
	disposition := "attachment"
	if d.Inline {
		disposition = "inline"
	}
	if v := mime.FormatMediaType(disposition, map[string]string{"filename": d.Name}); v != "" {
		h.Set("Content-Disposition", v)
	} else {
		h.Set("Content-Disposition", disposition)
	}
	if rs, ok := d.Body.(io.ReadSeeker); ok {
		http.ServeContent(c.Writer, c.Request, "", d.ModTime, rs)
		return
	}
	if d.Size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	}
	c.Status(http.StatusOK)
	// A copy cut short (the client left, storage failed mid-way) can only end
	// the response: its status is sent.
	_, _ = io.Copy(c.Writer, d.Body)
}
