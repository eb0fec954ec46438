package main

import (
	"fmt"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/config"
)

// schemaFacts maps "table.column" to its type, nullability, width and default,
// and "index name" to its table: what a takeover must leave as it found it.
type schemaFacts map[string]string

func describeSchema(t *testing.T, db *gorm.DB, driver string) schemaFacts {
	t.Helper()
	out := schemaFacts{}
	if driver == config.DriverPostgres {
		var cols []struct {
			TableName, ColumnName, DataType, IsNullable string
			ColumnDefault                               *string
			CharacterMaximumLength                      *int
		}
		if err := db.Raw(`SELECT table_name, column_name, data_type, is_nullable, column_default, character_maximum_length
			FROM information_schema.columns WHERE table_schema = current_schema()`).Scan(&cols).Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			out[c.TableName+"."+c.ColumnName] = fmt.Sprint(c.DataType, " null=", c.IsNullable, " width=", deref(c.CharacterMaximumLength), " default=", deref(c.ColumnDefault))
		}
		var idx []struct{ Indexname, Indexdef string }
		if err := db.Raw(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()`).Scan(&idx).Error; err != nil {
			t.Fatal(err)
		}
		for _, i := range idx {
			out["index "+i.Indexname] = i.Indexdef
		}
		var cons []struct{ Conname, Def string }
		if err := db.Raw(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
			WHERE connamespace = current_schema()::regnamespace`).Scan(&cons).Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range cons {
			out["constraint "+c.Conname] = c.Def
		}
		return out
	}
	var objects []struct{ Type, Name, TblName, SQL *string }
	if err := db.Raw(`SELECT type, name, tbl_name, sql FROM sqlite_master`).Scan(&objects).Error; err != nil {
		t.Fatal(err)
	}
	for _, o := range objects {
		if *o.Type == "index" {
			out["index "+*o.Name] = fmt.Sprint(deref(o.SQL))
			continue
		}
		if *o.Type != "table" {
			continue
		}
		var cols []struct {
			Name, Type string
			Notnull    int
			DfltValue  *string
			Pk         int
		}
		if err := db.Raw(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`, *o.Name).Scan(&cols).Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			out[*o.Name+"."+c.Name] = fmt.Sprint(c.Type, " notnull=", c.Notnull, " default=", deref(c.DfltValue), " pk=", c.Pk)
		}
		var fks []struct{ Table, From, To, OnDelete string }
		if err := db.Raw(`SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list(?)`, *o.Name).Scan(&fks).Error; err != nil {
			t.Fatal(err)
		}
		for _, fk := range fks {
			out[fmt.Sprintf("fk %s.%s", *o.Name, fk.From)] = fmt.Sprint(fk.Table, ".", fk.To, " on delete ", fk.OnDelete)
		}
	}
	return out
}

func deref[T any](p *T) any {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// checkNothingNarrowed fails when a column, index or constraint the database had
// is gone or changed.
func checkNothingNarrowed(t *testing.T, before, after schemaFacts) {
	t.Helper()
	for key, was := range before {
		now, ok := after[key]
		if !ok {
			t.Fatalf("%s was dropped or renamed (was %s)", key, was)
		}
		if now != was {
			t.Fatalf("%s was altered: %s -> %s", key, was, now)
		}
	}
	if len(after) <= len(before) {
		t.Fatalf("nothing was added to the old schema (%d facts)", len(after))
	}
}

// countRows counts the rows of the Flask tables that exist.
func countRows(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"users", "rooms", "room_members", "messages", "file_uploads"} {
		if !db.Migrator().HasTable(table) {
			continue
		}
		var n int64
		if err := db.Table(table).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}
