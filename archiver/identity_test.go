package archiver

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/store"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// redirecting is a site whose feed links go through a redirect (a
// tracking link) to the story pages, with guids that are not URLs, or none.
func redirecting(t *testing.T, guids bool) (*feedstest.Site, *Archiver, *storetest.Memory) {
	site := feedstest.NewSite(t)
	for i := 1; i <= 2; i++ {
		site.SetPage(feedstest.StoryPath(i), feedstest.PathStory(feedstest.StoryPath(i)))
		site.Redirect(fmt.Sprintf("/go/%d", i), feedstest.StoryPath(i))
	}
	setRedirectingFeed(site, guids, "")
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
	return site, a, archive
}

// setRedirectingFeed lists stories 1 and 2 through their redirects, story
// 1 with title1 when that is not "".
func setRedirectingFeed(site *feedstest.Site, guids bool, title1 string) {
	var entries []feedstest.Entry
	for i := 1; i <= 2; i++ {
		e := feedstest.Entry{Title: fmt.Sprintf("第%d篇报道", i), Link: fmt.Sprintf("%s/go/%d", site.URL, i),
			Published: time.Date(2025, 6, 1, 0, i, 0, 0, time.UTC)}
		if guids {
			e.GUID = fmt.Sprintf("story-%d", i)
		}
		if i == 1 && title1 != "" {
			e.Title = title1
		}
		entries = append(entries, e)
	}
	site.SetFeed(feedstest.StoriesFeed, feedstest.Feed{Title: "t", Entries: entries})
}

// TestPassRedirectedLinks: an article whose feed link redirects to its
// page is its page's post: polled again it is not fetched again, and its
// edit updates that post, with a guid or without.
func TestPassRedirectedLinks(t *testing.T) {
	t.Parallel()
	for _, guids := range []bool{true, false} {
		t.Run(fmt.Sprint("guids=", guids), func(t *testing.T) {
			site, a, archive := redirecting(t, guids)
			if got := counts(pass(t, a)); got != "2 new, 0 updated, 0 failed, 0 parked" {
				t.Fatalf("first pass: %s", got)
			}
			site.AddEntries(feedstest.StoriesFeed) // a new ETag, the same entries
			before := site.Hits(feedstest.StoryPath(1))
			if got := counts(pass(t, a)); got != "0 new, 0 updated, 0 failed, 0 parked" {
				t.Errorf("polled again: %s", got)
			}
			if site.Hits(feedstest.StoryPath(1)) != before {
				t.Error("an archived story was fetched again though its entry did not change")
			}

			setRedirectingFeed(site, guids, "第1篇报道（更新）")
			site.SetPage(feedstest.StoryPath(1), feedstest.StoryPage("第1篇报道（更新）", "新的一段。"))
			sum := pass(t, a)
			if got := counts(sum); got != "0 new, 1 updated, 0 failed, 0 parked" {
				t.Errorf("edited: %s %+v", got, sum.Failed)
			}
			posts := storetest.Posts(t, archive)
			if len(posts) != 2 {
				t.Errorf("posts %v, want the 2 stories once each", posts)
			}
			if body := storetest.Bodies(t, archive)[site.StoryURL(1)]; !strings.Contains(body, "新的一段。") {
				t.Errorf("story 1's post is not the edited story:\n%s", body)
			}
		})
	}
}

// TestPassRedirectedTakedown: a post taken down is not archived again
// from an entry whose link redirects to its page.
func TestPassRedirectedTakedown(t *testing.T) {
	t.Parallel()
	site, _, _ := redirecting(t, true)
	a, archive := newGitTest(t, feedsYAML(site.StoriesURL()), "")
	pass(t, a)
	storetest.Git(t, archive, "rm", "--quiet", "_posts/"+storetest.Posts(t, archive)[site.StoryURL(1)])
	storetest.Git(t, archive, "commit", "--quiet", "-m", "Take story 1 down")
	for range 2 {
		setRedirectingFeed(site, true, "第1篇报道（更新）") // changed: not a 304, not the entry last seen
		site.AddEntries(feedstest.StoriesFeed)
		if got := counts(pass(t, a)); got != "0 new, 0 updated, 0 failed, 0 parked" {
			t.Errorf("after the takedown: %s", got)
		}
	}
	if _, ok := storetest.Posts(t, archive)[site.StoryURL(1)]; ok {
		t.Errorf("the post taken down is archived again; commits %q", storetest.Subjects(t, archive))
	}
}

