package archiver

import (
	"context"
	"log/slog"
	"net/url"
	"path"
	"slices"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// The stories of an Arc site (a feed with arc_website) due together are
// looked at again through its content API, which gives 20 stories a
// request where their pages would cost 20. The stories due of a site are
// grouped in spans of consecutive days (a month at most); a span that
// holds as many stories due as days, two at least (a day's stories at
// their turn of the tail, every story after archiver revisit), is read a
// page of stories at a time, newest first, until every due story was
// met, the span ends, or the pages of those not met would cost less than
// the rest of the span; the stories of another span (a story due alone
// at one of its first checkpoints) are cheaper to look at on their
// pages. A story met is compared with its post: by its last update, and
// if it was updated since, by its content, through the writer. A story
// the read did not meet is looked at on its page, which confirms a
// removal (404, 410) or shows where it moved, and at its next turns too.
// One of a span not read to its end (the budget was spent) stays due;
// while the content API fails, they stay due, and after failPasses
// passes in a row they are looked at on their pages.

// arcPageSize is how many stories a revisit asks the content API for at
// a time.
const arcPageSize = 20

// maxSpanDays is the most days a span of the content API holds: a month.
const maxSpanDays = 31

// failPasses is how many passes in a row the content API of a site fails
// before its stories due are looked at on their pages: it may have gone
// for good (the site left Arc).
const failPasses = 3

// arcSpan is the stories due of an Arc site on a span of days.
type arcSpan struct {
	query feeds.StoryQuery // of the span's days, from offset 0
	jobs  map[string]job   // the stories due, by post name
	met   map[string]bool  // those the content API gave
	// The names of the due posts without an ANS id, by their title on
	// their day ("" for a title two of them share): stories archived
	// under a URL of the site's earlier era.
	titled map[string]string
	// The stories met by their post's title on its day, by post name,
	// compared once the span is read: two stories of one title on a day
	// are neither matched.
	byTitle map[string][]arcStory
	oldest  time.Time // the publication of the oldest story read
}

// arcStory is a story of the content API, and its page.
type arcStory struct {
	story *article.Story
	page  *url.URL
}

// spanEnd is how the read of a span ended, which tells what becomes of
// its due stories that the content API did not give.
type spanEnd int

const (
	spanCut    spanEnd = iota // the budget was spent, or the content API failed: they stay due
	spanRead                  // read, or the rest costs more than their pages: they are looked at on their pages, now and at their next turns
	spanFailed                // the content API failed for failPasses passes: they are looked at on their pages
)

// site is the span's site, as the queue's Deployments know it.
func (sp *arcSpan) site() string { return sp.query.Site.Host + " " + sp.query.Website }

// unmet is how many of the span's due stories were not met yet.
func (sp *arcSpan) unmet() int {
	n := len(sp.jobs) - len(sp.met)
	for name := range sp.byTitle {
		if !sp.met[name] {
			n--
		}
	}
	return n
}

// arcDue is a due story of an Arc site, on the day its post is named for.
type arcDue struct {
	job
	site *config.Feed
	day  time.Time
}

// arcSpans are the spans of the due stories of Arc sites worth reading
// from the content API, by post name. A story of a feed without
// arc_website, one whose page is on another host than its feed's, or one
// a read of the content API passed without meeting it has none.
func (r *revisiter) arcSpans(due []job) map[string]*arcSpan {
	bySite := map[string][]arcDue{} // by host and Arc website: feeds of one site share its spans
	for _, j := range due {
		page, err := url.Parse(j.item.Link)
		if e := r.q.Entry(j.update); err != nil || e != nil && e.ByPage {
			continue
		}
		f := r.a.arcFeed(j.item.Feed, page.Host)
		day, err := r.postDay(j.update)
		if f == nil || err != nil {
			continue
		}
		j.feed = f
		bySite[page.Host+" "+f.ArcWebsite] = append(bySite[page.Host+" "+f.ArcWebsite], arcDue{j, f, day})
	}
	spans := map[string]*arcSpan{}
	for _, ds := range bySite {
		slices.SortFunc(ds, func(a, b arcDue) int { return a.day.Compare(b.day) })
		for len(ds) > 0 {
			// A run of consecutive days.
			n := 1
			for n < len(ds) && !ds[n].day.After(ds[n-1].day.AddDate(0, 0, 1)) && ds[n].day.Before(ds[0].day.AddDate(0, 0, maxSpanDays)) {
				n++
			}
			run := ds[:n]
			ds = ds[n:]
			days := int(run[n-1].day.Sub(run[0].day).Hours()/24+0.5) + 1
			if n < max(2, days) {
				continue // their pages cost less
			}
			sp := r.newSpan(run)
			for _, d := range run {
				spans[d.update] = sp
			}
		}
	}
	return spans
}

// postDay is the day the post name is named for, in the configured time
// zone.
func (r *revisiter) postDay(name string) (time.Time, error) {
	base := path.Base(name)
	return time.ParseInLocation(time.DateOnly, base[:min(10, len(base))], r.a.Config.Location)
}

// newSpan is the span of a run of due stories of one site, on consecutive
// days.
func (r *revisiter) newSpan(run []arcDue) *arcSpan {
	f := run[0].site
	feedURL, _ := url.Parse(f.URL)
	// The content API's days are UTC days: those the posts' days span.
	last := run[len(run)-1].day
	from, to := utcDay(run[0].day), utcDay(last.AddDate(0, 0, 1).Add(-time.Nanosecond))
	root := &url.URL{Scheme: feedURL.Scheme, Host: feedURL.Host}
	sp := &arcSpan{query: feeds.StoryQuery{Site: root, Website: f.ArcWebsite, From: from, To: to, Size: arcPageSize},
		jobs: map[string]job{}, met: map[string]bool{}, titled: map[string]string{}, byTitle: map[string][]arcStory{}}
	for _, d := range run {
		sp.jobs[d.update] = d.job
		post, ok := r.st.Post(d.update)
		if key := posts.PostTitleKey(post); ok && post.SourceID == "" && key != "" {
			if _, twice := sp.titled[key]; twice {
				sp.titled[key] = ""
				continue
			}
			sp.titled[key] = d.update
		}
	}
	return sp
}

// arcFeed is the feed with arc_website of a post of a story on host: its
// feed (feedURL), or, for a post that names none (the earlier tool's), the
// first on host; nil if there is none.
func (a *Archiver) arcFeed(feedURL, host string) *config.Feed {
	for i, f := range a.Config.Feeds {
		u, err := url.Parse(f.URL)
		if f.ArcWebsite != "" && err == nil && u.Host == host && (feedURL == "" || feeds.Key(f.URL) == feeds.Key(feedURL)) {
			return &a.Config.Feeds[i]
		}
	}
	return nil
}

// utcDay is the start of t's day in UTC.
func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// readSpan reads the span's stories from the content API, spending at
// most budget requests, and looks again at each due story it meets (the
// pass's recorder records how that went). It returns the requests it
// spent, and how the read ended.
func (r *revisiter) readSpan(ctx context.Context, sp *arcSpan, budget int) (int, spanEnd) {
	spent := 0
	if end, down := r.down[sp.site()]; down {
		return 0, end // it failed once this pass already
	}
	if _, ok := r.q.Deployments[sp.site()]; !ok && budget > 1 {
		r.q.Deployments[sp.site()] = feeds.FetchDeployment(ctx, r.a.Client, sp.query.Site.String()+"/")
		spent++
	}
	q := sp.query
	q.Deployment = r.q.Deployments[sp.site()]
	defer func() {
		r.a.Log.Debug("revisit: content API read", slog.String("site", sp.site()), slog.String("days", q.From.Format(time.DateOnly)+" to "+q.To.Format(time.DateOnly)),
			slog.Int("due", len(sp.jobs)), slog.Int("met", len(sp.met)), slog.Int("requests", spent))
	}()
	for spent < budget && ctx.Err() == nil {
		page, err := feeds.Stories(ctx, r.a.Client, q)
		spent++
		if err != nil && ctx.Err() != nil {
			return spent, spanCut // the pass was stopped: no fault of the site's
		}
		if err != nil {
			return spent, r.failed(sp, q, err)
		}
		delete(r.q.Failures, sp.site())
		for _, raw := range page.Stories {
			r.meet(ctx, sp, raw)
		}
		// Done when every due story was met, at the span's end, past
		// what the content API pages through (a span of more than 10,000
		// stories), or when the rest of the span would cost more requests
		// than the pages of the stories not met.
		rest := (page.Count - page.Next + q.Size - 1) / q.Size
		if sp.unmet() == 0 || page.Next == 0 || page.Next+q.Size > feeds.MaxOffset || rest > sp.unmet() {
			r.spanRead(ctx, sp)
			return spent, spanRead
		}
		q.Offset = page.Next
	}
	// The content API gives the newest first: the stories of the days a
	// read cut short passed without meeting them are looked at on their
	// pages, and the next pass reads older days, not the same pages again.
	if !sp.oldest.IsZero() {
		r.byPage(sp, sp.oldest)
	}
	return spent, spanCut
}

// failed records that the content API failed at the query q of the span
// sp, and returns what becomes of the site's stories due this pass: they
// stay due, unless it failed failPasses passes in a row.
func (r *revisiter) failed(sp *arcSpan, q feeds.StoryQuery, err error) spanEnd {
	// The deployment is asked for again, in case a new one is why.
	delete(r.q.Deployments, sp.site())
	r.q.Failures[sp.site()]++
	f := retry.Failure{URL: q.URL(), Kind: retry.KindFeed, Reason: "revisits: " + retry.Reason(err)}
	r.rc.sum.Failed = append(r.rc.sum.Failed, f)
	end, then := spanCut, "looked at again at the next pass"
	if r.q.Failures[sp.site()] >= failPasses {
		end, then = spanFailed, "looked at on their pages"
	}
	r.down[sp.site()] = end
	r.a.Log.Error("revisit: the content API failed; its stories due are "+then,
		slog.String("url", f.URL), slog.String("error", f.Reason), slog.Int("passes", r.q.Failures[sp.site()]))
	return end
}

// spanRead compares the stories met by their title with their posts, and
// marks the span's due stories not met to be looked at on their pages.
func (r *revisiter) spanRead(ctx context.Context, sp *arcSpan) {
	for name, met := range sp.byTitle {
		if len(met) == 1 && !sp.met[name] {
			sp.met[name] = true
			r.rc.revisited(sp.jobs[name], r.compare(ctx, sp.jobs[name], met[0].story, met[0].page, true))
		}
	}
	r.byPage(sp, time.Time{})
}

// byPage marks the span's due stories not met, of the days after since
// (all, for a zero since), to be looked at on their pages until their
// next checkpoint. A day's margin allows for the time zone a post was
// named in.
func (r *revisiter) byPage(sp *arcSpan, since time.Time) {
	for name := range sp.jobs {
		day, err := r.postDay(name)
		if e := r.q.Entry(name); e != nil && !sp.met[name] && (since.IsZero() || err == nil && day.AddDate(0, 0, -1).After(since)) {
			e.ByPage = true
		}
	}
}

// meet looks again at the story of the content API raw, if it is one of
// the span's due stories, and records how that went.
func (r *revisiter) meet(ctx context.Context, sp *arcSpan, raw []byte) {
	rc := r.rc
	story, page, err := article.FromANS(raw, sp.query.Site, sp.query.Website)
	if err != nil || story.Published.IsZero() || !r.a.Client.Trusted(page) {
		return
	}
	if sp.oldest.IsZero() || story.Published.Before(sp.oldest) {
		sp.oldest = story.Published
	}
	name, moved := rc.index.Get(feeds.Key(feeds.Clean(page.String()))), false
	if name == "" && story.ID != "" {
		// A URL no post knows: a story whose URL changed.
		name, moved = rc.index.Get(posts.SourceKey(story.ID)), true
		if !r.sameDay(name, story) {
			name = "" // an id given again, to another story
		}
	}
	if name == "" { // maybe a story of the earlier era's
		if name = sp.titleOf(story, r.a.Config.Location); name != "" && !sp.met[name] {
			sp.byTitle[name] = append(sp.byTitle[name], arcStory{story, page})
		}
		return
	}
	j, ok := sp.jobs[name]
	if !ok || sp.met[name] {
		return
	}
	sp.met[name] = true
	rc.revisited(j, r.compare(ctx, j, story, page, moved))
}

// sameDay reports whether the post name is named for the day the story
// was published, in the configured time zone or in UTC.
func (r *revisiter) sameDay(name string, story *article.Story) bool {
	base := path.Base(name)
	return len(base) >= 10 && slices.Contains(posts.Days(story.Published, r.a.Config.Location), base[:10])
}

// titleOf is the due post, without an ANS id, of the story's title on
// its day (in loc, or in UTC, as an earlier tool may have named it); ""
// if there is none, or two.
func (sp *arcSpan) titleOf(story *article.Story, loc *time.Location) string {
	for _, day := range posts.Days(story.Published, loc) {
		if name := sp.titled[posts.TitleKey(story.Title, day)]; name != "" {
			return name
		}
	}
	return ""
}

// compare compares a story of the content API, at page, with its post,
// the job j's: a story not updated since its post is unchanged; else the
// writer compares its content, and writes it as a revision if a reader
// would see the change. A story that moved (its post knows another URL)
// is the writer's to compare, which adds the URL. It returns the outcome.
func (r *revisiter) compare(ctx context.Context, j job, story *article.Story, page *url.URL, moved bool) string {
	rc := r.rc
	if !moved && !r.updatedSince(j.update, story) {
		rc.done(j, "")
		return RevisitUnchanged
	}
	post, err := r.a.Maker.MakePost(story, j.item, page, r.a.FrontMatter(j.feed))
	var media []posts.MediaFile
	if err == nil {
		media, err = rc.w.FetchMedia(ctx, post)
	}
	return rc.keep(result{job: j, post: post, media: media, err: err})
}

// updatedSince reports whether story was updated after the post name
// (or the post cannot tell, or is marked removed from the site).
func (r *revisiter) updatedSince(name string, story *article.Story) bool {
	data, err := r.st.Read(name)
	if err != nil {
		return true
	}
	fm, err := jekyll.Parse(data)
	if err != nil || jekyll.Removed(fm) || fm.LastUpdate().IsZero() {
		return true
	}
	updated := story.Modified
	if updated.IsZero() {
		updated = story.Published
	}
	return updated.Truncate(time.Millisecond).After(fm.LastUpdate())
}
