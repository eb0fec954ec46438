package handlers

import (
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testdb"
)

// A 50 MB upload streams to storage: the heap must not hold it.
func TestUploadOf50MBStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 50 MB")
	}
	env := newUploadEnv(t, testdb.Open(t, "sqlite"), uploadEnvOptions{maxFileBytes: 60 << 20})
	ann := env.user("ann")
	const size = 50 << 20

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	body, _ := streamedUpload(t, "big.png", size)
	status, raw := env.do(http.MethodPost, "/api/uploads", ann.token, body, body.contentType)
	close(stop)
	<-sampled
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if status != 201 {
		t.Fatalf("%d %s", status, raw)
	}
	if f := decode[fileJSON](t, raw); f.FileSize != size {
		t.Fatalf("stored %d bytes", f.FileSize)
	}
	growth := int64(max(peak.Load(), after.HeapInuse)) - int64(before.HeapInuse)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("50 MB upload: peak heap growth %.1f MB, total allocated during it %.1f MB (client and server)",
		float64(growth)/(1<<20), float64(allocated)/(1<<20))
	if growth >= 16<<20 {
		t.Fatalf("heap grew by %d bytes", growth)
	}
}
