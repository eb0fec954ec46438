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

// storagePart is the file storage and the uploads policy over it.
type storagePart struct {
	part
	uploads *chat.Uploads
	objects handlers.LocalObjects // nil unless files live on local disk
}

// wireStorage keeps uploaded files in the one backend the configuration chose:
// Supabase Storage, Google Cloud Storage, an S3-compatible bucket, or (none
// chosen) DATA_DIR/uploads, served at /uploads/<key>.
func wireStorage(ctx context.Context, cfg config.Config, log *slog.Logger, service *chat.Service) (storagePart, error) {
	var (
		objects storage.Store
		serve   handlers.LocalObjects
		p       part
	)
	switch cfg.Storage {
	case config.StorageSupabase:
		s, err := storage.NewSupabase(storage.SupabaseConfig{
			URL: cfg.Supabase.URL, Key: cfg.Supabase.Key, Bucket: cfg.Supabase.Bucket, Timeout: cfg.Supabase.Timeout,
		})
		if err != nil {
			return storagePart{}, fmt.Errorf("file storage: %w", err)
		}
		objects = s
		p.checks = []handlers.Check{{Name: "storage", Probe: s.Check}}
		log.Info("file storage: Supabase", "bucket", cfg.Supabase.Bucket)
	case config.StorageGCS:
		g, err := storage.NewGCS(ctx, storage.GCSConfig{
			Bucket: cfg.GCS.Bucket, CredentialsFile: cfg.GCS.CredentialsFile, Endpoint: cfg.GCS.Endpoint,
			PublicURL: cfg.GCS.PublicURL, Timeout: cfg.GCS.Timeout,
		})
		if err != nil {
			return storagePart{}, fmt.Errorf("file storage: %w", err)
		}
		objects = g
		p.close = g.Close
		p.checks = []handlers.Check{{Name: "storage", Probe: g.Check}}
		log.Info("file storage: Google Cloud Storage", "bucket", cfg.GCS.Bucket, "public_url", g.URL("<key>"))
	case config.StorageS3:
		s, err := storage.NewS3(storage.S3Config{
			Bucket: cfg.S3.Bucket, Endpoint: cfg.S3.Endpoint, Region: cfg.S3.Region, AccessKeyID: cfg.S3.AccessKeyID,
			SecretAccessKey: cfg.S3.SecretAccessKey, ForcePathStyle: cfg.S3.ForcePathStyle, PublicURL: cfg.S3.PublicURL, Timeout: cfg.S3.Timeout,
		})
		if err != nil {
			return storagePart{}, fmt.Errorf("file storage: %w", err)
		}
		objects = s
		p.checks = []handlers.Check{{Name: "storage", Probe: s.Check}}
		log.Info("file storage: S3", "bucket", cfg.S3.Bucket, "endpoint", cfg.S3.Endpoint, "public_url", s.URL("<key>"))
	default:
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
