package archiver

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store/storetest"
)

// The planning of a pass is a pure function of the feeds' answers, the
// saved state and the posts in the store: these tests give it each and
// look at the plan.

var (
	planNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	feedA   = &config.Feed{URL: "https://www.rfa.org/a/rss/", Name: "a"}
	feedB   = &config.Feed{URL: "https://www.rfa.org/b/rss/", Name: "b"}
)

// entry is an entry of feed f, linking to the path on www.rfa.org,
// published minutes before planNow.
func entry(f *config.Feed, path string, minutes int) feeds.Item {
	return feeds.Item{Feed: f.URL, Link: "https://www.rfa.org" + path, Title: "标题 " + path,
		Published: planNow.Add(-time.Duration(minutes) * time.Minute)}
}

func answered(f *config.Feed, items ...feeds.Item) polled {
	return polled{feed: f, res: &feeds.Result{Items: items}}
}

// seenAs is the state's memory of it as it is now.
func seenAs(it feeds.Item) map[string]seen {
	return map[string]seen{seenKey(it.Feed, it.Keys()[0]): {Hash: itemHash(it), At: planNow.Add(-time.Hour)}}
}

// failedAt is an earlier failure of it, attempts times, the last at last.
func failedAt(it feeds.Item, attempts int, last time.Time) map[string]*retry.Failure {
	return map[string]*retry.Failure{it.Keys()[0]: {Target: retry.Article(it, ""), Attempts: attempts, First: last, Last: last, Kind: retry.KindFetch, Reason: "HTTP 503"}}
}

// indexOf is the index of posts named by the URL they are from.
func indexOf(t *testing.T, names map[string]string) *posts.Index {
	mem := storetest.NewMemory()
	mem.Keys = posts.Keys
	for from, name := range names {
		if err := mem.Put(name, "---\ntitle: x\nfrom: "+from+"\n---\n"); err != nil {
			t.Fatal(err)
		}
	}
	return posts.NewIndex(mem)
}

