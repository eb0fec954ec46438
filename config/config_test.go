package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// mapEnv stands in for os.Getenv.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// load runs Load with a fresh DATA_DIR unless the test sets one.
func load(t *testing.T, vars map[string]string) (Config, error) {
	t.Helper()
	if _, ok := vars["DATA_DIR"]; !ok {
		vars["DATA_DIR"] = t.TempDir()
	}
	return Load(mapEnv(vars), "")
}

func mustLoad(t *testing.T, vars map[string]string) Config {
	t.Helper()
	cfg, err := load(t, vars)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func TestDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg, err := Load(mapEnv(nil), "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Port", cfg.Port, 5000},
		{"Production", cfg.Production, false},
		{"Version", cfg.Version, ""},
		{"DataDir", cfg.DataDir, "./data"},
		{"Database.Driver", cfg.Database.Driver, DriverSQLite},
		{"Database.Path", cfg.Database.Path, filepath.Join("data", "izpochat.db")},
		{"Database.MaxOpenConns", cfg.Database.MaxOpenConns, 4},
		{"Database.MaxIdleConns", cfg.Database.MaxIdleConns, 4},
		{"Database.ConnMaxLifetime", cfg.Database.ConnMaxLifetime, 30 * time.Minute},
		{"Database.SimpleProtocol", cfg.Database.SimpleProtocol, false},
		{"JWTSecretSource", cfg.JWTSecretSource, "generated"},
		{"JWTSecret length", len(cfg.JWTSecret), 64},
		{"TokenTTL", cfg.TokenTTL, 7 * 24 * time.Hour},
		{"AllowedOrigins nil", cfg.AllowedOrigins == nil, true},
		{"MaxFileBytes", cfg.MaxFileBytes, int64(50 << 20)},
		{"MaxFiles", cfg.MaxFiles, 10},
		{"MaxMessageLength", cfg.MaxMessageLength, 5000},
		{"LogLevel", cfg.LogLevel, slog.LevelInfo},
		{"LogJSON", cfg.LogJSON, false},
		{"Supabase.URL", cfg.Supabase.URL, ""},
		{"Supabase.Bucket", cfg.Supabase.Bucket, "izpochat-bucket"},
		{"Supabase.Timeout", cfg.Supabase.Timeout, 60 * time.Second},
		{"RedisURL", cfg.RedisURL, ""},
		{"SocketIO.PingInterval", cfg.SocketIO.PingInterval, 25 * time.Second},
		{"SocketIO.PingTimeout", cfg.SocketIO.PingTimeout, 20 * time.Second},
		{"SocketIO.MaxPayload", cfg.SocketIO.MaxPayload, int64(1_000_000)},
		{"SocketIO.RecoveryWindow", cfg.SocketIO.RecoveryWindow, 2 * time.Minute},
		{"SocketIO.SendQueue", cfg.SocketIO.SendQueue, 1024},
		{"SocketIO.RecoveryMaxBytes", cfg.SocketIO.RecoveryMaxBytes, 16 << 20},
		{"RateLimit.EventsPerSecond", cfg.RateLimit.EventsPerSecond, 20.0},
		{"RateLimit.Burst", cfg.RateLimit.Burst, 40},
		{"GC", cfg.GC, GC{Percent: 25, MinHeadroom: 32 << 20}},
		{"MetricsToken", cfg.MetricsToken, ""},
		{"ShutdownTimeout", cfg.ShutdownTimeout, 10 * time.Second},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if !strings.HasPrefix(cfg.Database.DSN, cfg.Database.Path+"?_txlock=immediate&_pragma=journal_mode(WAL)") {
		t.Errorf("sqlite DSN = %q", cfg.Database.DSN)
	}
	if st, err := os.Stat("data"); err != nil || !st.IsDir() || st.Mode().Perm() != 0o755 {
		t.Errorf("DATA_DIR not created as 0755 dir: %v %v", st, err)
	}
	host, _ := os.Hostname()
	if rest, ok := strings.CutPrefix(cfg.InstanceID, host+"-"); !ok || len(rest) != 6 {
		t.Errorf("InstanceID = %q, want %s-<6 hex>", cfg.InstanceID, host)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], ".jwt_secret") {
		t.Errorf("Warnings = %q, want one about the dev secret", cfg.Warnings)
	}
}

