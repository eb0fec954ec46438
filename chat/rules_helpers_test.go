package chat

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/models"
)

// rules is the domain core on a real store, as the doors call it, with the
// access cache on as production runs it.
type rules struct {
	t   *testing.T
	db  *gorm.DB
	svc *Service
	ctx context.Context
}

func newRules(t *testing.T, db *gorm.DB) *rules {
	t.Helper()
	svc := New(Deps{Store: models.NewStore(db), Tokens: auth.NewTokens(accountsSecret, time.Hour),
		Passwords: auth.NewPasswords(64, 10*time.Second), AccessTTL: DefaultAccessTTL, Limits: Limits{MaxMessageLength: 50}})
	t.Cleanup(svc.Close)
	return &rules{t: t, db: db, svc: svc, ctx: context.Background()}
}

// actor stores an account with a cheap bcrypt hash (registration itself is
// tested in rules_accounts_test.go; full-cost bcrypt under -race is slow).
func (r *rules) actor(name string) Actor {
	r.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("secret-"+name), bcrypt.MinCost)
	if err != nil {
		r.t.Fatal(err)
	}
	u := &models.User{Username: name, Email: strings.ToLower(name) + "@example.com", PasswordHash: string(hash), CreatedAt: Now()}
	if err := models.NewStore(r.db).CreateUser(r.ctx, u); err != nil {
		r.t.Fatalf("create %s: %v", name, err)
	}
	return Actor{ID: u.ID, Username: name}
}

func (r *rules) room(owner Actor, name string, private bool) Room {
	r.t.Helper()
	room, err := r.svc.CreateRoom(r.ctx, owner, RoomInput{Name: &name, IsPrivate: &private})
	if err != nil {
		r.t.Fatalf("create room %s: %v", name, err)
	}
	return room
}

func (r *rules) post(a Actor, roomID int64, content string) Message {
	r.t.Helper()
	m, err := r.svc.PostMessage(r.ctx, a, roomID, PostInput{Content: content})
	if err != nil {
		r.t.Fatalf("post %q: %v", content, err)
	}
	return m
}

func boolPtr(b bool) *bool { return &b }
