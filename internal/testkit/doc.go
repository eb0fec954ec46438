// Package testkit is what tests of every package share to drive the server
// from outside: an Engine.IO 3/4 and Socket.IO client (websocket and
// polling), a polling session driven request by request (PollingSession, for
// tests of the requests themselves: a waiting GET, its timing, an upgrade by
// hand), helpers for hostile requests (hostile.go), a fake Supabase Storage
// server, a private Redis, and the server binary run as a child process. It
// imports none of the server's packages, so any package's own tests may use
// it; the app wired as main wires it is in testkit/testapp.
package testkit