func TestOverrides(t *testing.T) {
	cfg := mustLoad(t, map[string]string{
		"PORT": "8080", "APP_ENV": "Production", "JWT_SECRET_KEY": strings.Repeat("k", 40),
		"JWT_ACCESS_TOKEN_EXPIRES": "3600", "MAX_FILE_MB": "5", "MAX_FILES": "3", "MAX_MESSAGE_LENGTH": "100",
		"LOG_LEVEL": "WARNING", "SUPABASE_URL": "https://x.supabase.co/", "SUPABASE_KEY": "anon",
		"SUPABASE_SERVICE_ROLE_KEY": "service", "SUPABASE_STORAGE_BUCKET": "b", "UPLOAD_TIMEOUT": "90s",
		"REDIS_URL": "rediss://:pw@redis:6380/0", "SOCKETIO_PING_INTERVAL": "30", "SOCKETIO_PING_TIMEOUT": "5s",
		"SOCKETIO_MAX_PAYLOAD": "2000", "SOCKETIO_RECOVERY_WINDOW": "1m", "SOCKET_SEND_QUEUE": "8",
		"SOCKET_RATE_LIMIT": "2.5", "SOCKET_RATE_BURST": "5", "METRICS_TOKEN": "m", "SHUTDOWN_TIMEOUT": "3",
		"SOCKETIO_RECOVERY_MAX_MB": "3", "INSTANCE_ID": "node-a",
		"DB_MAX_OPEN_CONNS": "7", "DB_MAX_IDLE_CONNS": "0", "DB_CONN_MAX_LIFETIME": "1h",
		"GC_PERCENT": "0", "GC_MIN_HEADROOM_MB": "8",
	})
	checks := []struct {
		name      string
		got, want any
	}{
		{"Port", cfg.Port, 8080},
		{"Production", cfg.Production, true},
		{"LogJSON", cfg.LogJSON, true},
		{"JWTSecretSource", cfg.JWTSecretSource, "env"},
		{"TokenTTL", cfg.TokenTTL, time.Hour},
		{"MaxFileBytes", cfg.MaxFileBytes, int64(5 << 20)},
		{"MaxFiles", cfg.MaxFiles, 3},
		{"MaxMessageLength", cfg.MaxMessageLength, 100},
		{"LogLevel", cfg.LogLevel, slog.LevelWarn},
		{"Supabase", cfg.Supabase, Supabase{URL: "https://x.supabase.co", Key: "service", Bucket: "b", Timeout: 90 * time.Second}},
		{"RedisURL", cfg.RedisURL, "rediss://:pw@redis:6380/0"},
		{"SocketIO", cfg.SocketIO, SocketIO{30 * time.Second, 5 * time.Second, 2000, time.Minute, 8, 3 << 20}},
		{"RateLimit", cfg.RateLimit, RateLimit{2.5, 5}},
		{"GC", cfg.GC, GC{Percent: 0, MinHeadroom: 8 << 20}},
		{"MetricsToken", cfg.MetricsToken, "m"},
		{"ShutdownTimeout", cfg.ShutdownTimeout, 3 * time.Second},
		{"InstanceID", cfg.InstanceID, "node-a"},
		{"MaxOpenConns", cfg.Database.MaxOpenConns, 7},
		{"MaxIdleConns", cfg.Database.MaxIdleConns, 0},
		{"ConnMaxLifetime", cfg.Database.ConnMaxLifetime, time.Hour},
		{"Warnings", len(cfg.Warnings), 0},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestEnvironmentFlags(t *testing.T) {
	tests := []struct {
		name           string
		vars           map[string]string
		wantProduction bool
		wantJSON       bool
	}{
		{"dev", map[string]string{}, false, false},
		{"render", map[string]string{"RENDER": "true", "JWT_SECRET_KEY": "s"}, true, true},
		{"app env", map[string]string{"APP_ENV": "production", "JWT_SECRET_KEY": "s"}, true, true},
		{"other app env", map[string]string{"APP_ENV": "staging"}, false, false},
		{"json in dev", map[string]string{"LOG_FORMAT": "JSON"}, false, true},
		{"text in prod", map[string]string{"RENDER": "1", "JWT_SECRET_KEY": "s", "LOG_FORMAT": "text"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustLoad(t, tt.vars)
			if cfg.Production != tt.wantProduction || cfg.LogJSON != tt.wantJSON {
				t.Errorf("Production=%v LogJSON=%v, want %v %v", cfg.Production, cfg.LogJSON, tt.wantProduction, tt.wantJSON)
			}
		})
	}
}

func TestTokenTTL(t *testing.T) {
	tests := []struct {
		vars map[string]string
		want time.Duration
	}{
		{map[string]string{"JWT_ACCESS_TOKEN_EXPIRES": "86400"}, 24 * time.Hour},
		{map[string]string{"JWT_ACCESS_TOKEN_EXPIRES": "168h"}, 168 * time.Hour},
		{map[string]string{"ACCESS_TOKEN_EXPIRE_MINUTES": "90"}, 90 * time.Minute},
		{map[string]string{"JWT_ACCESS_TOKEN_EXPIRES": "60", "ACCESS_TOKEN_EXPIRE_MINUTES": "90"}, time.Minute},
	}
	for _, tt := range tests {
		if got := mustLoad(t, tt.vars).TokenTTL; got != tt.want {
			t.Errorf("%v: TokenTTL = %v, want %v", tt.vars, got, tt.want)
		}
	}
}

func TestLogLevels(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "INFO": slog.LevelInfo, "warn": slog.LevelWarn,
		"Warning": slog.LevelWarn, "error": slog.LevelError,
	} {
		if got := mustLoad(t, map[string]string{"LOG_LEVEL": in}).LogLevel; got != want {
			t.Errorf("LOG_LEVEL=%s: got %v, want %v", in, got, want)
		}
	}
}

func TestDatabaseURLForms(t *testing.T) {
	tests := []struct {
		name       string
		url        string
		wantDriver string
		wantDSN    string
		wantPath   string
		wantSimple bool
	}{
		{"postgres", "postgres://u:p@db:5432/app?sslmode=require", DriverPostgres,
			"postgres://u:p@db:5432/app?sslmode=require", "", false},
		{"postgresql", "postgresql://u:p@db/app", DriverPostgres, "postgres://u:p@db/app", "", false},
		{"psycopg2 rewrite", "postgresql+psycopg2://u:p@db:5432/app", DriverPostgres,
			"postgres://u:p@db:5432/app", "", false},
		{"supabase pooler port", "postgresql://u.ref:p@aws-0-eu.pooler.supabase.com:6543/postgres", DriverPostgres,
			"postgres://u.ref:p@aws-0-eu.pooler.supabase.com:6543/postgres", "", true},
		{"pgbouncer param stripped", "postgres://u:p@db:5432/app?pgbouncer=true&sslmode=require", DriverPostgres,
			"postgres://u:p@db:5432/app?sslmode=require", "", true},
		{"pgbouncer=false", "postgres://u:p@db:5432/app?pgbouncer=false", DriverPostgres,
			"postgres://u:p@db:5432/app", "", false},
		{"sqlite relative", "sqlite:///instance/chat.db", DriverSQLite,
			"instance/chat.db?" + SQLitePragmas, "instance/chat.db", false},
		{"sqlite absolute", "sqlite:////var/lib/chat.db", DriverSQLite,
			"/var/lib/chat.db?" + SQLitePragmas, "/var/lib/chat.db", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustLoad(t, map[string]string{"DATABASE_URL": tt.url}).Database
			if db.Driver != tt.wantDriver || db.DSN != tt.wantDSN || db.Path != tt.wantPath || db.SimpleProtocol != tt.wantSimple {
				t.Errorf("got %+v\nwant driver=%s dsn=%s path=%s simple=%v", db, tt.wantDriver, tt.wantDSN, tt.wantPath, tt.wantSimple)
			}
			wantOpen := 10
			if tt.wantDriver == DriverSQLite {
				wantOpen = 4
			}
			if db.MaxOpenConns != wantOpen {
				t.Errorf("MaxOpenConns = %d, want %d", db.MaxOpenConns, wantOpen)
			}
			if db.Driver == DriverPostgres {
				// gorm.io/driver/postgres parses the DSN with pgx; an unknown
				// parameter would be sent to the server and rejected.
				pc, err := pgx.ParseConfig(db.DSN)
				if err != nil {
					t.Fatalf("pgx rejects DSN: %v", err)
				}
				if _, ok := pc.RuntimeParams["pgbouncer"]; ok {
					t.Error("pgbouncer left in runtime params")
				}
			}
		})
	}
}

