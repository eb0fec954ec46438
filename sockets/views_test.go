package sockets

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/izpochat/server/chat"
)

// The structs that replaced maps in kept events (a map costs several times
// their size in the recovery window) encode to the very same JSON.
func TestEventViewsEncodeAsTheMapsTheyReplaced(t *testing.T) {
	ts := chat.Time(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC))
	cases := []struct {
		view any
		was  map[string]any
	}{
		{connectedView{Message: "Connected to IzpoChat", Sid: "abc", UserID: 7, Username: "alice"},
			map[string]any{"message": "Connected to IzpoChat", "user_id": int64(7), "username": "alice", "sid": "abc"}},
		{messageSentView{MessageID: 9, RoomID: 3, Status: "success", Timestamp: ts},
			map[string]any{"status": "success", "message_id": int64(9), "timestamp": ts, "room_id": int64(3)}},
	}
	for _, c := range cases {
		got, err := json.Marshal(c.view)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(c.was)
		if string(got) != string(want) {
			t.Errorf("%T encodes as\n%s\nwant\n%s", c.view, got, want)
		}
	}
}

func TestMainConnRooms(t *testing.T) {
	var c mainConn
	if c.setJoined(5, true) || !c.setJoined(5, true) || c.setJoined(6, true) {
		t.Fatal("setJoined reported a wrong previous state on join")
	}
	if got := c.joined(); !slices.Equal(got, []int64{5, 6}) {
		t.Fatalf("joined = %v", got)
	}
	if !c.setJoined(5, false) || c.setJoined(5, false) {
		t.Fatal("setJoined reported a wrong previous state on leave")
	}
	if got := c.joined(); !slices.Equal(got, []int64{6}) {
		t.Fatalf("joined after leaving 5 = %v", got)
	}
}
