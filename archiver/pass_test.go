package archiver

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/archiver/wire/wiretest"
	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/jekyll"
	"github.com/rfa-archive/archiver/store/storetest"
)

// These tests run whole passes in process, against a feedstest site, in
// parallel: most over a store in memory (storetest.Memory, which the
// store suite holds to the git store's behaviour); those whose subject is
// git, or a person's work beside archiver, over a git store in a
// temporary directory, looked at with git.

func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "archiver-test-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	storetest.CleanProcessEnv(home) // no git configuration but the store's
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

// newTest returns an Archiver of the configuration with the feeds of
// yaml and the http settings of http, over a store in memory.
func newTest(t testing.TB, yaml, http string) (*Archiver, *storetest.Memory) {
	t.Helper()
	tools, mem := wiretest.New(t, yaml, http)
	return New(tools), mem
}

// newGitTest is newTest over a git store: it returns the store's
// directory.
func newGitTest(t testing.TB, yaml, http string) (*Archiver, string) {
	t.Helper()
	tools, dir := wiretest.NewGit(t, yaml, http)
	return New(tools), dir
}

// listFailures lists the failures a's store holds, as archiver failures
// does.
func listFailures(t *testing.T, a *Archiver) []retry.Failure {
	t.Helper()
	st, err := a.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	book, err := retry.Load(st, 0, a.Log)
	if err != nil {
		t.Fatal(err)
	}
	return book.List()
}

// feedsYAML is the feeds key of a configuration that lists urls.
func feedsYAML(urls ...string) string {
	var b strings.Builder
	b.WriteString("feeds:\n")
	for _, u := range urls {
		fmt.Fprintf(&b, "  - url: '%s'\n", u)
	}
	return b.String()
}

// pass runs a pass that must not fail as a whole.
func pass(t testing.TB, a *Archiver) *Summary {
	t.Helper()
	sum, err := a.Pass(context.Background())
	if err != nil {
		t.Fatalf("Pass: %v", err)
	}
	return sum
}

// counts is a summary in numbers: new, updated, failed (for the first
// time), parked (failed before).
func counts(sum *Summary) string {
	return fmt.Sprintf("%d new, %d updated, %d failed, %d parked", len(sum.New), len(sum.Updated), len(sum.Failed), len(sum.Parked))
}

// failing is the number of failed articles to try again.
func failing(sum *Summary) int {
	n := 0
	for _, k := range sum.Failing {
		n += k
	}
	return n
}