func TestDatabaseFromParts(t *testing.T) {
	db := mustLoad(t, map[string]string{
		"DB_HOST": "db.example.com", "DB_USER": "izpo", "DB_PASSWORD": "p@ss/w:rd#?", "DB_NAME": "chat",
	}).Database
	want := "postgres://izpo:p%40ss%2Fw%3Ard%23%3F@db.example.com:5432/chat?sslmode=require"
	if db.Driver != DriverPostgres || db.DSN != want || db.SimpleProtocol {
		t.Fatalf("got %+v, want DSN %s", db, want)
	}
	pc, err := pgx.ParseConfig(db.DSN)
	if err != nil {
		t.Fatalf("pgx rejects DSN: %v", err)
	}
	if pc.Password != "p@ss/w:rd#?" || pc.Host != "db.example.com" || pc.Port != 5432 || pc.Database != "chat" || pc.TLSConfig == nil {
		t.Errorf("pgx parsed %s:%d/%s pw=%q tls=%v", pc.Host, pc.Port, pc.Database, pc.Password, pc.TLSConfig != nil)
	}

	pooled := mustLoad(t, map[string]string{"DB_HOST": "h", "DB_USER": "u", "DB_NAME": "n", "DB_PORT": "6543"}).Database
	if !pooled.SimpleProtocol || pooled.DSN != "postgres://u@h:6543/n?sslmode=require" {
		t.Errorf("pooler parts: %+v", pooled)
	}
}

