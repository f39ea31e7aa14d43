package archiver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

// A backfill walks each window of days with a windowWalk: it pages
// through the content API's stories of the window, makes a post of each
// story not archived yet (or marks the archived post with the story's URL),
// and commits the window's posts in one commit.

// windowWalk is a window being walked.
type windowWalk struct {
	*backfill
	site      *arcSite
	window    window
	st        *store.Store
	state     *state
	index     postIndex
	forgotten map[string]bool
	media     *mediaFetcher
	byTitle   titleIndex
	titles    []string // of the posts made
	linked    int
	failed    bool // the content API failed: the window is walked again
	start     time.Time
}

// pages reads the window's pages of stories, the first already asked for
// (page, or err), and reports whether it read them all.
func (ww *windowWalk) pages(ctx context.Context, page *feeds.StoryPage, err error) bool {
	ww.start = time.Now()
	offset := 0
	for {
		if err != nil {
			if ctx.Err() == nil {
				ww.apiFailed(ww.site.query(ww.window, offset).URL(), err)
			}
			return false
		}
		ww.progress.Count = page.Count
		for _, raw := range page.Stories {
			if ctx.Err() != nil {
				return false
			}
			if err := ww.story(ctx, raw); err != nil {
				if ctx.Err() == nil {
					ww.apiFailed(ww.st.Dir(), err)
				}
				return false
			}
		}
		switch {
		case page.Next == 0:
			return true
		case page.Next+pageSize > maxOffset:
			ww.apiFailed(ww.site.query(ww.window, page.Next).URL(),
				fmt.Errorf("the window holds %d stories, more than the content API pages through (%d) in a day", page.Count, maxOffset))
			return false
		}
		offset = page.Next
		page, err = feeds.Stories(ctx, ww.client, ww.site.query(ww.window, offset))
	}
}

// apiFailed records a failure that stops the window: it is walked again by
// the next backfill.
func (ww *windowWalk) apiFailed(where string, err error) {
	ww.failed = true
	ww.failing[ww.site]++
	f := Failure{URL: where, Kind: KindFeed, Reason: reason(err)}
	ww.sum.Failed = append(ww.sum.Failed, f)
	ww.log.Error("backfill window failed", slog.String("window", ww.window.name()), slog.String("url", where), slog.String("error", f.Reason))
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
		ww.log.Debug("backfill: content skipped", slog.String("window", ww.window.name()), slog.String("reason", err.Error()))
		return nil
	}
	from := feeds.Clean(page.String())
	key := feeds.Key(from)
	if ww.forgotten[key] {
		ww.sum.Skipped++ // taken down
		return nil
	}
	if ww.index[key] != "" {
		ww.sum.Known++
		return nil
	}
	if name := ww.index[sourceKey(story.ID)]; story.ID != "" && name != "" {
		return ww.link(name, from, story.ID)
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
	for _, day := range []string{story.Published.In(ww.cfg.Location).Format(time.DateOnly), story.Published.UTC().Format(time.DateOnly)} {
		if t := titleKey(story.Title, day); t != "" && !slices.Contains(keys, t) {
			keys = append(keys, t)
		}
	}
	return keys
}

// unclaimed is the first post of a title on a day (key) that is not
// known as another story: one with no ANS id yet. Two stories of one
// title on one day (a daily column) are two stories, each matched to a
// post of its own.
func (ww *windowWalk) unclaimed(key string) string {
	for _, name := range ww.byTitle[key] {
		if post, ok := ww.st.Post(name); ok && post.SourceID == "" {
			return name
		}
	}
	return ""
}

// archive writes the post of a story at page (from, cleaned).
func (ww *windowWalk) archive(ctx context.Context, story *article.Story, page *url.URL, from string) error {
	it := feeds.Item{Link: from, Title: story.Title, Published: story.Published, Updated: story.Modified, Feed: ww.site.feed.URL}
	post, err := ww.maker.MakePost(story, it, page, ww.cfg.FrontMatterOf(ww.site.feed))
	if err != nil {
		ww.storyFailed(it, err)
		return nil
	}
	name := fileName(ww.st, post, ww.cfg.Location)
	if urls := ww.mediaOf(post); len(urls) > 0 {
		files := ww.media.fetch(ctx, urls)
		if cutShort(ctx, files) {
			return ctx.Err()
		}
		local := ww.media.keep(ww.st, ww.state, name, post, ww.site.feed.URL, files, ww.sum.Start, ww.mediaFailed)
		post.Body = article.LocalMedia(post.Body, local, post.Audio)
	}
	data, err := renderChecked(post)
	if err != nil {
		ww.storyFailed(it, err)
		return nil
	}
	if err := ww.st.Write(name, data); err != nil {
		return err
	}
	key := feeds.Key(from)
	ww.index[key] = name
	if story.ID != "" {
		ww.index[sourceKey(story.ID)] = name
	}
	if t := titleKey(post.Title, postDay(name)); t != "" {
		ww.byTitle[t] = append(ww.byTitle[t], name)
	}
	delete(ww.state.Failures, key)
	ww.titles = append(ww.titles, post.Title)
	ww.sum.New++
	return nil
}

