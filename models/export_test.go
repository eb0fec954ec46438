package models

import "gorm.io/gorm"

// UserByEmailQuery is the query UserByEmail runs, for tests that EXPLAIN it.
func UserByEmailQuery(db *gorm.DB, email string) *gorm.DB { return userByEmail(db, email) }
