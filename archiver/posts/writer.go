// Package posts writes the archive's posts. Every post, whichever
// producer made it (a pass over the feeds, a backfill from a content
// API), goes through a Writer: it names the post, keeps its media,
// renders and checks it, writes it to the store, indexes it, records its
// failure, and commits the batch with a message that says what it holds.
package posts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// Store is what a Writer needs of the store: store.Store, or
// storetest.Memory in tests.
type Store interface {
	Posts
	Dir() string
	Read(name string) ([]byte, error)
	Write(name string, data []byte) error
	MediaTemp() (*os.File, error)
	WriteMedia(url, name, temp string) error
	Media() map[string]string // the media files by the URL each came from
	HasMedia(name string) bool
	MediaPath(name string) string // where the media file name is, relative to the store
	Flat() bool                   // every post is at the top of _posts
	Label(subject string)
	Commit(ctx context.Context, message string) (bool, error)
	CommitPaths(ctx context.Context, paths []string, message string) (bool, error)
	Revisions(ctx context.Context, name string) (int, error) // the versions of a post committed
}

// Options configure a Writer.
type Options struct {
	Location *time.Location // of the dates in file names
	Now      time.Time      // when the batch began: the time of its failures
	Log      *slog.Logger
	// Label is the subject of the batch's commit ("Backfill 2019-06"),
	// and of the commit that recovers its posts should the run be killed
	// first; "" for a pass's ("Archive 2 new posts"). Note follows the
	// label's numbers, in parentheses.
	Label, Note string
	// Media says which media posts keep; Client downloads them.
	Media  MediaOptions
	Client *fetch.Client
	// Layout is where new posts go; "" for LayoutOf's default.
	Layout Layout
}

// Writer writes the posts of one batch (a pass, a window of a backfill)
// and commits them as one commit. It is not safe for concurrent use, but
// for FetchMedia and FetchMedium.
type Writer struct {
	st     Store
	book   *retry.Book
	index  *Index
	media  *mediaFetcher
	layout Layout
	opts   Options
	Done   Done       // what the batch did
	edits  []revision // the posts updated, each committed on its own
}

// revision is a post written anew: its story was edited, removed from
// the site, or is back there.
type revision struct {
	Archived
	subject string   // what happened: "Edited on the site"
	paths   []string // its file and the media files it shows, in the store
}

// Done is what a Writer did.
type Done struct {
	New     []Archived
	Updated []Archived
	Removed []Archived      // posts marked removed from the site
	Back    []Archived      // posts of stories back on the site, unmarked
	Linked  int             // posts known by a new URL
	Failed  []retry.Failure // what failed for the first time: it counts
	Parked  []retry.Failure // what failed before, and again
}

// Archived is a post written.
type Archived struct {
	Title string
	URL   string
	Feed  string    // the name of the feed it is of
	Name  string    // its file, in _posts
	Date  time.Time // of its story's publication
}

// New returns the Writer of a batch on st, which records failures in book
// and keeps index up to date.
func New(st Store, book *retry.Book, index *Index, opts Options) *Writer {
	if opts.Label != "" {
		st.Label(opts.Label) // should the run be killed, the next one commits the batch's posts as that
	}
	return &Writer{st: st, book: book, index: index, media: newMediaFetcher(opts.Client, st, opts.Media), layout: LayoutOf(opts.Layout, st), opts: opts}
}

// ErrStore means a post could not be written to the store.
var ErrStore = errors.New("posts: the store could not be written")

// storeError is an ErrStore, with the store's error.
type storeError struct{ err error }

func (e *storeError) Error() string        { return e.err.Error() }
func (e *storeError) Unwrap() error        { return e.err }
func (e *storeError) Is(target error) bool { return target == ErrStore }

// Story is what a post is of: the article a producer made it from.
type Story struct {
	Item   feeds.Item // its feed entry (for a backfill, one made of the story): tried again should it fail
	Keys   []string   // its identities; Keys[0] is the key of its failure
	Feed   string     // the name of its feed
	Update string     // the post it is a new version of; "" for a new post
}

