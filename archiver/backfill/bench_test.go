package backfill

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/feeds/feedstest"
)

// BenchmarkBackfill measures a backfill of 10,000 stories of ANS (RFA's
// sample story's shape: text, a heading, an image, a list) from a loopback
// content API into a new store: stories made into posts a second, and the
// heap as the windows go by, which must stay flat.
//
//	go test ./archiver/backfill -run '^$' -bench Backfill -benchtime 1x
func BenchmarkBackfill(b *testing.B) {
	const n = 10_000
	var stories []feedstest.ArcStory
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		date := start.Add(time.Duration(i) * 3 * time.Hour) // 3⅓ years, 240 stories a month
		stories = append(stories, feedstest.ArcStory{ID: fmt.Sprintf("B%08d", i), Title: fmt.Sprintf("第%d篇报道：官员回应网民质疑", i), Date: date,
			Path: feedstest.ArcPath(date, fmt.Sprintf("story-%d", i)), Images: []string{"https://cloudfront-us-east-1.images.arcpublishing.com/radiofreeasia/X.jpg"},
			Paragraphs: []string{strings.Repeat("这是一段示例正文，对应 ANS 的 text 元素，有<b>强调</b>和<a href=\"https://www.rfa.org/x/\">链接</a>。", 6),
				"<i>第二段</i>。", strings.Repeat("第三段很长。", 40), "记者：凯迪 责编：许书婷"}})
	}
	site := feedstest.NewSite(b)
	site.ListStories(1)
	site.SetArcStories("rfa-mandarin", stories)
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		cfg, err := config.Parse([]byte("store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"', arc_website: rfa-mandarin}]\n"), filepath.Join(dir, "config.yaml"))
		if err != nil {
			b.Fatal(err)
		}
		tools, err := wire.New(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		var heap []uint64 // after each window, MB
		windows := 0
		opts := Options{Since: start, Until: stories[n-1].Date, Progress: func(p Progress) {
			if p.WindowsDone > windows {
				windows = p.WindowsDone
				var m runtime.MemStats
				runtime.GC() // the live heap, not what garbage is yet to be collected
				runtime.ReadMemStats(&m)
				heap = append(heap, m.HeapInuse>>20)
			}
		}}
		b.StartTimer()
		sum, err := Run(context.Background(), tools, opts)
		if err != nil || sum.New != n {
			b.Fatalf("backfilled %d of %d: %v %v", sum.New, n, err, sum.Failed)
		}
		b.StopTimer()
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "stories/s")
		if len(heap) > 4 {
			b.ReportMetric(float64(heap[len(heap)/4]), "heap-MB-at-¼")
			b.ReportMetric(float64(slices.Max(heap)), "heap-MB-max")
		}
		b.StartTimer()
	}
}
