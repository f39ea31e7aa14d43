package archiver

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/jekyll"
	"github.com/rfa-archive/archiver/store/storetest"
)

// revisitSite is a site of three long stories published at t0, listed by
// /revisit.xml, and an archiver of it whose clock the test sets, with
// revisits after 1h, 1d and 3d, two a pass.
func revisitSite(t *testing.T, t0 time.Time) (*feedstest.Site, *Archiver, *storetest.Memory, *time.Time) {
	site := feedstest.NewSite(t)
	var entries []feedstest.Entry
	for _, s := range []string{"a", "b", "c"} {
		path := "/news/" + s + ".html"
		site.SetPage(path, feedstest.StoryPage("故事"+s, strings.Repeat("这是一段很长的正文"+s+"。", 30), "第二段。"))
		entries = append(entries, feedstest.Entry{Title: "故事" + s, Link: site.URL + path, Published: t0})
	}
	site.SetFeed("/revisit.xml", feedstest.Feed{Title: "revisit", Entries: entries})
	a, mem := newTest(t, feedsYAML(site.URL+"/revisit.xml")+"revisit: {after: [1h, 1d, 3d], budget: 2}\n", "")
	now := t0
	a.Now = func() time.Time { return now }
	return site, a, mem, &now
}

// TestRevisits: after the feed has dropped its stories, archiver looks
// at them again on the schedule, at most the budget a pass, the most
// overdue first: an edit becomes the post's next version, a page gone
// marks it removed_at (and its text stays), a 5xx is a failure and no
// removal, a story back loses the mark, a page that no longer reads as
// the post is drift and no revision, and an unchanged site makes no
// commit.
func TestRevisits(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	site, a, mem, now := revisitSite(t, t0)
	*now = t0.Add(10 * time.Minute)
	if sum := pass(t, a); len(sum.New) != 3 || sum.Revisited() != 0 {
		t.Fatalf("first pass: %s, %d revisited", counts(sum), sum.Revisited())
	}
	names := storetest.Posts(t, mem)
	a1, b1 := storetest.ReadPost(t, mem, names[site.URL+"/news/a.html"]), storetest.ReadPost(t, mem, names[site.URL+"/news/b.html"])
	site.SetFeed("/revisit.xml", feedstest.Feed{Title: "revisit, later"}) // the feed drops them
	site.SetPage("/news/a.html", feedstest.StoryPage("故事a", strings.Repeat("这是一段很长的正文a。", 30), "第二段，已更正。"))
	site.Fail("/news/b.html", feedstest.Status(404))
	site.Fail("/news/c.html", feedstest.Status(503))
	hits := func() int { return site.Hits("/news/a.html") + site.Hits("/news/b.html") + site.Hits("/news/c.html") }

	*now = t0.Add(50 * time.Minute) // none due yet
	if sum := pass(t, a); sum.Revisited() != 0 || hits() != 3 {
		t.Errorf("a pass before the first checkpoint revisited %d, fetched %d pages", sum.Revisited(), hits()-3)
	}
	*now = t0.Add(2 * time.Hour)
	sum := pass(t, a)
	if sum.Revisited() != 2 || hits() != 5 {
		t.Errorf("a pass with three due and a budget of two revisited %d, fetched %d pages", sum.Revisited(), hits()-3)
	}
	*now = t0.Add(2*time.Hour + time.Minute)
	sum2 := pass(t, a)
	for o, n := range sum2.Revisits {
		sum.Revisits[o] += n
	}
	if sum.Revisits[RevisitRevised] != 1 || sum.Revisits[RevisitRemoved] != 1 || sum.Revisits[RevisitFailed] != 1 {
		t.Errorf("the revisits came to %v, want one revised, one removed, one failed", sum.Revisits)
	}
	a2 := storetest.ReadPost(t, mem, names[site.URL+"/news/a.html"])
	if !strings.Contains(string(a2.Body), "已更正") || jekyll.Removed(a2) {
		t.Errorf("the edit is not the post's new version:\n%s", a2.Body)
	}
	if h := storetest.History(t, mem, "_posts/"+names[site.URL+"/news/a.html"]); len(h) != 2 || !strings.HasPrefix(h[0], "Edited on the site: 故事a") {
		t.Errorf("the history of the edited post: %q", h)
	}
	b2 := storetest.ReadPost(t, mem, names[site.URL+"/news/b.html"])
	if !jekyll.Removed(b2) || string(b2.Body) != string(b1.Body) {
		t.Errorf("the story gone is not marked removed_at, or lost its text: %v", b2.Fields)
	}
	if c := storetest.ReadPost(t, mem, names[site.URL+"/news/c.html"]); jekyll.Removed(c) {
		t.Error("a 5xx was taken for a removal")
	}
	if fs := listFailures(t, a); len(fs) != 1 || fs[0].URL != site.URL+"/news/c.html" || fs[0].Kind != retry.KindFetch {
		t.Errorf("failures %+v, want the 5xx revisit listed", fs)
	}

	// Nothing due, nothing changed: no commit.
	*now = t0.Add(3 * time.Hour)
	site.Heal("/news/c.html")
	head := storetest.Head(t, mem)
	if sum := pass(t, a); sum.Committed || storetest.Head(t, mem) != head {
		t.Errorf("a pass with nothing changed committed (%s, %d revisited)", counts(sum), sum.Revisited())
	}

	// A day on: b is back; a is unchanged.
	site.Heal("/news/b.html")
	*now = t0.Add(25 * time.Hour)
	sum = pass(t, a)
	if sum.Revisits[RevisitBack] != 1 || jekyll.Removed(storetest.ReadPost(t, mem, names[site.URL+"/news/b.html"])) {
		t.Errorf("the story back: %v", sum.Revisits)
	}
	if c := storetest.LastCommit(t, mem); !strings.HasPrefix(c, "Back on the site: 故事b") {
		t.Errorf("the commit of the story back:\n%s", c)
	}

	// Three days on, a's page in a new shape reads as little of it: drift,
	// no revision, a failure listed.
	site.SetPage("/news/a.html", feedstest.StoryPage("故事a", "只剩一段。"))
	*now = t0.Add(73 * time.Hour)
	sum = pass(t, a)
	if after := storetest.ReadPost(t, mem, names[site.URL+"/news/a.html"]); string(after.Body) != string(a2.Body) {
		t.Error("a page that no longer reads as the post was taken for an edit")
	}
	if sum.Drift[hostOf(site.URL)] != 1 || !strings.Contains(failureOf(t, a, site.URL+"/news/a.html").Reason, "extraction drift") {
		t.Errorf("drift not reported: %v", sum.Drift)
	}
	_ = a1
}

