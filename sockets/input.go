package sockets

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/izpochat/server/chat"
)

// object returns the payload as a JSON object, or an invalid-input error.
func object(payload any) (map[string]any, error) {
	switch v := payload.(type) {
	case map[string]any:
		return v, nil
	case string:
		// Some clients send the object JSON-encoded as a string.
		var m map[string]any
		if err := json.Unmarshal([]byte(v), &m); err == nil && m != nil {
			return m, nil
		}
	}
	return nil, chat.Invalid("payload must be a JSON object")
}

// positiveID reads a positive integer id given as a number or a numeric string.
func positiveID(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		if n >= 1 && n <= math.MaxInt64/2 && n == math.Trunc(n) {
			return int64(n), true
		}
	case int64:
		return n, n > 0
	case int:
		return int64(n), n > 0
	case json.Number:
		id, err := strconv.ParseInt(string(n), 10, 64)
		return id, err == nil && id > 0
	case string:
		id, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		return id, err == nil && id > 0
	}
	return 0, false
}

// roomObject reads a main-namespace payload: a JSON object naming its room.
func roomObject(payload any) (map[string]any, int64, error) {
	m, err := object(payload)
	if err != nil {
		return nil, 0, err
	}
	roomID, err := roomIDField(m)
	if err != nil {
		return nil, 0, err
	}
	return m, roomID, nil
}

// roomIDField reads the required room_id field.
func roomIDField(m map[string]any) (int64, error) {
	v, ok := m["room_id"]
	if !ok || v == nil {
		return 0, chat.Invalid("room_id is required")
	}
	id, ok := positiveID(v)
	if !ok {
		return 0, chat.Invalid("room_id must be a positive integer")
	}
	return id, nil
}

// postInput reads content and the optional file_id and reply_to_id.
func postInput(m map[string]any) (chat.PostInput, error) {
	var in chat.PostInput
	switch c := m["content"].(type) {
	case nil:
	case string:
		in.Content = c
	default:
		return in, chat.Invalid("content must be a string")
	}
	if v, ok := m["file_id"]; ok && v != nil {
		id, ok := positiveID(v)
		if !ok {
			return in, chat.Invalid("file_id must be a positive integer")
		}
		in.FileID = &id
	}
	if v, ok := m["reply_to_id"]; ok && v != nil { // issue 23.3
		id, ok := positiveID(v)
		if !ok {
			return in, chat.Invalid("reply_to_id must be a positive integer")
		}
		in.ReplyToID = &id
	}
	return in, nil
}

// typingFlag reads the typing field; absent means true (the client is typing).
func typingFlag(m map[string]any) bool {
	switch t := m["typing"].(type) {
	case bool:
		return t
	case float64:
		return t != 0
	case string:
		return t == "true" || t == "1"
	case nil:
		_, present := m["typing"]
		return !present
	}
	return true
}
