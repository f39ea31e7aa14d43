package archiver

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"maps"
	"slices"
	"strconv"
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
	// Backfilled are the windows archiver backfill walked, by
	// windowKey: when.
	Backfilled map[string]time.Time `json:"backfilled,omitempty"`
}

// failed is an article that failed, kept with its feed entry so that it is
// tried again even once the feed no longer lists it. After its first pass
// it is parked: tried again on a slowing schedule, no longer in the exit
// status; after retry.give_up it is given up, and only listed.
type failed struct {
	Item      feeds.Item `json:"item"`
	Attempts  int        `json:"attempts"`
	First     time.Time  `json:"first"`
	Last      time.Time  `json:"last"`
	Kind      Kind       `json:"kind"`
	Error     string     `json:"error"`               // its reason
	Permanent bool       `json:"permanent,omitempty"` // it will not heal without a change on the site
	Due       bool       `json:"due,omitempty"`       // archiver retry made it due at the next pass
	GaveUp    time.Time  `json:"gave_up,omitzero"`    // when it was given up
	Update    string     `json:"update,omitempty"`    // the post, when the article was archived and an edit failed
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

// retryDelay is how long after its last attempt a failed article is tried
// again. A failure that may heal is tried at every pass for the first
// three attempts, then after 10 minutes, 20, 40 and so on; one that will
// not heal without a change on the site after an hour, 4, 16 and so on.
// Either is tried at least weekly.
func retryDelay(attempts int, permanent bool) time.Duration {
	const week = 7 * 24 * time.Hour
	if permanent {
		return min(time.Hour<<min(2*(attempts-1), 20), week)
	}
	if attempts <= 3 {
		return 0
	}
	return min(10*time.Minute<<min(attempts-4, 20), week)
}

// next is when a failed article is tried again.
func (f *failed) next() time.Time {
	if f.Due {
		return f.Last
	}
	return f.Last.Add(retryDelay(f.Attempts, f.Permanent))
}

// maxFailures bounds the failures the state keeps, however many dead
// links the feeds list: past it, those given up go first, then the
// oldest.
const maxFailures = 10_000

// bound drops failures past maxFailures.
func (s *state) bound(log *slog.Logger) {
	over := len(s.Failures) - maxFailures
	if over <= 0 {
		return
	}
	keys := slices.Collect(maps.Keys(s.Failures))
	slices.SortFunc(keys, func(a, b string) int {
		fa, fb := s.Failures[a], s.Failures[b]
		if ga, gb := !fa.GaveUp.IsZero(), !fb.GaveUp.IsZero(); ga != gb {
			if ga {
				return -1
			}
			return 1
		}
		return fa.First.Compare(fb.First)
	})
	for _, k := range keys[:over] {
		f := s.Failures[k]
		log.Warn("pass: a failed article is no longer tried again: the state keeps at most "+strconv.Itoa(maxFailures)+
			" failures (given up ones go first, then the oldest); it is archived if a feed lists it again",
			slog.String("url", f.Item.Link), slog.Time("first", f.First), slog.String("error", f.Error))
		delete(s.Failures, k)
	}
}

// fail remembers that the article of key, of the feed entry it, failed
// now (its post update, for an edit), and reports whether that is its
// first failure.
func (s *state) fail(key string, it feeds.Item, update string, kind Kind, err error, now time.Time) (*failed, bool) {
	fl := s.Failures[key]
	first := fl == nil
	if first {
		fl = &failed{First: now}
		s.Failures[key] = fl
	}
	fl.Item, fl.Update, fl.Due = it, update, false
	fl.Attempts++
	fl.Last = now
	fl.Kind, fl.Error, fl.Permanent = kind, reason(err), permanent(err)
	return fl, first
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
	if s.Backfilled == nil {
		s.Backfilled = map[string]time.Time{}
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
