package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// Emails are unique ignoring case, and login by email looks them up ignoring case: both
// are served by an index on LOWER(email), which SQLite and PostgreSQL both build and use
// for "WHERE LOWER(email) = LOWER(?)".
const (
	// emailLowerUnique is the unique index; it is what keeps two registrations racing with
	// case variants of one email from both succeeding.
	emailLowerUnique = "users_email_lower_key"
	// emailLowerLookup is built instead when a database taken over already holds emails
	// differing only in case: those rows are kept (each can still log in), login by email
	// stays indexed, and chat refuses new case variants before inserting. Once the
	// duplicates are resolved by hand, the next start builds the unique index.
	emailLowerLookup = "users_email_lower_idx"
)

// ensureEmailIndex builds the LOWER(email) index if it is missing, unique when the rows allow.
func ensureEmailIndex(ctx context.Context, db *gorm.DB) error {
	m := db.Migrator()
	if m.HasIndex(&User{}, emailLowerUnique) {
		return nil
	}
	duplicates, err := caseVariantEmails(db)
	if err != nil {
		return err
	}
	if duplicates == 0 {
		err := db.Exec("CREATE UNIQUE INDEX IF NOT EXISTS " + emailLowerUnique + " ON users (LOWER(email))").Error
		if err == nil || m.HasIndex(&User{}, emailLowerUnique) {
			return nil // another instance starting at once may have built it first
		}
		// A case variant may have been inserted since the count (by a Flask app still running).
		if duplicates, _ = caseVariantEmails(db); duplicates == 0 {
			return fmt.Errorf("migrate: create index %s: %w", emailLowerUnique, err)
		}
	}
	db.Logger.Warn(ctx, "users: %d emails are registered more than once in different case; "+
		"index %s (unique ignoring case) is not built until they are resolved, %s serves login instead, "+
		"and new registrations and email changes refuse case variants", duplicates, emailLowerUnique, emailLowerLookup)
	if err := db.Exec("CREATE INDEX IF NOT EXISTS " + emailLowerLookup + " ON users (LOWER(email))").Error; err != nil &&
		!m.HasIndex(&User{}, emailLowerLookup) {
		return fmt.Errorf("migrate: create index %s: %w", emailLowerLookup, err)
	}
	return nil
}

// caseVariantEmails counts the emails held by more than one row when case is ignored.
func caseVariantEmails(db *gorm.DB) (int64, error) {
	var n int64
	err := db.Raw("SELECT COUNT(*) FROM (SELECT LOWER(email) AS e FROM users GROUP BY LOWER(email) HAVING COUNT(*) > 1) AS d").
		Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("migrate: count case-variant emails: %w", err)
	}
	return n, nil
}
