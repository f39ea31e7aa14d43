package archiver

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/backfill"
	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store/jekyll"
	"github.com/rfa-archive/archiver/store/storetest"
)

// arcMonth is 60 stories of an Arc site, two a day from 2026-01-01.
func arcMonth() []feedstest.ArcStory {
	var stories []feedstest.ArcStory
	for i := range 60 {
		date := time.Date(2026, 1, 1, 3+12*(i%2), 0, 0, 0, time.UTC).AddDate(0, 0, i/2)
		stories = append(stories, feedstest.ArcStory{
			ID: fmt.Sprintf("MONTH%022d", i), Title: fmt.Sprintf("一月第%d篇", i), Date: date,
			Path:       feedstest.ArcPath(date, fmt.Sprintf("month-%d", i)),
			Paragraphs: []string{strings.Repeat(fmt.Sprintf("第%d篇的正文很长。", i), 20), "第二段。"},
		})
	}
	return stories
}

// arcRevisitSite is a site whose content API holds arcMonth, whose feed
// lists none of it, and an archiver of it with revisits on (yaml adds to
// its configuration, SITE standing for the site's URL) whose clock is in
// March 2026, after a backfill of January.
func arcRevisitSite(t *testing.T, stories []feedstest.ArcStory, yaml string) (*feedstest.Site, *Archiver, *storetest.Memory, *time.Time) {
	t.Helper()
	site := feedstest.NewSite(t)
	site.SetFeed("/arc.xml", feedstest.Feed{Title: "arc"})
	site.SetFeed("/arc2.xml", feedstest.Feed{Title: "arc too"})
	site.SetArcStories("rfa-mandarin", stories)
	a, mem := newTest(t, "feeds:\n  - url: '"+site.URL+"/arc.xml'\n    arc_website: rfa-mandarin\n"+strings.ReplaceAll(yaml, "SITE", site.URL), "")
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	a.Now = func() time.Time { return now }
	sum, err := backfill.Run(context.Background(), a.Tools, backfill.Options{Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil || sum.New != len(stories) {
		t.Fatalf("backfill: %v, %+v", err, sum)
	}
	return site, a, mem, &now
}

// revisitRequests is how many requests of a revisit the site was asked:
// of its content API, its front page, and its stories' pages.
func revisitRequests(site *feedstest.Site, stories []feedstest.ArcStory) (api, pages int) {
	api = len(site.ArcQueries()) + site.Hits("/")
	for _, s := range stories {
		pages += site.Hits(s.Path)
	}
	return api, pages
}

// TestRevisitArcWindow: a backfilled month of an Arc site looked at
// again costs one request of its content API per 20 stories, and none of
// their pages; a story updated since becomes a revision, one re-stamped
// with nothing changed makes no commit, and one the content API no
// longer holds is looked at on its page: gone there, it is marked
// removed; still there, it is not.
func TestRevisitArcWindow(t *testing.T) {
	t.Parallel()
	stories := arcMonth()
	site, a, mem, now := arcRevisitSite(t, stories, "")
	names := storetest.Posts(t, mem)
	nameOf := func(i int) string { return names[site.URL+stories[i].Path] }
	pass(t, a) // the queue, made from the posts: none due
	api0, pages0 := revisitRequests(site, stories)
	head := storetest.Head(t, mem)

	if _, err := a.Revisit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(time.Hour)
	sum := pass(t, a)
	api, pages := revisitRequests(site, stories)
	// 60 stories: 3 pages of the content API, and its front page for the
	// deployment number the next passes remember.
	if sum.Revisits[RevisitUnchanged] != 60 || sum.Revisited() != 60 || api-api0 != 4 || pages != pages0 {
		t.Errorf("revisiting 60 stories of the content API: %v, %d requests of the content API, %d pages", sum.Revisits, api-api0, pages-pages0)
	}
	if sum.Committed || storetest.Head(t, mem) != head {
		t.Error("revisiting an unchanged site made a commit")
	}
	for _, q := range site.ArcQueries()[len(site.ArcQueries())-3:] {
		if q.Get("d") != feedstest.ArcDeployment || !strings.Contains(q.Get("query"), `display_date:[2026-01-01 TO 2026-01-30]`) {
			t.Errorf("a query of the revisit: %v", q)
		}
	}

	// Story 5 edited, 7 re-stamped as it was, 8 gone, 9 no longer in the
	// content API but still on its page; a story added to the month.
	edited := stories
	edited[5].Paragraphs = []string{edited[5].Paragraphs[0], "第二段，已更正。"}
	edited[5].Set = map[string]any{"last_updated_date": "2026-03-11T02:00:00.000Z"}
	edited[7].Set = map[string]any{"last_updated_date": "2026-03-11T02:00:00.000Z"}
	site.SetPage(edited[9].Path, edited[9].Page("rfa-mandarin"))
	late := feedstest.ArcStory{ID: "LATE", Title: "后来的报道", Date: time.Date(2026, 1, 15, 1, 0, 0, 0, time.UTC),
		Path: feedstest.ArcPath(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), "late"), Paragraphs: []string{"后来的正文。"}}
	site.SetArcStories("rfa-mandarin", append(append(edited[:8:8], edited[10:]...), late))
	*now = time.Date(2026, 3, 12, 8, 0, 0, 0, time.UTC)
	if _, err := a.Revisit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	api0, pages0 = revisitRequests(site, stories)
	sum = pass(t, a)
	api, pages = revisitRequests(site, stories)
	if sum.Revisits[RevisitRevised] != 1 || sum.Revisits[RevisitRemoved] != 1 || sum.Revisits[RevisitUnchanged] != 58 ||
		api-api0 != 3 || pages-pages0 != 2 || site.Hits(stories[8].Path) != 1 || site.Hits(stories[9].Path) != 1 {
		t.Errorf("the revisit: %v, %d requests of the content API, %d pages", sum.Revisits, api-api0, pages-pages0)
	}
	if p := storetest.ReadPost(t, mem, nameOf(5)); !strings.Contains(string(p.Body), "已更正") {
		t.Errorf("the edit is not the post's new version:\n%s", p.Body)
	}
	if h := storetest.History(t, mem, "_posts/"+nameOf(5)); len(h) != 2 || !strings.HasPrefix(h[0], "Edited on the site: 一月第5篇") {
		t.Errorf("the history of the edited post: %q", h)
	}
	if h := storetest.History(t, mem, "_posts/"+nameOf(7)); len(h) != 1 {
		t.Errorf("a story re-stamped as it was made a commit: %q", h)
	}
	if p := storetest.ReadPost(t, mem, nameOf(8)); !jekyll.Removed(p) || !strings.Contains(string(p.Body), "第8篇的正文") {
		t.Errorf("the story gone is not marked removed_at, or lost its text: %v", p.Fields)
	}
	if p := storetest.ReadPost(t, mem, nameOf(9)); jekyll.Removed(p) {
		t.Error("a story still on its page was taken for removed")
	}
	if _, ok := storetest.Posts(t, mem)[site.URL+late.Path]; ok {
		t.Error("a revisit archived a story it was not asked for")
	}

	// A story due alone costs its page, less than the content API's pages
	// of its day.
	site.SetPage(stories[3].Path, stories[3].Page("rfa-mandarin"))
	if n, err := a.Revisit(context.Background(), []string{site.URL + stories[3].Path}); n != 1 || err != nil {
		t.Fatalf("archiver revisit of one story: %d, %v", n, err)
	}
	api0, pages0 = revisitRequests(site, stories)
	sum = pass(t, a)
	api, pages = revisitRequests(site, stories)
	if sum.Revisits[RevisitUnchanged] != 1 || api != api0 || pages-pages0 != 1 {
		t.Errorf("a story due alone: %v, %d requests of the content API, %d pages", sum.Revisits, api-api0, pages-pages0)
	}
}

// TestRevisitArcBudget: a pass spends at most revisit.budget requests,
// the content API's pages and stories' pages alike, and the next passes
// go on from there until every story was looked at again.
func TestRevisitArcBudget(t *testing.T) {
	t.Parallel()
	stories := arcMonth()
	site, a, _, now := arcRevisitSite(t, stories, "revisit: {budget: 2}\n")
	pass(t, a)
	if _, err := a.Revisit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for i := range 10 {
		*now = now.Add(time.Hour)
		api0, pages0 := revisitRequests(site, stories)
		sum := pass(t, a)
		api, pages := revisitRequests(site, stories)
		if api-api0+pages-pages0 > 2 {
			t.Errorf("pass %d: %d requests of the content API and %d pages, past the budget of 2", i, api-api0, pages-pages0)
		}
		seen += sum.Revisited()
	}
	if seen != 60 {
		t.Errorf("%d stories looked at again in 10 passes, want all 60", seen)
	}
}

// TestRevisitArcEarlierEra: a post of the site's earlier era, under a
// URL that no longer answers, is met in the content API by its title on
// its day: it is known by its Arc URL too, and not taken for removed.
func TestRevisitArcEarlierEra(t *testing.T) {
	t.Parallel()
	stories := arcMonth()
	site, a, mem, _ := arcRevisitSite(t, stories, "")
	old := feedstest.ArcStory{ID: "OLDERA", Title: "旧时代的报道", Date: time.Date(2026, 1, 10, 5, 0, 0, 0, time.UTC),
		Path: feedstest.ArcPath(time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), "old-era"), Paragraphs: []string{"旧时代的正文。"}}
	site.SetArcStories("rfa-mandarin", append(stories, old))
	oldURL := site.URL + "/mandarin/yataibaodao/old-era-01102026050000.html"
	name := "2026/01/2026-01-10-旧时代的报道.md"
	if err := mem.Put(name, "---\nlayout: post\ntitle: \"旧时代的报道\"\ndate: 2026-01-10T05:00:00.000Z\nfrom: "+oldURL+
		"\n---\n[旧时代的报道]("+oldURL+")\n------\n\n<div><p>旧时代的正文。</p></div>\n"); err != nil {
		t.Fatal(err)
	}
	pass(t, a)
	if _, err := a.Revisit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	sum := pass(t, a)
	byURL := storetest.Posts(t, mem)
	p := storetest.ReadPost(t, mem, name)
	if byURL[site.URL+old.Path] != name || !slices.Contains(p.Also, oldURL) || sum.Revisits[RevisitRemoved] != 0 {
		t.Errorf("the post of the earlier era: %q by its Arc URL, want %q, also_from %q; %v", byURL[site.URL+old.Path], name, p.Also, sum.Revisits)
	}
	if jekyll.Removed(p) || site.Hits("/mandarin/yataibaodao/old-era-01102026050000.html") != 0 {
		t.Errorf("the post of the earlier era was looked at on its old page, or marked removed: %v", p.Fields)
	}
}

