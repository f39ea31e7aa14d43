// Package retry keeps what could not be archived and decides when it is
// tried again. A Failure is the one record of any failure: a feed, the
// store or its remote, or a target tried again: an article (its feed
// entry) or a medium (an image, an audio file) a post shows. The Book
// holds the targets' failures between runs (the "failures" section of the
// store's state): it knows when each is due (Delay), when it is given up,
// how many are kept, and lists them for archiver failures and archiver
// retry.
//
// A pass tries again what is due (archiver/plan.go plans it): an article
// is fetched and written again like a new one; a medium is downloaded
// again and its post rewritten to show it (posts.Writer.Medium).
package retry

import (
	"errors"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/feeds"
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

// Failure is what could not be archived, and why. A target's failure
// (Target set) is kept in the Book and tried again; the history fields
// are its.
type Failure struct {
	URL       string `json:"url,omitempty"` // what failed: a feed, an article's link, a medium, the store, the remote
	Kind      Kind   `json:"kind"`
	Reason    string `json:"error"`               // what went wrong, in words for the user
	Permanent bool   `json:"permanent,omitempty"` // it will not heal without a change on the site

	Target
	Attempts int       `json:"attempts,omitempty"`
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
	Due      bool      `json:"due,omitempty"`    // archiver retry made it due at the next pass
	GaveUp   time.Time `json:"gave_up,omitzero"` // when it was given up
}

// Target is what a failure tries again: an article, or a medium of a
// post. Exactly one of Item and Medium is set.
type Target struct {
	Item   *feeds.Item `json:"item,omitempty"`   // an article: its feed entry, kept so that it is tried again once the feed no longer lists it
	Medium *Medium     `json:"medium,omitempty"` // an image or audio file a post shows
	Post   string      `json:"update,omitempty"` // the post: of the article, when an edit failed; of the medium, the post showing it
}

// Medium is an image or audio file of a post that could not be kept: the
// post links the original until it is.
type Medium struct {
	URL   string `json:"url"`             // as the post has it
	Title string `json:"title,omitempty"` // of the post
	Feed  string `json:"feed,omitempty"`  // the URL of the feed of the post
}

// Article is the target of an article: the feed entry it, and post, the
// post an edit of it was to rewrite ("" for a new article).
func Article(it feeds.Item, post string) Target { return Target{Item: &it, Post: post} }

// MediumOf is the target of a medium of the post name.
func MediumOf(m Medium, post string) Target { return Target{Medium: &m, Post: post} }

// MediumKey is the key of a medium of a post in the Book.
func MediumKey(post, url string) string { return "media " + post + " " + url }

// Next is when the failure is tried again: at once when archiver retry
// made it due, else after Delay; zero once it is given up.
func (f *Failure) Next() time.Time {
	switch {
	case !f.GaveUp.IsZero():
		return time.Time{}
	case f.Due:
		return f.Last
	}
	return f.Last.Add(Delay(f.Attempts, f.Permanent))
}

// WhenAgain says when the failure is tried again, in words: next, unless
// it will not heal by itself.
func (f *Failure) WhenAgain(next string) string {
	if f.Permanent {
		return "will not heal without a change on the site; tried again less and less often (archiver failures)"
	}
	return next
}

// Delay is how long after its last attempt a failed target is tried
// again. A failure that may heal is tried at every pass for the first
// three attempts, then after 10 minutes, 20, 40 and so on; one that will
// not heal without a change on the site after an hour, 4, 16 and so on.
// Either is tried at least weekly.
func Delay(attempts int, permanent bool) time.Duration {
	const week = 7 * 24 * time.Hour
	if permanent {
		return min(time.Hour<<min(2*(attempts-1), 20), week)
	}
	if attempts <= 3 {
		return 0
	}
	return min(10*time.Minute<<min(attempts-4, 20), week)
}

// Permanent reports whether an article's failure will not heal without a
// change on the site: a page gone (whose feed does not carry the story),
// too large, not HTML or too complex, a redirect loop, no story found.
// Timeouts, refused connections, 5xx, 429 and cut-off bodies may heal.
func Permanent(err error) bool {
	var fe *fetch.Error
	switch {
	case errors.Is(err, article.ErrNoStory), errors.Is(err, article.ErrNotHTML), errors.Is(err, article.ErrTooComplex), errors.Is(err, article.ErrNoDate):
		return true
	case errors.As(err, &fe):
		return !fe.Temporary
	}
	return false
}

// KindOf sorts the error of an article that could not be made.
func KindOf(err error) Kind {
	var fe *fetch.Error
	switch {
	case errors.Is(err, fetch.ErrGone):
		return KindGone
	case errors.Is(err, article.ErrNoStory), errors.Is(err, article.ErrNotHTML), errors.Is(err, article.ErrTooComplex), errors.Is(err, article.ErrNoDate):
		return KindExtract
	case errors.Is(err, article.ErrNotArticle):
		return KindFetch
	case errors.As(err, &fe):
		return KindFetch
	}
	return KindOther
}

// Reason is err as the user reads it beside the URL it is about: the
// Reason of the first error in its chain that has one (fetch.Error,
// feeds.Error, article.Error and store.RemoteError do), else its text.
func Reason(err error) string {
	var r interface{ Reason() string }
	if errors.As(err, &r) {
		return r.Reason()
	}
	return err.Error()
}
