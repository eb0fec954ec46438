package handlers

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

// uploadHandlers translate the upload endpoints into calls of chat.Uploads.
type uploadHandlers struct {
	*server
	uploads *chat.Uploads
}

const (
	maxFormFieldBytes = 64 << 10 // a text field of an upload form (room_id, description)
	maxFormFields     = 64       // text fields per upload form
)

// uploadedFile is a File plus what the Flask generation's POST /api/upload added.
type uploadedFile struct {
	chat.File
	Nested    chat.File     `json:"file"`
	Message   string        `json:"message"`
	MessageID *int64        `json:"message_id"`
	Chat      *chat.Message `json:"chat_message,omitempty"`
}

// uploadWithMessage is POST /api/upload: with room_id the file is also posted to
// the room as a message, delivered live on every door.
func (h *uploadHandlers) uploadWithMessage(c *gin.Context) {
	results, _, err := h.receive(c, true)
	if err != nil {
		fail(c, h.log, err)
		return
	}
	first := results[0]
	out := uploadedFile{File: first.File, Nested: first.File, Message: "File uploaded successfully", Chat: first.Message}
	if first.Message != nil {
		out.MessageID = &first.Message.ID
	}
	c.JSON(http.StatusCreated, out)
}

// upload is POST /api/uploads: one "file" answers a File, "files" a [File].
func (h *uploadHandlers) upload(c *gin.Context) {
	results, asList, err := h.receive(c, false)
	if err != nil {
		fail(c, h.log, err)
		return
	}
	if !asList {
		c.JSON(http.StatusCreated, results[0].File)
		return
	}
	files := make([]chat.File, 0, len(results))
	for _, r := range results {
		files = append(files, r.File)
	}
	c.JSON(http.StatusCreated, files)
}

// receive streams a multipart form part by part into an upload batch: no part is
// buffered whole, and the batch decides what is allowed.
func (h *uploadHandlers) receive(c *gin.Context, announce bool) (_ []chat.UploadResult, asList bool, _ error) {
	ctx := c.Request.Context()
	form, err := c.Request.MultipartReader()
	if err != nil {
		return nil, false, chat.Invalid("the request must be multipart/form-data with a file in the field \"file\" or \"files\"")
	}
	batch, err := h.uploads.Begin(ctx, actorOf(c))
	if err != nil {
		return nil, false, err
	}
	defer batch.Abort(ctx)
	fields := 0
	for {
		part, err := form.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, chat.Invalid("the multipart body could not be read")
		}
		switch name := part.FormName(); {
		case name == "file" || name == "files":
			asList = asList || name == "files"
			if part.FileName() == "" {
				err = chat.Invalid("the field %q must be a file", name)
			} else {
				err = batch.Add(ctx, part.FileName(), part)
			}
		default:
			if fields++; fields > maxFormFields {
				err = chat.Invalid("too many form fields")
				break
			}
			var value string
			if value, err = readField(part); err == nil && name == "room_id" && value != "" {
				var roomID int64
				if roomID, err = parseID(value, "room_id"); err == nil {
					err = batch.SetRoom(ctx, roomID)
				}
			}
			// description is accepted and ignored: file_uploads has no column for it.
		}
		if err != nil {
			// Not part.Close: it would read the rest of the part, and the point of
			// failing early is to stop reading.
			return nil, false, err
		}
		part.Close()
	}
	results, err := batch.Commit(ctx, announce)
	return results, asList, err
}

// readField reads a small text field of the form.
func readField(p *multipart.Part) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(p, maxFormFieldBytes+1))
	if err != nil {
		return "", chat.Invalid("the multipart body could not be read")
	}
	if len(raw) > maxFormFieldBytes {
		return "", chat.Invalid("the form field %q is too long", p.FormName())
	}
	return strings.TrimSpace(string(raw)), nil
}

func (h *uploadHandlers) allowedTypes(c *gin.Context) {
	c.JSON(http.StatusOK, h.uploads.Allowed())
}

// file is GET /api/uploads/{id} and GET /api/files/{id}.
func (h *uploadHandlers) file(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, h.log, err)
		return
	}
	f, err := h.chat.File(c.Request.Context(), actorOf(c), id)
	if err != nil {
		fail(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, f)
}

func (h *uploadHandlers) deleteFile(c *gin.Context) {
	id, err := pathID(c, "id")
	if err == nil {
		err = h.uploads.DeleteFile(c.Request.Context(), actorOf(c), id)
	}
	if err != nil {
		fail(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"message": "File deleted successfully", "id": id})
}

func fileQuery(c *gin.Context) (chat.FileQuery, error) {
	skip, err := queryInt(c, "skip")
	if err != nil {
		return chat.FileQuery{}, err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return chat.FileQuery{}, err
	}
	q := chat.FileQuery{Skip: int(min(skip, 1<<30)), Limit: int(min(limit, 1<<20))}
	if raw := c.Query("room_id"); raw != "" {
		id, err := parseID(raw, "room_id")
		if err != nil {
			return chat.FileQuery{}, err
		}
		q.RoomID = &id
	}
	return q, nil
}

// myFiles is GET /api/files, GET /api/users/me/files and GET /api/uploads: the
// caller's uploads (room_id: those in one room).
func (h *uploadHandlers) myFiles(c *gin.Context) {
	q, err := fileQuery(c)
	if err != nil {
		fail(c, h.log, err)
		return
	}
	files, err := h.chat.MyFiles(c.Request.Context(), actorOf(c), q)
	if err != nil {
		fail(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, files)
}

func (h *uploadHandlers) roomFiles(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, h.log, err)
		return
	}
	q, err := fileQuery(c)
	if err != nil {
		fail(c, h.log, err)
		return
	}
	files, err := h.chat.RoomFiles(c.Request.Context(), actorOf(c), id, q)
	if err != nil {
		fail(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, files)
}