// failureOf is the failure of url a's store lists.
func failureOf(t *testing.T, a *Archiver, url string) retry.Failure {
	t.Helper()
	for _, f := range listFailures(t, a) {
		if feeds.Key(f.URL) == feeds.Key(url) {
			return f
		}
	}
	return retry.Failure{}
}

// TestRevisitMoved: a story whose page now redirects to another article
// page keeps its one post, known by both URLs; a story taken down from
// the archive is never looked at again; with revisit: off, nothing is.
func TestRevisitMoved(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	site, a, mem, now := revisitSite(t, t0)
	*now = t0.Add(10 * time.Minute)
	pass(t, a)
	off, _ := newTest(t, feedsYAML(site.URL+"/revisit.xml")+"revisit: off\n", "")
	off.Now = func() time.Time { return *now }
	pass(t, off)
	site.SetFeed("/revisit.xml", feedstest.Feed{Title: "revisit, later"})
	site.SetPage("/news/moved/a.html", feedstest.StoryPage("故事a", strings.Repeat("这是一段很长的正文a。", 30), "第二段。"))
	site.Redirect("/news/a.html", "/news/moved/a.html")
	mem.TakeDown(site.URL + "/news/b.html")
	before := site.Hits("/news/b.html")

	*now = t0.Add(2 * time.Hour)
	pass(t, a)
	*now = t0.Add(2*time.Hour + time.Minute)
	pass(t, a)
	posts := storetest.Posts(t, mem)
	moved := posts[site.URL+"/news/moved/a.html"]
	if len(posts) != 3 || moved == "" || !slices.Contains(storetest.ReadPost(t, mem, moved).Also, site.URL+"/news/a.html") {
		t.Errorf("the moved story: posts %v, want one post known by both URLs", posts)
	}
	if n := site.Hits("/news/b.html") - before; n != 0 {
		t.Errorf("a story taken down was looked at again %d times", n)
	}

	hits := site.Hits("/news/c.html")
	if sum := pass(t, off); sum.Revisited() != 0 || site.Hits("/news/c.html") != hits {
		t.Errorf("revisit: off revisited %d", sum.Revisited())
	}
}