func TestDotenv(t *testing.T) {
	dir := t.TempDir()
	dotenv := filepath.Join(dir, ".env")
	content := "PORT=6000\nMAX_FILES=4\nJWT_SECRET_KEY=\"from-file\"\n# comment\nMETRICS_TOKEN=file-token\n"
	if err := os.WriteFile(dotenv, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	real := map[string]string{"DATA_DIR": dir, "PORT": "7000", "METRICS_TOKEN": ""}
	cfg, err := Load(mapEnv(real), dotenv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Port != 7000 {
		t.Errorf("Port = %d, want real env 7000", cfg.Port)
	}
	if cfg.MaxFiles != 4 || string(cfg.JWTSecret) != "from-file" || cfg.JWTSecretSource != "env" {
		t.Errorf("dotenv values not used: MaxFiles=%d secret=%q", cfg.MaxFiles, cfg.JWTSecret)
	}
	if cfg.MetricsToken != "file-token" {
		t.Errorf("empty real value should fall back to .env, got %q", cfg.MetricsToken)
	}
	if os.Getenv("MAX_FILES") == "4" {
		t.Error("Load must not set process environment")
	}

	if _, err := Load(mapEnv(map[string]string{"DATA_DIR": dir}), filepath.Join(dir, "missing.env")); err != nil {
		t.Errorf("missing .env should be ignored: %v", err)
	}
}

func TestJWTSecret(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"SECRET_KEY": "flask-secret"})
	if string(cfg.JWTSecret) != "flask-secret" || cfg.JWTSecretSource != "env" {
		t.Errorf("SECRET_KEY fallback: %q %s", cfg.JWTSecret, cfg.JWTSecretSource)
	}
	cfg = mustLoad(t, map[string]string{"SECRET_KEY": "flask-secret", "JWT_SECRET_KEY": "jwt"})
	if string(cfg.JWTSecret) != "jwt" {
		t.Errorf("JWT_SECRET_KEY should win, got %q", cfg.JWTSecret)
	}

	_, err := load(t, map[string]string{"RENDER": "yes"})
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET_KEY is required in production") {
		t.Errorf("production without secret: err = %v", err)
	}
}

func TestDevSecretPersisted(t *testing.T) {
	dir := t.TempDir()
	first := mustLoad(t, map[string]string{"DATA_DIR": dir})
	path := filepath.Join(dir, ".jwt_secret")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("secret file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode = %o, want 600", st.Mode().Perm())
	}
	if first.JWTSecretSource != "generated" || len(first.JWTSecret) != 64 {
		t.Errorf("secret %q source %s", first.JWTSecret, first.JWTSecretSource)
	}
	if !strings.Contains(strings.Join(first.Warnings, "\n"), path) {
		t.Errorf("warning should name %s: %q", path, first.Warnings)
	}

	second := mustLoad(t, map[string]string{"DATA_DIR": dir})
	if string(second.JWTSecret) != string(first.JWTSecret) {
		t.Error("second Load generated a new secret instead of reusing the file")
	}

	other := mustLoad(t, map[string]string{})
	if string(other.JWTSecret) == string(first.JWTSecret) {
		t.Error("different data dirs share a secret")
	}
}

