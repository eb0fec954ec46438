package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/izpochat/server/models"
)

func TestHealthAndStatus(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		body := h.get("/health", "").expect(http.StatusOK).obj()
		if body["status"] != "healthy" || body["database"] != "connected" {
			t.Fatalf("health = %v", body)
		}
		st := h.get("/api/status", "").expect(http.StatusOK).obj()
		if st["status"] != "running" || st["websocket_enabled"] != true || st["version"] != "test" {
			t.Fatalf("status = %v", st)
		}
		assertTime(t, "status.timestamp", st["timestamp"])

		if err := models.Close(h.db); err != nil {
			t.Fatalf("close db: %v", err)
		}
		down := h.get("/health", "").expect(http.StatusServiceUnavailable).obj()
		if down["status"] != "unhealthy" || down["database"] != "disconnected" || down["error"] == nil {
			t.Fatalf("health with the database closed = %v", down)
		}
	})
}

func TestRegisterAndLogin(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		res := h.post("/api/users/register", "", map[string]any{
			"username": "alice", "email": "alice@example.com", "password": "secret1", "full_name": "Alice A",
		}).expect(http.StatusCreated).obj()
		assertKeys(t, "register answer", res, "message", "access_token", "token_type", "user_id", "user")
		if res["token_type"] != "bearer" {
			t.Fatalf("token_type = %v", res["token_type"])
		}
		me := res["user"].(map[string]any)
		assertSelfUser(t, me)
		if me["email"] != "alice@example.com" || me["full_name"] != "Alice A" || me["id"] != res["user_id"] {
			t.Fatalf("registered user = %v", me)
		}

		// The alias registers too; full_name is optional.
		h.post("/api/register", "", map[string]any{"username": "bob", "email": "bob@example.com", "password": "secret2"}).
			expect(http.StatusCreated)

		logins := []req{
			{Method: "POST", Path: "/api/users/login", Body: map[string]any{"email": "alice@example.com", "password": "secret1"}},
			{Method: "POST", Path: "/api/login", Body: map[string]any{"email": "ALICE@example.com", "password": "secret1"}},
			{Method: "POST", Path: "/api/users/login", Body: map[string]any{"username": "alice", "password": "secret1"}},
			{Method: "POST", Path: "/api/login", Body: url.Values{"username": {"alice"}, "password": {"secret1"}}.Encode(),
				Type: "application/x-www-form-urlencoded"},
			{Method: "POST", Path: "/api/users/login", Body: url.Values{"email": {"alice@example.com"}, "password": {"secret1"}}.Encode(),
				Type: "application/x-www-form-urlencoded"},
		}
		for _, r := range logins {
			out := h.send(r).expect(http.StatusOK).obj()
			assertKeys(t, "login answer", out, "message", "access_token", "token_type", "user_id", "user")
			assertSelfUser(t, out["user"].(map[string]any))
			tok := out["access_token"].(string)
			who := h.get("/api/users/me", tok).expect(http.StatusOK).obj()
			if who["username"] != "alice" {
				t.Fatalf("login %s %v: token is for %v", r.Path, r.Body, who)
			}
		}
		multipart := "--XX\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n" +
			"--XX\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsecret1\r\n--XX--\r\n"
		h.send(req{Method: "POST", Path: "/api/login", Body: multipart, Type: "multipart/form-data; boundary=XX"}).expect(http.StatusOK)

		for _, bad := range []map[string]any{
			{"email": "alice@example.com", "password": "wrong-password"},
			{"username": "alice", "password": "wrong-password"},
			{"email": "nobody@example.com", "password": "secret1"},
		} {
			h.post("/api/users/login", "", bad).expectError(http.StatusUnauthorized)
		}
		h.post("/api/users/login", "", map[string]any{"email": "alice@example.com"}).expectError(http.StatusBadRequest)
		h.post("/api/users/login", "", map[string]any{"password": "secret1"}).expectError(http.StatusBadRequest)
	})
}