// link makes the post name, the story of the content API at from, known
// by from too.
func (ww *windowWalk) link(name, from, id string) error {
	ww.sum.Known++
	changed, err := ww.st.AddURL(name, from, id)
	if err != nil {
		// A person's change to the post, say: it is known all the same.
		ww.log.Warn("backfill: an archived story is not marked with its new URL", slog.String("file", name),
			slog.String("url", from), slog.String("error", err.Error()))
		return nil
	}
	ww.index[feeds.Key(from)] = name
	if changed {
		ww.sum.Linked++
		ww.linked++
	}
	return nil
}

// storyFailed records a story the content API gave that makes no post
// (one without a body, say): a failed article, tried again from its page
// by the next passes, as any other.
func (ww *windowWalk) storyFailed(it feeds.Item, err error) {
	f, first := failArticle(ww.state, ww.log, feeds.Key(it.Link), it, "", kindOf(err), err, ww.sum.Start, ww.cfg.Retry.GiveUp.Duration)
	if first {
		ww.sum.Failed = append(ww.sum.Failed, f)
	}
}

// mediaFailed reports a medium of a post that failed.
func (ww *windowWalk) mediaFailed(f Failure, first bool) {
	if first {
		ww.sum.Failed = append(ww.sum.Failed, f)
	}
	logMediaFailure(ww.log, f, first)
}

// finish commits the window's posts and saves the state, the window
// remembered as walked if it was read whole.
func (ww *windowWalk) finish(ctx context.Context, key string, complete bool) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	made, err := ww.st.Commit(cctx, ww.commitMessage())
	if err != nil {
		ww.sum.Failed = append(ww.sum.Failed, Failure{URL: ww.st.Dir(), Kind: KindStore, Reason: err.Error()})
		return err
	}
	if made {
		ww.sum.Commits++
	}
	if complete && !ww.failed && ctx.Err() == nil {
		ww.failing[ww.site] = 0
		ww.state.Backfilled[key] = ww.now()
		ww.sum.Windows++
	}
	ww.state.bound(ww.log)
	if err := ww.st.SaveState(ww.state); err != nil {
		ww.sum.Failed = append(ww.sum.Failed, Failure{URL: ww.st.Dir(), Kind: KindStore, Reason: err.Error()})
		return err
	}
	ww.log.Info("backfill window", slog.String("window", ww.window.name()), slog.String("site", ww.site.root.Host+" "+ww.site.website),
		slog.Int("stories", ww.progress.Count), slog.Int("new", len(ww.titles)), slog.Int("linked", ww.linked),
		slog.Bool("complete", complete && !ww.failed), slog.String("duration", time.Since(ww.start).Round(time.Millisecond).String()))
	return ctx.Err()
}

// commitMessage says what a window archived: "Backfill 2019-06: 412
// posts", then a line per post.
func (ww *windowWalk) commitMessage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Backfill %s: %d %s", ww.window.name(), len(ww.titles), plural(len(ww.titles), "post", "posts"))
	if ww.linked > 0 {
		fmt.Fprintf(&b, ", %d known by a new URL", ww.linked)
	}
	if len(ww.cfg.Feeds) > 1 {
		fmt.Fprintf(&b, " (%s)", ww.site.website)
	}
	b.WriteString("\n\n")
	for _, t := range ww.titles {
		b.WriteString("+ " + commitTitle(t) + "\n")
	}
	return b.String()
}

// window is a span of days, both included.
type window struct{ from, to time.Time }

// months are the windows of the calendar months from since to until (in
// UTC), the first and the last cut to them.
func months(since, until time.Time) []window {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	since, until = day(since), day(until)
	var ws []window
	for from := since; !from.After(until); {
		next := time.Date(from.Year(), from.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		to := next.AddDate(0, 0, -1)
		if to.After(until) {
			to = until
		}
		ws = append(ws, window{from, to})
		from = next
	}
	return ws
}

// name is how a window is shown: 2019-06 for a whole month.
func (w window) name() string {
	if w.from.Day() == 1 && w.to.AddDate(0, 0, 1).Day() == 1 && w.from.Month() == w.to.Month() {
		return w.from.Format("2006-01")
	}
	if w.from.Equal(w.to) {
		return w.from.Format(time.DateOnly)
	}
	return w.from.Format(time.DateOnly) + " to " + w.to.Format(time.DateOnly)
}

// days is how many days the window spans.
func (w window) days() int { return int(w.to.Sub(w.from).Hours()/24) + 1 }

// split cuts the window in two halves.
func (w window) split() (window, window) {
	mid := w.from.AddDate(0, 0, w.days()/2-1)
	return window{w.from, mid}, window{mid.AddDate(0, 0, 1), w.to}
}

// walked reports whether window w of site was walked whole before: itself,
// or the halves it was split into.
func walked(s *state, site *arcSite, w window) bool {
	if at, ok := s.Backfilled[w.key(site)]; ok && w.complete(at) {
		return true
	}
	if w.days() < 2 {
		return false
	}
	first, second := w.split()
	return walked(s, site, first) && walked(s, site, second)
}

// key is the window of a site in state.Backfilled.
func (w window) key(site *arcSite) string {
	return site.root.Host + " " + site.website + " " + w.from.Format(time.DateOnly) + ".." + w.to.Format(time.DateOnly)
}

// complete reports whether a window walked at was walked whole: after its
// last day was over everywhere, and stories of its days had time to be
// published.
func (w window) complete(at time.Time) bool { return at.After(w.to.AddDate(0, 0, 2)) }