func TestAllowedOrigins(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"*", nil},
		{`["https://a.com","https://b.com/"]`, []string{"https://a.com", "https://b.com"}},
		{"https://a.com, https://b.com ,", []string{"https://a.com", "https://b.com"}},
		{"https://a.com,*", nil},
		{`["*"]`, nil},
		{"https://only.com", []string{"https://only.com"}},
	}
	for _, tt := range tests {
		got := mustLoad(t, map[string]string{"ALLOWED_ORIGINS": tt.in}).AllowedOrigins
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ALLOWED_ORIGINS=%q: got %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		key, value string
		extra      map[string]string
	}{
		{"PORT", "abc", nil},
		{"PORT", "0", nil},
		{"PORT", "70000", nil},
		{"MAX_FILE_MB", "0", nil},
		{"MAX_FILE_MB", "1.5", nil},
		{"MAX_FILES", "-1", nil},
		{"MAX_MESSAGE_LENGTH", "lots", nil},
		{"LOG_LEVEL", "verbose", nil},
		{"LOG_FORMAT", "xml", nil},
		{"ALLOWED_ORIGINS", `["https://a.com"`, nil},
		{"ALLOWED_ORIGINS", `[1,2]`, nil},
		{"DATABASE_URL", "mysql://u:p@h/db", nil},
		{"DATABASE_URL", "not a url", nil},
		{"DATABASE_URL", "sqlite://relative.db", nil},
		{"DATABASE_URL", "sqlite:///", nil},
		{"DATABASE_URL", "postgres://u:p@h:99999/db", nil},
		{"DATABASE_URL", "postgres:///db", nil},
		{"DB_PORT", "x", map[string]string{"DB_HOST": "h", "DB_USER": "u", "DB_NAME": "n"}},
		{"DB_USER", "", map[string]string{"DB_HOST": "h", "DB_NAME": "n"}},
		{"DB_NAME", "", map[string]string{"DB_HOST": "h", "DB_USER": "u"}},
		{"DB_MAX_OPEN_CONNS", "0", nil},
		{"DB_MAX_IDLE_CONNS", "-2", nil},
		{"DB_CONN_MAX_LIFETIME", "forever", nil},
		{"JWT_ACCESS_TOKEN_EXPIRES", "False", nil},
		{"JWT_ACCESS_TOKEN_EXPIRES", "-5", nil},
		{"ACCESS_TOKEN_EXPIRE_MINUTES", "soon", nil},
		{"SUPABASE_URL", "ftp://x", map[string]string{"SUPABASE_KEY": "k"}},
		{"SUPABASE_URL", "https://x.supabase.co", nil}, // no key
		{"UPLOAD_TIMEOUT", "1x", nil},
		{"REDIS_URL", "http://localhost:6379", nil},
		{"REDIS_URL", "localhost:6379", nil},
		{"SOCKETIO_PING_INTERVAL", "0", nil},
		{"SOCKETIO_PING_TIMEOUT", "abc", nil},
		{"SOCKETIO_MAX_PAYLOAD", "big", nil},
		{"SOCKETIO_RECOVERY_WINDOW", "-1m", nil},
		{"SOCKET_SEND_QUEUE", "0", nil},
		{"SOCKETIO_RECOVERY_MAX_MB", "0", nil},
		{"SOCKETIO_RECOVERY_MAX_MB", "lots", nil},
		{"SOCKET_RATE_LIMIT", "NaN", nil},
		{"SOCKET_RATE_LIMIT", "0", nil},
		{"SOCKET_RATE_BURST", "1.5", nil},
		{"SHUTDOWN_TIMEOUT", "10q", nil},
		{"GC_PERCENT", "-1", nil},
		{"GC_PERCENT", "50%", nil},
		{"GC_MIN_HEADROOM_MB", "lots", nil},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			vars := map[string]string{tt.key: tt.value}
			for k, v := range tt.extra {
				vars[k] = v
			}
			_, err := load(t, vars)
			if err == nil {
				t.Fatal("Load succeeded, want error")
			}
			if !strings.HasPrefix(err.Error(), "config: ") || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q does not name %s", err, tt.key)
			}
		})
	}
}

