package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/storage"
)

// wireStorage keeps uploaded files: in Supabase Storage when SUPABASE_URL is set,
// else under DATA_DIR/uploads, served at /uploads/<key>.
// storagePart is the file storage and the uploads policy over it.
type storagePart struct {
	part
	uploads *chat.Uploads
	objects handlers.LocalObjects // nil unless files live on local disk
}

func wireStorage(_ context.Context, cfg config.Config, log *slog.Logger, service *chat.Service) (storagePart, error) {
	var (
		objects storage.Store
		serve   handlers.LocalObjects
		p       part
	)
	if cfg.Supabase.URL != "" {
		s, err := storage.NewSupabase(storage.SupabaseConfig{
			URL: cfg.Supabase.URL, Key: cfg.Supabase.Key, Bucket: cfg.Supabase.Bucket, Timeout: cfg.Supabase.Timeout,
		})
		if err != nil {
			return storagePart{}, fmt.Errorf("file storage: %w", err)
		}
		objects = s
		log.Info("file storage: Supabase", "bucket", cfg.Supabase.Bucket)
	} else {
		local, err := storage.NewLocal(filepath.Join(cfg.DataDir, "uploads"), "/uploads", chat.ContentTypeOf)
		if err != nil {
			return storagePart{}, fmt.Errorf("file storage: %w", err)
		}
		// Links to files not open to all are signed with a key derived from the JWT secret.
		local.SetSigningSecret(cfg.JWTSecret)
		objects, serve = local, local
		p.close = local.Close
		p.checks = []handlers.Check{{Name: "storage", Probe: local.Check}}
		log.Info("file storage: local disk", "dir", local.Dir())
	}
	uploads := chat.NewUploads(service, objects, chat.UploadLimits{MaxFileBytes: cfg.MaxFileBytes, MaxFiles: cfg.MaxFiles, LinkTTL: cfg.FileURLTTL})
	return storagePart{part: p, uploads: uploads, objects: serve}, nil
}