// TestPass: a pass archives what the feed lists, a story gone from its
// site from the feed's copy of it, a page that fails twice on the third
// attempt; it fails an article gone without a copy, and commits the rest
// as one commit naming each. The next pass gets a 304 and commits
// nothing; the one after the page comes back archives it.
func TestPass(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(2)
	site.AddEntries(feedstest.StoriesFeed,
		feedstest.Entry{Title: "已删除但订阅源保留了全文", Link: site.URL + "/gone/kept/", Content: "<p>全文只在订阅源里。</p><h2>小标题</h2>"},
		feedstest.Entry{Title: "已删除且没有全文", Link: site.URL + "/gone/lost/"},
		feedstest.Entry{Title: "两次失败", Link: site.URL + "/flaky/"})
	site.Fail("/gone/kept/", feedstest.Status(404))
	site.Fail("/gone/lost/", feedstest.Status(404))
	site.SetPage("/flaky/", feedstest.PathStory("/flaky/"))
	site.Fail("/flaky/", feedstest.Status(503).Times(2))
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")

	sum := pass(t, a)
	if got := counts(sum); got != "4 new, 0 updated, 1 failed, 0 parked" {
		t.Errorf("first pass: %s", got)
	}
	if f := sum.Failed[0]; f.URL != site.URL+"/gone/lost/" || f.Kind != retry.KindGone || f.Reason != "HTTP 404: page is gone" {
		t.Errorf("failure %+v, want the lost page, gone, with its reason", f)
	}
	bodies := storetest.Bodies(t, archive)
	for from, want := range map[string]string{
		site.StoryURL(1): feedstest.PathText(feedstest.StoryPath(1)), site.StoryURL(2): feedstest.PathText(feedstest.StoryPath(2)),
		site.URL + "/gone/kept/": "## 小标题", site.URL + "/flaky/": feedstest.PathText("/flaky/"),
	} {
		if !strings.Contains(bodies[from], want) {
			t.Errorf("the post of %s lacks %q:\n%s", from, want, bodies[from])
		}
	}
	if n := site.Hits("/flaky/"); n != 3 {
		t.Errorf("the flaky page was fetched %d times, want 3", n)
	}
	if msg := storetest.LastMessage(t, archive); !strings.HasPrefix(msg, "Archive 4 new posts\n\n+ ") || !strings.Contains(msg, "+ 已删除但订阅源保留了全文") {
		t.Errorf("commit message:\n%s", msg)
	}
	storetest.CheckRepo(t, archive)
	head := storetest.Head(t, archive)

	// The gone page will not heal by itself: it is parked, tried again
	// in an hour, not in the exit status.
	sum = pass(t, a)
	if got := counts(sum); got != "0 new, 0 updated, 0 failed, 1 parked" || sum.NotModified != 1 || sum.Committed {
		t.Errorf("second pass: %s, %d not modified, committed %v", got, sum.NotModified, sum.Committed)
	}
	if f := sum.Parked[0]; !f.Permanent || sum.Waiting != 1 || site.Hits("/gone/lost/") != 1 {
		t.Errorf("the parked failure %+v was tried again (%d fetches) or is not permanent", f, site.Hits("/gone/lost/"))
	}
	if storetest.Head(t, archive) != head || site.Hits(feedstest.StoryPath(1)) != 1 {
		t.Error("the second pass committed, or fetched an archived story again")
	}

	site.Heal("/gone/lost/")
	site.SetPage("/gone/lost/", feedstest.PathStory("/gone/lost/"))
	a.Now = func() time.Time { return time.Now().Add(time.Hour) }
	sum = pass(t, a)
	if got := counts(sum); got != "1 new, 0 updated, 0 failed, 0 parked" || sum.Posts != 5 || failing(sum) != 0 {
		t.Errorf("after healing: %s, %d posts, %d failing", got, sum.Posts, failing(sum))
	}
	storetest.CheckRepo(t, archive)
}

// TestPassEdits: an article listed twice in one feed (the second time
// with a trailing slash and tracking parameters) is archived once and
// never rewritten; an edited story is archived again in a commit of its
// own; an edit whose page fails is a failure like any other, and is tried
// again at the next pass even when the feed has not changed since.
func TestPassEdits(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	dup := site.StoryEntry(1)
	dup.Link += "/?utm_source=rss&utm_medium=feed#comments"
	dup.GUID = dup.Link
	site.AddEntries(feedstest.StoriesFeed, dup)
	site.ListStories(2)
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")

	if got := counts(pass(t, a)); got != "2 new, 0 updated, 0 failed, 0 parked" {
		t.Fatalf("first pass: %s", got)
	}
	site.ListStories(3) // the feed changes; story 1 is still listed twice
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
		t.Fatalf("second pass: %s", got)
	}
	if c := storetest.LastCommit(t, archive); !strings.HasPrefix(c, "Archive 1 new post\n") || strings.Count(c, "\nA\t") != 1 || strings.Contains(c, "\nM\t") {
		t.Errorf("the second pass's commit is not the one new post:\n%s", c)
	}
	if n := site.Hits(feedstest.StoryPath(1)) + site.Hits(feedstest.StoryPath(1)+"/"); n != 1 {
		t.Errorf("story 1's page was fetched %d times, want once: its second entry in the feed is taken for an edit", n)
	}

	name := storetest.Posts(t, archive)[site.StoryURL(2)]
	before := storetest.ReadPost(t, archive, name)
	site.EditStory(2, "第2篇报道（更正）")
	site.Fail(feedstest.StoryPath(2), feedstest.Status(500))
	sum := pass(t, a)
	if got := counts(sum); got != "0 new, 0 updated, 1 failed, 0 parked" || sum.Failed[0].URL != site.StoryURL(2) || sum.Failed[0].Kind != retry.KindFetch {
		t.Errorf("a failed edit: %s %+v", got, sum.Failed)
	}
	if after := storetest.ReadPost(t, archive, name); string(after.Body) != string(before.Body) {
		t.Error("a failed edit changed the post")
	}

	site.Heal(feedstest.StoryPath(2)) // the feed is unchanged: it answers 304
	sum = pass(t, a)
	if got := counts(sum); got != "0 new, 1 updated, 0 failed, 0 parked" || sum.NotModified != 1 {
		t.Fatalf("the edit tried again: %s, %d not modified", got, sum.NotModified)
	}
	if after := storetest.ReadPost(t, archive, name); !strings.Contains(string(after.Body), "更正") {
		t.Errorf("the edit is not archived:\n%s", after.Body)
	}
	if c := storetest.LastCommit(t, archive); !strings.HasPrefix(c, "Edited on the site: 頁面標題 /news/story-002.html\n") || !strings.Contains(c, "M\t_posts/"+name) {
		t.Errorf("the edit's commit:\n%s", c)
	}
	if log := storetest.History(t, archive, "_posts/"+name); len(log) != 2 {
		t.Errorf("the post's history has other than its first version and its edit:\n%s", log)
	}

	head := storetest.Head(t, archive)
	if sum := pass(t, a); sum.Committed || storetest.Head(t, archive) != head {
		t.Error("a pass with nothing new made a commit")
	}
	if n := len(storetest.Posts(t, archive)); n != 3 {
		t.Errorf("%d posts, want 3", n)
	}
	storetest.CheckRepo(t, archive)
}

