package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rfa-archive/archiver/archiver/backfill"
)

// progressBar shows a backfill's progress on a terminal, on one line
// redrawn in place: the window, the stories of it read of how many it
// holds, the rate, and the time left. Log lines written through it go
// above the bar.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	line  string    // shown now
	drawn time.Time // when
}

// Show draws p, at most ten times a second.
func (b *progressBar) Show(p backfill.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Since(b.drawn) < 100*time.Millisecond && p.Read < p.Count {
		return
	}
	b.line, b.drawn = p.Line(time.Since(p.Start)), time.Now()
	fmt.Fprint(b.w, "\r\x1b[K"+b.line)
}

// Write writes a log line above the bar.
func (b *progressBar) Write(data []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.line == "" {
		return b.w.Write(data)
	}
	fmt.Fprint(b.w, "\r\x1b[K")
	n, err := b.w.Write(data)
	fmt.Fprint(b.w, b.line)
	return n, err
}

// Close ends the bar's line.
func (b *progressBar) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.line != "" {
		b.line = ""
		fmt.Fprint(b.w, "\r\x1b[K")
	}
	return nil
}
