package archiver

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

// state is what passes remember between runs that is not in the archive;
// the store keeps it (see store.LoadState).
type state struct {
	Feeds    map[string]feeds.Validators `json:"feeds"`    // by feed URL: for conditional GETs
	Failures map[string]*failed          `json:"failures"` // by item key
	Seen     map[string]seen             `json:"seen"`     // by seenKey
}

// failed is an article that failed, kept with its feed entry so that it is
// tried again even once the feed no longer lists it.
type failed struct {
	Item     feeds.Item `json:"item"`
	Attempts int        `json:"attempts"`
	First    time.Time  `json:"first"`
	Last     time.Time  `json:"last"`
	Kind     Kind       `json:"kind"`
	Error    string     `json:"error"`            // its reason
	Update   string     `json:"update,omitempty"` // the post, when the article was archived and an edit failed
}

// seen is the hash of a feed entry when last seen: a changed hash means
// the story may have been edited.
type seen struct {
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// forgetSeen is how long an entry no feed lists any more is remembered.
const forgetSeen = 60 * 24 * time.Hour

// retryDelay is how long after its last attempt a failed article is tried
// again: at every pass for the first three, then backing off to a day.
func retryDelay(attempts int) time.Duration {
	if attempts <= 3 {
		return 0
	}
	return min(10*time.Minute<<min(attempts-4, 10), 24*time.Hour)
}

// next is when a failed article is tried again.
func (f *failed) next() time.Time { return f.Last.Add(retryDelay(f.Attempts)) }

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

// loadState reads the saved state; a state that cannot be read costs a
// full poll, not the pass.
func loadState(st *store.Store, log *slog.Logger) *state {
	var s state
	if err := st.LoadState(&s); err != nil {
		log.Warn("pass: starting from a fresh state", slog.String("error", err.Error()))
	}
	if s.Feeds == nil {
		s.Feeds = map[string]feeds.Validators{}
	}
	if s.Failures == nil {
		s.Failures = map[string]*failed{}
	}
	for key, f := range s.Failures {
		if f == nil || f.Item.Link == "" {
			log.Warn("pass: a failed article in the saved state is empty; it is dropped", slog.String("key", key))
			delete(s.Failures, key)
		}
	}
	if s.Seen == nil {
		s.Seen = map[string]seen{}
	}
	return &s
}

// forgetOld forgets the entries no feed has listed for forgetSeen.
func (s *state) forgetOld(now time.Time) {
	for k, v := range s.Seen {
		if now.Sub(v.At) > forgetSeen {
			delete(s.Seen, k)
		}
	}
}
