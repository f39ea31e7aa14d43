package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds/feedstest"
)

func TestZZServe(t *testing.T) {
	if os.Getenv("ZZ_SERVE") == "" {
		t.Skip()
	}
	site := feedstest.NewSite(t)
	site.ListStories(0)
	stories := feedstest.ArcStories(2000)
	for i := range stories {
		stories[i].Date = time.Date(2020, 1, 3, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		stories[i].Path = feedstest.ArcPath(stories[i].Date, fmt.Sprintf("story-%d", i))
	}
	site.SetArcStories("rfa-mandarin", stories)
	os.WriteFile("/tmp/zzserve.url", []byte(site.URL), 0o644)
	time.Sleep(time.Hour)
}
