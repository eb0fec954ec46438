package config

import (
	"testing"
	"time"
)

func TestPasswordHashingBudget(t *testing.T) {
	if got := mustLoad(t, map[string]string{}).Passwords; got != (Passwords{HashMemoryMB: 64, HashWait: 5 * time.Second}) {
		t.Errorf("default Passwords = %+v", got)
	}
	got := mustLoad(t, map[string]string{"HASH_MEMORY_MB": "128", "HASH_WAIT": "500ms"}).Passwords
	if got != (Passwords{HashMemoryMB: 128, HashWait: 500 * time.Millisecond}) {
		t.Errorf("Passwords = %+v", got)
	}
	if got := mustLoad(t, map[string]string{"HASH_WAIT": "3"}).Passwords.HashWait; got != 3*time.Second {
		t.Errorf("HASH_WAIT=3: %v", got)
	}
	for key, value := range map[string]string{"HASH_MEMORY_MB": "0", "HASH_WAIT": "-1s"} {
		if _, err := load(t, map[string]string{key: value}); err == nil {
			t.Errorf("%s=%s accepted", key, value)
		}
	}
}