func TestRegisterValidation(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		base := func(mod func(m map[string]any)) map[string]any {
			m := map[string]any{"username": "valid_user", "email": "valid@example.com", "password": "secret1"}
			mod(m)
			return m
		}
		cases := map[string]map[string]any{
			"username too short":  base(func(m map[string]any) { m["username"] = "ab" }),
			"username too long":   base(func(m map[string]any) { m["username"] = strings.Repeat("a", 51) }),
			"username bad chars":  base(func(m map[string]any) { m["username"] = "bad name!" }),
			"username unicode":    base(func(m map[string]any) { m["username"] = "josé" }),
			"username missing":    base(func(m map[string]any) { delete(m, "username") }),
			"username not string": base(func(m map[string]any) { m["username"] = 12345 }),
			"email invalid":       base(func(m map[string]any) { m["email"] = "not-an-email" }),
			"email no domain dot": base(func(m map[string]any) { m["email"] = "a@b" }),
			"email too long":      base(func(m map[string]any) { m["email"] = strings.Repeat("a", 110) + "@example.com" }),
			"email missing":       base(func(m map[string]any) { delete(m, "email") }),
			"password too short":  base(func(m map[string]any) { m["password"] = "12345" }),
			"password too long":   base(func(m map[string]any) { m["password"] = strings.Repeat("p", 129) }),
			"password missing":    base(func(m map[string]any) { delete(m, "password") }),
			"full_name too long":  base(func(m map[string]any) { m["full_name"] = strings.Repeat("n", 101) }),
			"full_name not text":  base(func(m map[string]any) { m["full_name"] = true }),
		}
		for name, body := range cases {
			t.Run(name, func(t *testing.T) {
				h.as(t).post("/api/users/register", "", body).expectError(http.StatusBadRequest)
			})
		}
		// The edges are accepted.
		h.post("/api/users/register", "", map[string]any{"username": "a.b", "email": "edge@example.com", "password": "123456",
			"full_name": strings.Repeat("n", 100)}).expect(http.StatusCreated)
		h.post("/api/users/register", "", map[string]any{"username": strings.Repeat("Z", 50), "email": "edge2@example.com",
			"password": strings.Repeat("p", 72)}).expect(http.StatusCreated)
		// 128 characters (up to 512 bytes) are allowed: beyond bcrypt's 72 bytes the hash
		// is argon2id, never a truncated bcrypt; the whole password counts at login.
		long := strings.Repeat("ñ", 128)
		h.post("/api/users/register", "", map[string]any{"username": "long_pw", "email": "edge3@example.com",
			"password": long}).expect(http.StatusCreated)
		h.post("/api/users/login", "", map[string]any{"username": "long_pw", "password": long}).expect(http.StatusOK)
		h.post("/api/users/login", "", map[string]any{"username": "long_pw", "password": long[:len(long)-2] + "x"}).
			expectError(http.StatusUnauthorized)
	})
}

func TestRegisterDuplicateIsConflict(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		h.registerViaAPI("carol")
		msg := h.post("/api/users/register", "", map[string]any{"username": "carol", "email": "other@example.com", "password": "secret1"}).
			expectError(http.StatusConflict)
		if !strings.Contains(msg["error"].(string), "username") {
			t.Fatalf("duplicate username error = %v", msg)
		}
		msg = h.post("/api/users/register", "", map[string]any{"username": "carol2", "email": "carol@example.com", "password": "secret1"}).
			expectError(http.StatusConflict)
		if !strings.Contains(msg["error"].(string), "email") {
			t.Fatalf("duplicate email error = %v", msg)
		}
	})
}

func TestRegisterRaceYieldsOneAccount(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		const n = 20
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = h.send(req{Method: "POST", Path: "/api/users/register", Body: map[string]any{
					"username": "racer", "email": fmt.Sprintf("racer%d@example.com", i), "password": "secret1"}}).Status
			}()
		}
		wg.Wait()
		created, conflicts := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
				conflicts++
			default:
				t.Fatalf("concurrent registration answered %d (all: %v)", s, statuses)
			}
		}
		if created != 1 || conflicts != n-1 {
			t.Fatalf("%d created, %d conflicts; want 1 and %d", created, conflicts, n-1)
		}
	})
}

func TestMe(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		dave := h.registerViaAPI("dave")
		other := h.register("erin")
		me := h.get("/api/users/me", dave.Token).expect(http.StatusOK).obj()
		assertSelfUser(t, me)
		if me["username"] != "dave" || me["email"] != dave.Email {
			t.Fatalf("me = %v", me)
		}

		upd := h.put("/api/users/me", dave.Token, map[string]any{"full_name": "  David D  ", "username": "david"}).
			expect(http.StatusOK).obj()
		assertSelfUser(t, upd)
		if upd["full_name"] != "David D" || upd["username"] != "david" {
			t.Fatalf("updated me = %v", upd)
		}
		// A new password works, the old one no longer does; the answer carries the token
		// that replaces the caller's, which the change ended.
		changed := h.put("/api/users/me", dave.Token, map[string]any{"password": "brand-new-pw", "current_password": dave.Password}).
			expect(http.StatusOK).obj()
		if changed["username"] != "david" || changed["token_type"] != "bearer" || changed["access_token"] == "" {
			t.Fatalf("password change answer = %v", changed)
		}
		h.get("/api/users/me", dave.Token).expectError(http.StatusUnauthorized)
		dave.Token = changed["access_token"].(string)
		h.post("/api/login", "", map[string]any{"username": "david", "password": "brand-new-pw"}).expect(http.StatusOK)
		h.post("/api/login", "", map[string]any{"username": "david", "password": dave.Password}).expectError(http.StatusUnauthorized)
		h.put("/api/users/me", dave.Token, map[string]any{"email": "David.New@example.com", "current_password": "brand-new-pw"}).
			expect(http.StatusOK)

		h.put("/api/users/me", dave.Token, map[string]any{"username": other.Username}).expectError(http.StatusConflict)
		h.put("/api/users/me", dave.Token, map[string]any{"email": other.Email, "current_password": "brand-new-pw"}).
			expectError(http.StatusConflict)
		h.put("/api/users/me", dave.Token, map[string]any{"username": "x"}).expectError(http.StatusBadRequest)
		h.put("/api/users/me", dave.Token, map[string]any{"email": "nope"}).expectError(http.StatusBadRequest)
		h.put("/api/users/me", dave.Token, map[string]any{"password": "123"}).expectError(http.StatusBadRequest)
		h.put("/api/users/me", dave.Token, map[string]any{"full_name": strings.Repeat("x", 101)}).expectError(http.StatusBadRequest)
		h.put("/api/users/me", dave.Token, map[string]any{"full_name": 7}).expectError(http.StatusBadRequest)
		h.put("/api/users/me", "", map[string]any{"full_name": "x"}).expectError(http.StatusUnauthorized)
	})
}