// TestPassEntryChangedStoryNot: an entry whose title changes while its
// page says the same is fetched once more, and makes no commit; it is not
// fetched again after that.
func TestPassEntryChangedStoryNot(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
	pass(t, a)
	head := storetest.Head(t, archive)
	e := site.StoryEntry(1)
	e.Title = "第1篇报道（标题改了，正文没改）"
	site.SetFeed(feedstest.StoriesFeed, feedstest.Feed{Entries: []feedstest.Entry{e}})
	for i := range 2 {
		if sum := pass(t, a); counts(sum) != "0 new, 0 updated, 0 failed, 0 parked" || sum.Committed {
			t.Errorf("pass %d: %s, committed %v", i+2, counts(sum), sum.Committed)
		}
	}
	if storetest.Head(t, archive) != head {
		t.Error("a commit was made")
	}
	if n := site.Hits(feedstest.StoryPath(1)); n != 2 {
		t.Errorf("the page was fetched %d times, want 2: once more for the changed entry, then not", n)
	}
}

// TestPassRestamped: a feed that stamps a new pubDate on its entries at
// every poll makes no commit; an edit keeps the post's date, the one in
// its file name.
func TestPassRestamped(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
	pass(t, a)
	name := storetest.Posts(t, archive)[site.StoryURL(1)]
	head := storetest.Head(t, archive)
	for i := range 2 {
		e := site.StoryEntry(1)
		e.Published = time.Date(2025, 6, 2+i, 0, 0, 0, 0, time.UTC)
		site.SetFeed(feedstest.StoriesFeed, feedstest.Feed{Entries: []feedstest.Entry{e}})
		if sum := pass(t, a); counts(sum) != "0 new, 0 updated, 0 failed, 0 parked" || sum.NotModified != 0 {
			t.Errorf("a pass after the feed re-stamped its entry: %s, %d not modified", counts(sum), sum.NotModified)
		}
	}
	if storetest.Head(t, archive) != head || site.Hits(feedstest.StoryPath(1)) != 1 {
		t.Errorf("a re-stamped entry made a commit, or was fetched again (%d fetches)", site.Hits(feedstest.StoryPath(1)))
	}
	site.EditStory(1, "第1篇报道（更正）")
	if got := counts(pass(t, a)); got != "0 new, 1 updated, 0 failed, 0 parked" {
		t.Fatalf("the edit: %s", got)
	}
	fm := storetest.ReadPost(t, archive, name)
	if got := fm.Date.Format("2006-01-02"); !strings.HasPrefix(path.Base(name), got) {
		t.Errorf("the edited post's date is %s, its file %s", fm.Date, name)
	}
}

