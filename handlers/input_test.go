package handlers_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/izpochat/server/models"
)

func TestBadIDsNeverFail(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("prober")
		routes := []struct{ method, path string }{
			{"GET", "/api/rooms/%s"},
			{"PUT", "/api/rooms/%s"},
			{"DELETE", "/api/rooms/%s"},
			{"POST", "/api/rooms/%s/join"},
			{"POST", "/api/rooms/%s/leave"},
			{"GET", "/api/rooms/%s/members"},
			{"GET", "/api/rooms/%s/messages"},
			{"POST", "/api/rooms/%s/messages"},
			{"GET", "/api/conversations/%s/messages"},
			{"GET", "/api/ws/rooms/%s/online"},
			{"GET", "/api/users/%s"},
		}
		for _, id := range []string{"abc", "-1", "0", "1.5", "99999999999999999999", "9223372036854775807", "2147483648", "%20", "0x10"} {
			for _, rt := range routes {
				path := fmt.Sprintf(rt.path, id)
				res := h.send(req{Method: rt.method, Path: path, Token: u.Token, Body: map[string]any{"name": "x", "content": "x"}})
				if res.Status != http.StatusBadRequest && res.Status != http.StatusNotFound {
					t.Fatalf("%s %s = %d, want 400 or 404; %s", rt.method, path, res.Status, res.Body)
				}
				res.expectError(res.Status)
			}
		}
	})
}

func TestBodyLimitsAndTypes(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("sender")
		room := h.createRoom(u, "bodies", false)
		msgPath := fmt.Sprintf("/api/rooms/%d/messages", room)

		huge := `{"content": "` + strings.Repeat("x", 1<<20) + `"}`
		h.send(req{Method: "POST", Path: msgPath, Token: u.Token, Body: huge}).expectError(http.StatusRequestEntityTooLarge)
		h.send(req{Method: "POST", Path: "/api/rooms", Token: u.Token, Body: huge}).expectError(http.StatusRequestEntityTooLarge)
		h.send(req{Method: "POST", Path: "/api/users/register", Body: huge}).expectError(http.StatusRequestEntityTooLarge)

		for _, ct := range []string{"application/xml", "text/html", "image/png"} {
			h.send(req{Method: "POST", Path: "/api/rooms", Token: u.Token, Body: `{"name":"x"}`, Type: ct}).expectError(http.StatusBadRequest)
			h.send(req{Method: "POST", Path: "/api/users/login", Body: `{"username":"sender","password":"x"}`, Type: ct}).
				expectError(http.StatusBadRequest)
		}
		// Multipart is not JSON where forms are not accepted.
		h.send(req{Method: "POST", Path: "/api/rooms", Token: u.Token, Type: "multipart/form-data; boundary=XX",
			Body: "--XX\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nroom\r\n--XX--\r\n"}).expectError(http.StatusBadRequest)
		// JSON sent without a type, or as text/plain, or with a charset, is read.
		h.send(req{Method: "POST", Path: "/api/rooms", Token: u.Token, Body: `{"name":"typeless"}`, Type: "text/plain"}).expect(http.StatusCreated)
		h.send(req{Method: "POST", Path: "/api/rooms", Token: u.Token, Body: `{"name":"charset"}`, Type: "application/json; charset=utf-8"}).
			expect(http.StatusCreated)

		for name, body := range map[string]string{
			"not JSON":      "hello",
			"array":         "[]",
			"number":        "5",
			"null":          "null",
			"trailing junk": `{"content":"a"} {"x"`,
			"invalid UTF-8": "{\"content\": \"\xc3\x28\"}",
			"wrong type":    `{"content": ["a"]}`,
			"wrong file_id": `{"content": "a", "file_id": {"id": 1}}`,
		} {
			t.Run(name, func(t *testing.T) {
				h.as(t).send(req{Method: "POST", Path: msgPath, Token: u.Token, Body: body}).expectError(http.StatusBadRequest)
			})
		}
	})
}

func TestTokens(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("holder")
		sign := func(claims jwt.MapClaims) string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(testSecret)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		now := time.Now()
		flaskClaims := func(sub any) jwt.MapClaims {
			return jwt.MapClaims{"sub": sub, "type": "access", "jti": "j-1", "fresh": false,
				"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		}
		// Tokens minted like Flask-JWT-Extended: sub as int (old) and as string (new).
		for _, sub := range []any{u.ID, fmt.Sprint(u.ID)} {
			me := h.get("/api/users/me", sign(flaskClaims(sub))).expect(http.StatusOK).obj()
			if int64(num(t, me["id"])) != u.ID {
				t.Fatalf("flask token (sub %T) is for %v", sub, me)
			}
		}
		// "bearer" in any case, with extra spaces.
		h.send(req{Method: "GET", Path: "/api/users/me", Headers: map[string]string{"Authorization": "bearer   " + u.Token}}).expect(http.StatusOK)

		expired := flaskClaims(u.ID)
		expired["exp"] = now.Add(-time.Hour).Unix()
		wrongKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, flaskClaims(u.ID)).SignedString([]byte("another-secret"))
		hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, flaskClaims(u.ID)).SignedString(testSecret)
		seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		none := seg(`{"alg":"none","typ":"JWT"}`) + "." + seg(fmt.Sprintf(`{"sub":"%d","type":"access","exp":%d}`, u.ID, now.Add(time.Hour).Unix())) + "."
		refresh := flaskClaims(u.ID)
		refresh["type"] = "refresh"
		noExp := flaskClaims(u.ID)
		delete(noExp, "exp")
		badSub := flaskClaims("alice")

		for name, header := range map[string]string{
			"missing":         "",
			"scheme only":     "Bearer",
			"garbage":         "Bearer not.a.token",
			"expired":         "Bearer " + sign(expired),
			"wrong key":       "Bearer " + wrongKey,
			"HS512":           "Bearer " + hs512,
			"alg none":        "Bearer " + none,
			"refresh token":   "Bearer " + sign(refresh),
			"no exp":          "Bearer " + sign(noExp),
			"non-numeric sub": "Bearer " + sign(badSub),
			"basic auth":      "Basic dXNlcjpwYXNz",
		} {
			t.Run(name, func(t *testing.T) {
				r := req{Method: "GET", Path: "/api/users/me"}
				if header != "" {
					r.Headers = map[string]string{"Authorization": header}
				}
				h.as(t).send(r).expectError(http.StatusUnauthorized)
			})
		}

		// A token of a deleted user no longer works.
		gone := h.register("ghost")
		if err := h.db.Where("id = ?", gone.ID).Delete(&models.User{}).Error; err != nil {
			t.Fatalf("delete user: %v", err)
		}
		h.get("/api/users/me", gone.Token).expectError(http.StatusUnauthorized)
		h.get("/api/rooms", gone.Token).expectError(http.StatusUnauthorized)
	})
}

