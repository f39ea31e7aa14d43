package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/archiver/wire/wiretest"
	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// arcTest is a site whose content API holds stories, and the tools of a
// backfill of it into an archive in memory that holds the sample post of
// the earlier tool.
func arcTest(t *testing.T, stories []feedstest.ArcStory) (*feedstest.Site, *wire.Tools, *storetest.Memory) {
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.SetArcStories("rfa-mandarin", stories)
	a, archive := wiretest.New(t, "feeds:\n  - url: '"+site.StoriesURL()+"'\n    arc_website: rfa-mandarin\n", "")
	if err := archive.Put(samplePostName, storetest.SamplePost); err != nil {
		t.Fatal(err)
	}
	return site, a, archive
}

const samplePostName = "2024-07-26-hx2-southeast-asian-diplomats-meet-07262024084201.md"

func backfillRange(t *testing.T, a *wire.Tools, ctx context.Context) (*Summary, error) {
	t.Helper()
	return Run(ctx, a, Options{Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)})
}

// TestBackfill: every story once, in a commit per month oldest first; the
// sample post is not archived again and gains the Arc URL; a second run
// asks nothing and commits nothing.
func TestBackfill(t *testing.T) {
	t.Parallel()
	stories := feedstest.ArcStories(300)
	site, a, archive := arcTest(t, stories)
	sum, err := backfillRange(t, a, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.New != 300 || sum.Known != 1 || sum.Linked != 1 || len(sum.Failed) != 0 || sum.Windows != 60 {
		t.Errorf("summary %+v", sum)
	}
	posts := storetest.Posts(t, archive)
	if len(posts) != 301 {
		t.Errorf("%d posts, want 301", len(posts))
	}
	for _, s := range stories[:300] {
		if posts[site.URL+s.Path] == "" {
			t.Errorf("%s is not archived", s.Path)
		}
	}
	sample := storetest.ReadPost(t, archive, samplePostName)
	arcURL := site.URL + feedstest.SampleStory.Path
	if sample.From != storetest.SampleFrom || !slices.Equal(sample.Also, []string{arcURL}) || sample.SourceID != feedstest.SampleStory.ID {
		t.Errorf("the sample post: from %q, also %q, source id %q", sample.From, sample.Also, sample.SourceID)
	}
	body := storetest.Bodies(t, archive)[site.URL+stories[7].Path]
	if !strings.Contains(body, "第7篇的正文。") || !strings.Contains(body, "**第二段**") {
		t.Errorf("a backfilled post's body:\n%s", body)
	}
	var backfills []string
	for _, s := range slices.Backward(storetest.Subjects(t, archive)) {
		if strings.HasPrefix(s, "Backfill ") {
			backfills = append(backfills, s)
		}
	}
	if len(backfills) < 36 || backfills[0] != "Backfill 2020-01: 9 posts" || !slices.IsSorted(backfills) {
		t.Errorf("backfill commits, oldest first: %q", backfills)
	}
	if q := site.ArcQueries()[0]; q.Get("d") != feedstest.ArcDeployment || q.Get("_website") != "rfa-mandarin" {
		t.Errorf("the first query: %v", q)
	}
	storetest.CheckRepo(t, archive)

	head, asked := storetest.Head(t, archive), len(site.ArcQueries())
	again, err := backfillRange(t, a, context.Background())
	if err != nil || again.New != 0 || again.Before != 60 || again.Commits != 0 {
		t.Errorf("run again: %+v, %v", again, err)
	}
	if storetest.Head(t, archive) != head || len(site.ArcQueries()) != asked {
		t.Errorf("run again: %d more queries, HEAD moved: %v", len(site.ArcQueries())-asked, storetest.Subjects(t, archive)[:2])
	}
}

// TestBackfillResumes: a backfill stopped midway, run again, completes:
// no story twice, none missing.
func TestBackfillResumes(t *testing.T) {
	t.Parallel()
	stories := feedstest.ArcStories(120)
	site, a, archive := arcTest(t, stories)
	ctx, cancel := context.WithCancel(context.Background())
	read := 0
	opts := Options{Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC),
		Progress: func(p Progress) {
			if read++; read == 50 {
				cancel()
			}
		}}
	if _, err := Run(ctx, a, opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("Backfill stopped = %v", err)
	}
	storetest.CheckRepo(t, archive)
	stopped := len(storetest.PostFiles(t, archive))
	if stopped < 40 || stopped > 52 {
		t.Errorf("%d posts after a stop at the 50th story", stopped)
	}
	opts.Progress = nil
	sum, err := Run(context.Background(), a, opts)
	if err != nil || len(sum.Failed) != 0 {
		t.Fatalf("Backfill again = %+v, %v", sum, err)
	}
	posts := storetest.Posts(t, archive)
	for _, s := range stories[:120] {
		if posts[site.URL+s.Path] == "" {
			t.Errorf("%s is missing", s.Path)
		}
	}
	if len(posts) != 121 {
		t.Errorf("%d posts, want 121", len(posts))
	}
	storetest.CheckRepo(t, archive)
}