// TestPassEditGone: the page of an archived story that is edited and then
// taken down is gone; the archived version stands, marked removed_at in a
// commit of its own, and it is not a failure. The story back on the site
// loses the mark, in a commit that says so.
func TestPassEditGone(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
	pass(t, a)
	before := storetest.ReadPost(t, archive, storetest.Posts(t, archive)[site.StoryURL(1)])
	site.EditStory(1, "第1篇报道（已撤）")
	site.Fail(feedstest.StoryPath(1), feedstest.Status(410))
	if sum := pass(t, a); counts(sum) != "0 new, 0 updated, 0 failed, 0 parked" || failing(sum) != 0 {
		t.Errorf("the pass: %s, %d failing", counts(sum), failing(sum))
	}
	name := storetest.Posts(t, archive)[site.StoryURL(1)]
	after := storetest.ReadPost(t, archive, name)
	if string(after.Body) != string(before.Body) || !jekyll.Removed(after) {
		t.Errorf("the archived version changed, or is not marked removed: %v", after.Fields)
	}
	if c := storetest.LastCommit(t, archive); !strings.HasPrefix(c, "Removed from the site: 頁面標題 /news/story-001.html\n") {
		t.Errorf("the removal's commit:\n%s", c)
	}
	pass(t, a)
	if n := site.Hits(feedstest.StoryPath(1)); n != 2 {
		t.Errorf("the page was fetched %d times, want 2: not again once it is known gone", n)
	}

	site.Heal(feedstest.StoryPath(1))
	site.EditStory(1, "第1篇报道（恢复）")
	if sum := pass(t, a); counts(sum) != "0 new, 1 updated, 0 failed, 0 parked" {
		t.Errorf("the story back: %s", counts(sum))
	}
	if back := storetest.ReadPost(t, archive, name); jekyll.Removed(back) || !strings.Contains(string(back.Body), "恢复") {
		t.Errorf("the story back is still marked removed, or lacks its edit: %v\n%s", back.Fields, back.Body)
	}
	if c := storetest.LastCommit(t, archive); !strings.HasPrefix(c, "Back on the site: 頁面標題 /news/story-001.html\n") {
		t.Errorf("the commit of the story back:\n%s", c)
	}
}

// TestPassStoppedInEdit: a pass stopped while it fetches an edit leaves
// the edit to the next pass.
func TestPassStoppedInEdit(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
	pass(t, a)
	site.EditStory(1, "第1篇报道（更正）")
	release := site.Hold(feedstest.StoryPath(1))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for site.Hits(feedstest.StoryPath(1)) < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	if sum, err := a.Pass(ctx); err != context.Canceled || counts(sum) != "0 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the stopped pass: %v, %s", err, counts(sum))
	}
	release()
	if got := counts(pass(t, a)); got != "0 new, 1 updated, 0 failed, 0 parked" {
		t.Errorf("the next pass: %s", got)
	}
	if body := storetest.Bodies(t, archive)[site.StoryURL(1)]; !strings.Contains(body, "更正") {
		t.Errorf("the edit is not archived:\n%s", body)
	}
}

// TestPassSharedGUIDs: a feed that puts one guid in every entry (or the
// site's root) lists as many articles as it has pages, and each is
// archived.
func TestPassSharedGUIDs(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	for i, guid := range []string{"undefined", "undefined", "undefined", "undefined", "undefined", site.URL + "/", site.URL + "/"} {
		e := site.StoryEntry(i + 1)
		e.GUID = guid
		site.AddEntries(feedstest.StoriesFeed, e)
		site.SetPage(feedstest.StoryPath(i+1), feedstest.PathStory(feedstest.StoryPath(i+1)))
	}
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
	if got := counts(pass(t, a)); got != "7 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("pass: %s", got)
	}
	if n := len(storetest.Posts(t, archive)); n != 7 {
		t.Errorf("%d posts, want 7", n)
	}
	// A story added later with the same guid is an article too.
	e := site.StoryEntry(8)
	e.GUID = "undefined"
	site.AddEntries(feedstest.StoriesFeed, e)
	site.SetPage(feedstest.StoryPath(8), feedstest.PathStory(feedstest.StoryPath(8)))
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the next pass: %s", got)
	}
}

