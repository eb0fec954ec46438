package chat

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

var accountsSecret = []byte("accounts-secret")

func newAccountsService(t *testing.T, db *gorm.DB) *Service {
	t.Helper()
	svc := New(Deps{Store: models.NewStore(db), Tokens: auth.NewTokens(accountsSecret, time.Hour),
		Passwords: auth.NewPasswords(64, 10*time.Second)})
	t.Cleanup(svc.Close)
	return svc
}

func ptr(s string) *string { return &s }

// A taken username or email (in any case) is answered before any hashing.
func TestDuplicateRegistrationDoesNotHash(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := newAccountsService(t, db), context.Background()
		if _, err := svc.Register(ctx, RegisterInput{Username: "carol", Email: "Carol@X.test", Password: "secret1"}); err != nil {
			t.Fatal(err)
		}
		before := svc.passwords.Computed()
		for _, in := range []RegisterInput{
			{Username: "carol", Email: "other@x.test", Password: "secret1"},
			{Username: "carol2", Email: "carol@x.TEST", Password: "secret1"},
			{Username: "carol3", Email: "CAROL@X.TEST", Password: "secret1"},
		} {
			_, err := svc.Register(ctx, in)
			wantKind(t, err, KindConflict, fmt.Sprintf("register %+v", in))
		}
		if n := svc.passwords.Computed() - before; n != 0 {
			t.Fatalf("duplicate registrations ran %d hashes, want 0", n)
		}
	})
}

// Case@X.test and case@x.TEST are one email, even when registered at once: the unique
// LOWER(email) index decides the race, not only the check before it.
func TestEmailIsUniqueIgnoringCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := newAccountsService(t, db), context.Background()
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				email := "Case@X.test"
				if i%2 == 1 {
					email = "case@x.TEST"
				}
				_, errs[i] = svc.Register(ctx, RegisterInput{Username: fmt.Sprintf("case%d", i), Email: email, Password: "secret1"})
			})
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			if err == nil {
				created++
			} else if KindOf(err) != KindConflict {
				t.Fatalf("register: %v", err)
			}
		}
		if created != 1 {
			t.Fatalf("%d accounts for one email in two cases, want 1", created)
		}
		// Login by email ignores case.
		if _, err := svc.Login(ctx, LoginInput{Email: "CASE@x.test", Password: "secret1"}); err != nil {
			t.Fatalf("login with the email in other case: %v", err)
		}
		// Changing another account's email to a case variant is refused too.
		other, err := svc.Register(ctx, RegisterInput{Username: "other", Email: "other@x.test", Password: "secret1"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.UpdateMe(ctx, Actor{ID: other.User.ID}, UpdateUserInput{Email: ptr("CASE@X.TEST"), CurrentPassword: ptr("secret1")})
		wantKind(t, err, KindConflict, "email change to a case variant of another's")
	})
}

// Changing password or email needs the current password; the other fields do not.
func TestAccountChangesNeedCurrentPassword(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := newAccountsService(t, db), context.Background()
		sess, err := svc.Register(ctx, RegisterInput{Username: "dave", Email: "dave@x.test", Password: "secret1"})
		if err != nil {
			t.Fatal(err)
		}
		me := Actor{ID: sess.User.ID}
		for name, tc := range map[string]struct {
			in   UpdateUserInput
			want Kind
		}{
			"password, no current":   {UpdateUserInput{Password: ptr("new-secret")}, KindInvalid},
			"password, empty":        {UpdateUserInput{Password: ptr("new-secret"), CurrentPassword: ptr("")}, KindInvalid},
			"password, wrong":        {UpdateUserInput{Password: ptr("new-secret"), CurrentPassword: ptr("secret2")}, KindForbidden},
			"email, no current":      {UpdateUserInput{Email: ptr("d@x.test")}, KindInvalid},
			"email, wrong":           {UpdateUserInput{Email: ptr("d@x.test"), CurrentPassword: ptr("nope!!")}, KindForbidden},
			"email case, no current": {UpdateUserInput{Email: ptr("DAVE@x.test")}, KindInvalid},
		} {
			_, err := svc.UpdateMe(ctx, me, tc.in)
			wantKind(t, err, tc.want, name)
		}
		if u, _ := svc.Me(ctx, me); u.Email != "dave@x.test" {
			t.Fatalf("email changed by a refused update: %v", u)
		}
		if _, err := svc.Login(ctx, LoginInput{Username: "dave", Password: "secret1"}); err != nil {
			t.Fatalf("password changed by a refused update: %v", err)
		}
		// Other fields, and the unchanged email sent back, need nothing.
		upd, err := svc.UpdateMe(ctx, me, UpdateUserInput{FullName: ptr("Dave D"), Username: ptr("david"), Email: ptr("dave@x.test")})
		if err != nil || upd.User.FullName != "Dave D" || upd.Token != "" {
			t.Fatalf("update without credentials = %+v, %v", upd, err)
		}
		upd, err = svc.UpdateMe(ctx, me, UpdateUserInput{Email: ptr("new@x.test"), CurrentPassword: ptr("secret1")})
		if err != nil || upd.User.Email != "new@x.test" {
			t.Fatalf("email change with the current password = %+v, %v", upd, err)
		}
	})
}

// A password change ends every token issued before it, Flask-JWT-Extended's included, at
// Authenticate (which every door calls); the new token works, and so does the old
// password no longer.
func TestPasswordChangeRevokesOlderTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := newAccountsService(t, db), context.Background()
		sess, err := svc.Register(ctx, RegisterInput{Username: "erin", Email: "erin@x.test", Password: "secret1"})
		if err != nil {
			t.Fatal(err)
		}
		second, err := svc.Login(ctx, LoginInput{Username: "erin", Password: "secret1"})
		if err != nil {
			t.Fatal(err)
		}
		flask, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": sess.User.ID, "type": "access",
			"fresh": false, "jti": "j", "iat": time.Now().Unix(), "nbf": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}).
			SignedString(accountsSecret)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{sess.Token, second.Token, flask} {
			if _, err := svc.Authenticate(ctx, tok); err != nil {
				t.Fatalf("token before the change refused: %v", err)
			}
		}
		upd, err := svc.UpdateMe(ctx, Actor{ID: sess.User.ID}, UpdateUserInput{Password: ptr("brand-new"), CurrentPassword: ptr("secret1")})
		if err != nil || upd.Token == "" {
			t.Fatalf("password change = %+v, %v", upd, err)
		}
		for name, tok := range map[string]string{"register": sess.Token, "login": second.Token, "flask": flask} {
			_, err := svc.Authenticate(ctx, tok)
			wantKind(t, err, KindUnauthorized, name+" token after the password change")
		}
		if a, err := svc.Authenticate(ctx, upd.Token); err != nil || a.ID != sess.User.ID {
			t.Fatalf("the token answered with the change: %v, %v", a, err)
		}
		fresh, err := svc.Login(ctx, LoginInput{Username: "erin", Password: "brand-new"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, fresh.Token); err != nil {
			t.Fatalf("token of a login after the change: %v", err)
		}
		_, err = svc.Login(ctx, LoginInput{Username: "erin", Password: "secret1"})
		wantKind(t, err, KindUnauthorized, "login with the old password")
		// Changing other fields does not revoke anything.
		if _, err := svc.UpdateMe(ctx, Actor{ID: sess.User.ID}, UpdateUserInput{FullName: ptr("E")}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, fresh.Token); err != nil {
			t.Fatalf("token refused after a full_name change: %v", err)
		}
	})
}