func TestTrailingSlashNeverRedirects(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("slasher")
		room := h.createRoom(u, "slashes", false)
		other := h.register("other_slash")

		// A POST with a trailing slash keeps its body.
		res := h.post("/api/rooms/", u.Token, map[string]any{"name": "via slash"}).expect(http.StatusCreated).obj()
		if res["name"] != "via slash" {
			t.Fatalf("POST /api/rooms/ = %v", res)
		}
		h.post("/api/users/register/", "", map[string]any{"username": "slashreg", "email": "sr@example.com", "password": "secret1"}).
			expect(http.StatusCreated)
		h.post("/api/login/", "", map[string]any{"username": "slashreg", "password": "secret1"}).expect(http.StatusOK)
		h.post(fmt.Sprintf("/api/rooms/%d/messages/", room), u.Token, map[string]any{"content": "slash"}).expect(http.StatusCreated)

		for _, path := range []string{
			"/health", "/api/status", "/api/users/me", "/api/users", "/api/users/search?query=oth",
			fmt.Sprintf("/api/users/%d", other.ID), "/api/users/username/other_slash", "/api/users/me/rooms",
			"/api/rooms", fmt.Sprintf("/api/rooms/%d", room), fmt.Sprintf("/api/rooms/%d/members", room),
			fmt.Sprintf("/api/rooms/%d/messages", room), "/api/conversations", fmt.Sprintf("/api/ws/rooms/%d/online", room),
		} {
			plain := h.get(path, u.Token)
			slashed := h.get(strings.Replace(path, "?", "/?", 1)+map[bool]string{true: "", false: "/"}[strings.Contains(path, "?")], u.Token)
			if plain.Status != http.StatusOK || slashed.Status != plain.Status {
				t.Fatalf("%s = %d, with a slash %d (%s)", path, plain.Status, slashed.Status, slashed.Body)
			}
			if path != "/health" && path != "/api/status" && string(plain.Body) != string(slashed.Body) {
				t.Fatalf("%s answers differently with a slash:\n%s\n%s", path, plain.Body, slashed.Body)
			}
		}
		h.get("/api/nowhere", u.Token).expectError(http.StatusNotFound)
		h.send(req{Method: "PATCH", Path: "/api/users/me", Token: u.Token}).expectError(http.StatusMethodNotAllowed)
	})
}

func TestCORS(t *testing.T) {
	preflight := func(h *harness, origin string) response {
		return h.send(req{Method: "OPTIONS", Path: "/api/rooms", Headers: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}})
	}
	eachDB(t, func(t *testing.T, h *harness) {
		res := preflight(h, "http://anything.example").expect(http.StatusNoContent)
		if res.Header.Get("Access-Control-Allow-Origin") != "http://anything.example" ||
			!strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "authorization") {
			t.Fatalf("preflight headers = %v", res.Header)
		}
		// Unknown paths are preflighted too (the browser asks before every route).
		h.send(req{Method: "OPTIONS", Path: "/api/rooms/1/messages/", Headers: map[string]string{
			"Origin": "http://x.example", "Access-Control-Request-Method": "GET"}}).expect(http.StatusNoContent)
		got := h.send(req{Method: "GET", Path: "/api/status", Headers: map[string]string{"Origin": "http://anything.example"}}).expect(http.StatusOK)
		if got.Header.Get("Access-Control-Allow-Origin") != "http://anything.example" {
			t.Fatalf("simple request CORS headers = %v", got.Header)
		}
	})
	eachDB(t, func(t *testing.T, h *harness) {
		ok := preflight(h, "https://app.example").expect(http.StatusNoContent)
		if ok.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
			t.Fatalf("allowed origin preflight headers = %v", ok.Header)
		}
		bad := preflight(h, "https://evil.example")
		if bad.Status == http.StatusNoContent || bad.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("foreign origin preflight = %d %v", bad.Status, bad.Header)
		}
		simple := h.send(req{Method: "GET", Path: "/api/status", Headers: map[string]string{"Origin": "https://evil.example"}})
		if simple.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("foreign origin got Access-Control-Allow-Origin %q", simple.Header.Get("Access-Control-Allow-Origin"))
		}
	}, withOrigins("https://app.example"))
}