// TestPassOddDates: an entry dated past the year 9999 in UTC is an entry
// of unknown date, archived like any other, and the state is saved; a
// saved state with an empty failure is read without it.
func TestPassOddDates(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	e := site.StoryEntry(2)
	e.Published = time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -12*3600))
	site.AddEntries(feedstest.StoriesFeed, e)
	site.SetPage(feedstest.StoryPath(2), feedstest.PathStory(feedstest.StoryPath(2)))
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
	if err := archive.SaveState(map[string]any{"failures": json.RawMessage(`{"k": null, "j": {}}`), "seen": json.RawMessage(`{"x": null}`)}); err != nil {
		t.Fatal(err)
	}

	sum := pass(t, a)
	if got := counts(sum); got != "2 new, 0 updated, 0 failed, 0 parked" || !sum.Stored {
		t.Errorf("pass: %s, state saved %v", got, sum.Stored)
	}
	fm := storetest.ReadPost(t, archive, storetest.Posts(t, archive)[site.StoryURL(2)])
	if fm.Date.Year() > 9999 || fm.Date.IsZero() {
		t.Errorf("the post's date is %v", fm.Date)
	}
	if sum := pass(t, a); !sum.Stored || sum.NotModified != 1 {
		t.Errorf("the next pass: stored %v, %d not modified: the state was not saved", sum.Stored, sum.NotModified)
	}
}

// TestPassElsewhere: a link that leads to the front page, to a section,
// or to the page of another entry is a failure, not a post; once the site
// is mended, each story is archived from its own page.
func TestPassElsewhere(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(5)
	site.SetPage("/", feedstest.StoryPage("Front page", "今日要闻：很多报道。"))
	site.SetPage("/news/", feedstest.StoryPage("新闻", "新闻栏目。"))
	site.Redirect(feedstest.StoryPath(1), "/")
	site.Redirect(feedstest.StoryPath(2), "/news/")
	site.Redirect(feedstest.StoryPath(3), feedstest.StoryPath(5))
	site.Redirect(feedstest.StoryPath(4), feedstest.StoryPath(5))
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")

	sum := pass(t, a)
	if got := counts(sum); got != "1 new, 0 updated, 4 failed, 0 parked" {
		t.Errorf("pass: %s", got)
	}
	for _, f := range sum.Failed {
		if f.Kind != retry.KindFetch {
			t.Errorf("failure %+v, want a fetch failure", f)
		}
	}
	for i := 1; i <= 4; i++ {
		site.Redirect(feedstest.StoryPath(i), "")
	}
	if got := counts(pass(t, a)); got != "4 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("once the site is mended: %s", got)
	}
	posts := storetest.Posts(t, archive)
	for i := 1; i <= 5; i++ {
		if posts[site.StoryURL(i)] == "" {
			t.Errorf("story %d is not archived from its page", i)
		}
	}
	if len(posts) != 5 {
		t.Errorf("%d posts, want 5: %v", len(posts), posts)
	}
}

// TestPassNotHTML: a page whose bytes are an image, whatever its
// Content-Type says, is a failure, not a post.
func TestPassNotHTML(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 200)...)
	site.SetFile(feedstest.StoryPath(1), "text/html; charset=utf-8", png)
	a, _ := newTest(t, feedsYAML(site.StoriesURL()), "")
	sum := pass(t, a)
	if got := counts(sum); got != "0 new, 0 updated, 1 failed, 0 parked" || sum.Failed[0].Kind != retry.KindExtract ||
		!strings.Contains(sum.Failed[0].Reason, "not HTML: its bytes are image/png") {
		t.Errorf("pass: %s %+v", got, sum.Failed)
	}
}

// TestPassRetries: a failing article counts as failed at its first pass;
// after that it is parked: tried at each of the next passes, then less
// and less often; while it waits it is reported with the time of its
// next attempt, and not fetched.
func TestPassRetries(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.Fail(feedstest.StoryPath(1), feedstest.Status(503))
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "attempts: 1")
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	a.Now = func() time.Time { return now }

	for i := 1; i <= 4; i++ {
		want := "0 new, 0 updated, 0 failed, 1 parked"
		if i == 1 {
			want = "0 new, 0 updated, 1 failed, 0 parked"
		}
		if got := counts(pass(t, a)); got != want {
			t.Fatalf("pass %d: %s, want %s", i, got, want)
		}
	}
	sum := pass(t, a) // at the same time: the fourth failure waits 10 minutes
	if got := counts(sum); got != "0 new, 0 updated, 0 failed, 1 parked" {
		t.Fatalf("a pass while it waits: %s", got)
	}
	if f := sum.Parked[0]; !f.Next().Equal(now.Add(10*time.Minute)) || f.Kind != retry.KindFetch || f.Permanent || !strings.Contains(f.Reason, "HTTP 503") {
		t.Errorf("the waiting failure: %+v", f)
	}
	if n := site.Hits(feedstest.StoryPath(1)); n != 4 {
		t.Errorf("the page was fetched %d times, want 4: not while it waits", n)
	}
	now = now.Add(10 * time.Minute)
	site.Heal(feedstest.StoryPath(1))
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
		t.Fatalf("once due: %s", got)
	}
	storetest.CheckRepo(t, archive)
}