// TestBackfillSplitsWindows: a month with more stories than the content
// API pages through is walked in parts, each whole.
func TestBackfillSplitsWindows(t *testing.T) { // not in parallel: it sets how deep content APIs page
	defer func(old, oldSite int) { maxOffset, feedstest.ArcMaxOffset = old, oldSite }(maxOffset, feedstest.ArcMaxOffset)
	maxOffset, feedstest.ArcMaxOffset = 40, 40
	var stories []feedstest.ArcStory
	for i := range 100 { // 100 in March 2021, some on one day
		date := time.Date(2021, 3, 1+i%25, 1+i%20, i, 0, 0, time.UTC)
		stories = append(stories, feedstest.ArcStory{ID: fmt.Sprintf("M%d", i), Title: fmt.Sprintf("三月第%d篇", i), Date: date,
			Path: feedstest.ArcPath(date, fmt.Sprintf("march-%d", i)), Paragraphs: []string{"正文。"}})
	}
	site, a, archive := arcTest(t, stories)
	opts := Options{Since: time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2021, 3, 31, 0, 0, 0, 0, time.UTC)}
	sum, err := Run(context.Background(), a, opts)
	if err != nil || sum.New != 100 || len(sum.Failed) != 0 {
		t.Errorf("Backfill = %+v, %v", sum, err)
	}
	if n := len(storetest.Posts(t, archive)); n != 101 {
		t.Errorf("%d posts, want 101", n)
	}
	asked := len(site.ArcQueries())
	if sum, err := Run(context.Background(), a, opts); err != nil || sum.Before != 1 || len(site.ArcQueries()) != asked {
		t.Errorf("run again: %+v, %v, %d questions; want none, the month walked before in parts", sum, err, len(site.ArcQueries())-asked)
	}
}

// TestBackfillIdentities: a story the content API lists twice under two
// URLs (it moved: its id, day and title are the same) is one post, known
// by both; a story without a body is
// a failure, kept to be tried again like any other.
func TestBackfillIdentities(t *testing.T) {
	t.Parallel()
	date := time.Date(2022, 5, 4, 3, 0, 0, 0, time.UTC)
	stories := []feedstest.ArcStory{
		{ID: "MOVED", Title: "搬了家的报道", Date: date, Path: feedstest.ArcPath(date, "old-slug"), Paragraphs: []string{"正文。"}},
		{ID: "MOVED", Title: "搬了家的报道", Date: date.Add(time.Hour), Path: feedstest.ArcPath(date, "new-slug"), Paragraphs: []string{"正文。"}},
		{ID: "EMPTY", Title: "没有正文", Date: date.Add(2 * time.Hour), Path: feedstest.ArcPath(date, "empty"),
			Lead: "https://cloudfront-us-east-1.images.arcpublishing.com/radiofreeasia/EMPTY.jpg"}, // a lead image is no story
		{ID: "GALLERY", Title: "图集", Date: date.Add(3 * time.Hour), Path: feedstest.ArcPath(date, "gallery"), Type: "gallery"},
	}
	site, a, archive := arcTest(t, stories)
	sum, err := Run(context.Background(), a, Options{Since: date, Until: date})
	if err != nil || sum.New != 1 || sum.Known != 1 || sum.Linked != 1 || sum.Skipped != 1 || len(sum.Failed) != 1 {
		t.Errorf("Backfill = %+v, %v", sum, err)
	}
	if len(sum.Failed) == 1 && sum.Failed[0].URL != site.URL+stories[2].Path {
		t.Errorf("failed %+v, want the story without a body", sum.Failed)
	}
	posts := storetest.Posts(t, archive)
	if len(posts) != 2 {
		t.Errorf("posts %v", posts)
	}
	for from, name := range posts {
		if fm := storetest.ReadPost(t, archive, name); fm.SourceID == "MOVED" && len(fm.Also) != 1 {
			t.Errorf("%s: also %q", from, fm.Also)
		}
	}
	book, err := retry.Load(archive, 0, a.Log)
	if failures := book.List(); err != nil || len(failures) != 1 || failures[0].URL != site.URL+stories[2].Path {
		t.Errorf("archiver failures: %+v, %v", failures, err)
	}
}