// TestRevisitArcAPIDown: while the content API fails, its stories due
// stay due, none is looked at on its page or taken for removed, and the
// pass reports the failure; once it answers, they are looked at again.
func TestRevisitArcAPIDown(t *testing.T) {
	t.Parallel()
	stories := arcMonth()
	site, a, mem, now := arcRevisitSite(t, stories, "")
	pass(t, a)
	if _, err := a.Revisit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	site.Fail(feedstest.ArcAPIPath, feedstest.Status(503))
	_, pages0 := revisitRequests(site, stories)
	*now = now.Add(time.Hour)
	sum := pass(t, a)
	_, pages := revisitRequests(site, stories)
	if sum.Revisited() != 0 || pages != pages0 || len(sum.Failed) != 1 || !strings.Contains(sum.Failed[0].URL, feedstest.ArcAPIPath) {
		t.Errorf("a pass while the content API fails: %v revisited, %d pages, failed %+v", sum.Revisits, pages-pages0, sum.Failed)
	}
	for _, name := range storetest.Posts(t, mem) {
		if jekyll.Removed(storetest.ReadPost(t, mem, name)) {
			t.Fatalf("%s taken for removed while the content API fails", name)
		}
	}
	site.Heal(feedstest.ArcAPIPath)
	*now = now.Add(time.Hour)
	if sum := pass(t, a); sum.Revisits[RevisitUnchanged] != 60 || len(sum.Failed) != 0 {
		t.Errorf("once the content API answers: %v, failed %+v", sum.Revisits, sum.Failed)
	}
}

