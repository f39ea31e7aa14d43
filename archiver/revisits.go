package archiver

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/url"
	"path"
	"slices"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/revisit"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/fetch"
)

// Revisits: a pass looks again at archived stories whose turn has come
// (archiver/revisit keeps the queue), spending at most revisit.budget
// requests: those of an Arc site due together through its content API
// (arcrevisits.go), the others by fetching each story's page as an edit
// of its feed entry would be. The writer commits a changed story as a
// revision of its post, a page gone marks it removed_at, a page back
// removes the mark, a page that moved adds its URL; a fault is a failure,
// tried again, never a removal.

// The outcomes of a revisit, for archiver_revisits_total.
const (
	RevisitUnchanged = "unchanged"
	RevisitRevised   = "revised"
	RevisitRemoved   = "removed"
	RevisitBack      = "back"
	RevisitFailed    = "failed"
)

// RevisitOutcomes are the outcomes of a revisit.
var RevisitOutcomes = []string{RevisitUnchanged, RevisitRevised, RevisitRemoved, RevisitBack, RevisitFailed}

// firstStory is the earliest day the tail looks back to: RFA's first
// stories online.
var firstStory = time.Date(1998, 1, 1, 0, 0, 0, 0, time.UTC)

// schedule is the configuration's revisit schedule; ok is false when
// revisits are off.
func schedule(cfg *config.Config) (revisit.Schedule, bool) {
	after := cfg.Revisit.Intervals()
	return revisit.Schedule{After: after, Budget: cfg.Revisit.Budget}, len(after) > 0
}

// revisiter is a pass's revisits (or archiver revisit's): the queue of
// the store st, on the schedule s, at now.
type revisiter struct {
	a   *Archiver
	st  wire.Store
	q   *revisit.Queue
	s   revisit.Schedule
	now time.Time
	rc  *recorder // the pass's, which records the revisits of the content API
	// How the content API's read ended at its failure this pass, by site.
	down map[string]spanEnd
}

// loadQueue reads the revisit queue of st, and queues the stories whose
// turn of the tail has come since the last pass. A queue that cannot be
// read (a fresh clone, a lost .git/archiver) is made again from the posts
// named for the days of the schedule's last interval.
func (a *Archiver) loadQueue(ctx context.Context, st wire.Store, s revisit.Schedule, now time.Time) *revisiter {
	r := &revisiter{a: a, st: st, s: s, now: now}
	if err := st.LoadState(revisit.Section, &r.q); err != nil || r.q == nil || r.q.Posts == nil {
		r.q = revisit.NewQueue(now)
		var days []string
		for d := now.Add(-s.Last()); !d.After(now); d = d.AddDate(0, 0, 1) {
			days = append(days, d.In(a.Config.Location).Format(time.DateOnly))
		}
		r.queueDays(ctx, days, time.Time{})
	}
	r.queueDays(ctx, s.TailDays(r.q.Swept, now, firstStory, a.Config.Location), now)
	r.q.Swept = now
	r.sweepAll(ctx)
	return r
}

// sweepAll queues, when archiver revisit asked for every story, the posts
// of the next days not swept yet, oldest first, as due, until the queue
// holds as many stories due as a pass's budget looks at.
func (r *revisiter) sweepAll(ctx context.Context) {
	capacity := max(r.s.Budget, 1) * r.perRequest()
	want := capacity - len(r.q.Take(r.now, capacity))
	if r.q.All == "" || want <= 0 {
		return
	}
	counts, err := r.st.PostDays(ctx)
	if err != nil {
		r.a.Log.Warn("revisit: cannot list the posts to look at again", slog.String("error", err.Error()))
		return
	}
	days := slices.Sorted(maps.Keys(counts))
	i, _ := slices.BinarySearch(days, r.q.All)
	j := i
	for ; j < len(days) && want > 0; j++ {
		want -= counts[days[j]]
	}
	r.queueDays(ctx, days[i:j], r.q.AllAt)
	r.q.All = ""
	if j < len(days) {
		r.q.All = days[j] // the next pass goes on from there
	}
}

// perRequest is how many stories a request of a revisit looks at: 20
// when every feed's site is an Arc site, whose content API gives 20 at a
// time; else one, a page.
func (r *revisiter) perRequest() int {
	for _, f := range r.a.Config.Feeds {
		if f.ArcWebsite == "" {
			return 1
		}
	}
	return arcPageSize
}

