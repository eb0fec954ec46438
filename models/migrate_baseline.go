package models

import (
	"context"
	"database/sql"
	"fmt"
)

// origin is what the baseline found in the database.
type origin string

const (
	originFresh  origin = "fresh"   // no tables yet
	originServer origin = "server"  // created by this server before versioned migrations
	originF1     origin = "flask-1" // Flask, rooms without is_private, no room_members
	originF2     origin = "flask-2" // Flask, room_members(user_id, room_id, joined_at)
	originF3     origin = "flask-3" // Flask, rooms without created_by nor description
)

// baseline takes over whatever database it finds, in one transaction: the
// tables that are missing are created as this server creates them, the columns
// an older schema lacks are added (nullable or defaulted), the indexes built,
// and the Flask generations' conversations become conversations
// (migrate_backfill.go; F2's memberless rooms are migration 00002).
// Nothing that exists is altered.
func baseline(ctx context.Context, tx *sql.Tx, dialect string) error {
	r := schemaReader{tx: tx, dialect: dialect}
	found, err := detectOrigin(ctx, r)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	// F2's room_members carries joined_at, which no other schema has: it marks an F2
	// database even if an earlier version of this server has already run on it.
	f2Members := false
	if cols, err := r.columns(ctx, "room_members"); err != nil {
		return fmt.Errorf("baseline: %w", err)
	} else if _, ok := cols["joined_at"]; ok {
		f2Members = true
	}
	for _, t := range baselineTables {
		exists, err := r.hasTable(ctx, t.name)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		if exists {
			continue
		}
		ddl := t.postgres
		if dialect == "sqlite" {
			ddl = t.sqlite
		}
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("baseline: create table %s: %w", t.name, err)
		}
	}
	for _, c := range baselineColumns {
		cols, err := r.columns(ctx, c.table)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		if _, ok := cols[c.column]; ok {
			continue
		}
		def := c.postgres
		if dialect == "sqlite" {
			def = c.sqlite
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", c.table, c.column, def)); err != nil {
			return fmt.Errorf("baseline: add column %s.%s: %w", c.table, c.column, err)
		}
	}
	for _, ddl := range baselineIndexes {
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("baseline: %s: %w", ddl, err)
		}
	}
	if found == originF2 || found == originF3 || f2Members {
		if err := backfillConversations(ctx, tx, dialect); err != nil {
			return fmt.Errorf("baseline (%s): %w", found, err)
		}
	}
	return nil
}

func detectOrigin(ctx context.Context, r schemaReader) (origin, error) {
	users, err := r.columns(ctx, "users")
	if err != nil {
		return "", err
	}
	if len(users) == 0 {
		return originFresh, nil
	}
	if _, ok := users["token_generation"]; ok {
		return originServer, nil
	}
	rooms, err := r.columns(ctx, "rooms")
	if err != nil {
		return "", err
	}
	if _, ok := rooms["created_by"]; !ok {
		return originF3, nil
	}
	if _, ok := rooms["is_private"]; !ok {
		return originF1, nil
	}
	return originF2, nil
}