// TestRevisitBackfilledRecent: stories of the last days archived by a
// backfill are queued for their next checkpoints, as a pass's are.
func TestRevisitBackfilledRecent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	var stories []feedstest.ArcStory
	for i := range 10 {
		date := now.Add(-time.Duration(24+12*i) * time.Hour)
		stories = append(stories, feedstest.ArcStory{ID: fmt.Sprintf("RECENT%d", i), Title: fmt.Sprintf("近日第%d篇", i), Date: date,
			Path: feedstest.ArcPath(date, fmt.Sprintf("recent-%d", i)), Paragraphs: []string{fmt.Sprintf("近日第%d篇的正文。", i)}})
	}
	site := feedstest.NewSite(t)
	site.SetFeed("/arc.xml", feedstest.Feed{Title: "arc"})
	site.SetArcStories("rfa-mandarin", stories)
	for _, s := range stories {
		site.SetPage(s.Path, s.Page("rfa-mandarin"))
	}
	a, _ := newTest(t, "feeds:\n  - url: '"+site.URL+"/arc.xml'\n    arc_website: rfa-mandarin\n", "")
	a.Now = func() time.Time { return now }
	pass(t, a)
	sum, err := backfill.Run(context.Background(), a.Tools, backfill.Options{Since: now.AddDate(0, 0, -7), Until: now})
	if err != nil || sum.New != 10 {
		t.Fatalf("backfill: %v, %+v", err, sum)
	}
	now = now.Add(4 * 24 * time.Hour) // each at its 3d or 7d checkpoint since
	if sum := pass(t, a); sum.Revisits[RevisitUnchanged] != 10 {
		t.Errorf("the 10 stories backfilled, at their next checkpoints: %v", sum.Revisits)
	}
}

