package article

import (
	"context"
	"sync"
)

// Reading a page costs memory of the order of ten times its size: its
// tree, the story's, the sanitized copy, the Markdown. Pages are read a
// few at a time (http.concurrency), so that a pass of large pages would
// cost that many times as much; a budget of the bytes of the pages being
// read at once bounds it: a large page waits until the others are read,
// however many workers fetched them.

// budget is a number of bytes, taken and given back a MiB at a time.
type budget struct {
	units chan struct{} // a MiB each, free
	take  sync.Mutex    // one taker at a time: two must not each hold half
}

// newBudget is a budget of n bytes.
func newBudget(n int64) *budget {
	b := &budget{units: make(chan struct{}, max(1, n>>20))}
	for range cap(b.units) {
		b.units <- struct{}{}
	}
	return b
}

// acquire takes n bytes of the budget (all of it, for more), waiting for
// them, and returns what gives them back; ctx ending stops the wait.
func (b *budget) acquire(ctx context.Context, n int) (release func(), err error) {
	want := min(max(1, (n+1<<20-1)>>20), cap(b.units))
	b.take.Lock()
	defer b.take.Unlock()
	taken := 0
	release = func() {
		for range taken {
			b.units <- struct{}{}
		}
	}
	for taken < want {
		select {
		case <-b.units:
			taken++
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}
