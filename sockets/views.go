package sockets

import (
	"strconv"
	"time"

	"github.com/izpochat/server/chat"
)

// The payloads below are the contract's JSON shapes for live events. Fields that
// only one client generation reads are included for all (the superset rule).

type presenceView struct {
	Type      string    `json:"type,omitempty"`
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	FullName  string    `json:"full_name"`
	RoomID    int64     `json:"room_id"`
	Timestamp chat.Time `json:"timestamp"`
}

type typingView struct {
	Type      string    `json:"type,omitempty"`
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	RoomID    int64     `json:"room_id"`
	Typing    bool      `json:"typing"`
	Timestamp chat.Time `json:"timestamp"`
}

type onlineView struct {
	Type      string         `json:"type,omitempty"`
	RoomID    int64          `json:"room_id"`
	Users     []chat.UserRef `json:"users"`
	Count     int            `json:"count"`
	Timestamp chat.Time      `json:"timestamp"`
}

// connectedView's fields are in the order the map it replaced was encoded in
// (sorted keys), so the JSON is unchanged.
type connectedView struct {
	Message  string `json:"message"`
	Sid      string `json:"sid"`
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
}

// messageSentView: as connectedView, fields in sorted key order.
type messageSentView struct {
	MessageID int64     `json:"message_id"`
	RoomID    int64     `json:"room_id"`
	Status    string    `json:"status"`
	Timestamp chat.Time `json:"timestamp"`
}

type welcomeView struct {
	Type      string    `json:"type,omitempty"`
	Message   string    `json:"message"`
	RoomID    int64     `json:"room_id"`
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	Timestamp chat.Time `json:"timestamp"`
}

type roomNoticeView struct {
	Message  string `json:"message"`
	RoomID   int64  `json:"room_id"`
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
}

type errorView struct {
	Type    string `json:"type,omitempty"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

func presenceOf(kind string, ev chat.Event) presenceView {
	return presenceView{Type: kind, UserID: ev.User.ID, Username: ev.User.Username, FullName: ev.User.FullName,
		RoomID: ev.RoomID, Timestamp: eventTime(ev)}
}

func typingOf(kind string, ev chat.Event) typingView {
	return typingView{Type: kind, UserID: ev.User.ID, Username: ev.User.Username, RoomID: ev.RoomID,
		Typing: ev.Typing, Timestamp: eventTime(ev)}
}

func onlineOf(kind string, roomID int64, users []chat.UserRef) onlineView {
	if users == nil {
		users = []chat.UserRef{}
	}
	return onlineView{Type: kind, RoomID: roomID, Users: users, Count: len(users), Timestamp: now()}
}

func errorOf(kind string, err error) errorView {
	return errorView{Type: kind, Message: chat.PublicMessage(err), Code: errorCode(err)}
}

func eventTime(ev chat.Event) chat.Time {
	if ev.At.IsZero() {
		return now()
	}
	return chat.Time(ev.At)
}

func now() chat.Time { return chat.Time(time.Now().UTC()) }

// AppendJSON appends the view as json.Marshal encodes it (its reflection is
// the reference in the tests): it goes with every message posted.
func (v messageSentView) AppendJSON(b []byte) []byte {
	b = append(b, `{"message_id":`...)
	b = strconv.AppendInt(b, v.MessageID, 10)
	b = append(b, `,"room_id":`...)
	b = strconv.AppendInt(b, v.RoomID, 10)
	b = append(b, `,"status":`...)
	b = chat.AppendJSONString(b, v.Status)
	b = append(b, `,"timestamp":`...)
	b = v.Timestamp.AppendJSON(b)
	return append(b, '}')
}
