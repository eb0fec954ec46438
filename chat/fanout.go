package chat

import (
	"context"
	"sync"
	"time"
)

// EventType names what happened in a room.
type EventType string

const (
	EventMessage    EventType = "message"
	EventTyping     EventType = "typing"
	EventUserJoined EventType = "user_joined"
	EventUserLeft   EventType = "user_left"
)

// Event is what the domain hands to the fan-out after it has stored what needs
// storing. Every door renders it for its own clients.
type Event struct {
	Type    EventType `json:"type"`
	RoomID  int64     `json:"room_id"`
	User    UserRef   `json:"user"`
	At      time.Time `json:"at"`
	Message *Message  `json:"message,omitempty"`
	Typing  bool      `json:"typing,omitempty"`
	// Access is whose access changed (EventAccessChanged, EventSessionsEnded).
	Access *AccessChange `json:"access,omitempty"`
	// Deleted names a deleted message (EventMessageDeleted, message_edits.go).
	Deleted *MessageDeleted `json:"deleted,omitempty"`
	// Member is a membership change (EventMemberAdded and the others, members.go).
	Member *MemberChange `json:"member,omitempty"`
	// Read is a read marker that moved (EventRead, reads.go).
	Read *ReadMark `json:"read,omitempty"`
	// Reaction is a reaction added or removed (EventReactionAdded, reactions.go).
	Reaction *ReactionChange `json:"reaction,omitempty"`
	// Mention and Conversation are the user events of issue 23.6 (mentions.go).
	Mention      *MentionNotice       `json:"mention,omitempty"`
	Conversation *ConversationStarted `json:"conversation,omitempty"`
	// ToUser addresses the event to one user's connections wherever they are
	// (issue 23.6, mentions.go): with RoomID 0 to them only; with a RoomID
	// (member_added) to the room as usual and also to that user's connections
	// that are not in the room, so each connection gets it once.
	ToUser int64 `json:"to_user,omitempty"`
	// ExceptConn is the connection that caused the event and must not get it back
	// (typing, user_joined). Empty: everyone.
	ExceptConn string `json:"except_conn,omitempty"`
	// Origin is the instance that published the event.
	Origin string `json:"origin"`
}

// Listener receives events. It must not block: doors enqueue and return.
type Listener func(Event)

// Broker carries events between server instances. The local broker is a no-op;
// a cluster broker (Redis) publishes to the other instances and hands what they
// publish to deliver.
type Broker interface {
	// Publish sends ev to the other instances.
	Publish(ctx context.Context, ev Event) error
	// Start begins handing events of other instances to deliver.
	Start(ctx context.Context, deliver func(Event)) error
}

// Hub is the in-process fan-out: every door registers one listener and gets every
// event of this instance and, through the broker, of every other instance — each once.
type Hub struct {
	origin string
	broker Broker

	mu        sync.RWMutex
	observers []Listener // the domain's own, run before the doors' (see observe)
	listeners map[int]Listener
	next      int
}

// NewHub builds a hub for the instance named origin. broker may be nil (one instance).
func NewHub(origin string, broker Broker) *Hub {
	return &Hub{origin: origin, broker: broker, listeners: make(map[int]Listener)}
}

// Origin names this instance.
func (h *Hub) Origin() string { return h.origin }

// Listen registers l and returns a function that removes it.
func (h *Hub) Listen(l Listener) (cancel func()) {
	h.mu.Lock()
	id := h.next
	h.next++
	h.listeners[id] = l
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		delete(h.listeners, id)
		h.mu.Unlock()
	}
}

// observe registers a domain listener that runs before every door's listener,
// so what it updates (the access cache) is current when a door acts on the event.
func (h *Hub) observe(l Listener) {
	h.mu.Lock()
	h.observers = append(h.observers, l)
	h.mu.Unlock()
}

// clustered reports whether events also go to other instances (a broker is set).
func (h *Hub) clustered() bool { return h.broker != nil }

// Start connects the hub to the broker so other instances' events arrive.
func (h *Hub) Start(ctx context.Context) error {
	if h.broker == nil {
		return nil
	}
	return h.broker.Start(ctx, h.deliver)
}

// Publish delivers ev to this instance's doors at once, then to the other
// instances. A broker failure never loses the local delivery; it is returned so the
// caller can log it.
func (h *Hub) Publish(ctx context.Context, ev Event) error {
	return h.publishElsewhere(ctx, h.publishHere(ev))
}

// publishHere delivers ev to this instance's doors and returns it as stamped
// for the other instances (publishElsewhere): the two halves of Publish, which
// the message writer runs apart so a slow broker does not delay answers.
func (h *Hub) publishHere(ev Event) Event {
	ev.Origin = h.origin
	h.deliver(ev)
	return ev
}

// publishElsewhere sends ev, stamped by publishHere, to the other instances.
func (h *Hub) publishElsewhere(ctx context.Context, ev Event) error {
	if h.broker == nil {
		return nil
	}
	return h.broker.Publish(ctx, ev)
}

func (h *Hub) deliver(ev Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, o := range h.observers {
		o(ev)
	}
	for _, l := range h.listeners {
		l(ev)
	}
}
