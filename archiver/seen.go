package archiver

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/rfa-archive/archiver/feeds"
)

// state is what passes remember between runs besides the failures
// (retry.Book): each feed's validators, for conditional GETs, and each
// entry seen, to tell an edit. Each is a section of the store's state.
type state struct {
	Feeds map[string]feeds.Validators // by feed URL
	Seen  map[string]seen             // by seenKey
}

// The pass's sections of the store's state.
const (
	feedsSection = "feeds"
	seenSection  = "seen"
)

// stateStore reads and writes the store's state.
type stateStore interface {
	LoadState(section string, v any) error
	SaveState(sections map[string]any) error
}

// seen is the hash of a feed entry when last seen: a changed hash means
// the story may have been edited. Page is the key of the page its link led
// to, when that is another URL (a redirect): the entry's post is that
// page's.
type seen struct {
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
	Page string    `json:"page,omitempty"`
}

// forgetSeen is how long an entry no feed lists any more is remembered.
const forgetSeen = 60 * 24 * time.Hour

// loadState reads the saved state; a state that cannot be read costs a
// full poll, not the pass.
func loadState(st stateStore, log *slog.Logger) *state {
	s := &state{Feeds: map[string]feeds.Validators{}, Seen: map[string]seen{}}
	for name, v := range s.sections() {
		if err := st.LoadState(name, v); err != nil {
			log.Warn("pass: starting from a fresh state", slog.String("error", err.Error()))
		}
	}
	if s.Feeds == nil {
		s.Feeds = map[string]feeds.Validators{}
	}
	if s.Seen == nil {
		s.Seen = map[string]seen{}
	}
	return s
}

// sections are the sections of the store's state that s is.
func (s *state) sections() map[string]any {
	return map[string]any{feedsSection: &s.Feeds, seenSection: &s.Seen}
}

// forgetOld forgets the entries no feed has listed for forgetSeen.
func (s *state) forgetOld(now time.Time) {
	for k, v := range s.Seen {
		if now.Sub(v.At) > forgetSeen {
			delete(s.Seen, k)
		}
	}
}

// seenKey is the key of an entry of a feed in state.Seen.
func seenKey(feedURL, itemKey string) string { return feedURL + " " + itemKey }

// itemHash identifies what a feed entry says of its story: its link,
// title, text and the site's time of its last update, not its pubDate,
// which some feeds stamp anew at every poll.
func itemHash(it feeds.Item) string {
	h := sha256.New()
	for _, s := range []string{it.Link, it.Title, it.Description, it.Content, it.Updated.String()} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
