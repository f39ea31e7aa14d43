package feedstest

import (
	"fmt"
	"strings"
	"time"
)

// A Site can hold numbered stories: a feed at StoriesFeed listing stories
// 1..n, each with a page in Plone's shape at StoryPath(i). It is the shape
// of a small news site whose tests add stories, edit them and break them.

// StoriesFeed is the path of the feed of the numbered stories.
const StoriesFeed = "/rss.xml"

// StoryPath is the path of story i's page.
func StoryPath(i int) string { return fmt.Sprintf("/news/story-%03d.html", i) }

// StoryURL is the URL of story i.
func (s *Site) StoryURL(i int) string { return s.URL + StoryPath(i) }

// StoriesURL is the URL of the feed of the numbered stories.
func (s *Site) StoriesURL() string { return s.URL + StoriesFeed }

// StoryEntry is story i's entry in the feed: titled 第i篇报道 and
// published on 2025-06-01 at 00:i UTC.
func (s *Site) StoryEntry(i int) Entry {
	return Entry{
		Title:     fmt.Sprintf("第%d篇报道", i),
		Link:      s.StoryURL(i),
		GUID:      s.StoryURL(i),
		Published: time.Date(2025, 6, 1, 0, i, 0, 0, time.UTC),
	}
}

// ListStories lists the stories up to n, adding those not listed yet.
func (s *Site) ListStories(n int) {
	s.mu.Lock()
	from := s.stories + 1
	s.stories = max(s.stories, n)
	s.mu.Unlock()
	for i := from; i <= n; i++ {
		s.AddEntries(StoriesFeed, s.StoryEntry(i))
		s.SetPage(StoryPath(i), PathStory(StoryPath(i)))
	}
}

// EditStory gives story i a new title in the feed, and says so on its
// page.
func (s *Site) EditStory(i int, title string) {
	s.mu.Lock()
	if f := s.feeds[StoriesFeed]; f != nil {
		for j, e := range f.Entries {
			if e.Link == s.StoryURL(i) {
				f.Entries[j].Title = title
			}
		}
	}
	s.mu.Unlock()
	s.SetPage(StoryPath(i), strings.Replace(PathStory(StoryPath(i)), "第二段。", "第二段（"+title+"）。", 1))
}