// TestPassGUIDReused: a guid the archive has, on an entry that links to
// another page in a later poll, is another article.
func TestPassGUIDReused(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	entry := func(i int) feedstest.Feed {
		site.SetPage(feedstest.StoryPath(i), feedstest.PathStory(feedstest.StoryPath(i)))
		return feedstest.Feed{Title: "t", Entries: []feedstest.Entry{{Title: fmt.Sprintf("第%d篇报道", i),
			Link: site.StoryURL(i), GUID: "latest", Published: time.Date(2025, 6, 1, 0, i, 0, 0, time.UTC)}}}
	}
	site.SetFeed(feedstest.StoriesFeed, entry(1))
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
	pass(t, a)
	site.SetFeed(feedstest.StoriesFeed, entry(2))
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the second story: %s", got)
	}
	posts := storetest.Posts(t, archive)
	if posts[site.StoryURL(1)] == "" || posts[site.StoryURL(2)] == "" {
		t.Errorf("posts %v, want both stories", posts)
	}
}

// TestPassCommitRefused: a person switches branches while a pass fetches.
// The pass commits nothing onto their branch and says so; its failures are
// remembered all the same, and its posts are committed once the person
// is back.
func TestPassCommitRefused(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(2)
	a, archive := newGitTest(t, feedsYAML(site.StoriesURL()), "")
	pass(t, a)
	site.ListStories(3)
	site.Fail(feedstest.StoryPath(3), feedstest.Status(http.StatusNotFound))
	site.EditStory(1, "第1篇报道（更新）")
	site.Handle(feedstest.StoryPath(1), func(w http.ResponseWriter, r *http.Request) {
		storetest.Git(t, archive, "checkout", "--quiet", "-b", "person")
		fmt.Fprint(w, feedstest.StoryPage("第1篇报道（更新）", "新的一段。"))
	})
	sum, err := a.Pass(context.Background())
	if err == nil || !strings.Contains(err.Error(), "person") {
		t.Errorf("Pass = %v, want the other branch named", err)
	}
	if got := storetest.Git(t, archive, "log", "--oneline", "person", "--not", "main"); got != "" {
		t.Errorf("the pass committed onto the person's branch: %s", got)
	}
	if len(sum.Failed) != 2 {
		t.Errorf("failed %+v, want story 3 and the store", sum.Failed)
	}
	storetest.Git(t, archive, "checkout", "--quiet", "main")
	site.Handle(feedstest.StoryPath(1), nil)
	if got := counts(pass(t, a)); got != "0 new, 0 updated, 0 failed, 1 parked" {
		t.Errorf("the pass after: %s, want story 3's failure remembered", got)
	}
	data, _ := os.ReadFile(filepath.Join(archive, "_posts", storetest.Posts(t, archive)[site.StoryURL(1)]))
	if !strings.Contains(string(data), "新的一段。") || storetest.Git(t, archive, "status", "--porcelain") != "" {
		t.Errorf("the edit is not committed; status %q", storetest.Git(t, archive, "status", "--porcelain"))
	}
	storetest.CheckRepo(t, archive)
}

// TestPassWaitingTakedownEdited: a post taken down in a commit while a
// person has an uncommitted edit to .archiver/forgotten waits to be
// remembered; an edit of its feed entry meanwhile must not archive it again.
func TestPassWaitingTakedownEdited(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(2)
	a, archive := newGitTest(t, feedsYAML(site.StoriesURL()), "")
	pass(t, a)
	// The person's list, committed, then edited without committing.
	list := filepath.Join(archive, store.ForgottenFile)
	storetest.WriteFile(t, list, "# mine\n")
	storetest.Git(t, archive, "add", store.ForgottenFile)
	storetest.Git(t, archive, "commit", "--quiet", "-m", "my list")
	storetest.WriteFile(t, list, "# mine, being edited\n")
	// The takedown.
	name := storetest.Posts(t, archive)[site.StoryURL(1)]
	storetest.Git(t, archive, "rm", "--quiet", "_posts/"+name)
	storetest.Git(t, archive, "commit", "--quiet", "-m", "Take story 1 down")

	site.EditStory(1, "第1篇报道（更新）") // the feed entry changes
	sum := pass(t, a)
	if got := counts(sum); got != "0 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("after the takedown: %s", got)
	}
	if _, ok := storetest.Posts(t, archive)[site.StoryURL(1)]; ok {
		t.Errorf("the post taken down is archived again; commits %q", storetest.Subjects(t, archive))
	}
	if _, err := os.Stat(filepath.Join(archive, "_posts", name)); err == nil {
		t.Errorf("the post taken down is back in the work tree; status %q", storetest.Git(t, archive, "status", "--porcelain"))
	}
	_ = context.Background
}

