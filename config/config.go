// Package config reads the server's configuration once, from the environment
// and an optional .env file, into a Config that is passed down to every other
// package. No other package reads environment variables.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Config is the whole server configuration.
type Config struct {
	Port             int    // PORT, default 5000
	Production       bool   // RENDER set (any non-empty) or APP_ENV=production
	Version          string // left empty by Load; main fills it from build info
	DataDir          string // DATA_DIR, default "./data"; Load creates it (0755) if missing
	Database         Database
	JWTSecret        []byte         // JWT_SECRET_KEY, falls back to SECRET_KEY
	JWTSecretSource  string         // "env" or "generated" (for logging)
	TokenTTL         time.Duration  // JWT_ACCESS_TOKEN_EXPIRES (seconds or Go duration), else ACCESS_TOKEN_EXPIRE_MINUTES, default 7*24h
	AllowedOrigins   []string       // ALLOWED_ORIGINS: JSON list or comma list; nil means all origins
	MaxFileBytes     int64          // MAX_FILE_MB, default 50 MiB
	MaxFiles         int            // MAX_FILES, default 10
	MaxMessageLength int            // MAX_MESSAGE_LENGTH, default 5000
	FileURLTTL       time.Duration  // FILE_URL_TTL, default 7 days: how long a signed link to a private room's file reads it
	LogLevel         slog.Level     // LOG_LEVEL, default info
	LogJSON          bool           // true in production or LOG_FORMAT=json; LOG_FORMAT=text forces text
	Storage          StorageBackend // which one keeps uploaded files (storage.go)
	Supabase         Supabase
	GCS              GCS    // with Storage == StorageGCS
	S3               S3     // with Storage == StorageS3
	RedisURL         string // REDIS_URL (redis:// or rediss://), empty = no Redis
	SocketIO         SocketIO
	RateLimit        RateLimit
	Rates            RequestRates // per IP, account and user: logins, registrations, posts, uploads, connections
	Passwords        Passwords
	GC               GC
	HTTP             HTTP          // the HTTP edge's bounds on bodies, time and connections (http.go)
	HistoryCache     HistoryCache  // the rendered newest history pages kept (history_cache.go)
	MetricsToken     string        // METRICS_TOKEN
	WebClient        bool          // WEB_CLIENT, default on: the browser client at / (off: the page of links)
	ShutdownTimeout  time.Duration // SHUTDOWN_TIMEOUT, default 10s
	InstanceID       string        // INSTANCE_ID, default hostname + "-" + 6 random hex chars
	// InstanceAddr is host:port where the other instances reach this one (they
	// forward Socket.IO polling requests of sessions held here). INSTANCE_ADDR,
	// default the first non-loopback IPv4 address of the host + PORT.
	InstanceAddr string
	PresenceTTL  time.Duration // PRESENCE_TTL, default 30s: a crashed instance's users and sessions are forgotten after this
	Warnings     []string      // human-readable warnings for main to log once the logger exists
}

// Database describes how to open the SQL database with gorm.
type Database struct {
	Driver          string        // DriverSQLite or DriverPostgres
	DSN             string        // postgres: URL accepted by gorm.io/driver/postgres (pgx); sqlite: path + _pragma params
	Path            string        // sqlite only: the database file path
	MaxOpenConns    int           // DB_MAX_OPEN_CONNS, default 10 (postgres) / 4 (sqlite)
	MaxIdleConns    int           // DB_MAX_IDLE_CONNS, default 5 (postgres) / 4 (sqlite)
	ConnMaxLifetime time.Duration // DB_CONN_MAX_LIFETIME, default 30m
	WriteTimeout    time.Duration // DB_WRITE_TIMEOUT, default 10s: a post the database has not stored by then answers 503
	SimpleProtocol  bool          // Supabase transaction pooler (port 6543 or pgbouncer=true): no prepared statements
}

// Database drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Supabase configures file storage; an empty URL means local disk storage.
type Supabase struct {
	URL     string        // SUPABASE_URL, http(s), trailing slash trimmed
	Key     string        // SUPABASE_SERVICE_ROLE_KEY, else SUPABASE_KEY, else SUPABASE_ANON_KEY
	Bucket  string        // SUPABASE_STORAGE_BUCKET, default "izpochat-bucket"
	Timeout time.Duration // UPLOAD_TIMEOUT, default 60s
}

// SocketIO tunes the Socket.IO / Engine.IO server.
type SocketIO struct {
	PingInterval   time.Duration // SOCKETIO_PING_INTERVAL, default 25s
	PingTimeout    time.Duration // SOCKETIO_PING_TIMEOUT, default 20s
	MaxPayload     int64         // SOCKETIO_MAX_PAYLOAD bytes, default 1_000_000
	RecoveryWindow time.Duration // SOCKETIO_RECOVERY_WINDOW, default 2m
	SendQueue      int           // SOCKET_SEND_QUEUE, default 1024 packets per connection before it is dropped
	// RecoveryMaxBytes bounds the packets kept for recovery per namespace
	// (SOCKETIO_RECOVERY_MAX_MB, default 16 MiB).
	RecoveryMaxBytes int
}

// RateLimit limits inbound socket events per connection.
type RateLimit struct {
	EventsPerSecond float64 // SOCKET_RATE_LIMIT, default 20
	Burst           int     // SOCKET_RATE_BURST, default 40
}

