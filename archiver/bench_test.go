package archiver

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/feeds/feedstest"
)

// BenchmarkPass100 measures a pass that archives 100 new articles (RFA's
// Plone-shaped pages of 11 KB) from a loopback site into a new store:
// polling, fetching, extraction, conversion, writing and the commit.
//
//	go test ./archiver -run '^$' -bench Pass100 -benchtime 5x
func BenchmarkPass100(b *testing.B) {
	const n = 100
	site := feedstest.NewSite(b)
	page := string(feedstest.Page("plone-sample"))
	for i := range n {
		path := fmt.Sprintf("/mandarin/story-%03d-07262024084201.html", i)
		site.AddEntries("/rss.xml", feedstest.Entry{Title: fmt.Sprintf("第%d篇", i), Link: site.URL + path,
			Published: time.Date(2024, 7, 26, 19, i%60, 0, 0, time.UTC)})
		site.SetPage(path, strings.Replace(page, "布林肯与王毅将会面</h1>", path+"</h1>", 1))
	}
	var total int
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		cfg, err := config.Parse([]byte("store: {path: archive}\nfeeds: [{url: '"+site.URL+"/rss.xml'}]\n"), filepath.Join(dir, "config.yaml"))
		if err != nil {
			b.Fatal(err)
		}
		tools, err := wire.New(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := New(tools).Pass(context.Background())
		if err != nil || len(sum.New) != n {
			b.Fatalf("archived %d of %d: %v %v", len(sum.New), n, err, sum.Failed)
		}
		total += n
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/pass")
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "articles/s")
}
