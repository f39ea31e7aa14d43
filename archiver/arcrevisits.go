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
// holds two stories due a day or more (a day's stories at their turn of
// the tail, every story after archiver revisit) is read a page of stories
// at a time, newest first, until every due story was met or the span
// ends; the stories of another span (a story due alone at one of its
// first checkpoints) are cheaper to look at on their pages. A story met
// is compared with its post: by its last update, and if it was updated
// since, by its content, through the writer. A story the span no longer
// holds is looked at on its page, which confirms a removal (404, 410) or
// shows where it moved. One of a span not read to its end (the budget was
// spent, the content API failed) stays due.

// arcPageSize is how many stories a revisit asks the content API for at
// a time.
const arcPageSize = 20

// maxSpanDays is the most days a span of the content API holds: a month.
const maxSpanDays = 31

// arcSpan is the stories due of an Arc site on a span of days.
type arcSpan struct {
	query feeds.StoryQuery // of the span's days, from offset 0
	jobs  map[string]job   // the stories due, by post name
	met   map[string]bool  // those the content API gave
	// The names of the due posts without an ANS id, by their title on
	// their day: stories archived under a URL of the site's earlier era.
	titled map[string]string
}

// site is the span's site, as the queue's Deployments know it.
func (sp *arcSpan) site() string { return sp.query.Site.Host + " " + sp.query.Website }

// arcDue is a due story of an Arc site, on the day its post is named for.
type arcDue struct {
	job
	site *config.Feed
	day  time.Time
}

// arcSpans are the spans of the due stories of Arc sites worth reading
// from the content API, by post name. A story of a feed without
// arc_website, or whose page is on another host than its feed's, has
// none.
func (r *revisiter) arcSpans(due []job) map[string]*arcSpan {
	bySite := map[*config.Feed][]arcDue{}
	for _, j := range due {
		page, err := url.Parse(j.item.Link)
		if err != nil {
			continue
		}
		f := r.a.arcFeed(j.item.Feed, page.Host)
		day, err := time.ParseInLocation(time.DateOnly, path.Base(j.update)[:min(10, len(path.Base(j.update)))], r.a.Config.Location)
		if f == nil || err != nil {
			continue
		}
		j.feed = f
		bySite[f] = append(bySite[f], arcDue{j, f, day})
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
			if n < 2*days {
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
		jobs: map[string]job{}, met: map[string]bool{}, titled: map[string]string{}}
	for _, d := range run {
		sp.jobs[d.update] = d.job
		if post, ok := r.st.Post(d.update); ok && post.SourceID == "" && posts.PostTitleKey(post) != "" {
			sp.titled[posts.PostTitleKey(post)] = d.update
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
// spent, and whether it read the span to its end, so that a story not met
// is no longer in it.
func (r *revisiter) readSpan(ctx context.Context, sp *arcSpan, budget int) (int, bool) {
	spent := 0
	if r.q.Deployments == nil {
		r.q.Deployments = map[string]string{}
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
		if err != nil {
			// The stories stay due, for the next pass; the deployment is
			// asked for again, in case a new one is why.
			delete(r.q.Deployments, sp.site())
			f := retry.Failure{URL: q.URL(), Kind: retry.KindFeed, Reason: "revisits: " + retry.Reason(err)}
			r.rc.sum.Failed = append(r.rc.sum.Failed, f)
			r.a.Log.Error("revisit: the content API failed; its stories due are looked at again at the next pass",
				slog.String("url", f.URL), slog.String("error", f.Reason))
			return spent, false
		}
		for _, raw := range page.Stories {
			r.meet(ctx, sp, raw)
		}
		// Past what the content API pages through (a span of more than
		// 10,000 stories), the pages of those not met tell.
		if page.Next == 0 || len(sp.met) == len(sp.jobs) || page.Next+q.Size > feeds.MaxOffset {
			return spent, true
		}
		q.Offset = page.Next
	}
	return spent, false
}

// meet looks again at the story of the content API raw, if it is one of
// the span's due stories, and records how that went.
func (r *revisiter) meet(ctx context.Context, sp *arcSpan, raw []byte) {
	rc := r.rc
	story, page, err := article.FromANS(raw, sp.query.Site, sp.query.Website)
	if err != nil || story.Published.IsZero() || !r.a.Client.Trusted(page) {
		return
	}
	name := rc.index.Get(feeds.Key(feeds.Clean(page.String())))
	moved := false
	if name == "" { // a URL no post knows: maybe a story of the earlier era's
		name, moved = sp.byTitle(story, r.a.Config.Location), true
	}
	j, ok := sp.jobs[name]
	if !ok || sp.met[name] {
		return
	}
	sp.met[name] = true
	rc.revisited(j, r.compare(ctx, j, story, page, moved))
}

// byTitle is the due post, without an ANS id, of the story's title on its
// day (in loc, or in UTC, as an earlier tool may have named it); "" if
// there is none.
func (sp *arcSpan) byTitle(story *article.Story, loc *time.Location) string {
	for _, t := range []time.Time{story.Published.In(loc), story.Published.UTC()} {
		if name := sp.titled[posts.TitleKey(story.Title, t.Format(time.DateOnly))]; name != "" {
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
