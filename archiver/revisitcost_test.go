package archiver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/backfill"
	"github.com/rfa-archive/archiver/archiver/revisit"
	"github.com/rfa-archive/archiver/feeds/feedstest"
)

// BenchmarkRevisitCost measures what revisits cost a day, in requests,
// on a scale model of an archive of 100,000 stories of RFA Mandarin with
// the default schedule: 30 stories a day for 333 days, looked at again
// after 1h, 6h, 1d, 3d, 7d, 10d and 18d (a tenth of 180 days, so that the
// tail comes round for 333 ÷ 18 = 18.5 days of stories a day, as it does
// for 3,333 days every 180), a pass every 15 minutes for two days after
// 19 to settle (a queue made again from the posts' names at the first
// pass has each day's stories due at once; 19 days on, every story in its
// first checkpoints came from the feed), while the feed brings 30 new
// stories a day. On an Arc
// site (its content API) and on a site of pages:
//
//	go test ./archiver -run '^$' -bench RevisitCost -benchtime 1x
func BenchmarkRevisitCost(b *testing.B) {
	for _, arc := range []bool{true, false} {
		b.Run(map[bool]string{true: "arc", false: "pages"}[arc], func(b *testing.B) {
			for b.Loop() {
				perDay, api, revisited := revisitCost(b, arc)
				b.ReportMetric(perDay, "requests/day")
				b.ReportMetric(api, "api-requests/day")
				b.ReportMetric(revisited, "revisits/day")
			}
		})
	}
}

// revisitCost runs the model of BenchmarkRevisitCost, and returns the
// requests of revisits a day, those of the content API, and the stories
// looked at again a day.
func revisitCost(b *testing.B, arc bool) (float64, float64, float64) {
	const days, perDay, settle = 333, 30, 19
	day0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var stories []feedstest.ArcStory
	for i := range (days + settle + 3) * perDay {
		date := day0.Add(time.Duration(i) * 24 * time.Hour / perDay).Add(5 * time.Minute)
		stories = append(stories, feedstest.ArcStory{
			ID: fmt.Sprintf("COST%023d", i), Title: fmt.Sprintf("第%d篇报道", i), Date: date,
			Path: feedstest.ArcPath(date, fmt.Sprintf("cost-%d", i)), Paragraphs: []string{fmt.Sprintf("第%d篇的正文。", i), "第二段。"},
		})
	}
	site := feedstest.NewSite(b)
	for _, s := range stories {
		site.SetPage(s.Path, s.Page("rfa-mandarin"))
	}
	now := day0.AddDate(0, 0, days)
	published := func() []feedstest.ArcStory { // up to now
		i := 0
		for i < len(stories) && !stories[i].Date.After(now) {
			i++
		}
		return stories[:i]
	}
	site.SetArcStories("rfa-mandarin", published())
	site.SetFeed("/feed.xml", feedstest.Feed{Title: "cost"})
	a, _ := newGitTest(b, "feeds:\n  - url: '"+site.URL+"/feed.xml'\n    arc_website: rfa-mandarin\n"+
		"revisit: {after: [1h, 6h, 1d, 3d, 7d, 10d, 18d]}\n", "")
	a.Now = func() time.Time { return now }
	start := time.Now()
	if _, err := backfill.Run(context.Background(), a.Tools, backfill.Options{Since: day0, Until: now.AddDate(0, 0, -1)}); err != nil {
		b.Fatal(err)
	}
	b.Logf("backfill %s", time.Since(start))
	if !arc {
		a.Config.Feeds[0].ArcWebsite = ""
	}
	requests, revisited, archived, apiRequests := 0, 0, 0, 0
	outcomes := map[string]int{}
	for p := range (settle + 2) * 96 {
		now = now.Add(15 * time.Minute)
		// The feed lists the stories of the last two days; the content API
		// holds those published.
		all := published()
		var entries []feedstest.Entry
		for _, s := range all[max(0, len(all)-2*perDay):] {
			entries = append(entries, feedstest.Entry{Title: s.Title, Link: site.URL + s.Path, Published: s.Date})
		}
		site.SetFeed("/feed.xml", feedstest.Feed{Title: "cost", Entries: entries})
		site.SetArcStories("rfa-mandarin", all)
		before, feed, api0 := site.TotalHits(), site.Hits("/feed.xml"), len(site.ArcQueries())+site.Hits("/")
		sum := pass(b, a)
		if p < settle*96 {
			continue // settling: the stories' first checkpoints all come from the feed by then
		}
		// Each new story's page was fetched to archive it: not a revisit.
		requests += site.TotalHits() - before - (site.Hits("/feed.xml") - feed) - len(sum.New)
		revisited += sum.Revisited()
		apiRequests += len(site.ArcQueries()) + site.Hits("/") - api0
		for o, n := range sum.Revisits {
			outcomes[o] += n
		}
		archived += len(sum.New)
		if len(sum.Failed) > 0 {
			b.Fatalf("a pass failed: %+v", sum.Failed)
		}
	}
	// Every story due was looked at: none waits an hour past its turn.
	st, err := a.Open(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var q revisit.Queue
	err = st.LoadState(revisit.Section, &q)
	st.Close()
	for name, e := range q.Posts {
		if err != nil || e.Due.Before(now.Add(-time.Hour)) {
			b.Fatalf("%s waits since %s (%v)", name, e.Due, err)
		}
	}
	b.Logf("%s: %d requests (%d of the content API) and %d stories looked at again in two days (%v); %d new stories",
		map[bool]string{true: "arc", false: "pages"}[arc], requests, apiRequests, revisited, outcomes, archived)
	return float64(requests) / 2, float64(apiRequests) / 2, float64(revisited) / 2
}
