package archiver

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/feeds/fetch"
)

// Kind sorts a failure: in the summary, the saved state, the logs and the
// metrics.
type Kind string

// The kinds of failure.
const (
	KindFeed    Kind = "feed"    // a feed could not be fetched or read
	KindFetch   Kind = "fetch"   // an article's page could not be fetched
	KindGone    Kind = "gone"    // an article's page is gone (404, 410), and its feed does not carry the story
	KindExtract Kind = "extract" // no story was found on an article's page
	KindMedia   Kind = "media"   // an image or audio of a post could not be kept (the post links the original)
	KindStore   Kind = "store"   // the store could not be written
	KindPull    Kind = "pull"    // the store's remote could not be pulled
	KindPush    Kind = "push"    // the store's remote could not be pushed to
	KindBusy    Kind = "busy"    // another archiver held the store: the pass did not run
	KindOther   Kind = "other"   // anything else: an internal error
)

// Kinds are the kinds of failure, in the order the README lists them.
var Kinds = []Kind{KindFeed, KindFetch, KindGone, KindExtract, KindMedia, KindStore, KindPull, KindPush, KindBusy, KindOther}

// Outcome is how a feed answered a poll.
type Outcome string

// The outcomes of a poll.
const (
	PollNew       Outcome = "new"       // it lists articles to archive
	PollUnchanged Outcome = "unchanged" // 304, or nothing new
	PollError     Outcome = "error"     // it failed: a Failure of KindFeed says why
)

// Outcomes are the outcomes of a poll.
var Outcomes = []Outcome{PollNew, PollUnchanged, PollError}

// Failure is a feed or an article that could not be archived, or a store
// that could not be written, pulled or pushed.
type Failure struct {
	URL       string
	Kind      Kind
	Reason    string    // what went wrong, in words for the user
	Permanent bool      // it will not heal without a change on the site
	Next      time.Time // for a parked article: when it is tried again
}

// Attempted reports whether the failure happened in this pass, rather
// than being a parked one not yet due again.
func (f Failure) Attempted() bool { return f.Next.IsZero() }

// permanent reports whether an article's failure will not heal without a
// change on the site: a page gone (whose feed does not carry the story),
// too large, not HTML or too complex, a redirect loop, no story found.
// Timeouts, refused connections, 5xx, 429 and cut-off bodies may heal.
func permanent(err error) bool {
	var fe *fetch.Error
	switch {
	case errors.Is(err, article.ErrNoStory), errors.Is(err, article.ErrNotHTML), errors.Is(err, article.ErrTooComplex):
		return true
	case errors.As(err, &fe):
		return !fe.Temporary
	}
	return false
}

// kindOf sorts the error of an article that could not be made.
func kindOf(err error) Kind {
	var fe *fetch.Error
	switch {
	case errors.Is(err, fetch.ErrGone):
		return KindGone
	case errors.Is(err, article.ErrNoStory), errors.Is(err, article.ErrNotHTML), errors.Is(err, article.ErrTooComplex):
		return KindExtract
	case errors.Is(err, article.ErrNotArticle):
		return KindFetch
	case errors.As(err, &fe):
		return KindFetch
	}
	return KindOther
}

// reason is err as the user reads it beside the URL it is about: the
// Reason of the first error in its chain that has one (fetch.Error,
// feeds.Error, article.Error and store.RemoteError do), else its text.
func reason(err error) string {
	var r interface{ Reason() string }
	if errors.As(err, &r) {
		return r.Reason()
	}
	return err.Error()
}

// safely runs fn, turning a panic into an error: a page or a feed that
// trips a bug fails, and the rest of the pass goes on.
func safely(log *slog.Logger, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("internal error; please report it", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("internal error (please report it): %v", r)
		}
	}()
	return fn()
}
