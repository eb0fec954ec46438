package chat

import "strconv"

// appendThreadJSON appends the fields of edits, deletions and replies (issue
// 23) as json.Marshal encodes them: edited_at and reply_to always (null when
// unset), deleted_at only when set (omitempty).
func (m *Message) appendThreadJSON(b []byte) []byte {
	b = append(b, `,"edited_at":`...)
	if m.EditedAt != nil {
		b = m.EditedAt.AppendJSON(b)
	} else {
		b = append(b, "null"...)
	}
	if m.DeletedAt != nil {
		b = append(b, `,"deleted_at":`...)
		b = m.DeletedAt.AppendJSON(b)
	}
	b = append(b, `,"reply_to":`...)
	if m.ReplyTo == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, m.ReplyTo.ID, 10)
	b = append(b, `,"username":`...)
	b = AppendJSONString(b, m.ReplyTo.Username)
	b = append(b, `,"content":`...)
	b = AppendJSONString(b, m.ReplyTo.Content)
	return append(b, '}')
}

// threadJSONSize is about what appendThreadJSON adds.
func (m *Message) threadJSONSize() int {
	if m.ReplyTo == nil {
		return 0
	}
	return 64 + 2*len(m.ReplyTo.Username) + 2*len(m.ReplyTo.Content)
}
