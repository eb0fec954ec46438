package metrics

import "testing"

// Namespaces fold into a fixed set so clients cannot grow the label sets.
func TestNamespaceLabelsAreBounded(t *testing.T) {
	for ns, want := range map[string]string{
		"": "/", "/": "/", "/socket.io": "/socket.io", "/rooms/12": "/rooms/{id}",
		"/api/ws/7": "/api/ws/{room_id}", "/made-up-by-a-client": otherLabel,
	} {
		if got := namespaceLabel(ns); got != want {
			t.Errorf("namespaceLabel(%q) = %q, want %q", ns, got, want)
		}
	}
}
