// Package backfill archives what a feed no longer lists: the stories of
// the content API of the feed's Arc site (feeds[].arc_website), for the
// days asked. It walks them in windows of a month or less, oldest first,
// and commits each window's posts in a commit of its own, so that git log
// reads in order; every post goes through the same writer as a pass's
// (archiver/posts). It holds the store's lock for one window at a time:
// a daemon's passes go on between. A window walked is remembered in the
// store's state and skipped by the next backfill, which so continues
// where a stopped one stopped.
package backfill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

// Options say what a backfill walks.
type Options struct {
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

// Line is p, elapsed into the backfill, on a line of a terminal: the
// window, a bar of the stories of it read, the rate, the time left.
func (p Progress) Line(elapsed time.Duration) string {
	const width = 20
	filled := width
	if p.Count > 0 {
		filled = min(width, width*p.Read/p.Count)
	}
	line := fmt.Sprintf("%s [%s%s] %d/%d", p.Window, strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.Read, p.Count)
	rate := float64(p.StoriesRead) / elapsed.Seconds()
	if p.StoriesRead == 0 || elapsed < time.Second {
		return line
	}
	line += fmt.Sprintf("  %.1f stories/s", rate)
	if p.WindowsDone > 0 && p.Windows > p.WindowsDone {
		// The windows left, at the pace of those done.
		left := time.Duration(float64(elapsed) / float64(p.WindowsDone) * float64(p.Windows-p.WindowsDone))
		line += fmt.Sprintf("  window %d of %d, about %s left", p.WindowsDone+1, p.Windows, left.Round(time.Second))
	}
	return line
}

// Summary is what a backfill did.
type Summary struct {
	Start    time.Time
	Duration time.Duration
	Windows  int // walked
	Before   int // skipped: an earlier backfill walked them
	New      int // posts made
	Known    int // stories already archived
	Linked   int // of those, posts that gained the story's URL
	Skipped  int // content that is no story, or a story taken down
	Failed   []retry.Failure
	Commits  int
}

// LogAttrs are the numbers of a backfill, for its summary line in a log.
func (s *Summary) LogAttrs() []any {
	return []any{slog.Int("new", s.New), slog.Int("known", s.Known), slog.Int("linked", s.Linked), slog.Int("skipped", s.Skipped),
		slog.Int("failed", len(s.Failed)), slog.Int("windows", s.Windows), slog.Int("walked_before", s.Before),
		slog.Int("commits", s.Commits), slog.String("duration", s.Duration.Round(time.Millisecond).String())}
}

// ErrNoArcSite means no feed names an Arc site to backfill from.
var ErrNoArcSite = errors.New("no feed has arc_website: set feeds[].arc_website to the Arc site id of the feed's site (rfa-mandarin for RFA's Mandarin service)")

// Store is what a backfill needs of the store.
type Store interface {
	posts.Store
	TakenDown() ([]string, error)
	LoadState(section string, v any) error
	SaveState(sections map[string]any) error
	Close() error
}

// section is the backfill's section of the store's state: the windows
// walked, by window.key, and when.
const section = "backfilled"

// maxOffset is how deep the content API pages (a variable for tests).
var maxOffset = feeds.MaxOffset

// pageSize is how many stories a backfill asks the content API for at a
// time: what archivers of RFA's site have used.
const pageSize = 20

// maxFailingWindows is how many windows in a row a site's content API may
// fail before a backfill stops asking it: it is down, or refuses us.
const maxFailingWindows = 3

// Backfill is a backfill under way.
type Backfill struct {
	*wire.Tools
	sum      *Summary
	opts     Options
	progress Progress
	failing  map[*arcSite]int // windows failed in a row, by site
}

// Run archives the stories the feeds' Arc sites hold for the days of
// opts. Its error is the store's, or ctx's when it was stopped; what
// failed beside that is in the summary.
func Run(ctx context.Context, tools *wire.Tools, opts Options) (*Summary, error) {
	sum := &Summary{Start: tools.Now()}
	defer func() { sum.Duration = time.Since(sum.Start) }()
	b := &Backfill{Tools: tools, sum: sum, opts: opts, failing: map[*arcSite]int{}}
	sites := b.arcSites(ctx)
	if len(sites) == 0 {
		return sum, ErrNoArcSite
	}
	windows := months(opts.Since, opts.Until)
	b.progress = Progress{Windows: len(windows) * len(sites), Start: sum.Start}
	// What earlier backfills walked is skipped without opening the store,
	// which takes a while in a large archive.
	var before map[string]time.Time
	if st, err := store.ReadState(ctx, tools.Config.Store.Path); err == nil {
		st.LoadState(section, &before)
	}
	left := map[*arcSite]int{} // windows not asked for: the site's content API is down
	for _, w := range windows {
		for _, site := range sites {
			switch {
			case walked(before, site, w):
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
	b.gaveUp(sites, left)
	return sum, nil
}

// gaveUp reports the windows of sites not asked for, left, because their
// content API failed too often.
func (b *Backfill) gaveUp(sites []*arcSite, left map[*arcSite]int) {
	for _, site := range sites {
		if n := left[site]; n > 0 {
			reason := fmt.Sprintf("the content API failed for %d windows in a row, so %d later %s not asked for: run archiver backfill again when it answers",
				maxFailingWindows, n, posts.Plural(n, "window was", "windows were"))
			b.sum.Failed = append(b.sum.Failed, retry.Failure{URL: site.root.String() + feeds.ArcAPIPath, Kind: retry.KindFeed, Reason: reason})
			b.Log.Error("backfill stopped asking a content API", slog.String("site", site.root.Host+" "+site.website), slog.String("error", reason))
		}
	}
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
func (b *Backfill) arcSites(ctx context.Context) []*arcSite {
	var sites []*arcSite
	seen := map[string]bool{}
	for i := range b.Config.Feeds {
		f := &b.Config.Feeds[i]
		u, err := url.Parse(f.URL)
		if f.ArcWebsite == "" || err != nil || seen[u.Host+" "+f.ArcWebsite] {
			continue
		}
		seen[u.Host+" "+f.ArcWebsite] = true
		site := &arcSite{feed: f, root: &url.URL{Scheme: u.Scheme, Host: u.Host}, website: f.ArcWebsite}
		site.deployment = b.deployment(ctx, site)
		sites = append(sites, site)
	}
	return sites
}

// deployment is the deployment number the site's pages carry, which the
// content API is asked with: from its front page, or else from the page of
// the feed's newest story. "" if neither says.
func (b *Backfill) deployment(ctx context.Context, site *arcSite) string {
	d := feeds.FetchDeployment(ctx, b.Client, site.root.String()+"/")
	if d == "" {
		if res, err := feeds.Poll(ctx, b.Client, site.feed.URL, feeds.Validators{}); err == nil && len(res.Items) > 0 {
			d = feeds.FetchDeployment(ctx, b.Client, res.Items[0].Link)
		}
	}
	if d != "" {
		b.Log.Debug("backfill: the site's deployment", slog.String("site", site.root.Host), slog.String("deployment", d))
		return d
	}
	b.Log.Warn("backfill: no page of the site says its deployment (Fusion.deployment); the content API is asked without it",
		slog.String("site", site.root.Host))
	return ""
}