// Write writes p, the post of s, showing the media files it has copies of
// (FetchMedia): a new post, or a new version of s.Update. It reports
// whether the file changed; an edit of a feed entry need not be an edit
// of its story. A post that does not render is a failure of s, recorded;
// one the store does not take is an ErrStore, for the producer to record
// (a pass, as a failure of s; a backfill, as one of its window); a new
// version that has lost most of the post's text is a *DriftError, and
// the post stays as it is.
func (w *Writer) Write(s Story, p *jekyll.Post, files []MediaFile) (bool, error) {
	name, old, subject := s.Update, (*jekyll.FrontMatter)(nil), "Edited on the site"
	if name == "" {
		name = w.name(p, s.Feed)
	} else if data, _ := w.st.Read(name); data != nil {
		if old, _ = jekyll.Parse(data); old != nil {
			if why := drift(old, p); why != "" {
				return false, &DriftError{why}
			}
			carry(p, old)
			if jekyll.Removed(old) {
				subject = "Back on the site" // and without removed_at
			}
		}
	}
	local := w.keep(name, p.Title, s.Item.Feed, files)
	if len(local) > 0 {
		p.Body = jekyll.LocalMedia(p.Body, local, p.Audio)
	}
	data, err := p.Render()
	if err != nil {
		w.Fail(s, retry.KindOther, err)
		return false, err
	}
	if old != nil && readerSame(old, data) {
		w.book.Done(s.Keys[0])
		return false, nil
	}
	if err := w.st.Write(name, data); err != nil {
		return false, &storeError{err}
	}
	w.index.add(name, s.Keys, p.SourceID, p.Title)
	w.book.Done(s.Keys[0])
	a := Archived{Title: p.Title, URL: p.URL, Feed: s.Feed, Name: name, Date: p.Date}
	w.written(a, name, s.Update != "")
	if subject == "Back on the site" {
		w.Done.Back = append(w.Done.Back, a)
	}
	if s.Update != "" {
		r := revision{Archived: a, subject: subject, paths: []string{store.PostsDir + "/" + name}}
		for _, path := range local {
			r.paths = append(r.paths, strings.TrimPrefix(path, "/"))
		}
		w.edits = append(w.edits, r)
	}
	return true, nil
}

// written records a post written, new or updated.
func (w *Writer) written(a Archived, name string, updated bool) {
	if updated {
		w.Done.Updated = append(w.Done.Updated, a)
		w.opts.Log.Info("updated", slog.String("title", a.Title), slog.String("url", a.URL), slog.String("file", name))
		return
	}
	w.Done.New = append(w.Done.New, a)
	w.opts.Log.Info("archived", slog.String("title", a.Title), slog.String("url", a.URL), slog.String("file", name))
}

// carry carries into the new version of a post what its archived version
// fm has that the page does not say: the date in its file name, whatever
// the feed says now, and every URL it is known by.
func carry(p *jekyll.Post, fm *jekyll.FrontMatter) {
	if !fm.Date.IsZero() {
		p.Date = fm.Date
	}
	for _, u := range append([]string{fm.From}, fm.Also...) {
		if u != "" && feeds.Key(u) != feeds.Key(p.URL) && !slices.Contains(p.Also, u) {
			p.Also = append(p.Also, u)
		}
	}
}

// Fail records that the article of s failed with err, of kind, to try it
// again. Its first failure counts (a FAILED line, exit status 1); after
// that it is parked.
func (w *Writer) Fail(s Story, kind retry.Kind, err error) {
	w.failed(w.book.Fail(s.Keys[0], retry.Article(s.Item, s.Update), kind, err, w.opts.Now))
}

// failed adds a failure to what the batch did.
func (w *Writer) failed(f retry.Failure, first bool) {
	if first {
		w.Done.Failed = append(w.Done.Failed, f)
	} else {
		w.Done.Parked = append(w.Done.Parked, f)
	}
}