func TestPlan(t *testing.T) {
	story := entry(feedA, "/a/story/", 10)
	edited := story
	edited.Title = "标题（更正）"
	old := entry(feedA, "/a/old/", 60)
	restamped := story
	restamped.Link += "?utm_source=rss&utm_medium=feed#top"
	slash := story
	slash.Link = strings.TrimSuffix(story.Link, "/")
	inB := entry(feedB, "/a/story/", 10)
	archived := map[string]string{story.Link: "2026-03-01-story.md"}

	tests := []struct {
		name     string
		results  []polled
		state    state
		failures map[string]*retry.Failure
		index    map[string]string // post names by the URLs they are from
		jobs     []string          // links; "~" before one that is an edit of an archived post
		waiting  []string
		polls    []Outcome
		resolved int
		skipped  int
		seen     int // entries seen now: an edit is seen only once it is archived
	}{
		{name: "new", results: []polled{answered(feedA, story, old)},
			jobs: []string{story.Link, old.Link}, polls: []Outcome{PollNew}, seen: 2},
		{name: "newest first", results: []polled{answered(feedA, old, story)},
			jobs: []string{story.Link, old.Link}, polls: []Outcome{PollNew}, seen: 2},
		{name: "archived, unchanged", results: []polled{answered(feedA, story)},
			state: state{Seen: seenAs(story)}, index: archived, polls: []Outcome{PollUnchanged}, seen: 1},
		{name: "archived, never seen (an adopted archive)", results: []polled{answered(feedA, story)},
			index: archived, polls: []Outcome{PollUnchanged}, seen: 1},
		{name: "edited", results: []polled{answered(feedA, edited)},
			state: state{Seen: seenAs(story)}, index: archived, jobs: []string{"~" + story.Link}, polls: []Outcome{PollNew}},
		{name: "in two feeds", results: []polled{answered(feedA, story), answered(feedB, inB)},
			jobs: []string{story.Link}, polls: []Outcome{PollNew, PollUnchanged}, seen: 1},
		{name: "twice in a feed, with tracking parameters and a slash", results: []polled{answered(feedA, story, restamped, slash)},
			jobs: []string{story.Link}, polls: []Outcome{PollNew}, seen: 1},
		{name: "archived, listed again with tracking parameters", results: []polled{answered(feedA, restamped)},
			state: state{Seen: seenAs(restamped)}, index: archived, polls: []Outcome{PollUnchanged}, seen: 1},
		{name: "failed, due", results: []polled{answered(feedA, story)},
			failures: failedAt(story, 5, planNow.Add(-21*time.Minute)),
			jobs:     []string{story.Link}, polls: []Outcome{PollNew}, seen: 1},
		{name: "failed, not yet due", results: []polled{answered(feedA, story)},
			failures: failedAt(story, 5, planNow.Add(-19*time.Minute)),
			waiting:  []string{story.Link}, polls: []Outcome{PollUnchanged}, seen: 1},
		{name: "failed three times: due at every pass", results: []polled{answered(feedA, story)},
			failures: failedAt(story, 3, planNow),
			jobs:     []string{story.Link}, polls: []Outcome{PollNew}, seen: 1},
		{name: "failed, no longer listed: due", results: []polled{answered(feedA)},
			failures: failedAt(old, 1, planNow.Add(-time.Hour)),
			jobs:     []string{old.Link}, polls: []Outcome{PollUnchanged}},
		{name: "failed, no longer listed, the feed answered 304", results: []polled{{feed: feedA, res: &feeds.Result{NotModified: true}}},
			failures: failedAt(old, 9, planNow.Add(-time.Minute)),
			waiting:  []string{old.Link}, polls: []Outcome{PollUnchanged}},
		{name: "failed, archived meanwhile from another feed", results: []polled{answered(feedB)},
			failures: failedAt(story, 1, planNow), index: archived,
			polls: []Outcome{PollUnchanged}, resolved: 1},
		{name: "a failed edit of a post that is gone", results: []polled{answered(feedB)},
			failures: func() map[string]*retry.Failure {
				f := failedAt(story, 1, planNow)
				f[story.Keys()[0]].Post = "2026-03-01-story.md"
				return f
			}(),
			polls: []Outcome{PollUnchanged}, resolved: 1},
		{name: "untrusted link", results: []polled{answered(feedA, feeds.Item{Feed: feedA.URL, Link: "https://elsewhere.example/x"})},
			polls: []Outcome{PollUnchanged}, skipped: 1},
		{name: "feed failed", results: []polled{{feed: feedA, err: errors.New("boom")}, answered(feedB, inB)},
			jobs: []string{inB.Link}, polls: []Outcome{PollError, PollNew}, seen: 1},
		{name: "entries skipped by the feed's parser", results: []polled{{feed: feedA, res: &feeds.Result{Warnings: []string{"entry 1: no link"}}}},
			polls: []Outcome{PollUnchanged}, skipped: 1},
	}
	trusted := func(u *url.URL) bool { return u.Host == "www.rfa.org" }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.state
			if s.Seen == nil {
				s.Seen = map[string]seen{}
			}
			book := retry.NewBook(tt.failures, 0, slog.New(slog.DiscardHandler))
			before, _ := json.Marshal([]any{s, book})
			pl := planner{cfg: &config.Config{Feeds: []config.Feed{*feedA, *feedB}}, state: &s, book: book, index: indexOf(t, tt.index),
				trusted: trusted, now: planNow}
			p := pl.plan(tt.results)
			if got := jobLinks(p.jobs); !slices.Equal(got, tt.jobs) {
				t.Errorf("jobs %q, want %q", got, tt.jobs)
			}
			if got := jobLinks(p.waiting); !slices.Equal(got, tt.waiting) {
				t.Errorf("waiting %q, want %q", got, tt.waiting)
			}
			var polls []Outcome
			for _, po := range p.polls {
				polls = append(polls, po.Outcome)
			}
			if !slices.Equal(polls, tt.polls) {
				t.Errorf("polls %v, want %v", polls, tt.polls)
			}
			if len(p.resolved) != tt.resolved || len(p.skipped) != tt.skipped {
				t.Errorf("%d failures resolved, %d entries skipped; want %d, %d", len(p.resolved), len(p.skipped), tt.resolved, tt.skipped)
			}
			if len(p.seen) != tt.seen {
				t.Errorf("%d entries seen now, want %d", len(p.seen), tt.seen)
			}
			if after, _ := json.Marshal([]any{s, book}); string(after) != string(before) {
				t.Errorf("planning changed the state:\n%s\n%s", before, after)
			}
			for _, key := range p.resolved {
				if book.Get(key) == nil {
					t.Errorf("resolved %q, which is no failure", key)
				}
			}
			for _, j := range append(p.jobs, p.waiting...) {
				if j.retry != book.Get(j.keys[0]) {
					t.Errorf("%s: retry %v, want the book's failure %v", j.item.Link, j.retry, book.Get(j.keys[0]))
				}
			}
			answered, notModified := 0, 0
			for _, r := range tt.results {
				if r.err == nil {
					answered++
					if r.res.NotModified {
						notModified++
					}
				}
			}
			if len(p.validators) != answered || p.notModified != notModified {
				t.Errorf("validators of %d feeds, %d not modified; want %d, %d", len(p.validators), p.notModified, answered, notModified)
			}
		})
	}
}

func jobLinks(jobs []job) []string {
	var out []string
	for _, j := range jobs {
		if j.update != "" {
			out = append(out, "~"+j.item.Link)
		} else {
			out = append(out, j.item.Link)
		}
	}
	return out
}