// TestForgetOtherSpelling: archiver forget with another spelling of
// an archived article's URL (a trailing slash) remembers it once.
func TestForgetOtherSpelling(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(2)
	a, archive := newGitTest(t, feedsYAML(site.StoriesURL()), "")
	pass(t, a)
	n, err := a.Forget(context.Background(), []string{site.StoryURL(1) + "/"}, false)
	if err != nil || n != 1 {
		t.Fatalf("Forget = %d, %v", n, err)
	}
	st, err := wire.OpenStore(context.Background(), a.Config, a.Log)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.Forgotten()
	st.Close()
	if len(got) != 1 {
		t.Errorf("forgotten %q, want the article once; commits %q", got, storetest.Subjects(t, archive))
	}
}

// TestPassRedirectSecondFeed: an entry whose link redirects to its
// story, archived from one feed, listed later by a second feed of the
// site (no guids): it is the same article, archived; not a failure.
func TestPassRedirectSecondFeed(t *testing.T) {
	t.Parallel()
	site, _, _ := redirecting(t, false)
	const other = "/other.xml"
	site.SetFeed(other, feedstest.Feed{Title: "o", Entries: []feedstest.Entry{{Title: "其他", Link: site.URL + "/go/9",
		Published: time.Date(2025, 6, 1, 0, 9, 0, 0, time.UTC)}}})
	site.SetPage("/go/9", feedstest.PathStory("/go/9"))
	a, archive := newTest(t, feedsYAML(site.StoriesURL(), site.URL+other), "")
	if got := counts(pass(t, a)); got != "3 new, 0 updated, 0 failed, 0 parked" {
		t.Fatalf("first pass: %s", got)
	}
	site.AddEntries(other, feedstest.Entry{Title: "第1篇报道", Link: site.URL + "/go/1",
		Published: time.Date(2025, 6, 1, 0, 1, 0, 0, time.UTC)})
	sum := pass(t, a)
	if got := counts(sum); got != "0 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the story listed by a second feed: %s %+v", got, sum.Failed)
	}
	if n := len(storetest.Posts(t, archive)); n != 3 {
		t.Errorf("%d posts, want 3", n)
	}
}

// TestPassRedirectStateLost: the same, after the saved state was set
// aside (unreadable): the archived story is not a failure.
func TestPassRedirectStateLost(t *testing.T) {
	t.Parallel()
	_, a, archive := redirecting(t, false)
	if got := counts(pass(t, a)); got != "2 new, 0 updated, 0 failed, 0 parked" {
		t.Fatalf("first pass: %s", got)
	}
	archive.ForgetState()
	sum := pass(t, a)
	if got := counts(sum); got != "0 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("after the state was lost: %s %+v", got, sum.Failed)
	}
}

