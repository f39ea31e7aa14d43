package archiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store"
)

// A feed only lists the last days' stories; archiver backfill reads the
// rest from the content API of the feed's Arc site (feeds[].arc_website).
// It walks the days asked in windows of a month or less, oldest first, and
// commits each window's posts in a commit of its own, so that git log
// reads in order. It holds the store's lock for one window at a time:
// a daemon's passes go on between. A window walked is remembered in the
// state, and skipped by the next backfill, which so continues where a
// stopped one stopped.

// BackfillOptions says what a backfill walks.
type BackfillOptions struct {
	Since, Until time.Time      // the first and last day (their date counts)
	Progress     func(Progress) // told as stories are read, if not nil
}

// Progress is how far a backfill is.
type Progress struct {
	Window      string // the window being walked: 2019-06
	Windows     int    // windows in all, for every site
	WindowsDone int    // walked, or walked before
	Read, Count int    // stories of the window read, and how many it holds
	StoriesRead int    // stories read in all
	Start       time.Time
}

// BackfillSummary is what a backfill did.
type BackfillSummary struct {
	Start    time.Time
	Duration time.Duration
	Windows  int // walked
	Before   int // skipped: an earlier backfill walked them
	New      int // posts made
	Known    int // stories already archived
	Linked   int // of those, posts that gained the story's URL
	Skipped  int // content that is no story, or a story taken down
	Failed   []Failure
	Commits  int
}

// Report writes what a backfill did: a line of numbers, then every
// failure.
func (s *BackfillSummary) Report(w io.Writer) {
	fmt.Fprintf(w, "backfill: %d new, %d already archived (%d gained a URL), %d skipped, %d failed; %d windows walked, %d walked before, %d commits in %s\n",
		s.New, s.Known, s.Linked, s.Skipped, len(s.Failed), s.Windows, s.Before, s.Commits, s.Duration.Round(time.Millisecond))
	for _, f := range s.Failed {
		next := "tried again at the next run"
		if f.Kind == KindFeed {
			next = "walked again by the next backfill"
		}
		fmt.Fprintf(w, "FAILED %s: %s [%s; %s]\n", f.URL, strings.TrimSpace(f.Reason), f.Kind, f.whenAgain(next))
	}
}

// LogAttrs are the numbers of a backfill, for its summary line in a log.
func (s *BackfillSummary) LogAttrs() []any {
	return []any{slog.Int("new", s.New), slog.Int("known", s.Known), slog.Int("linked", s.Linked), slog.Int("skipped", s.Skipped),
		slog.Int("failed", len(s.Failed)), slog.Int("windows", s.Windows), slog.Int("walked_before", s.Before),
		slog.Int("commits", s.Commits), slog.String("duration", s.Duration.Round(time.Millisecond).String())}
}

// BackfillDays reads the days of archiver backfill's --since and --until
// (YYYY-MM-DD; until "" for the day of now).
func BackfillDays(since, until string, now time.Time) (BackfillOptions, error) {
	opts := BackfillOptions{Until: now}
	var err error
	if opts.Since, err = time.Parse(time.DateOnly, since); err != nil {
		return opts, fmt.Errorf("--since %q: give the first day to archive as YYYY-MM-DD", since)
	}
	if until != "" {
		if opts.Until, err = time.Parse(time.DateOnly, until); err != nil || opts.Until.Before(opts.Since) {
			return opts, fmt.Errorf("--until %q: give the last day to archive as YYYY-MM-DD, not before --since", until)
		}
	} else if today := now.Format(time.DateOnly); since > today {
		return opts, fmt.Errorf("--since %s is after today (%s): give a day that has come", since, today)
	}
	return opts, nil
}

// ErrNoArcSite means no feed names an Arc site to backfill from.
var ErrNoArcSite = errors.New("no feed has arc_website: set feeds[].arc_website to the Arc site id of the feed's site (rfa-mandarin for RFA's Mandarin service)")

// maxOffset is how deep the content API pages (a variable for tests).
var maxOffset = feeds.MaxOffset

// pageSize is how many stories a backfill asks the content API for at a
// time: what archivers of RFA's site have used.
const pageSize = 20

// Backfill archives the stories the feeds' Arc sites hold for the days of
// opts. Its error is the store's, or ctx's when it was stopped; what
// failed beside that is in the summary.
func (a *Archiver) Backfill(ctx context.Context, opts BackfillOptions) (*BackfillSummary, error) {
	sum := &BackfillSummary{Start: a.now()}
	defer func() { sum.Duration = time.Since(sum.Start) }()
	sites := a.arcSites(ctx)
	if len(sites) == 0 {
		return sum, ErrNoArcSite
	}
	windows := months(opts.Since, opts.Until)
	b := &backfill{Archiver: a, sum: sum, opts: opts, failing: map[*arcSite]int{},
		progress: Progress{Windows: len(windows) * len(sites), Start: sum.Start}}
	left := map[*arcSite]int{} // windows not asked for: the site's content API is down
	for _, w := range windows {
		for _, site := range sites {
			if b.failing[site] >= maxFailingWindows {
				left[site]++
			} else if err := b.walk(ctx, site, w); err != nil {
				return sum, err
			}
			b.progress.WindowsDone++
		}
	}
	for _, site := range sites {
		if n := left[site]; n > 0 {
			reason := fmt.Sprintf("the content API failed for %d windows in a row, so %d later %s not asked for: run archiver backfill again when it answers",
				maxFailingWindows, n, plural(n, "window was", "windows were"))
			sum.Failed = append(sum.Failed, Failure{URL: site.root.String() + feeds.ArcAPIPath, Kind: KindFeed, Reason: reason})
			a.log.Error("backfill stopped asking a content API", slog.String("site", site.root.Host+" "+site.website), slog.String("error", reason))
		}
	}
	return sum, nil
}

