package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SQLitePragmas are applied by glebarez/go-sqlite on every new connection
// (each _pragma value runs as "PRAGMA <value>"). WAL lets readers run while a
// writer commits; busy_timeout makes writers wait instead of failing at once.
// _txlock=immediate: a transaction takes the write lock when it begins, so two
// read-then-write transactions wait on busy_timeout instead of failing with SQLITE_BUSY.
// SQLite's own checkpoint (every 1,000 WAL pages, inside the commit that
// crosses them) is left at its default as a backstop: the message writer
// checkpoints between its commits, every ~300 pages (chat's walCheckpoints).
const SQLitePragmas = "_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"

// supabasePoolerPort is the Supabase transaction pooler (PgBouncer), which
// cannot keep prepared statements across transactions.
const supabasePoolerPort = "6543"

func loadDatabase(e *env, dataDir string) (Database, error) {
	var db Database
	var err error
	switch {
	case e.get("DATABASE_URL") != "":
		db, err = parseDatabaseURL(e.get("DATABASE_URL"))
	case e.get("DB_HOST") != "":
		db, err = postgresFromParts(e)
	default:
		db = sqliteDatabase(filepath.Join(dataDir, sqliteFileName))
	}
	if err != nil {
		return Database{}, err
	}

	openDefault, idleDefault := 10, 5
	if db.Driver == DriverSQLite {
		openDefault, idleDefault = 4, 4
	}
	if db.MaxOpenConns, err = e.positiveInt("DB_MAX_OPEN_CONNS", openDefault); err != nil {
		return Database{}, err
	}
	if db.MaxIdleConns, err = e.nonNegativeInt("DB_MAX_IDLE_CONNS", idleDefault); err != nil {
		return Database{}, err
	}
	if db.ConnMaxLifetime, err = e.duration("DB_CONN_MAX_LIFETIME", 30*time.Minute); err != nil {
		return Database{}, err
	}
	if db.WriteTimeout, err = e.duration("DB_WRITE_TIMEOUT", DefaultDBWriteTimeout); err != nil {
		return Database{}, err
	}
	return db, nil
}

// parseDatabaseURL accepts the URL forms the Flask/SQLAlchemy config used.
// Errors never echo the URL because it may hold a password.
func parseDatabaseURL(raw string) (Database, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Database{}, fmt.Errorf("config: DATABASE_URL: not a URL (want postgres://... or sqlite:///...)")
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg", "postgres+psycopg2":
		return parsePostgresURL("postgres://" + rest)
	case "sqlite":
		return parseSQLiteURL(rest)
	default:
		return Database{}, fmt.Errorf("config: DATABASE_URL: unsupported scheme %q (want postgres or sqlite)", scheme)
	}
}

func parsePostgresURL(raw string) (Database, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Database{}, fmt.Errorf("config: DATABASE_URL: malformed postgres URL")
	}
	q := u.Query()
	if u.Host == "" && q.Get("host") == "" {
		return Database{}, fmt.Errorf("config: DATABASE_URL: postgres URL has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Database{}, fmt.Errorf("config: DATABASE_URL: invalid port %q", p)
		}
	}
	simple := u.Port() == supabasePoolerPort
	if q.Has("pgbouncer") {
		// pgx would send an unknown parameter to the server as a runtime
		// setting, which PostgreSQL rejects; it is only our hint.
		simple = simple || strings.EqualFold(q.Get("pgbouncer"), "true")
		q.Del("pgbouncer")
		u.RawQuery = q.Encode()
	}
	return Database{Driver: DriverPostgres, DSN: u.String(), SimpleProtocol: simple}, nil
}

// parseSQLiteURL takes what follows "sqlite://": "/relative.db" (relative to
// the working directory) or "//absolute.db" (an absolute path).
func parseSQLiteURL(rest string) (Database, error) {
	path, query, _ := strings.Cut(rest, "?")
	if query != "" {
		return Database{}, fmt.Errorf("config: DATABASE_URL: sqlite URL query parameters are not supported (pragmas are set by the server)")
	}
	if !strings.HasPrefix(path, "/") {
		return Database{}, fmt.Errorf("config: DATABASE_URL: sqlite URL must be sqlite:///relative.db or sqlite:////absolute.db")
	}
	path = path[1:] // the empty host's slash
	if path == "" || path == "/" {
		return Database{}, fmt.Errorf("config: DATABASE_URL: sqlite URL has no file path")
	}
	return sqliteDatabase(filepath.Clean(path)), nil
}

func sqliteDatabase(path string) Database {
	return Database{Driver: DriverSQLite, Path: path, DSN: path + "?" + SQLitePragmas}
}

// postgresFromParts builds a DSN from the DB_* variables of the old Flask config.
func postgresFromParts(e *env) (Database, error) {
	host := e.get("DB_HOST")
	port := e.getOr("DB_PORT", "5432")
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return Database{}, invalid("DB_PORT", port, "a valid port")
	}
	user := e.get("DB_USER")
	if user == "" {
		return Database{}, fmt.Errorf("config: DB_USER: required when DB_HOST is set")
	}
	name := e.get("DB_NAME")
	if name == "" {
		return Database{}, fmt.Errorf("config: DB_NAME: required when DB_HOST is set")
	}
	userinfo := url.User(user)
	if pw := e.get("DB_PASSWORD"); pw != "" {
		userinfo = url.UserPassword(user, pw)
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     userinfo,
		Host:     net.JoinHostPort(host, port),
		Path:     "/" + name,
		RawQuery: url.Values{"sslmode": {e.getOr("DB_SSLMODE", "require")}}.Encode(),
	}
	return Database{Driver: DriverPostgres, DSN: u.String(), SimpleProtocol: port == supabasePoolerPort}, nil
}
