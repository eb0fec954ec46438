// Command search measures message search (GET /api/search/messages's domain
// call, chat.Service.SearchMessages) over many messages (1,000,000 by default)
// on SQLite and on PostgreSQL: it seeds rooms and messages of Spanish and
// English words, then runs a mix of queries as a user who may read some of the
// rooms and prints p50/p95 per kind and overall. It also times what migration
// 00006 costs on a database that already holds them (the index rebuilt) and
// what the index costs the message writer (batches inserted with and without).
//
//	go run ./bench/search -messages 1000000 -searches 100
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/bench/internal/scratchdb"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/models"
)

type options struct {
	messages int
	searches int
	drivers  []string
	pgURL    string
	keep     bool
}

func main() {
	var o options
	var drivers string
	flag.IntVar(&o.messages, "messages", 1_000_000, "messages stored")
	flag.IntVar(&o.searches, "searches", 100, "timed searches per kind of query")
	flag.StringVar(&drivers, "drivers", "sqlite,postgres", "databases to measure")
	flag.StringVar(&o.pgURL, "pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL URL (a schema of its own is created and dropped)")
	flag.BoolVar(&o.keep, "keep", false, "keep the PostgreSQL schema (to EXPLAIN by hand; its name is printed)")
	flag.Parse()
	o.drivers = strings.Split(drivers, ",")
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "search bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	log := slog.New(slog.DiscardHandler)
	return scratchdb.Each(ctx, o.drivers, scratchdb.Options{Name: "search", PostgresURL: o.pgURL, Keep: o.keep, Log: log},
		func(driver string, cfg config.Database) error { return measure(ctx, driver, cfg, o, log, out) })
}

// The rooms: publicRooms open to all, privateRooms of which the searcher is a
// member of memberOf. The searcher may read publicRooms+memberOf of them.
const (
	publicRooms  = 100
	privateRooms = 400
	memberOf     = 30
)

func measure(ctx context.Context, driver string, cfg config.Database, o options, log *slog.Logger, out io.Writer) error {
	db, err := models.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer models.Close(db)
	if err := models.Migrate(ctx, db); err != nil {
		return err
	}
	store := models.NewStore(db)
	service := chat.New(chat.Deps{Store: store, Logger: log})
	defer service.Close()

	searcher := &models.User{Username: "searcher", Email: "searcher@example.com", PasswordHash: "x", CreatedAt: chat.Now()}
	other := &models.User{Username: "other", Email: "other@example.com", PasswordHash: "x", CreatedAt: chat.Now()}
	for _, u := range []*models.User{searcher, other} {
		if err := store.CreateUser(ctx, u); err != nil {
			return err
		}
	}
	var rooms []int64
	for i := range publicRooms + privateRooms {
		private := i >= publicRooms
		owner := other.ID
		if private && i < publicRooms+memberOf {
			owner = searcher.ID // its creator is a member
		}
		r := &models.Room{Name: fmt.Sprintf("room %d", i), IsPrivate: private, CreatedBy: owner, CreatedAt: chat.Now()}
		if err := store.CreateRoom(ctx, r, owner); err != nil {
			return err
		}
		rooms = append(rooms, r.ID)
	}
	start := time.Now()
	if err := seed(ctx, store, []int64{searcher.ID, other.ID}, rooms, o.messages); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: stored %d messages in %d rooms in %v\n", driver, o.messages, len(rooms), time.Since(start).Round(time.Millisecond))
	if driver == config.DriverPostgres {
		if err := db.Exec("ANALYZE").Error; err != nil {
			return err
		}
	}

	actor := chat.Actor{ID: searcher.ID, Username: searcher.Username}
	busyRoom := rooms[0] // public, readable
	kinds := []struct {
		name string
		q    chat.SearchQuery
	}{
		{"common word (hola)", chat.SearchQuery{Text: "hola"}},
		{"common word, page 2", chat.SearchQuery{Text: "hola", BeforeID: int64(o.messages / 2)}},
		{"rare word (xilofono, stored with accent)", chat.SearchQuery{Text: "xilofono"}},
		{"two words (reunión mañana)", chat.SearchQuery{Text: "reunión mañana"}},
		{"Spanish with accents (canción)", chat.SearchQuery{Text: "canción"}},
		{"English word (meeting)", chat.SearchQuery{Text: "meeting"}},
		{"common word in one room", chat.SearchQuery{Text: "hola", RoomID: busyRoom}},
		{"rare word in one room", chat.SearchQuery{Text: "xilofono", RoomID: busyRoom}},
	}
	var all []time.Duration
	for _, k := range kinds {
		var took []time.Duration
		found := 0
		for range o.searches {
			t := time.Now()
			hits, err := service.SearchMessages(ctx, actor, k.q)
			if err != nil {
				return fmt.Errorf("%s: %w", k.name, err)
			}
			took = append(took, time.Since(t))
			found = len(hits)
		}
		all = append(all, took...)
		p50, p95 := percentiles(took)
		fmt.Fprintf(out, "%s: %-42s p50 %8v  p95 %8v  (%d hits)\n", driver, k.name, p50, p95, found)
	}
	p50, p95 := percentiles(all)
	fmt.Fprintf(out, "%s: %-42s p50 %8v  p95 %8v  (%d searches)\n", driver, "ALL", p50, p95, len(all))

	if err := takeoverCost(ctx, db, driver, out); err != nil {
		return err
	}
	return writerCost(ctx, db, store, driver, searcher.ID, rooms[0], out)
}

