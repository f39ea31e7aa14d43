package daemon

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/archiver/wire/wiretest"
	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store/jekyll"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestDaemonRevisits runs a daemon of hourly passes for 56 days in a
// testing/synctest bubble, whose clock is fake, with revisits after 1h,
// 6h, 1d, 3d, 7d, 30d, 45d, 55d and 180d: a story the feed drops after
// its first day is edited on day 5, removed on day 40 and back on day 50;
// each change reaches the archive at the story's next checkpoint, and
// never between two: the edit on day 7 as the post's second version, the
// removal on day 45 as removed_at with the text kept, the return on day
// 55 without it. On a site of pages, each checkpoint asks the story's
// page; on an Arc site, where another story of its day is due with it,
// the content API, and the page only to confirm the removal.
func TestDaemonRevisits(t *testing.T) {
	t.Parallel()
	for _, arc := range []bool{false, true} {
		t.Run(map[bool]string{false: "pages", true: "arc"}[arc], func(t *testing.T) {
			t.Parallel()
			daemonRevisits(t, arc)
		})
	}
}

// revisitedStory is the story of TestDaemonRevisits on its site: on a page
// of its own, or, on an Arc site, in the content API too, with another
// story of its day that does not change.
type revisitedStory struct {
	site       *feedstest.Site
	arc, other *feedstest.ArcStory // nil on a site of pages
	path       string
	long       string
}

// set serves the story, edited or not.
func (s *revisitedStory) set(edited bool) {
	second := map[bool]string{false: "第二段。", true: "第二段，已更正。"}[edited]
	if s.arc == nil {
		s.site.SetPage(s.path, feedstest.StoryPage("故事", s.long, second))
		return
	}
	s.arc.Paragraphs = []string{s.long, second}
	if edited {
		s.arc.Set = map[string]any{"last_updated_date": s.arc.Date.Add(5 * 24 * time.Hour).Format("2006-01-02T15:04:05.000Z")}
	}
	s.site.SetArcStories("rfa-mandarin", []feedstest.ArcStory{*s.arc, *s.other})
	s.site.SetPage(s.path, s.arc.Page("rfa-mandarin"))
	s.site.SetPage(s.other.Path, s.other.Page("rfa-mandarin"))
}

// remove takes the story off the site.
func (s *revisitedStory) remove() {
	s.site.Fail(s.path, feedstest.Status(404))
	if s.arc != nil {
		s.site.SetArcStories("rfa-mandarin", []feedstest.ArcStory{*s.other})
	}
}

// back serves the story again, edited.
func (s *revisitedStory) back() {
	s.site.Heal(s.path)
	s.set(true)
}

func daemonRevisits(t *testing.T, arc bool) {
	site := feedstest.NewSite(t)
	long := strings.Repeat("这是一段很长的正文。", 30)
	synctest.Test(t, func(t *testing.T) {
		day := 24 * time.Hour
		t0 := time.Now()
		story := &revisitedStory{site: site, path: "/news/a.html", long: long}
		yaml := "feeds: [{url: '" + site.URL + "/r.xml'}]\n"
		if arc {
			story.arc = &feedstest.ArcStory{ID: "A", Title: "故事", Date: t0, Path: feedstest.ArcPath(t0, "a")}
			story.other = &feedstest.ArcStory{ID: "B", Title: "另一个故事", Date: t0, Path: feedstest.ArcPath(t0, "b"), Paragraphs: []string{long}}
			story.path = story.arc.Path
			yaml = "feeds: [{url: '" + site.URL + "/r.xml', arc_website: rfa-mandarin}]\n"
		}
		story.set(false)
		entries := []feedstest.Entry{{Title: "故事", Link: site.URL + story.path, Published: t0}}
		if arc {
			entries = append(entries, feedstest.Entry{Title: "另一个故事", Link: site.URL + story.other.Path, Published: t0})
		}
		site.SetFeed("/r.xml", feedstest.Feed{Title: "r", Entries: entries})
		tools, mem := wiretest.New(t, yaml+"schedule: 1h\nlisten: 'off'\n"+
			"revisit: {after: [1h, 6h, 1d, 3d, 7d, 30d, 45d, 55d, 180d]}\n", "")
		// The site's requests served in memory: a connection's goroutines
		// would keep the bubble's clock from moving on.
		opts := wire.FetchOptions(tools.Config)
		opts.Transport = site.Transport()
		tools.Client = fetch.New(opts)
		if err := tools.Client.Trust(site.URL); err != nil {
			t.Fatal(err)
		}
		tools.Maker = article.New(tools.Client, opts.MaxBodySize)
		a := archiver.New(tools)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- New(a.Config, slog.New(slog.DiscardHandler), a.Pass).Run(ctx) }()
		at := func(d time.Duration) { time.Sleep(time.Until(t0.Add(d))) }

		at(day + time.Minute)
		site.SetFeed("/r.xml", feedstest.Feed{Title: "r, later"}) // the feed drops it after its first day
		name := storetest.Posts(t, mem)[site.URL+story.path]
		post := func() *jekyll.FrontMatter { return storetest.ReadPost(t, mem, name) }
		at(5 * day)
		story.set(true)
		at(7*day - 2*time.Hour)
		if strings.Contains(string(post().Body), "已更正") {
			t.Error("the edit was archived before the story's next checkpoint")
		}
		at(7*day + 2*time.Hour)
		if h := storetest.History(t, mem, "_posts/"+name); !strings.Contains(string(post().Body), "已更正") || len(h) != 2 || !strings.HasPrefix(h[0], "Edited on the site: 故事") {
			t.Errorf("the edit of day 5, after the feed dropped the story: history %q", h)
		}
		edited := post().Body

		at(40 * day)
		story.remove()
		at(45*day - 2*time.Hour)
		if jekyll.Removed(post()) {
			t.Error("the removal was seen before the story's next checkpoint")
		}
		at(45*day + 2*time.Hour)
		if p := post(); !jekyll.Removed(p) || string(p.Body) != string(edited) {
			t.Errorf("the story removed on day 40: removed_at %v, text kept %v", p.Fields[jekyll.KeyRemovedAt], string(p.Body) == string(edited))
		}
		at(50 * day)
		story.back()
		at(55*day + 2*time.Hour)
		if jekyll.Removed(post()) {
			t.Error("the story back on day 50 is still marked removed")
		}
		if h := storetest.History(t, mem, "_posts/"+name); len(h) != 4 || !strings.HasPrefix(h[0], "Back on the site: 故事") || !strings.HasPrefix(h[1], "Removed from the site: 故事") {
			t.Errorf("the history of the story: %q", h)
		}
		// The page asked at the story's archiving, and on the site of
		// pages at each of the 8 checkpoints reached; on the Arc site only
		// to confirm the removal (the content API no longer held it).
		if hits, want := site.Hits(story.path), map[bool]int{false: 9, true: 2}[arc]; hits != want {
			t.Errorf("the story's page was asked %d times, want %d", hits, want)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
}