// TestRevisitQueueLost: a queue lost with the store's state (a fresh
// clone) is made again from the posts, by the days they are named for.
func TestRevisitQueueLost(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	site, a, mem, now := revisitSite(t, t0)
	*now = t0.Add(10 * time.Minute)
	pass(t, a)
	site.SetFeed("/revisit.xml", feedstest.Feed{Title: "revisit, later"})
	site.SetPage("/news/a.html", feedstest.StoryPage("故事a", strings.Repeat("这是一段很长的正文a。", 30), "第二段，已更正。"))
	mem.ForgetState()
	*now = t0.Add(2 * time.Hour) // the queue made again: the 1h checkpoint of the day's start is past, the 1d one not yet
	if sum := pass(t, a); sum.Revisited() != 0 {
		t.Errorf("revisited %d before the next checkpoint", sum.Revisited())
	}
	*now = t0.Add(17 * time.Hour) // the day after the one the posts are named for
	pass(t, a)
	*now = t0.Add(17*time.Hour + time.Minute)
	pass(t, a)
	if a2 := storetest.ReadPost(t, mem, storetest.Posts(t, mem)[site.URL+"/news/a.html"]); !strings.Contains(string(a2.Body), "已更正") {
		t.Error("the edit was not found by a queue made again")
	}
}

// TestRevisitConditional: a page looked at again is asked for by a
// conditional GET with the validators of the last revisit; a page the
// site says is not modified is unchanged, and makes no commit.
func TestRevisitConditional(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	site, a, mem, now := revisitSite(t, t0)
	page := feedstest.StoryPage("故事a", strings.Repeat("这是一段很长的正文a。", 30), "第二段。")
	var asked []string
	var mu sync.Mutex
	site.Handle("/news/a.html", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Header.Get("If-None-Match"))
		mu.Unlock()
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	*now = t0.Add(10 * time.Minute)
	pass(t, a)
	site.SetFeed("/revisit.xml", feedstest.Feed{Title: "revisit, later"})
	for _, at := range []time.Duration{2 * time.Hour, 2*time.Hour + time.Minute} {
		*now = t0.Add(at)
		pass(t, a)
	}
	head := storetest.Head(t, mem)
	*now = t0.Add(25 * time.Hour)
	if sum := pass(t, a); sum.Revisited() == 0 || sum.Revisits[RevisitUnchanged] != sum.Revisited() {
		t.Errorf("the revisit of a page not modified: %v", sum.Revisits)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(asked, []string{"", "", `"v1"`}) {
		t.Errorf("the page was asked for with If-None-Match %q, want none when archived and at the first revisit, then the validator", asked)
	}
	if storetest.Head(t, mem) != head || len(storetest.History(t, mem, "_posts/"+storetest.Posts(t, mem)[site.URL+"/news/a.html"])) != 1 {
		t.Error("a page not modified made a commit")
	}
}
