package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/archiver/revisit"
	"github.com/rfa-archive/archiver/feeds"
)

// A backfill walks each window of days with a windowWalk: it pages
// through the content API's stories of the window, has the writer make a
// post of each story not archived yet (or mark the archived post with the
// story's URL), and commit the window's posts in one commit.

// windowWalk is a window being walked.
type windowWalk struct {
	*Backfill
	site      *arcSite
	window    window
	st        Store
	w         *posts.Writer
	book      *retry.Book
	walked    map[string]time.Time // the backfill's section of the state
	forgotten map[string]bool
	failed    bool // the content API failed: the window is walked again
	start     time.Time
}

// walk archives the stories of site in window w, in one commit. A window
// with more stories than the content API pages through is walked in two
// halves.
func (b *Backfill) walk(ctx context.Context, site *arcSite, w window) error {
	st, err := b.Open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ww := &windowWalk{Backfill: b, site: site, window: w, st: st}
	if err := st.LoadState(section, &ww.walked); err != nil || ww.walked == nil {
		ww.walked = map[string]time.Time{}
	}
	if walked(ww.walked, site, w) { // by another backfill since this one began
		b.sum.Before++
		return nil
	}
	if err := ww.begin(); err != nil {
		return err
	}
	read := ww.pages(ctx)
	if err := ww.finish(ctx, read == readAll); err != nil || read != readTooDeep {
		return err
	}
	// More stories than the content API pages through: walked again in
	// halves, which hold fewer (what was read is known by then).
	st.Close()
	first, second := w.split()
	if err := b.walk(ctx, site, first); err != nil {
		return err
	}
	return b.walk(ctx, site, second)
}

// How much of a window pages read.
const (
	readAll     = iota
	readPart    // the content API failed, or the backfill was stopped
	readTooDeep // the window has more stories than the content API pages through
)

// begin makes the window's writer, with what it needs of the store.
func (ww *windowWalk) begin() error {
	var err error
	if ww.forgotten, err = posts.TakenDown(ww.st); err != nil {
		return err
	}
	if ww.book, err = retry.Load(ww.st, ww.Config.Retry.GiveUp.Duration, ww.Log); err != nil {
		ww.Log.Warn("backfill: starting without the failures of earlier runs", slog.String("error", err.Error()))
	}
	note := ""
	if len(ww.Config.Feeds) > 1 {
		note = ww.site.website
	}
	ww.w = ww.Writer(ww.st, ww.book, posts.NewIndex(ww.st),
		posts.Options{Now: ww.sum.Start, Label: "Backfill " + ww.window.name(), Note: note})
	return nil
}

// pages reads the window's pages of stories, and says how much of them
// it read. The count of stories a content API claims is not believed:
// only a page past what it pages through splits the window.
func (ww *windowWalk) pages(ctx context.Context) int {
	ww.start = time.Now()
	ww.progress.Window, ww.progress.Read, ww.progress.Count = ww.window.name(), 0, 0
	for offset := 0; ; {
		page, err := feeds.Stories(ctx, ww.Client, ww.site.query(ww.window, offset))
		if err != nil {
			if ctx.Err() == nil {
				ww.apiFailed(ww.site.query(ww.window, offset).URL(), err)
			}
			return readPart
		}
		ww.progress.Count = page.Count
		for _, raw := range page.Stories {
			if ctx.Err() != nil {
				return readPart
			}
			if err := ww.story(ctx, raw); err != nil {
				if ctx.Err() == nil {
					ww.apiFailed(ww.st.Dir(), err)
				}
				return readPart
			}
		}
		switch {
		case page.Next == 0:
			return readAll
		case page.Next+pageSize > maxOffset && ww.window.days() > 1:
			return readTooDeep
		case page.Next+pageSize > maxOffset:
			ww.apiFailed(ww.site.query(ww.window, page.Next).URL(),
				fmt.Errorf("the window holds %d stories, more than the content API pages through (%d) in a day", page.Count, maxOffset))
			return readPart
		}
		offset = page.Next
	}
}