// arcDays are n stories of slug, perDay a day from 2026-01-01, the
// first of each day at 01:00 UTC.
func arcDays(n, perDay int, slug string) []feedstest.ArcStory {
	var stories []feedstest.ArcStory
	for i := range n {
		date := time.Date(2026, 1, 1+i/perDay, 1, 0, 0, 0, time.UTC).Add(time.Duration(i%perDay) * 22 * time.Hour / time.Duration(perDay))
		stories = append(stories, feedstest.ArcStory{ID: fmt.Sprintf("%s%d", slug, i), Title: fmt.Sprintf("%s之%d", slug, i), Date: date,
			Path: feedstest.ArcPath(date, fmt.Sprintf("%s-%d", slug, i)), Paragraphs: []string{fmt.Sprintf("第%d篇。", i)}})
	}
	return stories
}

// servePages serves the stories' pages.
func servePages(site *feedstest.Site, stories []feedstest.ArcStory) {
	for _, s := range stories {
		site.SetPage(s.Path, s.Page("rfa-mandarin"))
	}
}

// arcRun is passes of revisits of an Arc site's stories by a, whose
// clock is now, each within budget.
type arcRun struct {
	a       *Archiver
	site    *feedstest.Site
	stories []feedstest.ArcStory
	now     *time.Time
	budget  int
}

// revisitAll makes every story due (by their URLs, all at once, when
// byURL; else as archiver revisit with no URL does, a pass's budget at a
// time) and runs passes an hour apart until every story was looked at
// again (at most passes), each within the budget; it returns how many
// stories they looked at again, and the passes they took.
func (r arcRun) revisitAll(t *testing.T, passes int, byURL bool) (seen, took int) {
	t.Helper()
	var urls []string
	for _, s := range r.stories {
		if byURL {
			urls = append(urls, r.site.URL+s.Path)
		}
	}
	if _, err := r.a.Revisit(context.Background(), urls); err != nil {
		t.Fatal(err)
	}
	for took < passes {
		*r.now = r.now.Add(time.Hour)
		api0, pages0 := revisitRequests(r.site, r.stories)
		sum := pass(t, r.a)
		took++
		api, pages := revisitRequests(r.site, r.stories)
		if api-api0+pages-pages0 > r.budget {
			t.Errorf("pass %d: %d requests of the content API and %d pages, past the budget of %d", took, api-api0, pages-pages0, r.budget)
		}
		seen += sum.Revisited()
		if seen >= len(r.stories) {
			break
		}
	}
	return seen, took
}

