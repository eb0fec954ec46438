package metrics

import "time"

// Recorder is what the real-time doors report. Metrics implements it; Nop is the
// default when metrics are off, so doors never check for nil.
type Recorder interface {
	// SocketConnected / SocketDisconnected track live connections. transport is
	// "polling", "websocket" or "raw" (the /api/ws door); namespace is the
	// Socket.IO namespace ("/", "/rooms/12" — room ids are folded into one label).
	SocketConnected(transport, namespace string)
	SocketDisconnected(transport, namespace string)
	// SocketUpgraded moves one connection from one transport to another (polling → websocket).
	SocketUpgraded(namespace, from, to string)
	// EventIn counts an event a client sent; EventOut one the server sent to a client.
	EventIn(name string)
	EventOut(name string)
	// MessageStored counts a message written to the database.
	MessageStored()
	// ObserveDelivery records the time from a message being stored to it being
	// written to a client connection.
	ObserveDelivery(d time.Duration)
}

// Nop records nothing.
type Nop struct{}

func (Nop) SocketConnected(string, string)        {}
func (Nop) SocketDisconnected(string, string)     {}
func (Nop) SocketUpgraded(string, string, string) {}
func (Nop) EventIn(string)                        {}
func (Nop) EventOut(string)                       {}
func (Nop) MessageStored()                        {}
func (Nop) ObserveDelivery(time.Duration)         {}

var _ Recorder = Nop{}