// apiFailed records a failure that stops the window: it is walked again by
// the next backfill.
func (ww *windowWalk) apiFailed(where string, err error) {
	ww.failed = true
	ww.failing[ww.site]++
	f := retry.Failure{URL: where, Kind: retry.KindFeed, Reason: retry.Reason(err)}
	ww.sum.Failed = append(ww.sum.Failed, f)
	ww.Log.Error("backfill window failed", slog.String("window", ww.window.name()), slog.String("url", where), slog.String("error", f.Reason))
}

// story archives one story of the content API, unless it is archived: by
// its URL, its ANS id, or its title on its day (a story of the old site,
// archived under its old URL). A post found another way than by URL is
// known by this URL too from now on.
func (ww *windowWalk) story(ctx context.Context, raw json.RawMessage) error {
	defer func() {
		ww.progress.Read++
		ww.progress.StoriesRead++
		if ww.opts.Progress != nil {
			ww.opts.Progress(ww.progress)
		}
	}()
	story, page, err := article.FromANS(raw, ww.site.root, ww.site.website)
	if err != nil {
		ww.sum.Skipped++
		ww.Log.Debug("backfill: content skipped", slog.String("window", ww.window.name()), slog.String("reason", err.Error()))
		return nil
	}
	if !ww.Client.Trusted(page) {
		ww.sum.Skipped++
		ww.Log.Warn("backfill: a story's URL is not on the feed's host (add the host to allowed_hosts to archive it)",
			slog.String("url", page.String()), slog.String("id", story.ID))
		return nil
	}
	from := feeds.Clean(page.String())
	key := feeds.Key(from)
	index := ww.w.Index()
	switch {
	case ww.forgotten[key]:
		ww.sum.Skipped++ // taken down
		return nil
	case index.Get(key) != "":
		ww.sum.Known++
		return nil
	}
	if name := index.Get(posts.SourceKey(story.ID)); story.ID != "" && name != "" {
		if ww.sameStory(name, story) {
			return ww.link(name, from, story.ID)
		}
		ww.Log.Warn("backfill: the content API gives an archived story's id to a story of another day or title; it is archived as a story of its own",
			slog.String("id", story.ID), slog.String("url", from), slog.String("archived", name))
	}
	for _, k := range ww.titleKeys(story) {
		if name := ww.unclaimed(k); name != "" {
			return ww.link(name, from, story.ID)
		}
	}
	return ww.archive(ctx, story, page, from)
}

// titleKeys are a story's title on its day, in the configured time zone
// and in UTC (an earlier tool may have named its files in either).
func (ww *windowWalk) titleKeys(story *article.Story) []string {
	var keys []string
	if story.Published.IsZero() {
		return nil
	}
	for _, day := range posts.Days(story.Published, ww.Config.Location) {
		if t := posts.TitleKey(story.Title, day); t != "" {
			keys = append(keys, t)
		}
	}
	return keys
}

// sameStory reports whether the post name is the story: its title on its
// day agree (a story's id alone is not to be trusted: a content API may
// give one to several).
func (ww *windowWalk) sameStory(name string, story *article.Story) bool {
	post, ok := ww.st.Post(name)
	return ok && slices.Contains(ww.titleKeys(story), posts.PostTitleKey(post))
}

// unclaimed is the first post of a title on a day (key) that is not
// known as another story: one with no ANS id yet. Two stories of one
// title on one day (a daily column) are two stories, each matched to a
// post of its own.
func (ww *windowWalk) unclaimed(key string) string {
	for _, name := range ww.w.Index().Titled(key) {
		if post, ok := ww.st.Post(name); ok && post.SourceID == "" {
			return name
		}
	}
	return ""
}

