package archiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

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
	var before state // what earlier backfills walked: skipped without opening the store, which takes a while in a large archive
	if err := store.ReadState(ctx, a.cfg.Store.Path, &before); err != nil {
		before = state{}
	}
	left := map[*arcSite]int{} // windows not asked for: the site's content API is down
	for _, w := range windows {
		for _, site := range sites {
			switch {
			case walked(&before, site, w):
				sum.Before++
			case b.failing[site] >= maxFailingWindows:
				left[site]++
			default:
				if err := b.walk(ctx, site, w); err != nil {
					return sum, err
				}
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
	d := a.deploymentOf(ctx, site.root.String()+"/")
	if d == "" {
		if res, err := feeds.Poll(ctx, a.client, site.feed.URL, feeds.Validators{}); err == nil && len(res.Items) > 0 {
			d = a.deploymentOf(ctx, res.Items[0].Link)
		}
	}
	if d != "" {
		a.log.Debug("backfill: the site's deployment", slog.String("site", site.root.Host), slog.String("deployment", d))
		return d
	}
	a.log.Warn("backfill: no page of the site says its deployment (Fusion.deployment); the content API is asked without it",
		slog.String("site", site.root.Host))
	return ""
}

// deploymentOf is the deployment number the page says, "" if it says none
// or cannot be fetched.
func (a *Archiver) deploymentOf(ctx context.Context, page string) string {
	resp, err := a.client.Get(ctx, fetch.Request{URL: page, Accept: "text/html"})
	if err != nil {
		return ""
	}
	return feeds.Deployment(resp.Body)
}

// walk archives the stories of site in window w, in one commit. A window
// with more stories than the content API pages through is walked in two
// halves.
func (b *backfill) walk(ctx context.Context, site *arcSite, w window) error {
	st, err := openStore(ctx, b.cfg, b.log)
	if err != nil {
		return err
	}
	defer st.Close()
	s := loadState(st, b.log)
	key := w.key(site)
	if walked(s, site, w) { // by another backfill since this one began
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
		index: indexPosts(st, true), byTitle: indexTitles(st), forgotten: forgottenKeys(st), media: b.newMediaFetcher(st)}
	complete := ww.pages(ctx, page, err)
	return ww.finish(ctx, key, complete)
}
