// Command history measures how long reading the newest 100 messages of a room that
// holds many (100,000 by default) takes, through chat.Service.History and through
// GET /api/rooms/{id}/messages, on SQLite and on PostgreSQL.
//
//	go run ./bench/history -messages 100000 -reads 500
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/bench/internal/scratchdb"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/models"
)

type options struct {
	messages int
	reads    int
	drivers  []string
	pgURL    string
}

func main() {
	var o options
	var drivers string
	flag.IntVar(&o.messages, "messages", 100_000, "messages in the room")
	flag.IntVar(&o.reads, "reads", 500, "timed reads per door")
	flag.StringVar(&drivers, "drivers", "sqlite,postgres", "databases to measure")
	flag.StringVar(&o.pgURL, "pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL URL (a schema of its own is created and dropped)")
	flag.Parse()
	o.drivers = strings.Split(drivers, ",")
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "history bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	log := slog.New(slog.DiscardHandler)
	return scratchdb.Each(ctx, o.drivers, scratchdb.Options{Name: "history", PostgresURL: o.pgURL, Log: log},
		func(driver string, cfg config.Database) error { return measure(ctx, driver, cfg, o, log, out) })
}

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
	tokens := auth.NewTokens([]byte("bench-secret"), time.Hour)
	service := chat.New(chat.Deps{Store: store, Tokens: tokens, Logger: log})

	reader := &models.User{Username: "reader", Email: "reader@example.com", PasswordHash: "x", CreatedAt: chat.Now()}
	if err := store.CreateUser(ctx, reader); err != nil {
		return err
	}
	// A private room, so every read also checks membership, as real reads do.
	room := &models.Room{Name: "busy", IsPrivate: true, CreatedBy: reader.ID, CreatedAt: chat.Now()}
	if err := store.CreateRoom(ctx, room, reader.ID); err != nil {
		return err
	}
	other := &models.Room{Name: "other", CreatedBy: reader.ID, CreatedAt: chat.Now()}
	if err := store.CreateRoom(ctx, other, reader.ID); err != nil {
		return err
	}
	start := time.Now()
	if err := fill(ctx, db, reader.ID, room.ID, other.ID, o.messages); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: inserted %d messages (+%d in another room) in %v\n", driver, o.messages, o.messages/10, time.Since(start).Round(time.Millisecond))

	actor := chat.Actor{ID: reader.ID, Username: reader.Username}
	viaService := func() error {
		msgs, err := service.History(ctx, actor, room.ID, chat.HistoryQuery{Limit: 100})
		if err == nil && len(msgs) != 100 {
			err = fmt.Errorf("got %d messages, want 100", len(msgs))
		}
		return err
	}
	if err := report(out, driver, "chat.Service.History(limit=100)", o.reads, viaService); err != nil {
		return err
	}

	srv := httptest.NewServer(handlers.NewServer(handlers.Deps{Chat: service, Logger: log}))
	defer srv.Close()
	token, err := tokens.Issue(reader.ID, reader.Username)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("%s/api/rooms/%d/messages?limit=100", srv.URL, room.ID)
	rest := func() error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET messages: status %d", res.StatusCode)
		}
		return nil
	}
	return report(out, driver, "GET /api/rooms/{id}/messages", o.reads, rest)
}

// fill inserts n messages into roomID (and n/10 into otherID, so the index has to
// separate rooms) in batches inside one transaction.
func fill(ctx context.Context, db *gorm.DB, userID, roomID, otherID int64, n int) error {
	const batch = 1000
	base := time.Now().UTC().Add(-time.Duration(n) * time.Second)
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rows := make([]models.Message, 0, batch)
		for i := range n + n/10 {
			r := roomID
			if i%11 == 10 {
				r = otherID
			}
			rows = append(rows, models.Message{Content: fmt.Sprintf("message number %d with some text in it", i),
				UserID: userID, RoomID: r, CreatedAt: base.Add(time.Duration(i) * time.Second)})
			if len(rows) == batch {
				if err := tx.Omit("User", "Room").Create(&rows).Error; err != nil {
					return fmt.Errorf("insert messages: %w", err)
				}
				rows = rows[:0]
			}
		}
		if len(rows) > 0 {
			if err := tx.Omit("User", "Room").Create(&rows).Error; err != nil {
				return fmt.Errorf("insert messages: %w", err)
			}
		}
		// Statistics, as autovacuum (PostgreSQL) or a long-running server would have.
		return tx.Exec("ANALYZE").Error
	})
}

// report warms up, then times reads of fn and prints p50, p99 and the mean.
func report(out io.Writer, driver, what string, reads int, fn func() error) error {
	for range 20 {
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	times := make([]time.Duration, 0, reads)
	var total time.Duration
	for range reads {
		start := time.Now()
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		d := time.Since(start)
		times = append(times, d)
		total += d
	}
	slices.Sort(times)
	p := func(q float64) time.Duration { return times[min(len(times)-1, int(q*float64(len(times))))] }
	fmt.Fprintf(out, "%-8s %-34s reads=%d p50=%-10v p99=%-10v mean=%v\n", driver, what, reads,
		p(0.50).Round(time.Microsecond), p(0.99).Round(time.Microsecond), (total / time.Duration(reads)).Round(time.Microsecond))
	return nil
}
