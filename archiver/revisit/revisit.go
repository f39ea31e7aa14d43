// Package revisit decides when an archived story is looked at again, so
// that its later edits and its removal reach the archive after the feed
// has dropped it: at durations since its publication (Schedule.After),
// and after the last one every last interval.
//
// What it remembers is a Queue, a section of the store's state, bounded
// by the stories published within the last interval and those due: a
// story in its first checkpoints is queued when it is archived; one past
// them is queued again, by the day it was published, when its next turn
// comes (Tail). A lost queue is made again from the posts (Rebuild).
package revisit

import (
	"cmp"
	"slices"
	"time"
)

// Section is the queue's section of the store's state.
const Section = "revisit"

// Schedule is when stories are looked at again.
type Schedule struct {
	After  []time.Duration // since publication, increasing; after the last, every last interval
	Budget int             // the most stories a pass looks at again
}

// Last is the schedule's last interval: the tail's period.
func (s Schedule) Last() time.Duration { return s.After[len(s.After)-1] }

// Queue is the stories to look at again, by the name of their posts.
type Queue struct {
	Posts map[string]*Entry `json:"posts"`
	// Swept is the time up to which the tail's turns are queued.
	Swept time.Time `json:"swept"`
	// All, when set, is the day from which every post is still to be
	// queued as due at AllAt (archiver revisit with no URL).
	All   string    `json:"all,omitempty"`
	AllAt time.Time `json:"all_at,omitzero"`
	// Removed counts the posts marked removed from the site, less those
	// back since (archiver_stories_removed).
	Removed int `json:"removed"`
	// Deployments are the deployment numbers ("" for none) of the Arc
	// sites whose content API revisits read, by "host website", as the
	// sites' front pages last said.
	Deployments map[string]string `json:"deployments,omitempty"`
	// Failures count the passes in a row at which the content API of a
	// site failed, by "host website".
	Failures map[string]int `json:"failures,omitempty"`
}

// Entry is a story queued.
type Entry struct {
	URL       string    `json:"url"`
	Published time.Time `json:"published"`
	Step      int       `json:"step"` // the index in After of the checkpoint due; len(After): a turn of the tail
	Due       time.Time `json:"due"`
	// The page's validators when it was last fetched, for a conditional
	// GET: a page the site says is not modified costs no body.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// ByPage: a read of the content API at its last turn passed without
	// meeting the story (or stopped, its pages costing less): it is looked
	// at on its page until its next checkpoint.
	ByPage bool `json:"by_page,omitempty"`
}

// Due is a story due, with its post's name.
type Due struct {
	Name string
	*Entry
}

// NewQueue returns an empty queue, its tail swept up to now.
func NewQueue(now time.Time) *Queue { return &Queue{Posts: map[string]*Entry{}, Swept: now} }

// Add queues the post name, of the story at url published at published,
// for its first checkpoint after now; a story past all of them is left
// to the tail. A post queued already stays as it is.
func (q *Queue) Add(name, url string, published, now time.Time, s Schedule) {
	if _, ok := q.Posts[name]; ok || len(s.After) == 0 {
		return
	}
	for i, a := range s.After {
		if due := published.Add(a); due.After(now) {
			q.Posts[name] = &Entry{URL: url, Published: published, Step: i, Due: due}
			return
		}
	}
}

// MakeDue makes the post name due at now, queued if it was not.
func (q *Queue) MakeDue(name, url string, published, now time.Time, s Schedule) {
	e, ok := q.Posts[name]
	if !ok {
		e = &Entry{URL: url, Published: published, Step: len(s.After)}
		q.Posts[name] = e
	}
	e.Due, e.ByPage = now, false
}

// Take is at most n stories due at now, the most overdue first. A nil
// Queue has none.
func (q *Queue) Take(now time.Time, n int) []Due {
	if q == nil {
		return nil
	}
	var due []Due
	for name, e := range q.Posts {
		if !e.Due.After(now) {
			due = append(due, Due{name, e})
		}
	}
	slices.SortFunc(due, func(a, b Due) int { return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.Name, b.Name)) })
	return due[:min(n, len(due))]
}

// Done records that the post name was looked at, at now: it is queued
// for its next checkpoint after now, or, past the last, left to the tail.
func (q *Queue) Done(name string, now time.Time, s Schedule) {
	e, ok := q.Posts[name]
	if !ok {
		return
	}
	for i := e.Step + 1; i < len(s.After); i++ {
		if due := e.Published.Add(s.After[i]); due.After(now) {
			e.Step, e.Due, e.ByPage = i, due, false
			return
		}
	}
	delete(q.Posts, name)
}

// Entry is the entry of the post name; nil if it is not queued, or q is
// nil.
func (q *Queue) Entry(name string) *Entry {
	if q == nil {
		return nil
	}
	return q.Posts[name]
}

// Forget takes the post name out of the queue: it is gone, or taken down.
func (q *Queue) Forget(name string) { delete(q.Posts, name) }

// TailDays are the days (YYYY-MM-DD, in loc) whose stories' turns of the
// tail came in (from, to]: a story published on day D is looked at again
// at D + m × the last interval, for m ≥ 2 (m = 1 is the last checkpoint),
// back to day first.
func (s Schedule) TailDays(from, to, first time.Time, loc *time.Location) []string {
	var days []string
	last := s.Last()
	if last <= 0 || !to.After(from) {
		return nil
	}
	for m := 2; ; m++ {
		lo, hi := from.Add(-time.Duration(m)*last), to.Add(-time.Duration(m)*last)
		if hi.Before(first) {
			return days
		}
		for d := day(lo.In(loc)); !d.After(hi); d = d.AddDate(0, 0, 1) {
			if d.After(lo) && !d.Before(day(first.In(loc))) {
				days = append(days, d.Format(time.DateOnly))
			}
		}
	}
}

// day is the start of t's day.
func day(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}
