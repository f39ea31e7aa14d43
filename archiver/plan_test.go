package archiver

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/feeds"
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
func failedAt(it feeds.Item, attempts int, last time.Time) map[string]*failed {
	return map[string]*failed{it.Keys()[0]: {Item: it, Attempts: attempts, First: last, Last: last, Kind: KindFetch, Error: "HTTP 503"}}
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
	archived := postIndex{feeds.Key(story.Link): "2026-03-01-story.md"}

	tests := []struct {
		name     string
		results  []polled
		state    state
		index    postIndex
		jobs     []string // links; "~" before one that is an edit of an archived post
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
			state: state{Failures: failedAt(story, 5, planNow.Add(-21*time.Minute))},
			jobs:  []string{story.Link}, polls: []Outcome{PollNew}, seen: 1},
		{name: "failed, not yet due", results: []polled{answered(feedA, story)},
			state:   state{Failures: failedAt(story, 5, planNow.Add(-19*time.Minute))},
			waiting: []string{story.Link}, polls: []Outcome{PollUnchanged}, seen: 1},
		{name: "failed three times: due at every pass", results: []polled{answered(feedA, story)},
			state: state{Failures: failedAt(story, 3, planNow)},
			jobs:  []string{story.Link}, polls: []Outcome{PollNew}, seen: 1},
		{name: "failed, no longer listed: due", results: []polled{answered(feedA)},
			state: state{Failures: failedAt(old, 1, planNow.Add(-time.Hour))},
			jobs:  []string{old.Link}, polls: []Outcome{PollUnchanged}},
		{name: "failed, no longer listed, the feed answered 304", results: []polled{{feed: feedA, res: &feeds.Result{NotModified: true}}},
			state:   state{Failures: failedAt(old, 9, planNow.Add(-time.Minute))},
			waiting: []string{old.Link}, polls: []Outcome{PollUnchanged}},
		{name: "failed, archived meanwhile from another feed", results: []polled{answered(feedB)},
			state: state{Failures: failedAt(story, 1, planNow)}, index: archived,
			polls: []Outcome{PollUnchanged}, resolved: 1},
		{name: "a failed edit of a post that is gone", results: []polled{answered(feedB)},
			state: state{Failures: func() map[string]*failed {
				f := failedAt(story, 1, planNow)
				f[story.Keys()[0]].Update = "2026-03-01-story.md"
				return f
			}()},
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
			if s.Failures == nil {
				s.Failures = map[string]*failed{}
			}
			before, _ := json.Marshal(s)
			pl := planner{cfg: &config.Config{Feeds: []config.Feed{*feedA, *feedB}}, state: &s, index: tt.index, trusted: trusted, now: planNow}
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
			if after, _ := json.Marshal(s); string(after) != string(before) {
				t.Errorf("planning changed the state:\n%s\n%s", before, after)
			}
			for _, key := range p.resolved {
				if s.Failures[key] == nil {
					t.Errorf("resolved %q, which is no failure", key)
				}
			}
			for _, j := range append(p.jobs, p.waiting...) {
				if j.retry != s.Failures[j.keys[0]] {
					t.Errorf("%s: retry %v, want the state's failure %v", j.item.Link, j.retry, s.Failures[j.keys[0]])
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

func TestRetryDelay(t *testing.T) {
	const day = 24 * time.Hour
	for _, tt := range []struct {
		attempts  int
		permanent bool
		want      time.Duration
	}{
		{1, false, 0}, {3, false, 0}, {4, false, 10 * time.Minute}, {5, false, 20 * time.Minute}, {7, false, 80 * time.Minute},
		{14, false, 7 * day}, {100, false, 7 * day},
		{1, true, time.Hour}, {2, true, 4 * time.Hour}, {3, true, 16 * time.Hour}, {5, true, 7 * day}, {100, true, 7 * day},
	} {
		if got := retryDelay(tt.attempts, tt.permanent); got != tt.want {
			t.Errorf("retryDelay(%d, permanent %v) = %v, want %v", tt.attempts, tt.permanent, got, tt.want)
		}
	}
}

// TestStateBound: however many dead links the feeds list, the state keeps
// at most maxFailures failures: those given up go first, then the oldest.
func TestStateBound(t *testing.T) {
	s := &state{Failures: map[string]*failed{}}
	for i := range maxFailures + 20 {
		f := &failed{Item: entry(feedA, fmt.Sprintf("/dead/%d/", i), 0), First: planNow.Add(time.Duration(i) * time.Second)}
		if i%1000 == 999 {
			f.GaveUp = planNow
		}
		s.Failures[f.Item.Keys()[0]] = f
	}
	s.bound(slog.New(slog.DiscardHandler))
	if len(s.Failures) != maxFailures {
		t.Fatalf("%d failures kept, want %d", len(s.Failures), maxFailures)
	}
	for _, f := range s.Failures {
		if !f.GaveUp.IsZero() {
			t.Errorf("%s, given up, is kept while failures that are not were dropped", f.Item.Link)
		}
	}
	oldest := entry(feedA, "/dead/0/", 0)
	if s.Failures[oldest.Keys()[0]] != nil {
		t.Error("the oldest failure is kept")
	}
}
