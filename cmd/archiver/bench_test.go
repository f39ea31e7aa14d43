package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkSync100 measures a sync of 100 new articles (Plone-shaped RFA
// pages of 11 KB) from a loopback fixture into a fresh store: polling,
// fetching, extraction, conversion, writing and the commit.
//
//	go test ./cmd/archiver -run '^$' -bench Sync100 -benchtime 5x
func BenchmarkSync100(b *testing.B) {
	const n = 100
	page, err := os.ReadFile("../../testdata/plone-sample.html")
	if err != nil {
		b.Fatal(err)
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rss.xml" {
			var items strings.Builder
			for i := range n {
				fmt.Fprintf(&items, "<item><title>第%d篇</title><link>%s/mandarin/story-%03d-07262024084201.html</link><pubDate>Fri, 26 Jul 2024 19:%02d:00 +0000</pubDate></item>", i, srv.URL, i, i%60)
			}
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>%s</channel></rss>`, items.String())
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(strings.Replace(string(page), "布林肯与王毅将会面</h1>", r.URL.Path+"</h1>", 1)))
	}))
	defer srv.Close()

	var total int
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		cfg, err := parseConfig([]byte("store: {path: archive}\nfeeds: [{url: '"+srv.URL+"/rss.xml'}]\n"), filepath.Join(dir, "config.yaml"))
		if err != nil {
			b.Fatal(err)
		}
		p, err := newPasser(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := p.run(context.Background())
		if err != nil || len(sum.New) != n {
			b.Fatalf("archived %d of %d: %v %v", len(sum.New), n, err, sum.Failed)
		}
		total += n
	}
	secs := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(secs, "s/sync")
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "articles/s")
}
