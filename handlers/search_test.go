package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/config"
)

// GET /api/search/messages: the hits of the rooms the caller may read as
// Messages with excerpt, newest first, paged by before_id; room_id narrows;
// bad input is a 400 in the contract's error shape.
func TestHTTPSearchMessages(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		alice, bob := h.register("alice"), h.register("bob")
		public := h.createRoom(alice, "plaza", false)
		secret := h.createRoom(alice, "secret", true)
		first := h.postMessage(alice, public, "hola <b>mundo</b> & más")
		hidden := h.postMessage(alice, secret, "hola desde el secreto")
		second := h.postMessage(bob, public, "otro hola")
		search := func(token string, query string) response {
			t.Helper()
			return h.get("/api/search/messages?"+query, token)
		}

		hits := search(alice.Token, "q=HOLA").expect(http.StatusOK).list()
		if len(hits) != 3 || hits[0]["id"] != second["id"] || hits[1]["id"] != hidden["id"] || hits[2]["id"] != first["id"] {
			t.Fatalf("alice's hits = %v", hits)
		}
		for _, m := range hits {
			if _, ok := m["excerpt"].(string); !ok {
				t.Fatalf("hit without excerpt: %v", m)
			}
			msg := map[string]any{}
			for k, v := range m {
				if k != "excerpt" {
					msg[k] = v
				}
			}
			assertMessage(t, msg) // a Message besides its excerpt
		}
		if ex := hits[2]["excerpt"]; ex != "<mark>hola</mark> &lt;b&gt;mundo&lt;/b&gt; &amp; más" {
			t.Fatalf("excerpt = %q", ex)
		}
		if hits[2]["content"] != "hola <b>mundo</b> & más" {
			t.Fatalf("content = %q", hits[2]["content"])
		}
		bobs := search(bob.Token, "q=hola").expect(http.StatusOK)
		if l := bobs.list(); len(l) != 2 || strings.Contains(string(bobs.Body), "secreto") {
			t.Fatalf("bob found the private room's message: %s", bobs.Body)
		}
		search(bob.Token, fmt.Sprintf("q=hola&room_id=%d", secret)).expectError(http.StatusForbidden)
		if l := search(alice.Token, fmt.Sprintf("q=hola&room_id=%d", secret)).expect(http.StatusOK).list(); len(l) != 1 || l[0]["id"] != hidden["id"] {
			t.Fatalf("room_id: %v", l)
		}
		page := search(alice.Token, "q=hola&limit=1&before_id="+strconv.Itoa(int(num(t, hidden["id"])))).expect(http.StatusOK).list()
		if len(page) != 1 || page[0]["id"] != first["id"] {
			t.Fatalf("before_id page = %v", page)
		}
		if l := search(alice.Token, "q="+url.QueryEscape("más mundo")).expect(http.StatusOK).list(); len(l) != 1 || l[0]["id"] != first["id"] {
			t.Fatalf("two words with an accent: %v", l)
		}
		if l := search(alice.Token, "q=nadie").expect(http.StatusOK); string(l.Body) != "[]" {
			t.Fatalf("no hit answers %s, want []", l.Body)
		}

		for _, bad := range []string{"", "q=", "q=%20%20", "q=!!!", "q=" + strings.Repeat("a", 201),
			"q=hola&limit=51", "q=hola&limit=-1", "q=hola&limit=x", "q=hola&before_id=-3", "q=hola&before_id=abc",
			"q=hola&room_id=0", "q=hola&room_id=x", "q=a+b+c+d+e+f+g+h+i", "q=%FF"} {
			search(alice.Token, bad).expectError(http.StatusBadRequest)
		}
		search(alice.Token, "q=hola&room_id=999999").expectError(http.StatusNotFound)
		search("", "q=hola").expectError(http.StatusUnauthorized)
	})
}

// Searches are rate limited per user (SEARCH_RATE_PER_USER), 429 with
// Retry-After once the budget is spent.
func TestHTTPSearchIsRateLimited(t *testing.T) {
	rates := config.RequestRates{SearchPerUser: config.Rate{Burst: 2, Per: time.Hour}, MaxKeys: 100}
	eachDB(t, func(t *testing.T, h *harness) {
		alice, bob := h.register("alice"), h.register("bob")
		h.get("/api/search/messages?q=uno", alice.Token).expect(http.StatusOK)
		h.get("/api/search/messages?q=dos", alice.Token).expect(http.StatusOK)
		res := h.get("/api/search/messages?q=tres", alice.Token)
		res.expectError(http.StatusTooManyRequests)
		if res.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		h.get("/api/search/messages?q=tres", bob.Token).expect(http.StatusOK)
	}, withRates(rates))
}
