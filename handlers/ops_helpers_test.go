package handlers

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/izpochat/server/config"
)

// opsServer is a server without a domain core: enough for the routes that do not
// touch it (/, /docs, /openapi.json, /metrics).
func opsServer(t *testing.T, d Deps) http.Handler {
	t.Helper()
	if d.Config.Version == "" {
		d.Config = config.Config{Version: "v-test"}
	}
	return NewServer(d)
}

type opsResponse struct {
	code   int
	header http.Header
	body   []byte
}

func opsGet(t *testing.T, h http.Handler, target string, header map[string]string) opsResponse {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return opsResponse{rec.Code, rec.Result().Header, body}
}

// opsLogger collects log lines in JSON.
func opsLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func configWithVersion(v string) config.Config { return config.Config{Version: v} }
