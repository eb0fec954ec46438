package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestRoomCreateGetUpdateDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		owner := h.register("owner")
		other := h.register("other")

		created := h.post("/api/rooms", owner.Token, map[string]any{"name": "  General  ", "description": "talk", "is_private": false}).
			expect(http.StatusCreated).obj()
		assertRoom(t, created)
		if created["name"] != "General" || created["description"] != "talk" || created["is_private"] != false ||
			int64(num(t, created["created_by"])) != owner.ID || num(t, created["member_count"]) != 1 {
			t.Fatalf("created room = %v", created)
		}
		members := created["members"].([]any)
		if len(members) != 1 || int64(num(t, members[0].(map[string]any)["id"])) != owner.ID {
			t.Fatalf("creator is not the one member: %v", members)
		}
		id := int64(num(t, created["id"]))
		path := fmt.Sprintf("/api/rooms/%d", id)

		// Only a name is required; description defaults to "" and is_private to false.
		minimal := h.post("/api/rooms", owner.Token, map[string]any{"name": "Minimal"}).expect(http.StatusCreated).obj()
		assertRoom(t, minimal)
		if minimal["description"] != "" || minimal["is_private"] != false {
			t.Fatalf("minimal room = %v", minimal)
		}

		got := h.get(path, other.Token).expect(http.StatusOK).obj()
		assertRoom(t, got)
		if got["name"] != "General" {
			t.Fatalf("get room = %v", got)
		}

		upd := h.put(path, owner.Token, map[string]any{"name": "Renamed", "description": "new"}).expect(http.StatusOK).obj()
		assertRoom(t, upd)
		if upd["name"] != "Renamed" || upd["description"] != "new" {
			t.Fatalf("updated room = %v", upd)
		}
		h.put(path, other.Token, map[string]any{"name": "Hijack"}).expectError(http.StatusForbidden)
		h.put(path, owner.Token, map[string]any{"name": ""}).expectError(http.StatusBadRequest)
		h.put(path, owner.Token, map[string]any{"name": 5}).expectError(http.StatusBadRequest)
		h.put("/api/rooms/999999", owner.Token, map[string]any{"name": "x"}).expectError(http.StatusNotFound)

		h.del(path, other.Token).expectError(http.StatusForbidden)
		h.postMessage(owner, id, "soon gone")
		del := h.del(path, owner.Token).expect(http.StatusOK).obj()
		if int64(num(t, del["room_id"])) != id || del["message"] == nil {
			t.Fatalf("delete answer = %v", del)
		}
		h.get(path, owner.Token).expectError(http.StatusNotFound)
		h.del(path, owner.Token).expectError(http.StatusNotFound)
	})
}

func TestRoomCreateBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("maker")
		for name, body := range map[string]any{
			"no name":           map[string]any{"description": "x"},
			"empty name":        map[string]any{"name": "   "},
			"name not text":     map[string]any{"name": 5},
			"name too long":     map[string]any{"name": strings.Repeat("n", 151)},
			"is_private text":   map[string]any{"name": "ok", "is_private": "yes"},
			"description num":   map[string]any{"name": "ok", "description": 3},
			"body is an array":  "[]",
			"body is a string":  `"room"`,
			"body not JSON":     "name=room",
			"body empty":        "",
			"body truncated":    `{"name": "ro`,
			"name with NUL":     map[string]any{"name": "a\x00b"},
			"name 151 unicode":  map[string]any{"name": strings.Repeat("é", 151)},
			"description array": map[string]any{"name": "ok", "description": []string{"a"}},
		} {
			t.Run(name, func(t *testing.T) {
				h.as(t).post("/api/rooms", u.Token, body).expectError(http.StatusBadRequest)
			})
		}
		h.post("/api/rooms", "", map[string]any{"name": "anon"}).expectError(http.StatusUnauthorized)
	})
}

