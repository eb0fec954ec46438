package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// parseOrigins accepts a JSON list or a comma list. "*" anywhere, or nothing,
// yields nil, which means every origin is allowed.
func parseOrigins(v string) ([]string, error) {
	if v == "" || v == "*" {
		return nil, nil
	}
	var raw []string
	if strings.HasPrefix(v, "[") {
		if err := json.Unmarshal([]byte(v), &raw); err != nil {
			return nil, fmt.Errorf("config: ALLOWED_ORIGINS: %q is not a valid JSON list of strings: %w", v, err)
		}
	} else {
		raw = strings.Split(v, ",")
	}
	var origins []string
	for _, o := range raw {
		// Browsers send Origin without a trailing slash; people often paste one.
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "*" {
			return nil, nil
		}
		if o != "" {
			origins = append(origins, o)
		}
	}
	return origins, nil
}

func loadLogging(e *env, cfg *Config) error {
	switch lvl := strings.ToLower(e.get("LOG_LEVEL")); lvl {
	case "", "info":
		cfg.LogLevel = slog.LevelInfo
	case "debug":
		cfg.LogLevel = slog.LevelDebug
	case "warn", "warning":
		cfg.LogLevel = slog.LevelWarn
	case "error":
		cfg.LogLevel = slog.LevelError
	default:
		return invalid("LOG_LEVEL", e.get("LOG_LEVEL"), "one of debug, info, warn, error")
	}
	switch format := strings.ToLower(e.get("LOG_FORMAT")); format {
	case "":
		cfg.LogJSON = cfg.Production
	case "json":
		cfg.LogJSON = true
	case "text":
		cfg.LogJSON = false
	default:
		return invalid("LOG_FORMAT", e.get("LOG_FORMAT"), "json or text")
	}
	return nil
}

func loadSupabase(e *env) (Supabase, error) {
	s := Supabase{
		URL:    strings.TrimRight(e.get("SUPABASE_URL"), "/"),
		Key:    e.firstOf("SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_KEY", "SUPABASE_ANON_KEY"),
		Bucket: e.getOr("SUPABASE_STORAGE_BUCKET", DefaultBucket),
	}
	var err error
	if s.Timeout, err = e.duration("UPLOAD_TIMEOUT", DefaultUploadTimeout); err != nil {
		return Supabase{}, err
	}
	if s.URL == "" {
		return s, nil
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Supabase{}, invalid("SUPABASE_URL", e.get("SUPABASE_URL"), "an http(s) URL")
	}
	if s.Key == "" {
		return Supabase{}, fmt.Errorf("config: SUPABASE_URL is set but no key: set SUPABASE_SERVICE_ROLE_KEY (or SUPABASE_KEY)")
	}
	return s, nil
}

func parseRedisURL(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		// Do not echo the value: it may hold a password.
		return "", fmt.Errorf("config: REDIS_URL: not a valid redis:// or rediss:// URL")
	}
	return v, nil
}

func loadSocketIO(e *env) (SocketIO, error) {
	var s SocketIO
	var err error
	if s.PingInterval, err = e.duration("SOCKETIO_PING_INTERVAL", DefaultPingInterval); err != nil {
		return SocketIO{}, err
	}
	if s.PingTimeout, err = e.duration("SOCKETIO_PING_TIMEOUT", DefaultPingTimeout); err != nil {
		return SocketIO{}, err
	}
	maxPayload, err := e.positiveInt("SOCKETIO_MAX_PAYLOAD", DefaultMaxPayload)
	if err != nil {
		return SocketIO{}, err
	}
	s.MaxPayload = int64(maxPayload)
	if s.RecoveryWindow, err = e.duration("SOCKETIO_RECOVERY_WINDOW", DefaultRecoveryWindow); err != nil {
		return SocketIO{}, err
	}
	if s.SendQueue, err = e.positiveInt("SOCKET_SEND_QUEUE", DefaultSendQueue); err != nil {
		return SocketIO{}, err
	}
	recoveryMB, err := e.positiveInt("SOCKETIO_RECOVERY_MAX_MB", DefaultRecoveryMaxMB)
	if err != nil {
		return SocketIO{}, err
	}
	s.RecoveryMaxBytes = recoveryMB * megabyte
	return s, nil
}

func loadGC(e *env) (GC, error) {
	var g GC
	var err error
	percent := 25
	if e.get("GOGC") != "" {
		percent = 0 // the operator tuned the runtime directly: leave it be
	}
	if g.Percent, err = e.nonNegativeInt("GC_PERCENT", percent); err != nil {
		return GC{}, err
	}
	headroomMB, err := e.nonNegativeInt("GC_MIN_HEADROOM_MB", 32)
	if err != nil {
		return GC{}, err
	}
	g.MinHeadroom = int64(headroomMB) * megabyte
	return g, nil
}

func loadRateLimit(e *env) (RateLimit, error) {
	var r RateLimit
	var err error
	if r.EventsPerSecond, err = e.positiveFloat("SOCKET_RATE_LIMIT", 20); err != nil {
		return RateLimit{}, err
	}
	if r.Burst, err = e.positiveInt("SOCKET_RATE_BURST", 40); err != nil {
		return RateLimit{}, err
	}
	return r, nil
}