func TestDataDirNotCreatable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(mapEnv(map[string]string{"DATA_DIR": filepath.Join(file, "sub")}), "")
	if err == nil || !strings.Contains(err.Error(), "DATA_DIR") {
		t.Errorf("err = %v, want DATA_DIR error", err)
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	_, err := load(t, map[string]string{"DATABASE_URL": "mysql://u:hunter2@h/db"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v", err)
	}
	_, err = load(t, map[string]string{"REDIS_URL": "http://:hunter2@h"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v", err)
	}
}

func TestRedacted(t *testing.T) {
	cfg := mustLoad(t, map[string]string{
		"DATABASE_URL": "postgres://u:dbpass@h:5432/db", "JWT_SECRET_KEY": "jwtsecret",
		"SUPABASE_URL": "https://x.supabase.co", "SUPABASE_KEY": "supakey",
		"REDIS_URL": "redis://:redispass@h:6379", "METRICS_TOKEN": "metricstoken",
	})
	r := cfg.Redacted()
	dump := strings.ToLower(fmt.Sprintf("%v", r))
	for _, secret := range []string{"dbpass", "jwtsecret", "supakey", "redispass", "metricstoken"} {
		if strings.Contains(dump, secret) {
			t.Errorf("Redacted leaks %s: %s", secret, dump)
		}
	}
	db := r["database"].(map[string]any)
	if db["dsn"] != "postgres://u:xxxxx@h:5432/db" {
		t.Errorf("dsn = %v", db["dsn"])
	}
	if r["port"] != 5000 || r["jwt_secret_source"] != "env" || r["allowed_origins"] != "*" {
		t.Errorf("Redacted lost plain fields: %v", r)
	}
}

// TestGOGCLeavesTheRuntimeAlone: an operator who set GOGC keeps it (no pacer)
// unless GC_PERCENT asks for one explicitly.
func TestGOGCLeavesTheRuntimeAlone(t *testing.T) {
	if got := mustLoad(t, map[string]string{"GOGC": "200"}).GC.Percent; got != 0 {
		t.Errorf("GOGC set: GC.Percent = %d, want 0 (pacer off)", got)
	}
	if got := mustLoad(t, map[string]string{"GOGC": "200", "GC_PERCENT": "50"}).GC.Percent; got != 50 {
		t.Errorf("GOGC and GC_PERCENT set: GC.Percent = %d, want 50", got)
	}
	if got := mustLoad(t, map[string]string{}).GC.Percent; got != 25 {
		t.Errorf("default GC.Percent = %d, want 25", got)
	}
}

func TestOriginAllowed(t *testing.T) {
	allowed := []string{"https://app.example"}
	for _, c := range []struct {
		allowed []string
		origin  string
		want    bool
	}{
		{nil, "https://any.example", true},
		{allowed, "https://app.example", true},
		{allowed, "https://app.example/", true},
		{allowed, "", true}, // not a browser
		{allowed, "https://evil.example", false},
		{allowed, "https://app.example.evil.example", false},
		{allowed, "http://app.example", false},
	} {
		if got := OriginAllowed(c.allowed, c.origin); got != c.want {
			t.Errorf("OriginAllowed(%v, %q) = %v, want %v", c.allowed, c.origin, got, c.want)
		}
	}
}

func TestFileURLTTL(t *testing.T) {
	if cfg := mustLoad(t, map[string]string{}); cfg.FileURLTTL != 7*24*time.Hour {
		t.Errorf("default FileURLTTL = %v", cfg.FileURLTTL)
	}
	if cfg := mustLoad(t, map[string]string{"FILE_URL_TTL": "2h"}); cfg.FileURLTTL != 2*time.Hour {
		t.Errorf("FILE_URL_TTL=2h gave %v", cfg.FileURLTTL)
	}
	for _, bad := range []string{"0", "-1h", "soon"} {
		if _, err := load(t, map[string]string{"FILE_URL_TTL": bad}); err == nil {
			t.Errorf("FILE_URL_TTL=%q accepted", bad)
		}
	}
}

func TestDBWriteTimeout(t *testing.T) {
	if cfg := mustLoad(t, map[string]string{}); cfg.Database.WriteTimeout != 10*time.Second {
		t.Errorf("default Database.WriteTimeout = %v", cfg.Database.WriteTimeout)
	}
	if cfg := mustLoad(t, map[string]string{"DB_WRITE_TIMEOUT": "3"}); cfg.Database.WriteTimeout != 3*time.Second {
		t.Errorf("DB_WRITE_TIMEOUT=3 gave %v", cfg.Database.WriteTimeout)
	}
	for _, bad := range []string{"0", "-1s", "never"} {
		if _, err := load(t, map[string]string{"DB_WRITE_TIMEOUT": bad}); err == nil {
			t.Errorf("DB_WRITE_TIMEOUT=%q accepted", bad)
		}
	}
}
