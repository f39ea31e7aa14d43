package archiver

import (
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/feeds"
)

// job is one article to archive, or a medium of a post to keep.
type job struct {
	item   feeds.Item
	keys   []string     // item.Keys(); a medium's: its failure's key
	feed   *config.Feed // the feed that listed it
	update string       // the post's file name when the article is archived: its entry changed
	guid   string       // the post with the item's guid, when only the guid matched: the fetch tells
	retry  *retry.Failure
	// revisit says the job looks again at an archived story whose turn
	// has come (revisits.go), not at a feed's entry.
	revisit    bool
	validators feeds.Validators // a revisit's page's, when it was last fetched: its GET is conditional
}

// due reports whether the job is to be done now: a new article is, a
// failed one once its retry delay has passed.
func (j job) due(now time.Time) bool { return j.retry == nil || !j.retry.Next().After(now) }

// medium reports whether the job is a medium of a post, not an article.
func (j job) medium() bool { return j.retry != nil && j.retry.Medium != nil }

// story is the job as the writer knows it.
func (j job) story() posts.Story {
	return posts.Story{Item: j.item, Keys: j.keys, Feed: j.feed.Name, Update: j.update}
}

// plan is what a pass is to do, decided from the feeds' answers, the saved
// state and the posts in the store before anything is fetched.
type plan struct {
	jobs        []job // due now, newest first
	waiting     []job // failed earlier and not due yet
	polls       []Poll
	notModified int             // feeds that answered 304
	failed      []retry.Failure // feeds that failed
	skipped     []skip          // entries not fetched
	validators  map[string]feeds.Validators
	seen        map[string]seen // entries to remember as seen now (an edited one is seen once its edit is archived)
	resolved    []string        // keys of failures done with: archived meanwhile, or their post is gone
	known       map[string]bool // the keys of every article the pass knows: listed by a feed, or failed before
}

// skip is a feed entry that is not fetched, and why.
type skip struct {
	feed, url, reason string
}

// A planner makes the plan of a pass. Planning reads its inputs and
// changes nothing: what it decides is all in the plan.
type planner struct {
	cfg       *config.Config
	state     *state
	book      *retry.Book
	index     *posts.Index
	forgotten map[string]bool     // keys of articles not to archive again (see Forget)
	trusted   func(*url.URL) bool // whether a link may be fetched
	holds     func(string) bool   // whether the store has the post of that name
	now       time.Time

	p       *plan
	handled map[string]bool // keys of the entries looked at
	queued  map[string]bool // keys of the articles in jobs
}

// plan decides what to do about every entry of every feed that answered,
// and about every earlier failure.
func (pl *planner) plan(results []polled) *plan {
	pl.handled, pl.queued = map[string]bool{}, map[string]bool{}
	pl.p = &plan{validators: map[string]feeds.Validators{}, seen: map[string]seen{}}
	for _, r := range results {
		pl.feed(r)
	}
	pl.retries()
	pl.p.known = maps.Clone(pl.handled)
	for _, fl := range pl.book.All {
		if fl.Item == nil {
			continue
		}
		for _, k := range fl.Item.Keys() {
			pl.p.known[k] = true
		}
	}
	newestFirst := func(a, b job) int { return b.item.Published.Compare(a.item.Published) }
	slices.SortStableFunc(pl.p.jobs, newestFirst)
	slices.SortStableFunc(pl.p.waiting, newestFirst)
	return pl.p
}

// feed plans the entries of one feed's answer.
func (pl *planner) feed(r polled) {
	f, p := r.feed, pl.p
	if r.err != nil {
		p.polls = append(p.polls, Poll{f.Name, PollError})
		p.failed = append(p.failed, retry.Failure{URL: f.URL, Kind: retry.KindFeed, Reason: retry.Reason(r.err)})
		return
	}
	p.validators[f.URL] = r.res.Validators
	if r.res.NotModified {
		p.notModified++
		p.polls = append(p.polls, Poll{f.Name, PollUnchanged})
		return
	}
	for _, w := range r.res.Warnings {
		p.skipped = append(p.skipped, skip{f.Name, f.URL, w})
	}
	outcome := PollUnchanged
	for _, it := range r.res.Items {
		if j, ok := pl.entry(f, it); ok {
			pl.queue(j)
			if j.due(pl.now) {
				outcome = PollNew
			}
		}
	}
	p.polls = append(p.polls, Poll{f.Name, outcome})
}