// archive has the writer write the post of a story at page (from,
// cleaned). A story that makes no post (one without a body, say) is a
// failed article, tried again from its page by the next passes, as any
// other; a store that cannot be written stops the window.
func (ww *windowWalk) archive(ctx context.Context, story *article.Story, page *url.URL, from string) error {
	it := feeds.Item{Link: from, Title: story.Title, Published: story.Published, Updated: story.Modified, Feed: ww.site.feed.URL}
	s := posts.Story{Item: it, Keys: []string{feeds.Key(from)}, Feed: ww.site.feed.Name}
	if story.Published.IsZero() {
		ww.w.Fail(s, retry.KindExtract, article.ErrNoDate) // never today's date
		return nil
	}
	post, err := ww.Maker.MakePost(story, it, page, ww.FrontMatter(ww.site.feed))
	if err != nil {
		ww.w.Fail(s, retry.KindOf(err), err)
		return nil
	}
	files, err := ww.w.FetchMedia(ctx, post)
	if err != nil {
		return err
	}
	if _, err := ww.w.Write(s, post, files); errors.Is(err, posts.ErrStore) {
		return err
	}
	return nil
}

// link makes the post name, the story of the content API at from, known
// by from too.
func (ww *windowWalk) link(name, from, id string) error {
	ww.sum.Known++
	if _, err := ww.w.Link(name, from, id); err != nil {
		// A person's change to the post, say: it is known all the same.
		ww.Log.Warn("backfill: an archived story is not marked with its new URL", slog.String("file", name),
			slog.String("url", from), slog.String("error", err.Error()))
	}
	return nil
}

// finish commits the window's posts and saves the state, the window
// remembered as walked if it was read whole.
func (ww *windowWalk) finish(ctx context.Context, complete bool) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	made, err := ww.w.Commit(cctx)
	done := ww.w.Done
	ww.sum.New += len(done.New)
	ww.sum.Linked += done.Linked
	ww.sum.Failed = append(ww.sum.Failed, done.Failed...)
	if err != nil {
		return err
	}
	if made {
		ww.sum.Commits++
	}
	if complete && !ww.failed && ctx.Err() == nil {
		ww.failing[ww.site] = 0
		ww.walked[ww.window.key(ww.site)] = ww.Now()
		ww.sum.Windows++
	}
	ww.book.Bound()
	sections := map[string]any{retry.Section: ww.book, section: ww.walked}
	if q := ww.queued(done.New); q != nil {
		sections[revisit.Section] = q
	}
	if err := ww.st.SaveState(sections); err != nil {
		ww.sum.Failed = append(ww.sum.Failed, retry.Failure{URL: ww.st.Dir(), Kind: retry.KindStore, Reason: err.Error()})
		return err
	}
	ww.Log.Info("backfill window", slog.String("window", ww.window.name()), slog.String("site", ww.site.root.Host+" "+ww.site.website),
		slog.Int("stories", ww.progress.Count), slog.Int("new", len(done.New)), slog.Int("linked", done.Linked),
		slog.Bool("complete", complete && !ww.failed), slog.String("duration", time.Since(ww.start).Round(time.Millisecond).String()))
	return ctx.Err()
}

// queued is the revisit queue of the store with the window's new posts
// that are within their first checkpoints queued for the next, as a
// pass's are; nil when there is none to queue, revisits are off, or the
// store has no queue (the next pass makes it from the posts, these among
// them).
func (ww *windowWalk) queued(made []posts.Archived) *revisit.Queue {
	s := revisit.Schedule{After: ww.Config.Revisit.Intervals(), Budget: ww.Config.Revisit.Budget}
	var q *revisit.Queue
	if len(s.After) == 0 || len(made) == 0 || ww.st.LoadState(revisit.Section, &q) != nil || q == nil || q.Posts == nil {
		return nil
	}
	n := len(q.Posts)
	for _, p := range made {
		q.Add(p.Name, p.URL, p.Date, ww.Now(), s)
	}
	if len(q.Posts) == n {
		return nil
	}
	return q
}
