package wiring

import (
	"fmt"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/web"
)

// wireWebClient builds the browser client served at / (nil when WEB_CLIENT=off).
// Files kept in a remote store are shown from its origins, so the page's
// policy allows those for images and media.
func wireWebClient(cfg config.Config) (*web.Client, error) {
	if !cfg.WebClient {
		return nil, nil
	}
	c, err := web.New(web.Options{Version: cfg.Version, MediaOrigins: storageOrigins(cfg)})
	if err != nil {
		return nil, fmt.Errorf("web client: %w", err)
	}
	return c, nil
}

// storageOrigins are where the configured file store serves files and signed
// links from (none for local disk: the server's own origin).
func storageOrigins(cfg config.Config) []string {
	var media []string
	add := func(urls ...string) {
		for _, u := range urls {
			if u != "" {
				media = append(media, u)
			}
		}
	}
	switch {
	case cfg.Supabase.URL != "":
		add(cfg.Supabase.URL)
	case cfg.GCS.Bucket != "":
		add(cfg.GCS.PublicURL, cfg.GCS.Endpoint)
		if cfg.GCS.PublicURL == "" || cfg.GCS.Endpoint == "" {
			add("https://storage.googleapis.com") // public and V4-signed links
		}
	case cfg.S3.Bucket != "":
		add(cfg.S3.PublicURL, cfg.S3.Endpoint)
		if cfg.S3.Endpoint == "" {
			add("https://*.amazonaws.com") // AWS: bucket and presigned links
		}
	}
	return media
}
