// Command unread measures how long a user in many rooms (200 by default) takes
// to list them with their unread counts (issue 23.5) when the database holds
// many messages (1,000,000 by default, spread over those rooms), on SQLite and
// on PostgreSQL: through chat.Service.MyRooms (GET /api/users/me/rooms),
// chat.Service.Rooms (GET /api/rooms) and the unread-count statement alone.
// Half the rooms were never marked read (every count saturates at
// chat.MaxUnreadCounted), a quarter are marked a few messages behind the
// newest, a quarter are read to the end; a tenth of the messages are the
// user's own and one in fifty is deleted.
//
//	go run ./bench/unread -rooms 200 -messages 1000000 -reads 300
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/bench/internal/scratchdb"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/models"
)

type options struct {
	rooms    int
	messages int
	reads    int
	drivers  []string
	pgURL    string
}

func main() {
	var o options
	var drivers string
	flag.IntVar(&o.rooms, "rooms", 200, "rooms the user belongs to")
	flag.IntVar(&o.messages, "messages", 1_000_000, "messages stored, spread over the rooms")
	flag.IntVar(&o.reads, "reads", 300, "timed listings per measure")
	flag.StringVar(&drivers, "drivers", "sqlite,postgres", "databases to measure")
	flag.StringVar(&o.pgURL, "pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL URL (a schema of its own is created and dropped)")
	flag.Parse()
	o.drivers = strings.Split(drivers, ",")
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "unread bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	log := slog.New(slog.DiscardHandler)
	return scratchdb.Each(ctx, o.drivers, scratchdb.Options{Name: "unread", PostgresURL: o.pgURL, Log: log},
		func(driver string, cfg config.Database) error { return measure(ctx, driver, cfg, o, log, out) })
}