// TestBackfillServices: two services of a site in one store: stories of
// the same day and slug keep posts of their own, with names of their own.
func TestBackfillServices(t *testing.T) {
	t.Parallel()
	date := time.Date(2023, 9, 9, 9, 0, 0, 0, time.UTC)
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.SetArcStories("rfa-mandarin", []feedstest.ArcStory{{ID: "M1", Title: "同一天的报道", Date: date, Path: feedstest.ArcPath(date, "same-slug"), Paragraphs: []string{"普通话。"}}})
	site.SetArcStories("rfa-cantonese", []feedstest.ArcStory{{ID: "C1", Title: "同一日嘅報道", Date: date, Path: "/cantonese/news/2023/09/09/same-slug/", Paragraphs: []string{"粵語。"}}})
	a, archive := wiretest.New(t, "feeds:\n  - url: '"+site.StoriesURL()+"'\n    arc_website: rfa-mandarin\n"+
		"  - url: '"+site.URL+"/cantonese.xml'\n    arc_website: rfa-cantonese\n    front_matter: {author: 自由亞洲電台}\n", "")
	sum, err := Run(context.Background(), a, Options{Since: date, Until: date})
	if err != nil || sum.New != 2 {
		t.Fatalf("Backfill = %+v, %v", sum, err)
	}
	posts := storetest.Posts(t, archive)
	mandarin, cantonese := posts[site.URL+feedstest.ArcPath(date, "same-slug")], posts[site.URL+"/cantonese/news/2023/09/09/same-slug/"]
	if mandarin == "" || cantonese == "" || mandarin == cantonese {
		t.Fatalf("posts %v", posts)
	}
	if fm := storetest.ReadPost(t, archive, cantonese); fm.Fields["author"] != "自由亞洲電台" || !strings.Contains(string(fm.Body), "粵語。") {
		t.Errorf("the Cantonese post: %v\n%s", fm.Fields, fm.Body)
	}
}