// TestRevisitArcNotInAPI: stories the content API no longer gives, but
// their pages still show, are looked at on their pages from then on: a
// span whose read eats the budget never keeps them waiting.
func TestRevisitArcNotInAPI(t *testing.T) {
	t.Parallel()
	stories := arcDays(90, 3, "three")
	site, a, mem, now := arcRevisitSite(t, stories, "revisit: {budget: 2}\n")
	pass(t, a)
	servePages(site, stories)
	var kept []feedstest.ArcStory // one a day
	for i := 0; i < len(stories); i += 3 {
		kept = append(kept, stories[i])
	}
	site.SetArcStories("rfa-mandarin", kept)
	seen, took := arcRun{a, site, stories, now, 2}.revisitAll(t, 40, false)
	if seen != 90 {
		t.Errorf("%d stories looked at again in %d passes of a budget of 2, want all 90", seen, took)
	}
	for i, s := range stories {
		if want := min(i%3, 1); site.Hits(s.Path) != want {
			t.Errorf("story %d: its page asked %d times, want %d", i, site.Hits(s.Path), want)
		}
	}
	for _, name := range storetest.Posts(t, mem) {
		if jekyll.Removed(storetest.ReadPost(t, mem, name)) {
			t.Errorf("%s, still on its page, taken for removed", name)
		}
	}
}

// TestRevisitArcMovedURL: a story of the content API under another URL
// than its post's, with the same ANS id, moved: its post gains the URL,
// keeps the old one, and is not taken for removed.
func TestRevisitArcMovedURL(t *testing.T) {
	t.Parallel()
	stories := arcMonth()
	site, a, mem, now := arcRevisitSite(t, stories, "")
	pass(t, a)
	names := storetest.Posts(t, mem)
	old := site.URL + stories[12].Path
	moved := slices.Clone(stories)
	moved[12].Path = feedstest.ArcPath(stories[12].Date, "month-12-renamed")
	site.SetArcStories("rfa-mandarin", moved)
	seen, _ := arcRun{a, site, stories, now, 100}.revisitAll(t, 1, false)
	p := storetest.ReadPost(t, mem, names[old])
	if byURL := storetest.Posts(t, mem); seen != 60 || byURL[site.URL+moved[12].Path] != names[old] || !slices.Contains(append(p.Also, p.From), old) {
		t.Errorf("the story that moved: %d revisited; post %q by its new URL, want %q; from %s, also_from %q",
			seen, byURL[site.URL+moved[12].Path], names[old], p.From, p.Also)
	}
	if jekyll.Removed(p) || site.Hits(stories[12].Path) != 0 {
		t.Errorf("the story that moved was looked at on its old page (%d), or marked removed: %v", site.Hits(stories[12].Path), p.Fields)
	}
}

// TestRevisitArcAPIGone: while the content API fails, its stories stay
// due, asked of it once a pass, one request however many spans; after three passes in a row they are
// looked at on their pages.
func TestRevisitArcAPIGone(t *testing.T) {
	t.Parallel()
	// Two spans of one site: no story on the 15th and 16th of January.
	month := arcMonth()
	stories := append(month[:28:28], month[32:]...)
	site, a, _, now := arcRevisitSite(t, stories, "")
	pass(t, a)
	servePages(site, stories)
	site.Fail(feedstest.ArcAPIPath, feedstest.Status(503))
	if _, err := a.Revisit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		*now = now.Add(time.Hour)
		api0, pages0 := site.Hits(feedstest.ArcAPIPath), revisitPages(site, stories)
		sum := pass(t, a)
		api, pages := site.Hits(feedstest.ArcAPIPath), revisitPages(site, stories)
		want := 0
		if i == 2 {
			want = len(stories)
		}
		// One request of it, which the client tries its attempts.
		if api-api0 != fetch.DefaultAttempts || len(sum.Failed) != 1 || pages-pages0 != want || sum.Revisits[RevisitUnchanged] != want {
			t.Errorf("pass %d while the content API fails: %d requests of it, %d pages, %v, failed %+v, want %d, %d pages",
				i+1, api-api0, pages-pages0, sum.Revisits, sum.Failed, fetch.DefaultAttempts, want)
		}
	}
}

