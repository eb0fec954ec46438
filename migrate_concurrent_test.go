package main

import (
	"context"
	"fmt"
	"github.com/izpochat/server/internal/testkit"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// A first deploy of three instances, or three instances of a new version on an
// old database, start at once: the migrations run under one advisory lock, one
// instance at a time, and every instance comes up. The instances are three
// processes of the built binary, as on a deploy (gin's mode is process-wide).
func TestThreeInstancesStartAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts it three times per database; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "izpochat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, gen := range append([]string{"fresh"}, testdb.FlaskGenerations...) {
		t.Run(gen, func(t *testing.T) {
			cfg := testdb.Config(t, config.DriverPostgres)
			db := testdb.OpenEmpty(t, cfg)
			if gen != "fresh" {
				testdb.LayFlask(t, db, config.DriverPostgres, gen)
			}
			type instance struct {
				cmd    *exec.Cmd
				base   string
				logs   *testkit.LockedBuffer
				exited chan error
			}
			var instances []*instance
			for range 3 {
				port := testkit.FreePort(t)
				in := &instance{cmd: exec.Command(bin, "-env-file", ""), base: fmt.Sprintf("http://127.0.0.1:%d", port),
					logs: &testkit.LockedBuffer{}, exited: make(chan error, 1)}
				in.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "DATA_DIR=" + t.TempDir(),
					"DATABASE_URL=" + cfg.DSN, "JWT_SECRET_KEY=" + flaskSecret, fmt.Sprintf("PORT=%d", port),
					fmt.Sprintf("INSTANCE_ADDR=127.0.0.1:%d", port)}
				in.cmd.Stdout, in.cmd.Stderr = in.logs, in.logs
				instances = append(instances, in)
			}
			// Started together: none waits for another to be healthy.
			for _, in := range instances {
				if err := in.cmd.Start(); err != nil {
					t.Fatal(err)
				}
				go func() { in.exited <- in.cmd.Wait() }()
				t.Cleanup(func() {
					_ = in.cmd.Process.Kill() // harmless once it exited
				})
			}
			deadline := time.Now().Add(60 * time.Second)
			for i, in := range instances {
				for !healthy(in.base) {
					select {
					case err := <-in.exited:
						t.Fatalf("instance %d exited: %v\n%s", i, err, in.logs)
					default:
					}
					if time.Now().After(deadline) {
						t.Fatalf("instance %d did not come up\n%s", i, in.logs)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			// Each took over the same schema: a user registered on one logs in on the others.
			if status, body := postJSON(t, instances[0].base+"/api/register", "", map[string]string{
				"username": "zoe", "email": "zoe@example.com", "password": "zoe-pass-1"}); status != http.StatusCreated {
				t.Fatalf("register: %d %v", status, body)
			}
			for i, in := range instances[1:] {
				if status, body := postJSON(t, in.base+"/api/login", "", map[string]string{"email": "zoe@example.com", "password": "zoe-pass-1"}); status != http.StatusOK {
					t.Fatalf("login on instance %d: %d %v", i+1, status, body)
				}
			}
			version, err := models.SchemaVersion(context.Background(), db)
			if err != nil || version < 2 {
				t.Fatalf("schema version after three starts: %d, %v", version, err)
			}
			var applied int64
			if err := db.Raw("SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied).Error; err != nil || applied != version {
				t.Fatalf("each migration is recorded once: %d rows for version %d (%v)", applied, version, err)
			}
			for i, in := range instances {
				_ = in.cmd.Process.Signal(syscall.SIGTERM)
				select {
				case err := <-in.exited:
					if err != nil {
						t.Fatalf("instance %d stopped with %v\n%s", i, err, in.logs)
					}
				case <-time.After(20 * time.Second):
					t.Fatalf("instance %d did not stop", i)
				}
			}
		})
	}
}

func healthy(base string) bool {
	res, err := http.Get(base + "/health")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// `izpochat migrate` (Render's pre-deploy command) migrates an old database and
// exits; the server started after it has nothing left to do.
func TestMigrateCommandMigratesAndExits(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			cfg, db := layFlask(t, driver, "f3")
			logs := &testkit.LockedBuffer{}
			env := map[string]string{"DATABASE_URL": databaseURL(cfg), "JWT_SECRET_KEY": flaskSecret, "DATA_DIR": t.TempDir(), "PORT": fmt.Sprint(testkit.FreePort(t))}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := run(ctx, []string{"izpochat", "-env-file", "", "migrate"}, envOf(env), logs, logs); err != nil {
				t.Fatalf("izpochat migrate: %v\n%s", err, logs)
			}
			if !strings.Contains(logs.String(), "database migrated") || strings.Contains(logs.String(), "listening") {
				t.Fatalf("migrate must migrate and exit without serving:\n%s", logs)
			}
			version, err := models.SchemaVersion(ctx, db)
			if err != nil || version < 2 {
				t.Fatalf("schema version after migrate: %d, %v", version, err)
			}
			if !db.Migrator().HasColumn("rooms", "created_by") || !db.Migrator().HasColumn("rooms", "dm_key") {
				t.Fatal("migrate did not add the columns F3 lacks")
			}
			// The flag does the same; a second run finds nothing to do.
			if err := run(ctx, []string{"izpochat", "-env-file", "", "-migrate-only"}, envOf(env), logs, logs); err != nil {
				t.Fatalf("izpochat -migrate-only: %v", err)
			}
			if err := run(ctx, []string{"izpochat", "-env-file", "", "migrat"}, envOf(env), logs, logs); err == nil || !strings.Contains(err.Error(), "unknown command") {
				t.Fatalf("a mistyped command must be refused, got %v", err)
			}
		})
	}
}
