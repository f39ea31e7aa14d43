package retry

import (
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/rfa-archive/archiver/feeds"
)

// Section is the Book's section of the store's state.
const Section = "failures"

// Book holds the failed targets, by key: an article's is its link's
// feeds.Key, a medium's MediumKey. It is not safe for concurrent use.
type Book struct {
	failures map[string]*Failure
	giveUp   time.Duration // after this since its first failure, a target is given up
	log      *slog.Logger
}

// StateLoader reads a section of the store's state (store.Store does).
type StateLoader interface {
	LoadState(section string, v any) error
}

// Load reads the book of the store st, whose targets are given up giveUp
// after their first failure (0: never), and that logs to log. A book that
// cannot be read costs retries, not the run: it starts empty, and the
// error says why.
func Load(st StateLoader, giveUp time.Duration, log *slog.Logger) (*Book, error) {
	var failures map[string]*Failure
	err := st.LoadState(Section, &failures)
	return NewBook(failures, giveUp, log), err
}

// NewBook is a book of failures, by key, whose targets are given up giveUp
// after their first failure (0: never), and that logs to log.
func NewBook(failures map[string]*Failure, giveUp time.Duration, log *slog.Logger) *Book {
	b := &Book{failures: failures, giveUp: giveUp, log: log}
	if b.failures == nil {
		b.failures = map[string]*Failure{}
	}
	for key, f := range b.failures {
		if !f.upgrade() {
			log.Warn("retry: a failure in the saved state is empty; it is dropped", slog.String("key", key))
			delete(b.failures, key)
		}
	}
	return b
}

// upgrade makes a failure an older archiver saved one of this version's:
// a medium was saved as an article whose link is the medium's URL. It
// reports whether the failure has a target.
func (f *Failure) upgrade() bool {
	switch {
	case f == nil:
		return false
	case f.Kind == KindMedia && f.Medium == nil && f.Item != nil:
		f.Medium = &Medium{URL: f.Item.Link, Title: f.Item.Title, Feed: f.Item.Feed}
		f.Item = nil
	}
	switch {
	case f.Item != nil && f.Item.Link != "":
		f.URL = f.Item.Link
	case f.Medium != nil && f.Medium.URL != "":
		f.URL = f.Medium.URL
	default:
		return false
	}
	return true
}

// MarshalJSON saves the book as its failures by key.
func (b *Book) MarshalJSON() ([]byte, error) { return json.Marshal(b.failures) }

// Len is the number of failures in the book.
func (b *Book) Len() int { return len(b.failures) }

// Get is the failure of key, nil if there is none.
func (b *Book) Get(key string) *Failure { return b.failures[key] }

// All yields every failure with its key, in no order.
func (b *Book) All(yield func(string, *Failure) bool) {
	for k, f := range b.failures {
		if !yield(k, f) {
			return
		}
	}
}

// Done forgets the failure of key: its target is archived, or gone.
func (b *Book) Done(key string) { delete(b.failures, key) }

// GivenUp reports whether the target of key failed for so long that it
// was given up: it is not tried again, unless archiver retry says so.
func (b *Book) GivenUp(key string) bool {
	f := b.failures[key]
	return f != nil && !f.GaveUp.IsZero()
}

// Fail records that the target t, of key, failed now with err, of kind,
// gives it up once it has failed for the book's giveUp, and logs it. It
// returns the failure as it stands, and whether it is the target's first:
// that one counts (a FAILED line, exit status 1); after it, the target is
// parked.
func (b *Book) Fail(key string, t Target, kind Kind, err error, now time.Time) (Failure, bool) {
	f := b.failures[key]
	first := f == nil
	if first {
		f = &Failure{First: now}
		b.failures[key] = f
	}
	f.Target, f.Due = t, false
	f.upgrade()
	f.Attempts++
	f.Last = now
	f.Kind, f.Reason, f.Permanent = kind, Reason(err), Permanent(err)
	b.logFailed(f, first, now)
	return *f, first
}

// logFailed logs a failure recorded now, and gives it up when it is time.
func (b *Book) logFailed(f *Failure, first bool, now time.Time) {
	attrs := []any{slog.String("url", f.URL), slog.String("kind", string(f.Kind)), slog.Bool("permanent", f.Permanent),
		slog.Int("attempts", f.Attempts), slog.String("error", f.Reason)}
	what := "article"
	if f.Medium != nil {
		what = "media file"
	}
	switch {
	case first && f.Medium != nil:
		b.log.Error("media file failed; the post links the original until it is kept", attrs...)
	case first:
		b.log.Error("article failed", attrs...)
	case b.giveUp > 0 && now.Sub(f.First) >= b.giveUp:
		f.GaveUp = now
		b.log.Warn(what+" given up: it has failed since "+f.First.UTC().Format(time.DateOnly)+
			"; archiver failures lists it, archiver retry URL tries it again", attrs...)
	default:
		b.log.Warn("parked "+what+" failed again", append(attrs, slog.Time("next", f.Next()))...)
	}
}

// maxFailures bounds the failures a book keeps, however many dead links
// the feeds list: past it, those given up go first, then the oldest.
const maxFailures = 10_000

// Bound drops failures past maxFailures.
func (b *Book) Bound() {
	over := len(b.failures) - maxFailures
	if over <= 0 {
		return
	}
	keys := slices.Collect(maps.Keys(b.failures))
	slices.SortFunc(keys, func(x, y string) int {
		fx, fy := b.failures[x], b.failures[y]
		if gx, gy := !fx.GaveUp.IsZero(), !fy.GaveUp.IsZero(); gx != gy {
			if gx {
				return -1
			}
			return 1
		}
		return fx.First.Compare(fy.First)
	})
	for _, k := range keys[:over] {
		f := b.failures[k]
		b.log.Warn("retry: a failed article is no longer tried again: at most "+strconv.Itoa(maxFailures)+
			" failures are kept (given up ones go first, then the oldest); it is archived if a feed lists it again",
			slog.String("url", f.URL), slog.Time("first", f.First), slog.String("error", f.Reason))
		delete(b.failures, k)
	}
}

// Failing counts the failures still tried again (not given up), by kind.
func (b *Book) Failing() map[Kind]int {
	n := map[Kind]int{}
	for _, f := range b.failures {
		if f.GaveUp.IsZero() {
			n[f.Kind]++
		}
	}
	return n
}

// List is every failure, the oldest first: what archiver failures shows.
func (b *Book) List() []Failure {
	var list []Failure
	for _, f := range b.failures {
		list = append(list, *f)
	}
	slices.SortFunc(list, func(x, y Failure) int { return x.First.Compare(y.First) })
	return list
}

// RetryNow makes the failures of urls (all, when there is none) due at
// the next pass, those given up too, and reports how many there were.
func (b *Book) RetryNow(urls []string) int {
	want := map[string]bool{}
	for _, u := range urls {
		want[feeds.Key(u)] = true
	}
	n := 0
	for _, f := range b.failures {
		if len(urls) == 0 || slices.ContainsFunc(f.keys(), func(k string) bool { return want[k] }) {
			f.Due, f.GaveUp = true, time.Time{}
			n++
		}
	}
	return n
}

// keys are the identities of a failure's target.
func (f *Failure) keys() []string {
	if f.Item != nil {
		return f.Item.Keys()
	}
	return []string{feeds.Key(f.URL)}
}