// TestPassGiveUp: an article that has failed for retry.give_up is given
// up: not tried again, but listed; archiver retry makes it due again.
func TestPassGiveUp(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.Fail(feedstest.StoryPath(1), feedstest.Status(503))
	a, _ := newTest(t, feedsYAML(site.StoriesURL())+"retry: {give_up: 2d}\n", "attempts: 1")
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	a.Now = func() time.Time { return now }
	pass(t, a)
	now = now.Add(3 * 24 * time.Hour)
	if sum := pass(t, a); counts(sum) != "0 new, 0 updated, 0 failed, 1 parked" || failing(sum) != 0 {
		t.Errorf("the pass that gives up: %s, %d failing", counts(sum), failing(sum))
	}
	now = now.Add(30 * 24 * time.Hour)
	if sum := pass(t, a); counts(sum) != "0 new, 0 updated, 0 failed, 0 parked" || site.Hits(feedstest.StoryPath(1)) != 2 {
		t.Errorf("a pass after: %s; the page was fetched %d times, want 2", counts(sum), site.Hits(feedstest.StoryPath(1)))
	}
	recs := listFailures(t, a)
	if len(recs) != 1 || recs[0].GaveUp.IsZero() || !recs[0].Next().IsZero() || recs[0].Attempts != 2 || recs[0].URL != site.StoryURL(1) {
		t.Fatalf("Failures = %+v", recs)
	}
	if n, err := a.RetryNow(context.Background(), []string{site.StoryURL(1) + "?utm_source=x"}); n != 1 || err != nil {
		t.Fatalf("RetryNow = %d, %v", n, err)
	}
	site.Heal(feedstest.StoryPath(1))
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("after archiver retry: %s", got)
	}
	if recs := listFailures(t, a); len(recs) != 0 {
		t.Errorf("Failures after = %+v", recs)
	}
}

// TestPassTakedown: a post a person deletes in a commit is not archived
// again while the feed lists it; archiver forget does the same
// deliberately, and --undo takes it back.
func TestPassTakedown(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(3)
	a, archive := newGitTest(t, feedsYAML(site.StoriesURL()), "")
	pass(t, a)
	posts := storetest.Posts(t, archive)
	storetest.Git(t, archive, "rm", "--quiet", "_posts/"+posts[site.StoryURL(1)])
	storetest.Git(t, archive, "commit", "--quiet", "-m", "Take story 1 down")

	site.EditStory(1, "第1篇报道（更新）") // the feed changes: no 304
	if got := counts(pass(t, a)); got != "0 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the pass after the takedown: %s", got)
	}
	if _, ok := storetest.Posts(t, archive)[site.StoryURL(1)]; ok {
		t.Error("the post taken down is archived again")
	}
	if msg := storetest.LastMessage(t, archive); !strings.HasPrefix(msg, "Remember 1 post removed from the archive") || !strings.Contains(msg, site.StoryURL(1)) {
		t.Errorf("last commit %q", msg)
	}

	// archiver forget: the post goes, and stays gone.
	if n, err := a.Forget(context.Background(), []string{site.StoryURL(2) + "?utm_source=x"}, false); n != 1 || err != nil {
		t.Fatalf("Forget = %d, %v", n, err)
	}
	if _, ok := storetest.Posts(t, archive)[site.StoryURL(2)]; ok {
		t.Error("a forgotten article's post is still there")
	}
	site.EditStory(2, "第2篇报道（更新）")
	if got := counts(pass(t, a)); got != "0 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the pass after forget: %s", got)
	}
	storetest.CheckRepo(t, archive)

	// --undo: the next pass archives it again.
	if n, err := a.Forget(context.Background(), []string{site.StoryURL(1)}, true); n != 1 || err != nil {
		t.Fatalf("Forget --undo = %d, %v", n, err)
	}
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the pass after forget --undo: %s", got)
	}
	if _, ok := storetest.Posts(t, archive)[site.StoryURL(1)]; !ok {
		t.Error("the article taken back is not archived")
	}
	storetest.CheckRepo(t, archive)
}