// maxFailingWindows is how many windows in a row a site's content API may
// fail before a backfill stops asking it: it is down, or refuses us.
const maxFailingWindows = 3

// backfill is a backfill under way.
type backfill struct {
	*Archiver
	sum      *BackfillSummary
	opts     BackfillOptions
	progress Progress
	failing  map[*arcSite]int // windows failed in a row, by site
}

// arcSite is an Arc site to backfill from, and the feed its posts are of.
type arcSite struct {
	feed       *config.Feed
	root       *url.URL // scheme and host
	website    string
	deployment string
}

// query asks for a page of the site's stories in w.
func (s *arcSite) query(w window, offset int) feeds.StoryQuery {
	return feeds.StoryQuery{Site: s.root, Website: s.website, Deployment: s.deployment, From: w.from, To: w.to, Offset: offset, Size: pageSize}
}

// arcSites are the Arc sites of the feeds, each once.
func (a *Archiver) arcSites(ctx context.Context) []*arcSite {
	var sites []*arcSite
	seen := map[string]bool{}
	for i := range a.cfg.Feeds {
		f := &a.cfg.Feeds[i]
		u, err := url.Parse(f.URL)
		if f.ArcWebsite == "" || err != nil || seen[u.Host+" "+f.ArcWebsite] {
			continue
		}
		seen[u.Host+" "+f.ArcWebsite] = true
		site := &arcSite{feed: f, root: &url.URL{Scheme: u.Scheme, Host: u.Host}, website: f.ArcWebsite}
		site.deployment = a.deployment(ctx, site)
		sites = append(sites, site)
	}
	return sites
}

// deployment is the deployment number the site's pages carry, which the
// content API is asked with: from its front page, or else from the page of
// the feed's newest story. "" if neither says.
func (a *Archiver) deployment(ctx context.Context, site *arcSite) string {
	newest := func() string { // the page of the feed's newest story, asked for only if need be
		if res, err := feeds.Poll(ctx, a.client, site.feed.URL, feeds.Validators{}); err == nil && len(res.Items) > 0 {
			return res.Items[0].Link
		}
		return ""
	}
	for _, page := range []func() string{func() string { return site.root.String() + "/" }, newest} {
		if u := page(); u != "" {
			if resp, err := a.client.Get(ctx, fetch.Request{URL: u, Accept: "text/html"}); err == nil {
				if d := feeds.Deployment(resp.Body); d != "" {
					a.log.Debug("backfill: the site's deployment", slog.String("site", site.root.Host), slog.String("deployment", d))
					return d
				}
			}
		}
	}
	a.log.Warn("backfill: no page of the site says its deployment (Fusion.deployment); the content API is asked without it",
		slog.String("site", site.root.Host))
	return ""
}

// walk archives the stories of site in window w, in one commit. A window
// with more stories than the content API pages through is walked in two
// halves.
func (b *backfill) walk(ctx context.Context, site *arcSite, w window) error {
	st, err := b.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	s := loadState(st, b.log)
	key := w.key(site)
	if walked(s, site, w) {
		b.sum.Before++
		return nil
	}
	b.progress.Window, b.progress.Read, b.progress.Count = w.name(), 0, 0
	page, err := feeds.Stories(ctx, b.client, site.query(w, 0))
	if err == nil && page.Count > maxOffset && w.days() > 1 {
		st.Close()
		first, second := w.split()
		if err := b.walk(ctx, site, first); err != nil {
			return err
		}
		return b.walk(ctx, site, second)
	}
	st.Label("Backfill " + w.name()) // should this run be killed, the next one commits the window's posts as that
	ww := &windowWalk{backfill: b, site: site, window: w, st: st, state: s,
		index: indexPosts(st, true), byTitle: indexTitles(st), forgotten: forgottenKeys(st), media: b.newMediaFetcher(st.Media())}
	complete := ww.pages(ctx, page, err)
	return ww.finish(ctx, key, complete)
}

// openStore opens the store for a window.
func (b *backfill) openStore(ctx context.Context) (*store.Store, error) {
	opts := b.cfg.StoreOptions()
	opts.Logger = b.log
	return store.Open(ctx, opts)
}

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
	from := page.String()
	if u, err := feeds.CleanURL(nil, from); err == nil {
		from = u.String()
	}
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
		local := keepMedia(ww.st, ww.state, name, post, ww.site.feed.URL, files, ww.sum.Start, ww.mediaFailed)
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
	kind := kindOf(err)
	fl, first := ww.state.fail(feeds.Key(it.Link), it, "", kind, err, ww.sum.Start)
	attrs := []any{slog.String("url", it.Link), slog.String("kind", string(kind)), slog.String("error", fl.Error)}
	if first {
		ww.sum.Failed = append(ww.sum.Failed, Failure{URL: it.Link, Kind: kind, Reason: fl.Error, Permanent: fl.Permanent})
		ww.log.Error("article failed", attrs...)
	} else {
		ww.log.Warn("parked article failed again", attrs...)
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
