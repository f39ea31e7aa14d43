package main

import (
	"fmt"
	"io"
	"strings"
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
	b.line, b.drawn = progressLine(p, time.Since(p.Start)), time.Now()
	fmt.Fprint(b.w, "\r\x1b[K"+b.line)
}

// progressLine is p, elapsed into the backfill, on a line.
func progressLine(p backfill.Progress, elapsed time.Duration) string {
	const width = 20
	filled := width
	if p.Count > 0 {
		filled = min(width, width*p.Read/p.Count)
	}
	line := fmt.Sprintf("%s [%s%s] %d/%d", p.Window, strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.Read, p.Count)
	rate := float64(p.StoriesRead) / elapsed.Seconds()
	if p.StoriesRead == 0 || elapsed < time.Second {
		return line
	}
	line += fmt.Sprintf("  %.1f stories/s", rate)
	if p.WindowsDone > 0 && p.Windows > p.WindowsDone {
		// The windows left, at the pace of those done.
		left := time.Duration(float64(elapsed) / float64(p.WindowsDone) * float64(p.Windows-p.WindowsDone))
		line += fmt.Sprintf("  window %d of %d, about %s left", p.WindowsDone+1, p.Windows, left.Round(time.Second))
	}
	return line
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