// GC paces the garbage collector. Go's default lets the heap double between
// collections (GOGC=100), so a server holding many idle connections, whose
// heap is mostly their long-lived state, keeps about twice that state in
// memory. For large heaps the growth is held to Percent of the live heap; a
// heap of less than MinHeadroom*100/Percent keeps the default pace, so a server
// busy with traffic on few connections collects no more often than before.
type GC struct {
	// Percent is the growth allowed between collections, in % of the live heap,
	// for large heaps (GC_PERCENT, default 25; default 0 when GOGC is set). 0
	// leaves the Go runtime's own setting (GOGC) untouched.
	Percent int
	// MinHeadroom is the growth always allowed (GC_MIN_HEADROOM_MB, default 32 MiB).
	MinHeadroom int64
}

// Defaults that other packages may want to show (e.g. in /api/uploads/types/allowed).
const (
	DefaultPort      = 5000
	DefaultDataDir   = "./data"
	DefaultTokenTTL  = 7 * 24 * time.Hour
	DefaultMaxFileMB = 50
	DefaultBucket    = "izpochat-bucket"
	// DefaultFileURLTTL: a signed file link outlives the default token, so a
	// tab kept open as long as its login still opens every file it shows.
	DefaultFileURLTTL = 7 * 24 * time.Hour
	// DefaultDBWriteTimeout is far above any healthy commit (and above SQLite's
	// 5 s busy_timeout), so only a database in trouble reaches it.
	DefaultDBWriteTimeout = 10 * time.Second
	sqliteFileName        = "izpochat.db"
	megabyte              = 1 << 20
	minProductionKeySize  = 32
)

// Load reads configuration. getenv is os.Getenv in production, a map lookup in
// tests. If dotenvPath names an existing file, its KEY=VALUE pairs fill in keys
// the real environment leaves unset or empty; the real environment wins.
func Load(getenv func(string) string, dotenvPath string) (Config, error) {
	env, err := newEnv(getenv, dotenvPath)
	if err != nil {
		return Config{}, err
	}
	var cfg Config

	cfg.Production = env.get("RENDER") != "" || equalFold(env.get("APP_ENV"), "production")

	if cfg.Port, err = env.port("PORT", DefaultPort); err != nil {
		return Config{}, err
	}

	cfg.DataDir = env.getOr("DATA_DIR", DefaultDataDir)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return Config{}, fmt.Errorf("config: DATA_DIR: creating %q: %w", cfg.DataDir, err)
	}

	if cfg.Database, err = loadDatabase(env, cfg.DataDir); err != nil {
		return Config{}, err
	}

	if err := loadJWT(env, &cfg); err != nil {
		return Config{}, err
	}

	if cfg.AllowedOrigins, err = parseOrigins(env.get("ALLOWED_ORIGINS")); err != nil {
		return Config{}, err
	}

	maxFileMB, err := env.positiveInt("MAX_FILE_MB", DefaultMaxFileMB)
	if err != nil {
		return Config{}, err
	}
	cfg.MaxFileBytes = int64(maxFileMB) * megabyte
	if cfg.MaxFiles, err = env.positiveInt("MAX_FILES", DefaultMaxFiles); err != nil {
		return Config{}, err
	}
	if cfg.MaxMessageLength, err = env.positiveInt("MAX_MESSAGE_LENGTH", DefaultMaxMessageLength); err != nil {
		return Config{}, err
	}
	if cfg.FileURLTTL, err = env.duration("FILE_URL_TTL", DefaultFileURLTTL); err != nil {
		return Config{}, err
	}

	if err := loadLogging(env, &cfg); err != nil {
		return Config{}, err
	}

	if cfg.Supabase, err = loadSupabase(env); err != nil {
		return Config{}, err
	}
	if err := loadStorage(env, &cfg); err != nil {
		return Config{}, err
	}

	if cfg.RedisURL, err = parseRedisURL(env.get("REDIS_URL")); err != nil {
		return Config{}, err
	}

	if cfg.SocketIO, err = loadSocketIO(env); err != nil {
		return Config{}, err
	}
	if cfg.RateLimit, err = loadRateLimit(env); err != nil {
		return Config{}, err
	}
	if cfg.Rates, err = loadRequestRates(env); err != nil {
		return Config{}, err
	}
	if cfg.Passwords, err = loadPasswords(env); err != nil {
		return Config{}, err
	}
	if cfg.GC, err = loadGC(env); err != nil {
		return Config{}, err
	}
	if cfg.HistoryCache, err = loadHistoryCache(env); err != nil {
		return Config{}, err
	}
	if cfg.HTTP, err = loadHTTP(env, cfg.MaxMessageLength, env.get("RENDER") != ""); err != nil {
		return Config{}, err
	}

	cfg.MetricsToken = env.get("METRICS_TOKEN")
	if cfg.WebClient, err = loadWebClient(env); err != nil {
		return Config{}, err
	}
	if cfg.ShutdownTimeout, err = env.duration("SHUTDOWN_TIMEOUT", 10*time.Second); err != nil {
		return Config{}, err
	}

	if cfg.InstanceID = env.get("INSTANCE_ID"); cfg.InstanceID == "" {
		if cfg.InstanceID, err = defaultInstanceID(); err != nil {
			return Config{}, err
		}
	}

	if err := loadInstance(env, &cfg); err != nil {
		return Config{}, err
	}

	cfg.Warnings = append(cfg.Warnings, env.warnings...)
	return cfg, nil
}