// revisitPages is how many times the stories' pages were asked.
func revisitPages(site *feedstest.Site, stories []feedstest.ArcStory) int {
	_, pages := revisitRequests(site, stories)
	return pages
}

// TestRevisitArcOtherTimeZone: in a time zone other than UTC, whose days
// the content API's UTC days straddle, a backfilled month still costs one
// request of the content API per 20 stories.
func TestRevisitArcOtherTimeZone(t *testing.T) {
	t.Parallel()
	stories := arcMonth()
	site, a, _, now := arcRevisitSite(t, stories, "timezone: America/New_York\n")
	pass(t, a)
	api0, pages0 := revisitRequests(site, stories)
	seen, _ := arcRun{a, site, stories, now, 100}.revisitAll(t, 1, false)
	api, pages := revisitRequests(site, stories)
	if seen != 60 || api-api0 != 4 || pages != pages0 {
		t.Errorf("a backfilled month in New York: %d revisited, %d requests of the content API, %d pages; want 60, 4, 0", seen, api-api0, pages-pages0)
	}
}

// TestRevisitArcFeedsOfOneSite: two feeds of one Arc site share its
// content API's pages: a revisit of their stories reads each page once.
func TestRevisitArcFeedsOfOneSite(t *testing.T) {
	t.Parallel()
	stories := arcMonth()
	site, a, mem, now := arcRevisitSite(t, stories, "  - url: 'SITE/arc2.xml'\n    arc_website: rfa-mandarin\n")
	for i, name := range slices.Sorted(maps.Values(storetest.Posts(t, mem))) {
		data, err := mem.Read(name)
		if err != nil || !strings.Contains(string(data), "\nfeed: "+site.URL+"/arc.xml\n") {
			t.Fatalf("the post %s names no feed: %v\n%s", name, err, data)
		}
		if i%2 == 1 {
			if err := mem.Put(name, strings.Replace(string(data), "/arc.xml\n", "/arc2.xml\n", 1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	pass(t, a)
	api0, _ := revisitRequests(site, stories)
	seen, _ := arcRun{a, site, stories, now, 100}.revisitAll(t, 1, false)
	if api, _ := revisitRequests(site, stories); seen != 60 || api-api0 != 4 {
		t.Errorf("the stories of two feeds of one site: %d revisited, %d requests of the content API, want 60, 4", seen, api-api0)
	}
}

// TestRevisitArcSameTitle: a story of the earlier era is met by its
// title on its day only when that is one story's and one post's: two
// stories of a title (a daily column) link neither to its post, and a
// story links neither of two posts of its title.
func TestRevisitArcSameTitle(t *testing.T) {
	t.Parallel()
	stories := arcMonth()
	site, a, mem, now := arcRevisitSite(t, stories, "")
	var extra []feedstest.ArcStory // two columns of the 10th, one of the 12th
	for i, d := range []int{10, 10, 12} {
		day := time.Date(2026, 1, d, 5+i, 0, 0, 0, time.UTC)
		extra = append(extra, feedstest.ArcStory{ID: fmt.Sprintf("COLUMN%d", i), Title: map[int]string{10: "每日评论", 12: "每周评论"}[d], Date: day,
			Path: feedstest.ArcPath(day, fmt.Sprintf("column-%d", i)), Paragraphs: []string{fmt.Sprintf("评论%d。", i)}})
	}
	site.SetArcStories("rfa-mandarin", append(slices.Clone(stories), extra...))
	// One post of the 10th's title, two of the 12th's, under URLs of the
	// earlier era that still answer.
	olds := []struct {
		name, path string
		story      feedstest.ArcStory
	}{{"2026-01-10-每日评论", "/mandarin/pinglun/a.html", extra[0]}, {"2026-01-12-每周评论", "/mandarin/pinglun/b.html", extra[2]}, {"2026-01-12-每周评论-2", "/mandarin/pinglun/c.html", extra[2]}}
	for _, o := range olds {
		site.SetPage(o.path, o.story.Page("rfa-mandarin"))
		if err := mem.Put("2026/01/"+o.name+".md", "---\nlayout: post\ntitle: \""+o.story.Title+"\"\ndate: "+o.story.Date.Format(time.RFC3339)+"\nfrom: "+site.URL+o.path+
			"\n---\n["+o.story.Title+"]("+site.URL+o.path+")\n------\n\n<div><p>"+o.story.Paragraphs[0]+"</p></div>\n"); err != nil {
			t.Fatal(err)
		}
	}
	pass(t, a)
	arcRun{a, site, append(stories, extra...), now, 100}.revisitAll(t, 1, false)
	byURL := storetest.Posts(t, mem)
	for i, s := range extra {
		if name := byURL[site.URL+s.Path]; name != "" {
			t.Errorf("story %d, of a title two stories or two posts of its day share, was linked to %s", i, name)
		}
	}
	for _, o := range olds {
		if p := storetest.ReadPost(t, mem, "2026/01/"+o.name+".md"); jekyll.Removed(p) || p.From != site.URL+o.path || len(p.Also) != 0 {
			t.Errorf("the post %s of the earlier era: from %s, also_from %q, %v", o.name, p.From, p.Also, p.Fields)
		}
	}
}

// TestRevisitArcCutShort: when the budget cuts a read short, the stories
// of the days it passed without meeting them are looked at on their
// pages, and the next pass reads the older days: it never reads the same
// pages again and again.
func TestRevisitArcCutShort(t *testing.T) {
	t.Parallel()
	stories := arcDays(120, 4, "four")
	site, a, _, now := arcRevisitSite(t, stories, "revisit: {budget: 2}\n")
	pass(t, a)
	servePages(site, stories)
	var kept []feedstest.ArcStory // two a day: 60, three pages of the content API
	for i := 0; i < len(stories); i += 2 {
		kept = append(kept, stories[i])
	}
	site.SetArcStories("rfa-mandarin", kept)
	seen, took := arcRun{a, site, stories, now, 2}.revisitAll(t, 80, true)
	if seen != 120 {
		t.Errorf("%d stories looked at again in %d passes of a budget of 2, want all 120", seen, took)
	}
	for i, s := range stories {
		if want := i % 2; site.Hits(s.Path) != want {
			t.Errorf("story %d: its page asked %d times, want %d", i, site.Hits(s.Path), want)
		}
	}
}

// TestRevisitArcDenseDay: a read stops once the rest of the span would
// cost more requests than the pages of the stories due it has not met:
// two stories due of a day of 70 cost one page of the content API and
// their two pages, not four pages of the content API.
func TestRevisitArcDenseDay(t *testing.T) {
	t.Parallel()
	stories := arcDays(70, 70, "dense")
	site, a, _, now := arcRevisitSite(t, stories, "")
	pass(t, a)
	servePages(site, stories)
	if n, err := a.Revisit(context.Background(), []string{site.URL + stories[0].Path, site.URL + stories[1].Path}); n != 2 || err != nil {
		t.Fatalf("archiver revisit of two stories: %d, %v", n, err)
	}
	*now = now.Add(time.Hour)
	api0 := len(site.ArcQueries())
	sum := pass(t, a)
	if api := len(site.ArcQueries()) - api0; sum.Revisits[RevisitUnchanged] != 2 || api != 1 || site.Hits(stories[0].Path) != 1 || site.Hits(stories[1].Path) != 1 {
		t.Errorf("the two oldest stories of a day of 70: %v, %d pages of the content API, their pages asked %d and %d times; want 1 and once each",
			sum.Revisits, api, site.Hits(stories[0].Path), site.Hits(stories[1].Path))
	}
}