// TestBackfillSameTitles: two stories of one title on one day, with ANS
// ids of their own (a daily column), are two posts, and two such posts of
// the old archive are each matched to one of them; the sample post is
// still recognised by its title on its day when the archive's time zone
// puts the story on the next day.
func TestBackfillSameTitles(t *testing.T) {
	t.Parallel()
	date := time.Date(2024, 7, 26, 2, 0, 0, 0, time.UTC)
	sample := feedstest.SampleStory
	sample.Date = time.Date(2024, 7, 26, 19, 35, 21, 0, time.UTC) // 2024-07-27 in Shanghai
	stories := []feedstest.ArcStory{
		{ID: "DAILY1", Title: "新闻简报", Date: date, Path: feedstest.ArcPath(date, "briefing-morning"), Paragraphs: []string{"早间。"}},
		{ID: "DAILY2", Title: "新闻简报", Date: date.Add(10 * time.Hour), Path: feedstest.ArcPath(date, "briefing-evening"), Paragraphs: []string{"晚间。"}},
		sample,
		{ID: "COLUMN1", Title: "每日评论", Date: date, Path: feedstest.ArcPath(date, "column-1"), Paragraphs: []string{"评论一。"}},
		{ID: "COLUMN2", Title: "每日评论", Date: date.Add(time.Hour), Path: feedstest.ArcPath(date, "column-2"), Paragraphs: []string{"评论二。"}},
	}
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.SetArcStories("rfa-mandarin", stories)
	a, archive := wiretest.New(t, "timezone: Asia/Shanghai\nfeeds:\n  - url: '"+site.StoriesURL()+"'\n    arc_website: rfa-mandarin\n", "")
	if err := archive.Put(samplePostName, storetest.SamplePost); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ { // the column's two posts of the day in the old archive
		old := strings.Replace(string(storetest.SamplePost), "美中外长在东盟外交拼场 布林肯与王毅将会面", "每日评论", 1)
		old = strings.ReplaceAll(old, "hx2-southeast-asian-diplomats-meet-07262024084201", fmt.Sprintf("column-%d-07262024", i))
		if err := archive.Put(fmt.Sprintf("2024-07-26-column-%d-07262024.md", i), old); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := Run(context.Background(), a, Options{Since: date, Until: date.AddDate(0, 0, 2)})
	if err != nil || sum.New != 2 || sum.Linked != 3 {
		t.Errorf("Backfill = %+v, %v; want 2 new, the sample and the column's two linked", sum, err)
	}
	if posts := storetest.Posts(t, archive); len(posts) != 5 {
		t.Errorf("%d posts, want 5: %v", len(posts), posts)
	}
	posts := storetest.Posts(t, archive)
	for _, s := range stories[:2] {
		if posts[site.URL+s.Path] == "" {
			t.Errorf("%s is not archived: %v", s.Path, posts)
		}
	}
	if fm := storetest.ReadPost(t, archive, samplePostName); fm.SourceID != sample.ID {
		t.Errorf("the sample post: source id %q, also %q", fm.SourceID, fm.Also)
	}
}

// TestBackfillNextNotPast: a content API whose next page is not past the
// one it answered is a failure of the window, not a walk without end.
func TestBackfillNextNotPast(t *testing.T) {
	t.Parallel()
	date := time.Date(2021, 3, 3, 3, 0, 0, 0, time.UTC)
	site, a, _ := arcTest(t, nil)
	asked := 0
	site.Handle(feedstest.ArcAPIPath, func(w http.ResponseWriter, r *http.Request) {
		asked++
		fmt.Fprint(w, `{"content_elements":[],"count":40,"next":20}`)
	})
	sum, err := Run(context.Background(), a, Options{Since: date, Until: date})
	if err != nil || len(sum.Failed) != 1 || !strings.Contains(sum.Failed[0].Reason, "next 20 after offset 20") || asked != 2 {
		t.Errorf("Backfill = %+v, %v after %d questions; want the window failed after 2", sum, err, asked)
	}
}

// TestBackfillStoppedInMedia: a backfill stopped while it fetches a
// story's image records no failure, writes no post linking the original,
// and leaves the window to walk again.
func TestBackfillStoppedInMedia(t *testing.T) {
	t.Parallel()
	date := time.Date(2021, 3, 3, 3, 0, 0, 0, time.UTC)
	site, images := feedstest.NewSite(t), feedstest.NewSite(t)
	site.ListStories(1)
	images.SetFile("/lead.png", "image/png", feedstest.Image(7))
	story := feedstest.ArcStory{ID: "PICTURE", Title: "有图的报道", Date: date, Path: feedstest.ArcPath(date, "picture"),
		Lead: images.URL + "/lead.png", Paragraphs: []string{"正文。"}}
	site.SetArcStories("rfa-mandarin", []feedstest.ArcStory{story})
	a, archive := wiretest.New(t, "feeds:\n  - url: '"+site.StoriesURL()+"'\n    arc_website: rfa-mandarin\n"+
		"media: {images: true, hosts: ['"+strings.TrimPrefix(images.URL, "http://")+"']}\n", "")
	release := images.Hold("/lead.png")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for images.Hits("/lead.png") < 1 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	opts := Options{Since: date, Until: date}
	if sum, err := Run(ctx, a, opts); !errors.Is(err, context.Canceled) || len(sum.Failed) != 0 || sum.New != 0 || sum.Windows != 0 {
		t.Errorf("the stopped backfill: %v, %+v", err, sum)
	}
	release()
	if sum, err := Run(context.Background(), a, opts); err != nil || sum.New != 1 || len(sum.Failed) != 0 {
		t.Errorf("the next backfill: %v, %+v", err, sum)
	}
	if body := storetest.Bodies(t, archive)[site.URL+story.Path]; !strings.Contains(body, "](/media/") {
		t.Errorf("the post does not show its image from the archive:\n%s", body)
	}
}

// TestBackfillAPIDown: a content API that fails window after window is not
// asked for the rest, which is reported as failed, to ask again later.
func TestBackfillAPIDown(t *testing.T) {
	t.Parallel()
	site, a, _ := arcTest(t, nil)
	var mu sync.Mutex
	windows := map[string]bool{}
	site.Handle(feedstest.ArcAPIPath, func(w http.ResponseWriter, r *http.Request) {
		var q struct{ Query string }
		json.Unmarshal([]byte(r.URL.Query().Get("query")), &q)
		mu.Lock()
		windows[q.Query] = true
		mu.Unlock()
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	sum, err := Run(context.Background(), a, Options{Since: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2021, 12, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(sum.Failed) != maxFailingWindows+1 || !strings.Contains(sum.Failed[maxFailingWindows].Reason, "9 later windows were not asked for") {
		t.Errorf("Backfill = %+v, %v", sum, err)
	}
	if len(windows) != maxFailingWindows {
		t.Errorf("asked for %d windows: %v", len(windows), windows)
	}
}

// TestBackfillDeployment: the deployment number comes from the front page,
// else from the page of the feed's newest story; with neither saying, the
// content API is asked without one.
func TestBackfillDeployment(t *testing.T) {
	t.Parallel()
	day := time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC)
	site, a, _ := arcTest(t, nil)
	site.SetPage("/", "<!DOCTYPE html><html><head><title>首页</title></head><body>首页</body></html>")
	site.SetPage(feedstest.StoryPath(1), `<!DOCTYPE html><html><head><script id="fusion-metadata" type="application/javascript">window.Fusion=window.Fusion||{};Fusion.deployment="777";</script></head><body><p>正文。</p></body></html>`)
	if _, err := Run(context.Background(), a, Options{Since: day, Until: day}); err != nil {
		t.Fatal(err)
	}
	if q := site.ArcQueries(); len(q) != 1 || q[0].Get("d") != "777" {
		t.Errorf("asked %v, want d=777 from the newest story's page", q)
	}
	site.SetPage(feedstest.StoryPath(1), "<!DOCTYPE html><html><body><p>正文。</p></body></html>")
	if _, err := Run(context.Background(), a, Options{Since: day.AddDate(0, 0, 1), Until: day.AddDate(0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	if q := site.ArcQueries(); len(q) != 2 || q[1].Has("d") {
		t.Errorf("asked %v, want no d where no page says it", q)
	}
}

// TestBackfillEarlierNames: the earlier tool's post, named by its Chinese
// title, is found by its title on its day and marked with the story's
// Arc URL and id, so that it is known by them from then on.
func TestBackfillEarlierNames(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.SetArcStories("rfa-mandarin", []feedstest.ArcStory{feedstest.SampleStory})
	a, archive := wiretest.New(t, "feeds:\n  - url: '"+site.StoriesURL()+"'\n    arc_website: rfa-mandarin\n", "")
	const name = "2024-07-26-美中外长在东盟外交拼场-布林肯与王毅将会面.md"
	if err := archive.Put(name, storetest.SamplePost); err != nil {
		t.Fatal(err)
	}
	day := feedstest.SampleStory.Date
	sum, err := Run(context.Background(), a, Options{Since: day, Until: day})
	if err != nil || sum.Linked != 1 || sum.New != 0 {
		t.Fatalf("Backfill = %+v, %v; want the post linked", sum, err)
	}
	if fm := storetest.ReadPost(t, archive, name); fm.SourceID != feedstest.SampleStory.ID || len(fm.Also) != 1 {
		t.Errorf("the earlier tool's post: source id %q, also %q", fm.SourceID, fm.Also)
	}
}

// hostileStories are stories of one day whose content API answers oddly.
func hostileStories(day time.Time, set ...map[string]any) []feedstest.ArcStory {
	var stories []feedstest.ArcStory
	for i, s := range set {
		date := day.Add(time.Duration(i) * time.Minute)
		stories = append(stories, feedstest.ArcStory{ID: fmt.Sprintf("ODD%d", i), Title: fmt.Sprintf("怪报道%d", i), Date: date,
			Path: feedstest.ArcPath(date, fmt.Sprintf("odd-%d", i)), Paragraphs: []string{"正文。"}, Set: s})
	}
	return stories
}

// TestBackfillUndated: a story whose display date cannot be used is dated
// by its other dates; one with none is a failure, never dated today.
func TestBackfillUndated(t *testing.T) {
	t.Parallel()
	day := time.Date(2024, 1, 10, 8, 0, 0, 0, time.UTC)
	first := "2024-01-09T07:06:05.000Z"
	stories := hostileStories(day,
		map[string]any{"display_date": "", "first_publish_date": first},
		map[string]any{"display_date": "garbage", "first_publish_date": nil, "publish_date": nil, "created_date": "2024-01-08T01:02:03Z"},
		map[string]any{"display_date": "2024-02-30T00:00:00Z", "first_publish_date": first},
		map[string]any{"display_date": "0001-01-01T00:00:00Z", "first_publish_date": first},
		map[string]any{"display_date": "10000-01-01T00:00:00Z", "first_publish_date": first},
		map[string]any{"display_date": "nope", "first_publish_date": "", "publish_date": "x", "created_date": nil, "last_updated_date": nil})
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.SetArcStories("rfa-mandarin", stories)
	a, archive := wiretest.New(t, "feeds:\n  - url: '"+site.StoriesURL()+"'\n    arc_website: rfa-mandarin\n", "")
	sum, err := Run(context.Background(), a, Options{Since: day, Until: day})
	if err != nil || sum.New != 5 || len(sum.Failed) != 1 || sum.Failed[0].URL != site.URL+stories[5].Path {
		t.Fatalf("Backfill = %+v, %v; want 5 new and the story without a date failed", sum, err)
	}
	for _, name := range storetest.PostFiles(t, archive) {
		if !strings.HasPrefix(name, "2024/01/2024-01-0") {
			t.Errorf("%s is not dated by the story's other dates", name)
		}
	}
	if book, _ := retry.Load(archive, 0, a.Log); book.Len() != 1 {
		t.Errorf("the undated story is not listed by archiver failures: %+v", book.List())
	}
}

// TestBackfillForeignURLs: a story whose URL is on another host than the
// feed's (or allowed_hosts) is not archived under it.
func TestBackfillForeignURLs(t *testing.T) {
	t.Parallel()
	day := time.Date(2024, 1, 10, 8, 0, 0, 0, time.UTC)
	stories := hostileStories(day,
		map[string]any{"canonical_url": "//evil.example.com/mandarin/x/", "website_url": "//evil.example.com/mandarin/x/", "websites": nil},
		map[string]any{"canonical_url": "http://127.0.0.1:1/mandarin/y/", "website_url": "http://127.0.0.1:1/mandarin/y/", "websites": nil},
		nil)
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.SetArcStories("rfa-mandarin", stories)
	a, archive := wiretest.New(t, "feeds:\n  - url: '"+site.StoriesURL()+"'\n    arc_website: rfa-mandarin\n", "")
	sum, err := Run(context.Background(), a, Options{Since: day, Until: day})
	if err != nil || sum.New != 1 || sum.Skipped != 2 {
		t.Errorf("Backfill = %+v, %v; want the one story of the site, two skipped", sum, err)
	}
	for from := range storetest.Posts(t, archive) {
		if !strings.HasPrefix(from, site.URL+"/") {
			t.Errorf("a post is from %s, off the feed's host", from)
		}
	}
}

// TestBackfillReusedIDs: a content API that gives one _id to stories of
// other days and titles makes a post of each, not a URL of another post.
func TestBackfillReusedIDs(t *testing.T) {
	t.Parallel()
	var stories []feedstest.ArcStory
	start := time.Date(2023, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range 120 {
		date := start.Add(time.Duration(i) * 6 * time.Hour)
		stories = append(stories, feedstest.ArcStory{ID: fmt.Sprintf("REUSED%d", i%20), Title: fmt.Sprintf("第%d篇", i), Date: date,
			Path: feedstest.ArcPath(date, fmt.Sprintf("story-%d", i)), Paragraphs: []string{fmt.Sprintf("第%d篇的正文。", i)}})
	}
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.SetArcStories("rfa-mandarin", stories)
	a, archive := wiretest.New(t, "feeds:\n  - url: '"+site.StoriesURL()+"'\n    arc_website: rfa-mandarin\n", "")
	sum, err := Run(context.Background(), a, Options{Since: start, Until: start.AddDate(0, 1, 0)})
	if err != nil || sum.New != 120 || sum.Linked != 0 {
		t.Errorf("Backfill = %+v, %v; want 120 new posts, none linked", sum, err)
	}
	if n := len(storetest.Posts(t, archive)); n != 120 {
		t.Errorf("%d posts, want 120", n)
	}
}

// TestBackfillClaimedCount: a content API that claims ten million stories
// a window, and pages through a few, is not split into days for its
// claim.
func TestBackfillClaimedCount(t *testing.T) {
	t.Parallel()
	site, a, _ := arcTest(t, feedstest.ArcStories(30))
	asked := 0
	var mu sync.Mutex
	site.Handle(feedstest.ArcAPIPath, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked++
		mu.Unlock()
		fmt.Fprint(w, `{"content_elements":[],"count":10000000}`)
	})
	sum, err := Run(context.Background(), a, Options{Since: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil || sum.Windows != 6 || asked != 6 {
		t.Errorf("Backfill = %+v, %v after %d questions; want 6 windows, 6 questions", sum, err, asked)
	}
}
