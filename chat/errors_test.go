package chat

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestInternalErrorsHideCausesAndTimeoutsAreUnavailable(t *testing.T) {
	err := internal("load room", errors.New("pq: relation secret_table does not exist"))
	if KindOf(err) != KindInternal || PublicMessage(err) != "internal error" {
		t.Fatalf("internal error = %v / %q", KindOf(err), PublicMessage(err))
	}
	err = internal("load room", fmt.Errorf("room by id: %w", context.DeadlineExceeded))
	if KindOf(err) != KindUnavailable || PublicMessage(err) != "server busy, try again" {
		t.Fatalf("timed-out query = %v / %q, want unavailable", KindOf(err), PublicMessage(err))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("the cause is lost for the logs")
	}
}
