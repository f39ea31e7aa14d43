package archiver

import (
	"slices"
	"testing"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestPassLayout: new posts go where store.layout says; left unset, a new
// store's go into year and month folders, and an archive whose posts are
// all at the top of _posts (the earlier tool's) keeps its new ones there.
func TestPassLayout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		layout string
		flat   bool // the store holds a post at the top of _posts already
		want   string
	}{
		{"", false, "2025/06/2025-06-01-story-001.md"},
		{"", true, "2025-06-01-story-001.md"},
		{"{year}/{month}", true, "2025/06/2025-06-01-story-001.md"},
		{"{feed}/{year}/{month}", false, "news-stories/2025/06/2025-06-01-story-001.md"},
		{"flat", false, "2025-06-01-story-001.md"},
	} {
		site := feedstest.NewSite(t)
		site.ListStories(1)
		a, archive := newTest(t, feedsYAML(site.StoriesURL()), "")
		a.Config.Feeds[0].Name = "News/Stories"
		a.Config.Store.Layout = tt.layout
		if tt.flat {
			if err := archive.Put("2020-01-01-earlier.md", string(storetest.SamplePost)); err != nil {
				t.Fatal(err)
			}
		}
		pass(t, a)
		if got := storetest.PostFiles(t, archive); !slices.Contains(got, tt.want) {
			t.Errorf("layout %q, flat store %v: posts %q, want %s", tt.layout, tt.flat, got, tt.want)
		}
	}
}