// TestPassRedirectOntoParkedPage: story 5 failed (parked) and is no
// longer listed; story 3's link wrongly redirects to story 5's page. Once
// the site is mended, both stories must be archived, each once.
func TestPassRedirectOntoParkedPage(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	for _, i := range []int{1, 3, 5} {
		site.SetPage(feedstest.StoryPath(i), feedstest.PathStory(feedstest.StoryPath(i)))
	}
	site.SetFeed(feedstest.StoriesFeed, feedstest.Feed{Title: "t", Entries: []feedstest.Entry{site.StoryEntry(1), site.StoryEntry(5)}})
	site.Fail(feedstest.StoryPath(5), feedstest.Status(404))
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 1 failed, 0 parked" {
		t.Fatalf("first pass: %s", got)
	}
	// Story 5 is back but parked (not due for an hour) and off the feed;
	// story 3 is new, and its link redirects to story 5's page.
	site.Heal(feedstest.StoryPath(5))
	site.SetFeed(feedstest.StoriesFeed, feedstest.Feed{Title: "t", Entries: []feedstest.Entry{site.StoryEntry(1), site.StoryEntry(3)}})
	site.Redirect(feedstest.StoryPath(3), feedstest.StoryPath(5))
	t.Logf("second pass: %s", counts(pass(t, a)))
	// The site is mended; hours later everything is due.
	site.Redirect(feedstest.StoryPath(3), "")
	site.AddEntries(feedstest.StoriesFeed) // a new ETag
	a.Now = func() time.Time { return time.Now().Add(3 * time.Hour) }
	t.Logf("third pass: %s", counts(pass(t, a)))
	a.Now = func() time.Time { return time.Now().Add(30 * time.Hour) }
	site.AddEntries(feedstest.StoriesFeed)
	t.Logf("fourth pass: %s", counts(pass(t, a)))
	posts := storetest.Posts(t, archive)
	for _, i := range []int{1, 3, 5} {
		if posts[site.StoryURL(i)] == "" {
			t.Errorf("story %d is never archived from its page; posts %v", i, posts)
		}
	}
	bodies := storetest.Bodies(t, archive)
	if b := bodies[site.StoryURL(5)]; !strings.Contains(b, feedstest.PathText(feedstest.StoryPath(5))) {
		t.Errorf("story 5's post:\n%s", b)
	}
}

// sectionPage is a section's list page: a list of links to its stories,
// each a headline and a teaser, and the site's furniture; no story.
func sectionPage(site *feedstest.Site) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>政治 - 自由亚洲电台</title></head><body>
<header><nav><a href="/mandarin/">首页</a> <a href="/mandarin/shehui/">社会</a> <a href="/mandarin/zhengzhi/">政治</a></nav></header>
<main><h1>政治</h1><div class="b-results-list">`)
	for i := range 12 {
		fmt.Fprintf(&b, `<div class="b-results-list__item"><h2 class="c-heading"><a href="/mandarin/zhengzhi/2026/11/%02d/story-%d/">第%d篇政治新闻的标题在这里</a></h2>
<p class="c-paragraph">这是第%d篇新闻的摘要，说明了一些事情。</p><time>2026-11-%02d</time></div>`, i+1, i, i, i, i+1)
	}
	b.WriteString(`</div></main><footer><a href="/about/">关于我们</a></footer></body></html>`)
	return b.String()
}

// TestPassRedirectToSection: an entry whose link leads to another
// section's list page is not archived as a story, nor does it take the
// other entries down with it; once the site is mended, each story is
// archived from its own page.
func TestPassRedirectToSection(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(3)
	site.SetPage("/mandarin/zhengzhi/", sectionPage(site))
	for i := 1; i <= 3; i++ {
		site.Redirect(feedstest.StoryPath(i), "/mandarin/zhengzhi/")
	}
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
	sum := pass(t, a)
	if got := counts(sum); got != "0 new, 0 updated, 3 failed, 0 parked" {
		t.Errorf("first pass: %s %+v", got, sum.Failed)
	}
	for _, f := range sum.Failed {
		if f.Kind != retry.KindFetch || !strings.Contains(f.Reason, "not to the article") {
			t.Errorf("failure %+v, want the link leading to no article", f)
		}
	}
	if posts := storetest.Posts(t, archive); len(posts) != 0 {
		t.Errorf("posts %v: a list page archived as a story", posts)
	}
	for i := 1; i <= 3; i++ {
		site.Redirect(feedstest.StoryPath(i), "")
	}
	a.Now = func() time.Time { return time.Now().Add(3 * time.Hour) }
	if got := counts(pass(t, a)); got != "3 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("once the site is mended: %s", got)
	}
	if posts := storetest.Posts(t, archive); len(posts) != 3 || posts[site.StoryURL(1)] == "" {
		t.Errorf("posts %v", posts)
	}
}