// takeoverCost times migration 00006 on a database that already holds every
// message: on SQLite its backfill (the FTS5 table rebuilt), on PostgreSQL its
// statements run again once the column and index are dropped (the table
// rewritten, the index built). Run from the repository's root: it reads the
// migration's file.
func takeoverCost(ctx context.Context, db *gorm.DB, driver string, out io.Writer) error {
	stmts := []string{"INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')"}
	if driver == config.DriverPostgres {
		raw, err := os.ReadFile("models/migrations/postgres/00006_message_search.sql")
		if err != nil {
			return fmt.Errorf("read the migration (run from the repository's root): %w", err)
		}
		up, _, _ := strings.Cut(string(raw), "-- +goose Down")
		if err := db.WithContext(ctx).Exec("DROP INDEX messages_search_idx").Error; err != nil {
			return err
		}
		if err := db.WithContext(ctx).Exec("ALTER TABLE messages DROP COLUMN search_document").Error; err != nil {
			return err
		}
		stmts = nil
		for _, st := range strings.Split(up, ";\n") {
			var lines []string
			for _, l := range strings.Split(st, "\n") {
				if !strings.HasPrefix(strings.TrimSpace(l), "--") {
					lines = append(lines, l)
				}
			}
			if st := strings.TrimSpace(strings.Join(lines, "\n")); st != "" {
				stmts = append(stmts, st)
			}
		}
	}
	for _, st := range stmts {
		t := time.Now()
		if err := db.WithContext(ctx).Exec(st).Error; err != nil {
			return fmt.Errorf("migration 00006 again: %w", err)
		}
		first, _, _ := strings.Cut(st, "\n")
		fmt.Fprintf(out, "%s: takeover, migration 00006 over every message: %v for %s\n", driver, time.Since(t).Round(time.Millisecond), first)
	}
	return nil
}

