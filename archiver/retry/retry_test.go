package retry

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds"
)

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	for _, tt := range []struct {
		attempts  int
		permanent bool
		want      time.Duration
	}{
		{1, false, 0}, {3, false, 0}, {4, false, 10 * time.Minute}, {5, false, 20 * time.Minute}, {7, false, 80 * time.Minute},
		{14, false, 7 * day}, {100, false, 7 * day},
		{1, true, time.Hour}, {2, true, 4 * time.Hour}, {3, true, 16 * time.Hour}, {5, true, 7 * day}, {100, true, 7 * day},
	} {
		if got := Delay(tt.attempts, tt.permanent); got != tt.want {
			t.Errorf("Delay(%d, permanent %v) = %v, want %v", tt.attempts, tt.permanent, got, tt.want)
		}
	}
}

// TestBound: however many dead links the feeds list, a book keeps at
// most maxFailures failures: those given up go first, then the oldest.
func TestBound(t *testing.T) {
	t.Parallel()
	failures := map[string]*Failure{}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range maxFailures + 20 {
		f := &Failure{Target: Article(dead(i), ""), First: now.Add(time.Duration(i) * time.Second)}
		if i%1000 == 999 {
			f.GaveUp = now
		}
		failures[f.Item.Keys()[0]] = f
	}
	b := NewBook(failures, 0, slog.New(slog.DiscardHandler))
	b.Bound()
	if b.Len() != maxFailures {
		t.Fatalf("%d failures kept, want %d", b.Len(), maxFailures)
	}
	for _, f := range b.All {
		if !f.GaveUp.IsZero() {
			t.Errorf("%s, given up, is kept while failures that are not were dropped", f.URL)
		}
	}
	if b.Get(feeds.Key(dead(0).Link)) != nil {
		t.Error("the oldest failure is kept")
	}
}

// dead is the feed entry of a dead link.
func dead(i int) feeds.Item {
	return feeds.Item{Feed: "https://www.rfa.org/a/rss/", Link: fmt.Sprintf("https://www.rfa.org/dead/%d/", i)}
}