// others is how many other members each room has (they write the messages).
const others = 4

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
	service := chat.New(chat.Deps{Store: store, Tokens: auth.NewTokens([]byte("bench-secret"), time.Hour), Logger: log})
	defer service.Close()

	start := time.Now()
	reader, roomIDs, err := seed(ctx, db, store, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d rooms, %d messages seeded in %v\n", driver, len(roomIDs), o.messages, time.Since(start).Round(time.Millisecond))

	actor := chat.Actor{ID: reader.ID, Username: reader.Username}
	saturated := 0
	check := func(rooms []chat.Room) error {
		if len(rooms) != o.rooms {
			return fmt.Errorf("listed %d rooms, want %d", len(rooms), o.rooms)
		}
		n := 0
		for _, r := range rooms {
			if r.UnreadCount == nil {
				return fmt.Errorf("room %d has no unread_count", r.ID)
			}
			if *r.UnreadCount == chat.MaxUnreadCounted {
				n++
			}
		}
		saturated = n
		return nil
	}
	if err := report(out, driver, fmt.Sprintf("chat.Service.MyRooms (%d rooms)", o.rooms), o.reads, func() error {
		rooms, err := service.MyRooms(ctx, actor)
		if err == nil {
			err = check(rooms)
		}
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s:   %d of %d rooms at the cap (%d)\n", driver, saturated, o.rooms, chat.MaxUnreadCounted)
	if err := report(out, driver, fmt.Sprintf("chat.Service.Rooms (%d rooms)", o.rooms), o.reads, func() error {
		rooms, err := service.Rooms(ctx, &actor, chat.RoomQuery{})
		if err == nil {
			err = check(rooms)
		}
		return err
	}); err != nil {
		return err
	}
	return report(out, driver, "models.Store.UnreadStates alone", o.reads, func() error {
		states, err := store.UnreadStates(ctx, reader.ID, roomIDs, chat.MaxUnreadCounted)
		if err == nil && len(states) != len(roomIDs) {
			err = fmt.Errorf("%d states, want %d", len(states), len(roomIDs))
		}
		return err
	})
}

// seed stores the reader, its rooms (each with others other members), the
// messages in set-based statements, and the reader's markers.
func seed(ctx context.Context, db *gorm.DB, store *models.Store, o options) (*models.User, []int64, error) {
	reader := &models.User{Username: "reader", Email: "reader@example.com", PasswordHash: "x", CreatedAt: chat.Now()}
	if err := store.CreateUser(ctx, reader); err != nil {
		return nil, nil, err
	}
	writers := make([]int64, others)
	for i := range writers {
		u := &models.User{Username: fmt.Sprintf("writer%d", i), Email: fmt.Sprintf("writer%d@example.com", i), PasswordHash: "x", CreatedAt: chat.Now()}
		if err := store.CreateUser(ctx, u); err != nil {
			return nil, nil, err
		}
		writers[i] = u.ID
	}
	roomIDs := make([]int64, 0, o.rooms)
	for i := range o.rooms {
		r := &models.Room{Name: fmt.Sprintf("room %d", i), IsPrivate: i%2 == 0, CreatedBy: reader.ID, CreatedAt: chat.Now()}
		if err := store.CreateRoom(ctx, r, append([]int64{reader.ID}, writers...)...); err != nil {
			return nil, nil, err
		}
		roomIDs = append(roomIDs, r.ID)
	}
	first, n := roomIDs[0], int64(len(roomIDs))
	// Message g goes to room first + g % rooms; round r = g / rooms decides
	// who wrote it (every tenth round the reader, else writer r % others)
	// and whether it is deleted (one round in fifty), so every room has the
	// same mix.
	series, deletedAt := "SELECT g FROM generate_series(1, ?) AS g", "CAST(? AS timestamptz)"
	if db.Dialector.Name() == "sqlite" {
		series = "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ?) SELECT g FROM s"
		deletedAt = "?"
	}
	at := chat.Now()
	err := db.WithContext(ctx).Exec(`INSERT INTO messages (content, user_id, room_id, created_at, deleted_at)
		SELECT 'message number ' || g || ' with some text in it',
			CASE WHEN (g / ?) % 10 = 0 THEN ? ELSE ? + (g / ?) % ? END,
			? + g % ?, ?, CASE WHEN (g / ?) % 50 = 7 THEN `+deletedAt+` END
		FROM (`+series+`) AS seq`,
		n, reader.ID, writers[0], n, int64(len(writers)), first, n, at, n, at, o.messages).Error
	if err != nil {
		return nil, nil, fmt.Errorf("insert messages: %w", err)
	}
	// Markers: rooms 0, 4, 8... read 30 messages behind the newest, 1, 5,
	// 9... read to the end, the others never marked.
	for i, id := range roomIDs {
		var ids []int64
		if err := db.WithContext(ctx).Model(&models.Message{}).Where("room_id = ?", id).Order("id DESC").Limit(31).Pluck("id", &ids).Error; err != nil {
			return nil, nil, err
		}
		if len(ids) == 0 {
			continue
		}
		var mark int64
		switch i % 4 {
		case 0:
			mark = ids[len(ids)-1]
		case 1:
			mark = ids[0]
		default:
			continue
		}
		if _, err := store.MarkRead(ctx, id, reader.ID, mark, at); err != nil {
			return nil, nil, err
		}
	}
	analyze := "ANALYZE"
	if db.Dialector.Name() == "postgres" {
		analyze = "VACUUM ANALYZE" // as autovacuum leaves a table after a bulk load
	}
	if err := db.WithContext(ctx).Exec(analyze).Error; err != nil {
		return nil, nil, fmt.Errorf("%s: %w", analyze, err)
	}
	return reader, roomIDs, nil
}

func report(out io.Writer, driver, what string, reads int, call func() error) error {
	for range 20 { // warm up caches and the connection pool
		if err := call(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	took := make([]time.Duration, reads)
	for i := range took {
		start := time.Now()
		if err := call(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		took[i] = time.Since(start)
	}
	slices.Sort(took)
	pct := func(p int) time.Duration { return took[(len(took)-1)*p/100].Round(10 * time.Microsecond) }
	fmt.Fprintf(out, "%s: %-40s p50 %v  p95 %v  max %v  (%d reads)\n", driver, what, pct(50), pct(95), took[len(took)-1].Round(10*time.Microsecond), reads)
	return nil
}
