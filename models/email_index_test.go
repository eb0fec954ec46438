package models_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// The login-by-email lookup is served by the LOWER(email) index on both databases.
func TestLoginByEmailUsesTheIndex(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		store := models.NewStore(db)
		for _, name := range []string{"ann", "ben", "cy"} {
			createUser(t, store, name, nil)
		}
		query := db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			var u models.User
			return models.UserByEmailQuery(tx, "Ann@Example.com").Take(&u)
		})
		plan := explain(t, db, query)
		if !strings.Contains(plan, "users_email_lower_key") {
			t.Fatalf("the login-by-email query does not use users_email_lower_key:\n%s\n%s", query, plan)
		}
		if u, err := store.UserByEmail(context.Background(), "ANN@example.COM"); err != nil || u.Username != "ann" {
			t.Fatalf("UserByEmail ignoring case = %+v, %v", u, err)
		}
	})
}

// explain returns the plan of query. PostgreSQL plans a sequential scan of a table this
// small whatever its indexes, so it is told to avoid one: the index must still be usable.
func explain(t *testing.T, db *gorm.DB, query string) string {
	t.Helper()
	var lines []string
	err := db.Transaction(func(tx *gorm.DB) error {
		explain := "EXPLAIN QUERY PLAN "
		if db.Dialector.Name() == config.DriverPostgres {
			if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
				return err
			}
			explain = "EXPLAIN "
		}
		rows, err := tx.Raw(explain + query).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			var line []string
			for _, v := range vals {
				switch v := v.(type) {
				case []byte:
					line = append(line, string(v))
				case string:
					line = append(line, v)
				}
			}
			lines = append(lines, strings.Join(line, " "))
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	return strings.Join(lines, "\n")
}

// A database taken over that already holds emails differing only in case still migrates:
// the rows are kept, the unique index waits, a plain LOWER(email) index serves login, and
// login prefers the exact spelling. Once the variants are resolved, the next start builds
// the unique index.
func TestTakeOverWithCaseVariantEmails(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			var logs bytes.Buffer
			var mu sync.Mutex
			cfg := testdb.Config(t, driver)
			db, err := models.Open(ctx, cfg, slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = models.Close(db) })
			testdb.LayFlask(t, db, driver, "f2")
			if err := db.Exec("INSERT INTO users (id, username, email, password_hash, created_at) VALUES " +
				"(10, 'ana2', 'ANA@example.com', 'x', '2024-04-01 00:00:00')").Error; err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := models.Migrate(ctx, db); err != nil {
					t.Fatalf("migrate a database with case-variant emails: %v", err)
				}
			}
			m := db.Migrator()
			if m.HasIndex(&models.User{}, "users_email_lower_key") || !m.HasIndex(&models.User{}, "users_email_lower_idx") {
				t.Fatal("want the lookup index and no unique one while variants exist")
			}
			mu.Lock()
			warned := strings.Contains(logs.String(), "users_email_lower_key")
			mu.Unlock()
			if !warned {
				t.Fatalf("no warning about the variants; logs:\n%s", logs.String())
			}
			store := models.NewStore(db)
			for email, want := range map[string]string{"ANA@example.com": "ana2", "ana@example.com": "ana", "Ana@Example.com": "ana"} {
				if u, err := store.UserByEmail(ctx, email); err != nil || u.Username != want {
					t.Fatalf("UserByEmail(%s) = %v, %v; want %s", email, u.Username, err, want)
				}
			}
			if plan := explain(t, db, db.ToSQL(func(tx *gorm.DB) *gorm.DB {
				var u models.User
				return models.UserByEmailQuery(tx, "ana@example.com").Take(&u)
			})); !strings.Contains(plan, "users_email_lower_idx") {
				t.Fatalf("login by email is not indexed while variants exist:\n%s", plan)
			}

			if err := db.Exec("UPDATE users SET email = 'ana.two@example.com' WHERE id = 10").Error; err != nil {
				t.Fatal(err)
			}
			if err := models.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			if !m.HasIndex(&models.User{}, "users_email_lower_key") {
				t.Fatal("the unique index was not built once the variants were resolved")
			}
			err = store.CreateUser(ctx, &models.User{Username: "ana3", Email: "ANA@EXAMPLE.COM", PasswordHash: "x"})
			if !errors.Is(err, models.ErrDuplicate) {
				t.Fatalf("insert of a case variant = %v, want ErrDuplicate", err)
			}
		})
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A failing query is logged with its placeholders, never its values.
func TestFailedQueryLogHasNoValues(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			var logs bytes.Buffer
			var mu sync.Mutex
			db, err := models.Open(context.Background(), testdb.Config(t, driver),
				slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = models.Close(db) })
			const secretHash = "$2a$10$SECRETHASHVALUEwhichMustNeverBeLogged"
			// No tables yet: the insert fails.
			err = db.Exec("INSERT INTO users (username, email, password_hash) VALUES (?, ?, ?)",
				"leaky", "leaky@example.com", secretHash).Error
			if err == nil {
				t.Fatal("the insert into a missing table succeeded")
			}
			mu.Lock()
			out := logs.String()
			mu.Unlock()
			if !strings.Contains(out, "query failed") || !strings.Contains(out, "INSERT INTO users") {
				t.Fatalf("the failure was not logged with its SQL:\n%s", out)
			}
			for _, value := range []string{"SECRETHASH", "leaky@example.com"} {
				if strings.Contains(out, value) {
					t.Fatalf("the log carries the value %q:\n%s", value, out)
				}
			}
		})
	}
}
