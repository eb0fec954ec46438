package recovery

import (
	"bytes"
	"strconv"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
)

// Forget makes the packets nsp's recovery adapter keeps of the named events
// about message id unreplayable (see forgetMessage); other adapters keep none.
func Forget(nsp socket.Namespace, events []string, id int64) {
	if nsp == nil {
		return
	}
	if a, ok := nsp.Adapter().(*recoveryAdapter); ok {
		a.forgetMessage(events, id)
	}
}

// forgottenRoom is the audience of a kept packet that must never be replayed:
// no socket's id or chat room has this name.
const forgottenRoom socket.Room = "\x00forgotten"

// forgetMessage makes the kept packets of the named events whose message is id
// unreplayable (a deleted message: nobody may get its text again, not even a
// recovering client). Their size stays counted until they age out.
func (a *recoveryAdapter) forgetMessage(events []string, id int64) {
	prefixes := make([][]byte, len(events))
	for i, name := range events {
		p := chat.AppendJSONString([]byte{'['}, name)
		p = append(p, `,{"id":`...)
		p = strconv.AppendInt(p, id, 10)
		prefixes[i] = append(p, ',')
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.kept.len() {
		k := a.kept.at(i)
		if keptCarries(k, events, prefixes, id) {
			k.frame, k.data, k.except = nil, nil, nil
			k.rooms = []socket.Room{forgottenRoom}
		}
	}
}

// keptCarries reports whether k is one of the events about message id.
func keptCarries(k *keptPacket, events []string, prefixes [][]byte, id int64) bool {
	if k.frame != nil {
		args := k.frame[k.argsAt:]
		for _, p := range prefixes {
			if bytes.HasPrefix(args, p) {
				return true
			}
		}
		return false
	}
	if len(k.data) < 2 {
		return false
	}
	name, _ := k.data[0].(string)
	var msgID int64
	switch m := k.data[1].(type) {
	case *chat.Message:
		msgID = m.ID
	case chat.Message:
		msgID = m.ID
	default:
		return false
	}
	for _, e := range events {
		if e == name && msgID == id {
			return true
		}
	}
	return false
}
