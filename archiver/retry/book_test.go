package retry

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

// state is a saved state, read as a store reads it.
type state map[string]json.RawMessage

func (s state) LoadState(section string, v any) error { return json.Unmarshal(s[section], v) }

// TestLoadEarlier: the failures an earlier archiver saved are read, an
// image's as a medium's, not an article's; the empty are dropped.
func TestLoadEarlier(t *testing.T) {
	t.Parallel()
	saved := state{Section: json.RawMessage(`{
  "https://x.org/a": {"item": {"feed": "https://x.org/rss", "link": "https://x.org/a", "title": "A"}, "attempts": 2,
    "first": "2026-03-01T00:00:00Z", "last": "2026-03-01T01:00:00Z", "kind": "fetch", "error": "HTTP 503", "update": "2026-03-01-a.md"},
  "media 2026-03-01-b.md https://img.x.org/b.png": {"item": {"feed": "https://x.org/rss", "link": "https://img.x.org/b.png", "title": "B"},
    "attempts": 1, "first": "2026-03-01T00:00:00Z", "last": "2026-03-01T00:00:00Z", "kind": "media", "error": "HTTP 404", "permanent": true,
    "update": "2026-03-01-b.md"},
  "empty": {}, "none": null}`)}
	b, err := Load(saved, 0, slog.New(slog.DiscardHandler))
	if err != nil || b.Len() != 2 {
		t.Fatalf("Load = %d failures, %v", b.Len(), err)
	}
	a := b.Get("https://x.org/a")
	if a == nil || a.URL != "https://x.org/a" || a.Item == nil || a.Post != "2026-03-01-a.md" || a.Reason != "HTTP 503" ||
		!a.Next().Equal(time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("the article's failure: %+v", a)
	}
	m := b.Get(MediumKey("2026-03-01-b.md", "https://img.x.org/b.png"))
	if m == nil || m.Item != nil || m.Medium == nil || *m.Medium != (Medium{URL: "https://img.x.org/b.png", Title: "B", Feed: "https://x.org/rss"}) ||
		m.URL != m.Medium.URL || m.Post != "2026-03-01-b.md" || !m.Permanent {
		t.Errorf("the image's failure: %+v", m)
	}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Load(state{Section: data}, 0, slog.New(slog.DiscardHandler))
	if again.Len() != 2 || again.Get(MediumKey("2026-03-01-b.md", "https://img.x.org/b.png")).Medium == nil {
		t.Errorf("saved and read again: %s", data)
	}
}
