package models

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
)

// schemaReader answers what a migration must know about the schema it finds,
// inside the migration's own transaction.
type schemaReader struct {
	tx      *sql.Tx
	dialect string // "postgres" or "sqlite"
}

func (r schemaReader) hasTable(ctx context.Context, table string) (bool, error) {
	q := `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	if r.dialect == "sqlite" {
		q = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	}
	var n int
	if err := r.tx.QueryRowContext(ctx, q, table).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return n > 0, nil
}

// columns maps each column of table to its declared type (lower case on
// PostgreSQL as information_schema spells it, as declared on SQLite).
func (r schemaReader) columns(ctx context.Context, table string) (map[string]string, error) {
	q := `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`
	if r.dialect == "sqlite" {
		q = `SELECT name, type FROM pragma_table_info(?)`
	}
	rows, err := r.tx.QueryContext(ctx, q, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		out[name] = typ
	}
	return out, rows.Err()
}

var declaredWidth = regexp.MustCompile(`(?i)^\s*(?:n?varchar|character varying|n?char|character)\s*\(\s*(\d+)\s*\)`)

// columnWidth is the declared character width of a column, 0 when it has none
// (TEXT). SQLite does not enforce a declared width, but the schema that declared
// it is the one whose other clients expect it, so it is honoured on both.
func columnWidth(ctx context.Context, db *sql.DB, dialect, table, column string) (int, error) {
	if dialect == "postgres" {
		var width sql.NullInt64
		err := db.QueryRowContext(ctx, `SELECT character_maximum_length FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, table, column).Scan(&width)
		if err != nil {
			return 0, fmt.Errorf("width of %s.%s: %w", table, column, err)
		}
		return int(width.Int64), nil
	}
	var typ string
	err := db.QueryRowContext(ctx, `SELECT type FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&typ)
	if err != nil {
		return 0, fmt.Errorf("width of %s.%s: %w", table, column, err)
	}
	if m := declaredWidth.FindStringSubmatch(typ); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, nil
	}
	return 0, nil
}
