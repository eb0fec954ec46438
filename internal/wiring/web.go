package wiring

import (
	"fmt"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/web"
)

// wireWebClient builds the browser client served at / (nil when WEB_CLIENT=off).
// Files stored on Supabase are shown from its origin, so the page's policy
// allows that origin for images and media.
func wireWebClient(cfg config.Config) (*web.Client, error) {
	if !cfg.WebClient {
		return nil, nil
	}
	var media []string
	if cfg.Supabase.URL != "" {
		media = append(media, cfg.Supabase.URL)
	}
	c, err := web.New(web.Options{Version: cfg.Version, MediaOrigins: media})
	if err != nil {
		return nil, fmt.Errorf("web client: %w", err)
	}
	return c, nil
}
