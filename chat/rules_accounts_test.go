package chat

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
)

// Registration trims and checks its fields, stores the account and signs a
// token that authenticates as it; login works by email (any case) and by
// username, and a wrong password or unknown account is one answer.
func TestRegisterThenLoginByEmailOrUsername(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		s, err := r.svc.Register(r.ctx, RegisterInput{Username: "  dora ", Email: " Dora@Example.com ", Password: "secret1", FullName: " Dora D "})
		if err != nil {
			t.Fatal(err)
		}
		if s.User.Username != "dora" || s.User.Email != "Dora@Example.com" || s.User.FullName != "Dora D" {
			t.Fatalf("registered %+v: fields not trimmed", s.User)
		}
		a, err := r.svc.Authenticate(r.ctx, "Bearer "+s.Token)
		if err != nil || a.ID != s.User.ID || a.Username != "dora" {
			t.Fatalf("the registration token authenticates as %+v, %v", a, err)
		}
		for _, in := range []LoginInput{
			{Email: "dora@example.com", Password: "secret1"},
			{Email: "DORA@EXAMPLE.COM", Password: "secret1"},
			{Username: "dora", Password: "secret1"},
		} {
			got, err := r.svc.Login(r.ctx, in)
			if err != nil || got.User.ID != s.User.ID || got.Token == "" {
				t.Fatalf("login %+v: %+v, %v", in, got.User, err)
			}
		}
		for _, in := range []LoginInput{
			{Email: "dora@example.com", Password: "wrong"},
			{Username: "nobody", Password: "secret1"},
		} {
			_, err := r.svc.Login(r.ctx, in)
			wantKind(t, err, KindUnauthorized, "login "+in.Email+in.Username)
			if msg := err.Error(); !strings.Contains(msg, "invalid credentials") {
				t.Fatalf("login %+v: %q, want the one answer for both", in, msg)
			}
		}
		_, err = r.svc.Login(r.ctx, LoginInput{Username: "dora"})
		wantKind(t, err, KindInvalid, "login without a password")
	})
}

func TestRegistrationValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		for _, in := range []RegisterInput{
			{Username: "", Email: "a@x.test", Password: "secret1"},
			{Username: "ab", Email: "not-an-email", Password: "secret1"},
			{Username: "abc", Email: "a@x.test", Password: ""},
			{Username: strings.Repeat("u", 200), Email: "a@x.test", Password: "secret1"},
		} {
			_, err := r.svc.Register(r.ctx, in)
			wantKind(t, err, KindInvalid, "register "+in.Username+" "+in.Email)
		}
		var n int64
		if err := db.Table("users").Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("%d users stored by refused registrations (%v)", n, err)
		}
	})
}

// An account carried over from Flask with a Werkzeug hash logs in with its
// password, and the hash is replaced by a bcrypt one on the way; the password
// keeps working and a wrong one is still refused.
func TestLoginRehashesOldWerkzeugHash(t *testing.T) {
	const password = "pässwörd ✓"
	// Werkzeug's generate_password_hash(password, "pbkdf2:sha256:1000").
	const werkzeug = "pbkdf2:sha256:1000$edKY7Y0SOXuDruvs$a069972bc09998c4dc529ff8d39efb320a41d1159807ac301d5462a30a4752ef"
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		old := r.actor("flask")
		if err := db.Exec("UPDATE users SET password_hash = ? WHERE id = ?", werkzeug, old.ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Login(r.ctx, LoginInput{Username: "flask", Password: password}); err != nil {
			t.Fatalf("login with the Werkzeug hash: %v", err)
		}
		var stored string
		if err := db.Table("users").Select("password_hash").Where("id = ?", old.ID).Scan(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "$2") {
			t.Fatalf("stored hash after login = %.20q…, want a bcrypt hash", stored)
		}
		if _, err := r.svc.Login(r.ctx, LoginInput{Username: "flask", Password: password}); err != nil {
			t.Fatalf("login after the rehash: %v", err)
		}
		_, err := r.svc.Login(r.ctx, LoginInput{Username: "flask", Password: "wrong"})
		wantKind(t, err, KindUnauthorized, "wrong password after the rehash")
	})
}

// A token of an account deleted since is refused.
func TestTokenOfDeletedAccountIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		s, err := r.svc.Register(r.ctx, RegisterInput{Username: "gone", Email: "gone@x.test", Password: "secret1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("DELETE FROM users WHERE id = ?", s.User.ID).Error; err != nil {
			t.Fatal(err)
		}
		_, err = r.svc.Authenticate(r.ctx, s.Token)
		wantKind(t, err, KindUnauthorized, "token of a deleted account")
		_, err = r.svc.Authenticate(r.ctx, "")
		wantKind(t, err, KindUnauthorized, "no token")
	})
}
