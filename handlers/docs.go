package handlers

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"

	"github.com/gin-gonic/gin"
)

// docsAssets holds the pinned Redoc bundle (scripts/update-docs-assets.sh
// fetches it from npm): /docs works offline and never loads a CDN.
//
//go:embed docs_assets/redoc.standalone.js docs_assets/SHA256SUMS docs_assets/REDOC_VERSION
var docsAssets embed.FS

const redocAssetPath = "docs_assets/redoc.standalone.js"

// docsPage renders /openapi.json with Redoc.
const docsPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>IzpoChat API</title>
<style>body{margin:0;padding:0}</style>
</head>
<body>
<redoc spec-url="/openapi.json" hide-download-button="false"></redoc>
<script src="/docs/redoc.standalone.js"></script>
</body>
</html>
`

func (s *server) docs(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(docsPage))
}

// redocBundle serves the embedded bundle with an ETag of its content, so
// browsers revalidate instead of downloading 1 MB again.
func (s *server) redocBundle() gin.HandlerFunc {
	body, err := docsAssets.ReadFile(redocAssetPath)
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return func(c *gin.Context) {
		if err != nil {
			fail(c, s.log, err)
			return
		}
		c.Header("ETag", etag)
		c.Header("Cache-Control", "public, max-age=86400")
		if c.GetHeader("If-None-Match") == etag {
			c.Status(http.StatusNotModified)
			return
		}
		c.Data(http.StatusOK, "text/javascript; charset=utf-8", body)
	}
}