// MarkRemoved marks the post name, of the story at url, as removed from
// the site at at (front matter removed_at): the post stays as it was
// archived, in a commit of its own. A post marked already keeps the
// first time its story was seen gone. It reports whether the post
// changed.
func (w *Writer) MarkRemoved(name, url string, at time.Time) (bool, error) {
	data, err := w.st.Read(name)
	if err != nil {
		return false, err
	}
	edited, changed, err := jekyll.MarkRemoved(data, at)
	if err != nil || !changed {
		return false, err
	}
	if err := w.st.Write(name, edited); err != nil {
		return false, &storeError{err}
	}
	p, _ := w.st.Post(name)
	a := Archived{Title: p.Title, URL: url}
	w.Done.Removed = append(w.Done.Removed, a)
	w.edits = append(w.edits, revision{Archived: a, subject: "Removed from the site", paths: []string{store.PostsDir + "/" + name}})
	w.opts.Log.Info("removed from the site: the archive keeps the story, marked removed_at", slog.String("url", url), slog.String("file", name))
	return true, nil
}

// Link makes the post name known by url too, and by sourceID if it has
// none: a story archived under another URL, found again. Nothing else of
// the post changes. It reports whether the post did.
func (w *Writer) Link(name, url, sourceID string) (bool, error) {
	data, err := w.st.Read(name)
	if err != nil {
		return false, err
	}
	edited, changed, err := jekyll.AddURL(data, url, sourceID)
	if err != nil {
		return false, fmt.Errorf("posts: %s: %w", name, err)
	}
	if changed {
		if err := w.st.Write(name, edited); err != nil {
			return false, err
		}
		w.Done.Linked++
	}
	if p, _ := w.st.Post(name); p.SourceID != sourceID {
		sourceID = "" // the post keeps the source id it has
	}
	w.index.add(name, []string{feeds.Key(url)}, sourceID, "")
	return changed, nil
}

// Commit commits the batch's posts, with a message that says what they
// are. A commit that fails is a failure of the store, recorded: the posts
// wait in the store's journal for the next run to commit.
//
// Each post updated (its story was edited) is a commit of its own, its
// message naming the story, with the trailers Story (its URL) and
// Revision (the number of the version: 2 for the first edit), so that
// git log --follow of the post and git interpret-trailers read them.
func (w *Writer) Commit(ctx context.Context) (bool, error) {
	w.media.discard()
	var made bool
	for _, r := range w.edits {
		n, err := w.st.Revisions(ctx, strings.TrimPrefix(r.paths[0], store.PostsDir+"/"))
		if err == nil {
			var one bool
			one, err = w.st.CommitPaths(ctx, r.paths, revisionMessage(r, n+1))
			made = made || one
		}
		if err != nil {
			return made, w.commitFailed(err)
		}
	}
	w.edits = nil
	batch, err := w.st.Commit(ctx, w.message())
	if err != nil {
		return made, w.commitFailed(err)
	}
	return made || batch, nil
}

// commitFailed records err, a commit's: a failure of the store. The posts
// wait in the store's journal for the next run to commit.
func (w *Writer) commitFailed(err error) error {
	w.Done.Failed = append(w.Done.Failed, retry.Failure{URL: w.st.Dir(), Kind: retry.KindStore, Reason: err.Error()})
	return err
}

// Index is the index the writer keeps up to date.
func (w *Writer) Index() *Index { return w.index }

// name is the path in _posts of a new post of the feed named feed, by
// the layout: its own file name, unless another article has it.
func (w *Writer) name(p *jekyll.Post, feed string) string {
	name := w.layout.Path(FileName(p, w.opts.Location), feed)
	if other, ok := w.st.Post(name); ok && feeds.Key(other.From) != feeds.Key(p.URL) {
		return w.layout.Path(AltFileName(p, w.opts.Location), feed)
	}
	return name
}