// writerCost times the writer's batched inserts with the index kept, then
// without it (dropped: the bench's database is thrown away after).
func writerCost(ctx context.Context, db *gorm.DB, store *models.Store, driver string, userID, roomID int64, out io.Writer) error {
	const batches, size = 200, 64
	r := mrand.New(mrand.NewPCG(2, 3))
	words := vocabulary()
	zipf := mrand.NewZipf(r, 1.1, 2, uint64(len(words)-1))
	insert := func() (time.Duration, error) {
		var took time.Duration
		for range batches {
			msgs := make([]*models.Message, size)
			for i := range msgs {
				msgs[i] = &models.Message{Content: sentence(r, zipf, words), UserID: userID, RoomID: roomID, CreatedAt: chat.Now()}
			}
			t := time.Now()
			if err := store.InsertMessages(ctx, msgs); err != nil {
				return 0, err
			}
			took += time.Since(t)
		}
		return took, nil
	}
	with, err := insert()
	if err != nil {
		return err
	}
	drop := []string{"DROP INDEX messages_search_idx", "ALTER TABLE messages DROP COLUMN search_document"}
	if driver == config.DriverSQLite {
		drop = []string{"DROP TRIGGER messages_fts_insert", "DROP TRIGGER messages_fts_update", "DROP TRIGGER messages_fts_delete"}
	}
	for _, s := range drop {
		if err := db.WithContext(ctx).Exec(s).Error; err != nil {
			return fmt.Errorf("drop the index: %w", err)
		}
	}
	without, err := insert()
	if err != nil {
		return err
	}
	per := func(d time.Duration) time.Duration { return (d / batches).Round(time.Microsecond) }
	fmt.Fprintf(out, "%s: writer, %d batches of %d messages: %v per batch with the search index, %v without\n",
		driver, batches, size, per(with), per(without))
	return nil
}

// seed stores n messages over rooms, in the writer's batches, every sentence
// drawn from a Zipf distribution of the vocabulary (so "hola" is common), with
// "xilófono" planted in about one message of 33,000 (in the first room).
func seed(ctx context.Context, store *models.Store, users, rooms []int64, n int) error {
	r := mrand.New(mrand.NewPCG(1, 2))
	words := vocabulary()
	zipf := mrand.NewZipf(r, 1.1, 2, uint64(len(words)-1))
	base := time.Now().UTC().Add(-time.Duration(n) * time.Second)
	const batch = 500
	msgs := make([]*models.Message, 0, batch)
	for i := range n {
		content, room := sentence(r, zipf, words), rooms[r.IntN(len(rooms))]
		if i%33_333 == 17 { // in the first room, which the searcher may read
			content, room = content+" xilófono", rooms[0]
		}
		msgs = append(msgs, &models.Message{Content: content, UserID: users[r.IntN(len(users))],
			RoomID: room, CreatedAt: base.Add(time.Duration(i) * time.Second)})
		if len(msgs) == batch || i == n-1 {
			if err := store.InsertMessages(ctx, msgs); err != nil {
				return fmt.Errorf("insert messages: %w", err)
			}
			msgs = msgs[:0]
		}
	}
	return nil
}

// vocabulary is real Spanish and English words first (the most frequent under
// Zipf), then made-up ones.
func vocabulary() []string {
	words := strings.Fields(`de la que the and el en to hola is y you los a of it se del las un
		por con no una su para es al lo como más pero sus le ya o este sí porque esta entre cuando muy sin sobre
		what this have for not with are be on at we can do they but all there your which their meeting today
		also our would about will him has more some time like just know take people into year good could them
		mañana reunión gracias también después niño canción corazón información está qué días así señor`)
	r := mrand.New(mrand.NewPCG(7, 7))
	syllables := strings.Fields("ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu")
	for len(words) < 20_000 {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		words = append(words, b.String())
	}
	return words
}

func sentence(r *mrand.Rand, zipf *mrand.Zipf, words []string) string {
	n := 4 + r.IntN(12)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = words[zipf.Uint64()]
	}
	return strings.Join(parts, " ")
}

func percentiles(took []time.Duration) (p50, p95 time.Duration) {
	s := slices.Clone(took)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		return s[min(len(s)-1, int(q*float64(len(s))))].Round(10 * time.Microsecond)
	}
	return at(0.50), at(0.95)
}
