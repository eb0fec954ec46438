package chat

import "time"

// commitSpacing keeps the writer's commits apart in proportion to how long
// they take: after a commit that took d, the next one starts no earlier than
// spacingFactor×d later (at most maxSpacing), and the posts that arrive in
// between share it. A SQLite commit costs much the same CPU however few rows
// it carries (preparing the statement, WAL frames: ~300 µs on the benchmark
// machine), so at 2,000 posts/s committing whatever was queued gave 2.6
// messages a commit and 134 µs of CPU per stored message, spacing them 6.2 and
// 105 µs (BenchmarkPostMessagePaced). A quiet server's commits take a few
// hundred microseconds, so a post waits at most about a millisecond more; a
// busy one's take longer (the writer shares the processor), so it spaces them
// more, up to maxSpacing.
type commitSpacing struct {
	next  time.Time // earliest start of the next commit
	sleep func(time.Duration)
}

const (
	spacingFactor = 3
	maxSpacing    = 5 * time.Millisecond
	// minSpacingWait: shorter waits are skipped (a timer costs more).
	minSpacingWait = 20 * time.Microsecond
)

// committed records that a commit just ended after took.
func (c *commitSpacing) committed(took time.Duration) {
	c.next = time.Now().Add(min(spacingFactor*took, maxSpacing))
}

// wait returns when the next commit may start.
func (c *commitSpacing) wait() {
	d := time.Until(c.next)
	if d < minSpacingWait {
		return
	}
	if c.sleep != nil {
		c.sleep(d)
		return
	}
	time.Sleep(d)
}