// Revisit makes the stories of urls (every story, when there are none)
// due to be looked at again at the next pass. It returns how many of urls
// have a post; every story is queued a pass's budget at a time, oldest
// first.
func (a *Archiver) Revisit(ctx context.Context, urls []string) (int, error) {
	s, ok := schedule(a.Config)
	if !ok {
		return 0, errors.New("revisit: revisits are off in the configuration (revisit: off)")
	}
	st, err := a.Open(ctx)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	r := a.loadQueue(ctx, st, s, a.Now())
	index := posts.NewIndex(st)
	n := 0
	for _, u := range urls {
		if name := index.Get(feeds.Key(u)); name != "" {
			p, _ := st.Post(name)
			r.q.MakeDue(name, p.From, time.Time{}, r.now, s)
			n++
		}
	}
	if len(urls) == 0 {
		r.q.All, r.q.AllAt = firstStory.Format(time.DateOnly), r.now
	}
	return n, st.SaveState(map[string]any{revisit.Section: r.q})
}

// queueDays queues the posts of days: due at due, or, when due is zero,
// for their next checkpoint after now.
func (r *revisiter) queueDays(ctx context.Context, days []string, due time.Time) {
	names, err := r.st.PostsOfDays(ctx, days)
	if err != nil {
		r.a.Log.Warn("revisit: cannot list the posts to look at again", slog.String("error", err.Error()))
		return
	}
	for _, name := range names {
		p, ok := r.st.Post(name)
		if !ok || p.From == "" {
			continue
		}
		if !due.IsZero() {
			r.q.MakeDue(name, p.From, time.Time{}, due, r.s)
			continue
		}
		// Published on the day its file is named for: what a queue made
		// again knows without reading every post.
		if published, err := time.ParseInLocation(time.DateOnly, path.Base(name)[:10], r.a.Config.Location); err == nil {
			r.q.Add(name, p.From, published, r.now, r.s)
		}
	}
}

// jobs looks again at the stories due, the most overdue first, spending
// at most the budget's requests: those of Arc sites through their content
// API (arcrevisits.go), recorded by rc at once; it returns the jobs of
// the others' pages, and of those the content API did not give. A post
// the plan p fetches already is left to it; one taken down is forgotten.
func (r *revisiter) jobs(ctx context.Context, p *plan, rc *recorder) []job {
	r.rc, r.down = rc, map[string]spanEnd{}
	if r.q.Deployments == nil {
		r.q.Deployments = map[string]string{}
	}
	if r.q.Failures == nil {
		r.q.Failures = map[string]int{}
	}
	planned := map[string]bool{}
	for _, j := range p.jobs {
		planned[j.update] = true
	}
	var due []job
	for _, d := range r.q.Take(r.now, len(r.q.Posts)) {
		post, ok := r.st.Post(d.Name)
		if !ok || rc.forgotten[feeds.Key(post.From)] || feeds.Key(post.From) == "" {
			r.q.Forget(d.Name)
			continue
		}
		if planned[d.Name] {
			continue
		}
		item := feeds.Item{Link: post.From, Title: post.Title, Feed: post.Feed}
		due = append(due, job{item: item, keys: []string{feeds.Key(post.From)}, feed: r.a.feedOf(post.Feed), update: d.Name, revisit: true,
			validators: feeds.Validators{ETag: d.ETag, LastModified: d.LastModified}})
	}
	spans := r.arcSpans(due)
	ends := map[*arcSpan]spanEnd{}
	budget := r.s.Budget
	var jobs []job
	for _, j := range due {
		sp := spans[j.update]
		if _, read := ends[sp]; sp != nil && !read && budget > 0 {
			n, end := r.readSpan(ctx, sp, budget)
			ends[sp], budget = end, budget-n
		}
		switch {
		case budget <= 0:
			return jobs
		case sp == nil || ends[sp] != spanCut && !sp.met[j.update]:
			jobs = append(jobs, j)
			budget--
		}
	}
	return jobs
}

// feedOf is the configuration's feed of URL u, else the first.
func (a *Archiver) feedOf(u string) *config.Feed {
	for i, f := range a.Config.Feeds {
		if feeds.Key(f.URL) == feeds.Key(u) {
			return &a.Config.Feeds[i]
		}
	}
	return &a.Config.Feeds[0]
}

// gone reports whether err, of a revisit, says the story is no longer on
// its site: its page answers 404 or 410, or leads to a list of stories.
// A fault that may heal (a timeout, a 5xx) never does.
func gone(err error) bool {
	return errors.Is(err, fetch.ErrGone) || errors.Is(err, article.ErrNotArticle)
}

// hostOf is the host of a URL, for a metric's label.
func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil && p.Hostname() != "" {
		return p.Hostname()
	}
	return "unknown"
}