func TestRoomsListVisibility(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		alice := h.register("alice")
		bob := h.register("bob")
		pub := h.createRoom(alice, "public", false)
		secret := h.createRoom(alice, "secret", true)
		bobPriv := h.createRoom(bob, "bobs", true)

		anon := ids(t, h.get("/api/rooms", "").expect(http.StatusOK).list(), "id")
		if !slices.Equal(anon, []int64{pub}) {
			t.Fatalf("anonymous rooms = %v, want only %d", anon, pub)
		}
		aliceList := h.get("/api/rooms", alice.Token).expect(http.StatusOK).list()
		for _, r := range aliceList {
			assertRoom(t, r)
		}
		if got := ids(t, aliceList, "id"); !slices.Equal(got, []int64{pub, secret}) {
			t.Fatalf("alice's rooms = %v, want %v", got, []int64{pub, secret})
		}
		if got := ids(t, h.get("/api/rooms/", bob.Token).expect(http.StatusOK).list(), "id"); !slices.Equal(got, []int64{pub, bobPriv}) {
			t.Fatalf("bob's rooms = %v, want %v", got, []int64{pub, bobPriv})
		}
		// A bad token on the optional-token route is still refused.
		h.get("/api/rooms", "garbage").expectError(http.StatusUnauthorized)

		// users/me/rooms lists memberships only.
		if got := ids(t, h.get("/api/users/me/rooms", bob.Token).expect(http.StatusOK).list(), "id"); !slices.Equal(got, []int64{bobPriv}) {
			t.Fatalf("bob's memberships = %v", got)
		}
		h.post(fmt.Sprintf("/api/rooms/%d/join", pub), bob.Token, nil).expect(http.StatusOK)
		mine := h.get("/api/users/me/rooms", bob.Token).expect(http.StatusOK).list()
		for _, r := range mine {
			assertRoom(t, r)
		}
		if got := ids(t, mine, "id"); !slices.Equal(got, []int64{pub, bobPriv}) {
			t.Fatalf("bob's memberships after join = %v", got)
		}
		carol := h.register("carol")
		if string(h.get("/api/users/me/rooms", carol.Token).expect(http.StatusOK).Body) != "[]" {
			t.Fatal("a user without rooms must get []")
		}
		h.get("/api/users/me/rooms", "").expectError(http.StatusUnauthorized)
	})
}

func TestJoinLeaveMembers(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		owner := h.register("owner")
		joiner := h.register("joiner")
		pub := h.createRoom(owner, "pub", false)
		priv := h.createRoom(owner, "priv", true)

		res := h.post(fmt.Sprintf("/api/rooms/%d/join", pub), joiner.Token, nil).expect(http.StatusOK).obj()
		assertKeys(t, "join answer", res, "message", "room_id")
		if int64(num(t, res["room_id"])) != pub {
			t.Fatalf("join answer = %v", res)
		}
		// Joining twice is harmless.
		h.post(fmt.Sprintf("/api/rooms/%d/join", pub), joiner.Token, nil).expect(http.StatusOK)

		members := h.get(fmt.Sprintf("/api/rooms/%d/members", pub), joiner.Token).expect(http.StatusOK).list()
		for _, m := range members {
			assertMember(t, m)
		}
		if got := ids(t, members, "id"); !slices.Equal(got, []int64{owner.ID, joiner.ID}) {
			t.Fatalf("members = %v", got)
		}
		room := h.get(fmt.Sprintf("/api/rooms/%d", pub), owner.Token).expect(http.StatusOK).obj()
		if num(t, room["member_count"]) != 2 || len(room["members"].([]any)) != 2 {
			t.Fatalf("room after join = %v", room)
		}

		h.post(fmt.Sprintf("/api/rooms/%d/join", priv), joiner.Token, nil).expectError(http.StatusForbidden)
		h.post(fmt.Sprintf("/api/rooms/%d/leave", pub), owner.Token, nil).expectError(http.StatusBadRequest)

		left := h.post(fmt.Sprintf("/api/rooms/%d/leave", pub), joiner.Token, nil).expect(http.StatusOK).obj()
		assertKeys(t, "leave answer", left, "message", "room_id")
		if got := ids(t, h.get(fmt.Sprintf("/api/rooms/%d/members", pub), owner.Token).expect(http.StatusOK).list(), "id"); !slices.Equal(got, []int64{owner.ID}) {
			t.Fatalf("members after leave = %v", got)
		}
		// Leaving a room one is not in is refused, not a 500.
		h.post(fmt.Sprintf("/api/rooms/%d/leave", pub), joiner.Token, nil).expectError(http.StatusBadRequest)
		h.post("/api/rooms/999999/join", joiner.Token, nil).expectError(http.StatusNotFound)
		h.post("/api/rooms/999999/leave", joiner.Token, nil).expectError(http.StatusNotFound)
		h.get("/api/rooms/999999/members", joiner.Token).expectError(http.StatusNotFound)
		h.post(fmt.Sprintf("/api/rooms/%d/join", pub), "", nil).expectError(http.StatusUnauthorized)
	})
}