// entry decides about one entry of feed f: a job when its article is not
// archived, or is and the entry changed since it was last seen.
func (pl *planner) entry(f *config.Feed, it feeds.Item) (job, bool) {
	keys := it.Keys()
	if slices.ContainsFunc(keys, func(k string) bool { return pl.handled[k] }) {
		return job{}, false // the same article in an earlier feed, or twice in this one
	}
	for _, k := range keys {
		pl.handled[k] = true
	}
	key, hash := seenKey(f.URL, keys[0]), itemHash(it)
	prev, wasSeen := pl.state.Seen[key]
	if pl.taken(keys, prev.Page) {
		return job{}, false // taken down, or forgotten
	}
	name, guid := pl.index.Resolve(keys, prev.Page)
	if u, err := url.Parse(it.Link); err != nil || !pl.trusted(u) {
		if name == "" {
			pl.p.skipped = append(pl.p.skipped, skip{f.Name, it.Link,
				"its link is not on a trusted host (add the host to allowed_hosts to archive it)"})
		}
		return job{}, false
	}
	now := seen{Hash: hash, At: pl.now, Page: prev.Page}
	if pl.book.GivenUp(keys[0]) {
		pl.p.seen[key] = now
		return job{}, false
	}
	j := job{item: it, keys: keys, feed: f, guid: guid, retry: pl.book.Get(keys[0])}
	if name != "" && wasSeen && prev.Hash != hash {
		j.update = name // the story may have been edited
		return j, true
	}
	pl.p.seen[key] = now
	return j, name == ""
}

// taken reports whether the article of keys, or the page its link led to,
// was taken down or forgotten.
func (pl *planner) taken(keys []string, page string) bool {
	return pl.forgotten[page] || slices.ContainsFunc(keys, func(k string) bool { return pl.forgotten[k] })
}

// retries plans the earlier failures that the feeds do not list now (or
// answered 304 for).
func (pl *planner) retries() {
	for key, fl := range pl.book.All {
		if pl.queued[key] || pl.book.GivenUp(key) {
			continue
		}
		if fl.Medium != nil {
			pl.retryMedium(key, fl)
			continue
		}
		keys := fl.Item.Keys()
		if fl.Next().After(pl.now) {
			// Not due: what became of it is looked at when it is.
			pl.queue(job{item: *fl.Item, keys: keys, feed: pl.cfg.FeedOf(fl.Item.Feed), update: fl.Post, retry: fl})
			continue
		}
		page := pl.state.Seen[seenKey(fl.Item.Feed, keys[0])].Page
		name, guid := pl.index.Resolve(keys, page)
		if (fl.Post == "") != (name == "") || pl.taken(keys, page) {
			// A new article archived meanwhile from another feed, or an
			// edit of a post that is gone from the store.
			pl.p.resolved = append(pl.p.resolved, key)
			continue
		}
		pl.queue(job{item: *fl.Item, keys: keys, feed: pl.cfg.FeedOf(fl.Item.Feed), update: name, guid: guid, retry: fl})
	}
}

// retryMedium plans a medium of a post that failed: done with once the
// post is gone, or media are no longer kept.
func (pl *planner) retryMedium(key string, fl *retry.Failure) {
	j := job{keys: []string{key}, feed: pl.cfg.FeedOf(fl.Medium.Feed), update: fl.Post, retry: fl}
	if j.due(pl.now) && (!pl.holds(fl.Post) || !pl.cfg.Media.Images && !pl.cfg.Media.Audio) {
		pl.p.resolved = append(pl.p.resolved, key)
		return
	}
	pl.queue(j)
}

func (pl *planner) queue(j job) {
	for _, k := range j.keys {
		pl.queued[k] = true
	}
	if j.due(pl.now) {
		pl.p.jobs = append(pl.p.jobs, j)
	} else {
		pl.p.waiting = append(pl.p.waiting, j)
	}
}