func TestUsersListByIDByUsername(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.register("frank")
		b := h.register("grace")
		h.register("heidi")

		all := h.get("/api/users", a.Token).expect(http.StatusOK).list()
		if len(all) != 3 {
			t.Fatalf("users = %v", all)
		}
		for _, u := range all {
			assertPublicUser(t, u)
		}
		page := h.get("/api/users?skip=1&limit=1", a.Token).expect(http.StatusOK).list()
		if len(page) != 1 || page[0]["username"] != "grace" {
			t.Fatalf("users?skip=1&limit=1 = %v", page)
		}
		h.get("/api/users?skip=-1", a.Token).expectError(http.StatusBadRequest)
		h.get("/api/users?limit=abc", a.Token).expectError(http.StatusBadRequest)
		h.get("/api/users", "").expectError(http.StatusUnauthorized)

		byID := h.get(fmt.Sprintf("/api/users/%d", b.ID), a.Token).expect(http.StatusOK).obj()
		assertPublicUser(t, byID)
		if byID["username"] != "grace" {
			t.Fatalf("user by id = %v", byID)
		}
		byName := h.get("/api/users/username/grace", a.Token).expect(http.StatusOK).obj()
		assertPublicUser(t, byName)
		if int64(num(t, byName["id"])) != b.ID {
			t.Fatalf("user by username = %v", byName)
		}
		h.get("/api/users/username/nobody", a.Token).expectError(http.StatusNotFound)
		for _, id := range []string{"0", "-1", "abc", "999999", "9223372036854775807", "99999999999999999999999"} {
			h.get("/api/users/"+id, a.Token).expectError(http.StatusNotFound)
		}
	})
}

func TestUserSearch(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		caller := h.register("searcher_Mia")
		for i := range 12 {
			h.register(fmt.Sprintf("mia_%02d", i))
		}
		h.register("zed")
		h.register("a_b")
		h.register("axb")

		got := h.get("/api/users/search?query=MIA", caller.Token).expect(http.StatusOK).list()
		if len(got) != 10 {
			t.Fatalf("search MIA found %d users, want 10 (the cap)", len(got))
		}
		for _, u := range got {
			assertPublicUser(t, u)
			if int64(num(t, u["id"])) == caller.ID {
				t.Fatal("search returned the caller")
			}
			if !strings.Contains(strings.ToLower(u["username"].(string)), "mia") {
				t.Fatalf("search MIA returned %v", u["username"])
			}
		}
		if l := h.get("/api/users/search?query=zE", caller.Token).expect(http.StatusOK).list(); len(l) != 1 || l[0]["username"] != "zed" {
			t.Fatalf("search zE = %v", l)
		}
		// "_" is a literal, not a LIKE wildcard.
		if l := h.get("/api/users/search?query=a_b", caller.Token).expect(http.StatusOK).list(); len(l) != 1 || l[0]["username"] != "a_b" {
			t.Fatalf("search a_b = %v", l)
		}
		if l := h.get("/api/users/search?query=%25", caller.Token).expect(http.StatusOK).list(); len(l) != 0 {
			t.Fatalf("search %% = %v, want none", l)
		}
		if l := h.get("/api/users/search?query=searcher", caller.Token).expect(http.StatusOK).list(); len(l) != 0 {
			t.Fatalf("search for the caller's own name = %v, want none", l)
		}
		for _, path := range []string{"/api/users/search", "/api/users/search?query=", "/api/users/search?query=%20%20"} {
			if string(h.get(path, caller.Token).expect(http.StatusOK).Body) != "[]" {
				t.Fatalf("%s: want []", path)
			}
		}
		h.get("/api/users/search?query=mia", "").expectError(http.StatusUnauthorized)
	})
}
