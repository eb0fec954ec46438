package config

import (
	"net/url"
	"slices"
	"strings"
)

// Redacted returns the configuration for a start-up log line, with passwords,
// keys and tokens masked.
func (c Config) Redacted() map[string]any {
	origins := any("*")
	if c.AllowedOrigins != nil {
		origins = slices.Clone(c.AllowedOrigins)
	}
	return map[string]any{
		"port":               c.Port,
		"production":         c.Production,
		"version":            c.Version,
		"data_dir":           c.DataDir,
		"instance_id":        c.InstanceID,
		"instance_addr":      c.InstanceAddr,
		"presence_ttl":       c.PresenceTTL.String(),
		"log_level":          c.LogLevel.String(),
		"log_json":           c.LogJSON,
		"jwt_secret":         mask(string(c.JWTSecret)),
		"jwt_secret_source":  c.JWTSecretSource,
		"token_ttl":          c.TokenTTL.String(),
		"allowed_origins":    origins,
		"max_file_bytes":     c.MaxFileBytes,
		"max_files":          c.MaxFiles,
		"max_message_length": c.MaxMessageLength,
		"metrics_token":      mask(c.MetricsToken),
		"web_client":         c.WebClient,
		"shutdown_timeout":   c.ShutdownTimeout.String(),
		"redis_url":          redactURL(c.RedisURL),
		"database": map[string]any{
			"driver":            c.Database.Driver,
			"dsn":               redactURL(c.Database.DSN),
			"path":              c.Database.Path,
			"max_open_conns":    c.Database.MaxOpenConns,
			"max_idle_conns":    c.Database.MaxIdleConns,
			"conn_max_lifetime": c.Database.ConnMaxLifetime.String(),
			"simple_protocol":   c.Database.SimpleProtocol,
		},
		"storage": string(c.Storage),
		"gcs": map[string]any{
			"bucket":           c.GCS.Bucket,
			"credentials_file": c.GCS.CredentialsFile,
			"endpoint":         c.GCS.Endpoint,
			"public_url":       c.GCS.PublicURL,
		},
		"s3": map[string]any{
			"bucket":            c.S3.Bucket,
			"endpoint":          c.S3.Endpoint,
			"region":            c.S3.Region,
			"access_key_id":     c.S3.AccessKeyID,
			"secret_access_key": mask(c.S3.SecretAccessKey),
			"force_path_style":  c.S3.ForcePathStyle,
			"public_url":        c.S3.PublicURL,
		},
		"supabase": map[string]any{
			"url":     c.Supabase.URL,
			"key":     mask(c.Supabase.Key),
			"bucket":  c.Supabase.Bucket,
			"timeout": c.Supabase.Timeout.String(),
		},
		"socketio": map[string]any{
			"ping_interval":      c.SocketIO.PingInterval.String(),
			"ping_timeout":       c.SocketIO.PingTimeout.String(),
			"max_payload":        c.SocketIO.MaxPayload,
			"recovery_window":    c.SocketIO.RecoveryWindow.String(),
			"send_queue":         c.SocketIO.SendQueue,
			"recovery_max_bytes": c.SocketIO.RecoveryMaxBytes,
		},
		"rate_limit": map[string]any{
			"events_per_second": c.RateLimit.EventsPerSecond,
			"burst":             c.RateLimit.Burst,
		},
		"rates": map[string]any{
			"login_per_ip":         c.Rates.LoginPerIP.String(),
			"login_per_account":    c.Rates.LoginPerAccount.String(),
			"register_per_ip":      c.Rates.RegisterPerIP.String(),
			"register_per_account": c.Rates.RegisterPerAccount.String(),
			"post_per_user":        c.Rates.PostPerUser.String(),
			"upload_per_user":      c.Rates.UploadPerUser.String(),
			"search_per_user":      c.Rates.SearchPerUser.String(),
			"connect_per_ip":       c.Rates.ConnectPerIP.String(),
			"max_keys":             c.Rates.MaxKeys,
		},
		"history_cache": map[string]any{"rooms": c.HistoryCache.Rooms, "bytes": c.HistoryCache.Bytes},
		"gc": map[string]any{
			"percent":      c.GC.Percent,
			"min_headroom": c.GC.MinHeadroom,
		},
		"http": map[string]any{
			"read_header_timeout": c.HTTP.ReadHeaderTimeout.String(),
			"body_timeout":        c.HTTP.BodyTimeout.String(),
			"write_timeout":       c.HTTP.WriteTimeout.String(),
			"max_json_body":       c.HTTP.MaxJSONBody,
			"upload_min_rate":     c.HTTP.UploadMinRate,
			"upload_rate_window":  c.HTTP.UploadRateWindow.String(),
			"max_connections":     c.HTTP.MaxConns,
			"max_conns_per_ip":    c.HTTP.MaxConnsPerIP,
			"trusted_proxies":     len(c.HTTP.TrustedProxies),
		},
	}
}

// mask says whether a secret is set without revealing any of it.
func mask(secret string) string {
	if secret == "" {
		return ""
	}
	return "***"
}

// redactURL masks the password of a URL; strings that are not URLs with a
// scheme (sqlite paths) are returned unchanged, since they hold no secrets.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "://") {
			return "[unparseable URL redacted]"
		}
		return raw
	}
	if u.Scheme == "" {
		return raw
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