func TestOnlineShape(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("watcher")
		room := h.createRoom(u, "live", false)
		empty := h.get(fmt.Sprintf("/api/ws/rooms/%d/online", room), u.Token).expect(http.StatusOK).obj()
		assertKeys(t, "online answer", empty, "room_id", "online_users", "count")
		if int64(num(t, empty["room_id"])) != room || num(t, empty["count"]) != 0 || len(empty["online_users"].([]any)) != 0 {
			t.Fatalf("online (nobody) = %v", empty)
		}

		actor, err := h.chat.Authenticate(t.Context(), u.Token)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.chat.EnterRoom(t.Context(), actor, room, "conn-1"); err != nil {
			t.Fatal(err)
		}
		got := h.get(fmt.Sprintf("/api/ws/rooms/%d/online/", room), u.Token).expect(http.StatusOK).obj()
		users := got["online_users"].([]any)
		if num(t, got["count"]) != 1 || len(users) != 1 {
			t.Fatalf("online = %v", got)
		}
		one := users[0].(map[string]any)
		assertKeys(t, "online user", one, refKeys...)
		if int64(num(t, one["id"])) != u.ID || one["username"] != "watcher" {
			t.Fatalf("online user = %v", one)
		}
		h.get("/api/ws/rooms/999999/online", u.Token).expectError(http.StatusNotFound)
		h.get(fmt.Sprintf("/api/ws/rooms/%d/online", room), "").expectError(http.StatusUnauthorized)
	})
}

// TestPrivateRoomIsClosedToOutsiders proves, route by route, that a non-member of
// a private room can neither read it nor post in it, nor see it listed.
func TestPrivateRoomIsClosedToOutsiders(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		owner := h.register("insider")
		outsider := h.register("outsider")
		priv := h.createRoom(owner, "hidden", true)
		h.postMessage(owner, priv, "private words")
		p := func(suffix string) string { return fmt.Sprintf("/api/rooms/%d%s", priv, suffix) }

		routes := []struct {
			name string
			r    req
		}{
			{"get room", req{Method: "GET", Path: p("")}},
			{"update room", req{Method: "PUT", Path: p(""), Body: map[string]any{"name": "x"}}},
			{"delete room", req{Method: "DELETE", Path: p("")}},
			{"join", req{Method: "POST", Path: p("/join")}},
			{"leave", req{Method: "POST", Path: p("/leave")}},
			{"members", req{Method: "GET", Path: p("/members")}},
			{"read messages", req{Method: "GET", Path: p("/messages")}},
			{"read messages with cursor", req{Method: "GET", Path: p("/messages?after_id=0&limit=5")}},
			{"post message", req{Method: "POST", Path: p("/messages"), Body: map[string]any{"content": "let me in"}}},
			{"conversation messages", req{Method: "GET", Path: fmt.Sprintf("/api/conversations/%d/messages", priv)}},
			{"online", req{Method: "GET", Path: fmt.Sprintf("/api/ws/rooms/%d/online", priv)}},
		}
		for _, rt := range routes {
			t.Run(rt.name, func(t *testing.T) {
				rt.r.Token = outsider.Token
				h.as(t).send(rt.r).expectError(http.StatusForbidden)
			})
		}
		for _, list := range []string{"/api/rooms", "/api/users/me/rooms"} {
			if got := ids(t, h.get(list, outsider.Token).expect(http.StatusOK).list(), "id"); slices.Contains(got, priv) {
				t.Fatalf("%s shows the private room to an outsider: %v", list, got)
			}
		}
		if got := h.get("/api/conversations", outsider.Token).expect(http.StatusOK).list(); len(got) != 0 {
			t.Fatalf("outsider's conversations = %v", got)
		}
		// The outsider's failed post stored nothing.
		msgs := h.get(p("/messages"), owner.Token).expect(http.StatusOK).list()
		if len(msgs) != 1 || msgs[0]["content"] != "private words" {
			t.Fatalf("private room messages = %v", msgs)
		}
		// The room still works for its member.
		h.get(p(""), owner.Token).expect(http.StatusOK)
		h.get(p("/members"), owner.Token).expect(http.StatusOK)
	})
}
