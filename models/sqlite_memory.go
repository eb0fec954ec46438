package models

import (
	"sync"

	"modernc.org/libc"
)

// The embedded SQLite (modernc.org/sqlite: C translated to Go) takes its memory
// from modernc.org/libc's process-wide allocator. That allocator carves each size
// class (powers of two, 16 B to 256 KiB) out of pages of about 1 MiB it maps, and
// unmaps a page as soon as its last block is freed. SQLite frees at once much of
// what a statement allocates — the scratch of a b-tree page split, statement
// journal chunks, a finished statement's memory — so when nothing else held a
// block of that class, such a statement mapped a fresh page, faulted it in and
// unmapped it: measured on the message writer, about 40% of its CPU went to
// mmap, munmap and page faults. One block kept in every class keeps that class's
// page mapped, and freed blocks are reused instead. The price is resident
// memory: a kept page keeps the slots SQLite has cycled through (at most about
// 1 MiB a class; +5.6 MiB after 20,000 inserts in BenchmarkPostMessage).
//
// The allocator is process-wide, so this is done once per process: the one
// package-level variable here is for that reason.
var keepSlabPages sync.Once

const (
	firstSlabClass = 4  // 16 B, the allocator's smallest block
	lastSlabClass  = 18 // 256 KiB; a larger block always gets a mapping of its own
)

// keepSQLiteMemoryMapped pins one block of every size class of the SQLite
// allocator for the life of the process.
func keepSQLiteMemoryMapped() {
	keepSlabPages.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		for class := firstSlabClass; class <= lastSlabClass; class++ {
			// Never freed, on purpose. A failure only loses the optimisation.
			libc.Xmalloc(tls, 1<<class)
		}
	})
}
