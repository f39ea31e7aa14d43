package revisit

import (
	"slices"
	"testing"
	"time"
)

var schedule = Schedule{After: []time.Duration{time.Hour, 24 * time.Hour, 180 * 24 * time.Hour}, Budget: 2}

// TestQueue: a story is queued for its first checkpoint after now, moves
// on to the next once looked at, and leaves the queue past the last; the
// most overdue come first, at most the number asked.
func TestQueue(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	q := NewQueue(t0)
	q.Add("a.md", "https://x/a", t0, t0, schedule)
	q.Add("b.md", "https://x/b", t0.Add(-2*time.Hour), t0, schedule) // past its first checkpoint: the second
	q.Add("c.md", "https://x/c", t0.Add(-200*24*time.Hour), t0, schedule)
	if _, ok := q.Posts["c.md"]; ok {
		t.Error("a story past every checkpoint was queued: it is the tail's")
	}
	if e := q.Posts["b.md"]; e.Step != 1 || !e.Due.Equal(t0.Add(22*time.Hour)) {
		t.Errorf("b: step %d due %v, want its second checkpoint", e.Step, e.Due)
	}
	if due := q.Take(t0.Add(30*time.Minute), 5); len(due) != 0 {
		t.Errorf("due before the first checkpoint: %v", due)
	}
	q.MakeDue("d.md", "https://x/d", time.Time{}, t0, schedule)
	q.Posts["b.md"].ByPage = true
	if q.MakeDue("b.md", "https://x/b", time.Time{}, t0.Add(23*time.Hour), schedule); q.Posts["b.md"].ByPage {
		t.Error("a story made due by hand is still to be looked at on its page: the content API may hold it again")
	}
	due := q.Take(t0.Add(30*24*time.Hour), 2)
	if len(due) != 2 || due[0].Name != "d.md" || due[1].Name != "a.md" {
		t.Errorf("Take = %v, want the two most overdue: d, then a", due)
	}
	now := t0.Add(2 * time.Hour)
	q.Posts["a.md"].ByPage = true // the content API did not give it
	q.Done("a.md", now, schedule)
	if e := q.Posts["a.md"]; e.Step != 1 || !e.Due.Equal(t0.Add(24*time.Hour)) || e.ByPage {
		t.Errorf("a after its first revisit: step %d due %v, by its page %v: want its next checkpoint, of the content API again", e.Step, e.Due, e.ByPage)
	}
	q.Done("d.md", now, schedule)
	if _, ok := q.Posts["d.md"]; ok {
		t.Error("a story made due by hand stays queued after it was looked at")
	}
	q.Done("a.md", t0.Add(400*24*time.Hour), schedule)
	if _, ok := q.Posts["a.md"]; ok {
		t.Error("a story past its last checkpoint stays queued")
	}
	var nilQueue *Queue
	if nilQueue.Take(now, 1) != nil {
		t.Error("a nil queue has stories due")
	}
}

// TestTailDays: the days whose stories' turn of the tail (every last
// interval after the last checkpoint) came in a window.
func TestTailDays(t *testing.T) {
	t.Parallel()
	loc := time.UTC
	midnight := time.Date(2026, 3, 2, 0, 0, 0, 0, loc)
	first := time.Date(2024, 1, 1, 0, 0, 0, 0, loc)
	got := schedule.TailDays(midnight.Add(-30*time.Minute), midnight.Add(30*time.Minute), first, loc)
	want := []string{
		midnight.AddDate(0, 0, -360).Format(time.DateOnly), // 2 × 180 days
		midnight.AddDate(0, 0, -540).Format(time.DateOnly), // 3 ×
		midnight.AddDate(0, 0, -720).Format(time.DateOnly), // 4 × (after first: 2024-03-12)
	}
	if !slices.Equal(got, want) {
		t.Errorf("TailDays across midnight = %v, want %v", got, want)
	}
	if got := schedule.TailDays(midnight.Add(time.Hour), midnight.Add(2*time.Hour), first, loc); len(got) != 0 {
		t.Errorf("TailDays of a window within a day = %v, want none", got)
	}
	if got := schedule.TailDays(midnight, midnight.AddDate(0, 0, 2), first, loc); len(got) != 6 {
		t.Errorf("TailDays of two days = %v, want two days for each of three turns", got)
	}
}
