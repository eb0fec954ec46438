package testdb

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/config"
)

// FlaskGenerations names the schema generations of the Flask backend that
// models/testdata holds: f1 (izpoChatBackend@3b446cd), f2 (@e51fe89) and f3
// (@a3d2a86, the last one deployed).
var FlaskGenerations = []string{"f1", "f2", "f3"}

// LayFlask creates, in an empty database, the schema generation gen of the Flask
// backend made on driver, with the rows its routes wrote (models/testdata).
func LayFlask(t testing.TB, db *gorm.DB, driver, gen string) {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(self), "..", "..", "models", "testdata")
	for _, name := range []string{"flask_" + gen + "_schema_" + driver + ".sql", "flask_" + gen + "_rows.sql"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("testdb: %v", err)
		}
		for _, stmt := range strings.Split(string(raw), ";\n") {
			if onlyComments(stmt) {
				continue
			}
			if err := db.Exec(stmt).Error; err != nil {
				t.Fatalf("testdb: %s: %v\n%s", name, err, stmt)
			}
		}
	}
	if driver == config.DriverPostgres {
		// The Flask app inserted through the sequences; the rows name their ids.
		for _, table := range []string{"users", "rooms", "messages", "file_uploads"} {
			if !db.Migrator().HasTable(table) {
				continue
			}
			q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM %s))", table, table)
			if err := db.Exec(q).Error; err != nil {
				t.Fatalf("testdb: advance the %s sequence: %v", table, err)
			}
		}
	}
}

func onlyComments(stmt string) bool {
	for _, line := range strings.Split(stmt, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
			return false
		}
	}
	return true
}
