package handlers

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"
)

// serviceLink is one entry of GET /.
type serviceLink struct {
	Name, Path, What string
}

var serviceLinks = []serviceLink{
	{"docs", "/docs", "API documentation"},
	{"openapi", "/openapi.json", "OpenAPI 3.1 document"},
	{"health", "/health", "health check"},
	{"status", "/api/status", "status and version"},
	{"socketio", "/socket.io/", "Socket.IO endpoint (EIO 3 and 4)"},
}

var indexPage = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>IzpoChat server</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:0 .25rem}</style>
</head>
<body>
<h1>IzpoChat server</h1>
<p>Version <code>{{.Version}}</code>. REST, Socket.IO and WebSocket chat on one port.</p>
<ul>
{{range .Links}}<li><a href="{{.Path}}">{{.Path}}</a> — {{.What}}</li>
{{end}}</ul>
</body>
</html>
`))

// index describes the service: JSON for programs; for browsers the web client,
// or a small page of links when it is off. The answer depends on Accept, so
// caches are told so.
func (s *server) index(c *gin.Context) {
	version := s.cfg.Version
	if version == "" {
		version = "dev"
	}
	c.Header("Vary", "Accept")
	if c.NegotiateFormat(gin.MIMEJSON, gin.MIMEHTML) == gin.MIMEHTML {
		if s.deps.WebClient != nil {
			s.deps.WebClient.ServeIndex(c.Writer, c.Request)
			return
		}
		c.Header("Content-Type", "text/html; charset=utf-8")
		c.Status(http.StatusOK)
		if err := indexPage.Execute(c.Writer, struct {
			Version string
			Links   []serviceLink
		}{version, serviceLinks}); err != nil {
			s.log.WarnContext(c.Request.Context(), "render index page", "err", err)
		}
		return
	}
	links := gin.H{}
	for _, l := range serviceLinks {
		links[l.Name] = l.Path
	}
	c.JSON(http.StatusOK, gin.H{
		"name":           "IzpoChat",
		"version":        version,
		"links":          links,
		"socketio_path":  "/socket.io/",
		"websocket_path": "/api/ws/{room_id}",
		"documentation":  "/docs",
	})
}
