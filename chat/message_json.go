package chat

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendMessagesJSON appends msgs as encoding/json would encode them, byte for
// byte, without its reflection: a history page of 100 messages spent most of
// its encoding time walking the struct fields and the timestamps' text
// marshaling. A message with a file (rare) has that part encoded by
// encoding/json.
func AppendMessagesJSON(b []byte, msgs []Message) []byte {
	if msgs == nil {
		return append(b, "null"...)
	}
	if b == nil {
		size := 2
		for i := range msgs {
			size += msgs[i].jsonSize()
		}
		b = make([]byte, 0, size)
	}
	b = append(b, '[')
	for i := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = msgs[i].AppendJSON(b)
	}
	return append(b, ']')
}

// MarshalJSON encodes the message as encoding/json's reflection would, byte for
// byte (HTML characters escaped, as json.Marshal does), through AppendJSON: every
// message posted is encoded once per door that delivers it, and reflection over
// its fields and timestamps was most of that cost.
func (m Message) MarshalJSON() ([]byte, error) {
	return m.AppendJSON(make([]byte, 0, m.jsonSize())), nil
}

// jsonSize is about what the message takes encoded (a file takes more): a
// buffer sized once.
func (m *Message) jsonSize() int {
	return messageJSONOverhead + len(m.Content) + 2*len(m.Username) + len(m.Sender.FullName) + len(m.Room.Name) + m.threadJSONSize() + m.reactionsJSONSize() + m.mentionsJSONSize()
}

// messageJSONOverhead is about what a message without a file takes besides its
// strings.
const messageJSONOverhead = 340

// AppendJSON appends the message as json.Marshal encodes it, byte for byte.
func (m *Message) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, m.ID, 10)
	b = append(b, `,"type":`...)
	b = AppendJSONString(b, m.Type)
	b = append(b, `,"content":`...)
	b = AppendJSONString(b, m.Content)
	b = append(b, `,"user_id":`...)
	b = strconv.AppendInt(b, m.UserID, 10)
	b = append(b, `,"username":`...)
	b = AppendJSONString(b, m.Username)
	b = append(b, `,"room_id":`...)
	b = strconv.AppendInt(b, m.RoomID, 10)
	b = append(b, `,"created_at":`...)
	b = m.CreatedAt.AppendJSON(b)
	b = append(b, `,"timestamp":`...)
	b = m.Timestamp.AppendJSON(b)
	b = append(b, `,"file_url":`...)
	if m.FileURL != nil {
		b = AppendJSONString(b, *m.FileURL)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"file_id":`...)
	if m.FileID != nil {
		b = strconv.AppendInt(b, *m.FileID, 10)
	} else {
		b = append(b, "null"...)
	}
	if m.File != nil {
		file, err := json.Marshal(m.File)
		if err == nil { // a File has nothing that can fail to encode
			b = append(b, `,"file":`...)
			b = append(b, file...)
		}
	}
	b = append(b, `,"sender_id":`...)
	b = strconv.AppendInt(b, m.SenderID, 10)
	b = append(b, `,"room":{"id":`...)
	b = strconv.AppendInt(b, m.Room.ID, 10)
	b = append(b, `,"name":`...)
	b = AppendJSONString(b, m.Room.Name)
	b = append(b, `},"sender":{"id":`...)
	b = strconv.AppendInt(b, m.Sender.ID, 10)
	b = append(b, `,"username":`...)
	b = AppendJSONString(b, m.Sender.Username)
	b = append(b, `,"full_name":`...)
	b = AppendJSONString(b, m.Sender.FullName)
	b = append(b, '}')
	b = m.appendThreadJSON(b)
	b = m.appendReactionsJSON(b)
	b = m.appendMentionsJSON(b)
	return append(b, '}')
}

// AppendJSON writes the time as MarshalText does (timeLayout), digit by digit:
// AppendFormat interprets the layout anew for every one of a page's
// timestamps. Years outside 0000-9999 take AppendFormat's way.
func (t Time) AppendJSON(b []byte) []byte {
	u := time.Time(t).UTC()
	year, month, day := u.Date()
	if year < 0 || year > 9999 {
		b = append(b, '"')
		b = u.AppendFormat(b, timeLayout)
		return append(b, '"')
	}
	hour, minute, second := u.Clock()
	b = append(b, '"')
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, second, 2)
	b = append(b, '.')
	b = appendDigits(b, u.Nanosecond()/1000, 6)
	return append(b, 'Z', '"')
}

// appendDigits appends v, 0 <= v < 10^n, as exactly n (at most 6) digits.
func appendDigits(b []byte, v, n int) []byte {
	b = append(b, "000000"[:n]...)
	for i := len(b) - 1; v > 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return b
}

// AppendJSONString appends s quoted as encoding/json does with its default
// HTML escaping: '<', '>' and '&' as \u003c…, control characters as \n, \r,
// \t, \b, \f or \u00XX, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func AppendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