// TestPassStopped: a pass stopped while a page hangs (the oldest story's,
// fetched last) commits the posts it completed; the hanging article is
// not a failure, and the next pass archives it.
func TestPassStopped(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(3)
	release := site.Hold(feedstest.StoryPath(1))
	a, archive := newTest(t, feedsYAML(site.StoriesURL()), "concurrency: 1")

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for site.Hits(feedstest.StoryPath(1)) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	sum, err := a.Pass(ctx)
	if err != context.Canceled {
		t.Errorf("Pass: %v, want context.Canceled", err)
	}
	if got := counts(sum); got != "2 new, 0 updated, 0 failed, 0 parked" || !sum.Committed || !sum.Stored {
		t.Errorf("stopped pass: %s, committed %v, stored %v", got, sum.Committed, sum.Stored)
	}
	if n := len(storetest.PostFiles(t, archive)); n != 2 {
		t.Errorf("%d posts, want the 2 complete", n)
	}
	storetest.CheckRepo(t, archive)

	release()
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the next pass: %s", got)
	}
	if n := len(storetest.Posts(t, archive)); n != 3 {
		t.Errorf("%d posts, want 3", n)
	}
}

// TestPassAdopts runs passes on archives that already hold the earlier
// tool's sample post: in a git repository, and in a plain directory. The
// sample's article is recognised by its from: URL (the feed lists it with
// tracking parameters) and never fetched or archived again; the
// repository gets no site files it did not have.
func TestPassAdopts(t *testing.T) {
	t.Parallel()
	for _, repo := range []bool{true, false} {
		t.Run(fmt.Sprintf("repo=%v", repo), func(t *testing.T) {
			site := feedstest.NewSite(t)
			// The sample post, as if the site were www.rfa.org.
			sample := strings.ReplaceAll(storetest.SamplePost, "https://www.rfa.org", site.URL)
			path := strings.TrimPrefix(storetest.SampleFrom, "https://www.rfa.org")
			site.AddEntries(feedstest.StoriesFeed, feedstest.Entry{Title: "旧文", Link: site.URL + path + "?utm_source=rss"})
			site.SetPage(path, feedstest.PathStory(path))
			site.ListStories(1)
			a, archive := newGitTest(t, feedsYAML(site.StoriesURL()), "")
			samplePath := filepath.Join(archive, "_posts", "2024-07-26-hx2-southeast-asian-diplomats-meet.md")
			storetest.WriteFile(t, samplePath, sample)
			if repo {
				storetest.Git(t, archive, "init", "-q")
				storetest.Git(t, archive, "add", ".")
				storetest.Git(t, archive, "commit", "-qm", "The earlier tool's archive")
			}

			if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
				t.Errorf("pass: %s", got)
			}
			if n := site.Hits(path); n != 0 {
				t.Errorf("the archived article was fetched %d times", n)
			}
			if data, err := os.ReadFile(samplePath); err != nil || string(data) != sample {
				t.Errorf("the earlier tool's post was changed: %v", err)
			}
			if n := len(storetest.Posts(t, archive)); n != 2 {
				t.Errorf("%d posts, want 2", n)
			}
			_, err := os.Stat(filepath.Join(archive, "_config.yml"))
			if repo && err == nil {
				t.Error("an existing repository got site files it did not have")
			}
			if !repo && err != nil {
				t.Errorf("a new archive has no Jekyll site: %v", err)
			}
			storetest.CheckRepo(t, archive)
			head := storetest.Head(t, archive)
			if sum := pass(t, a); sum.Committed || storetest.Head(t, archive) != head {
				t.Error("the second pass made a commit")
			}
		})
	}
}
