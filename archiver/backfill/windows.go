package backfill

import "time"

// window is a span of days, both included.
type window struct{ from, to time.Time }

// months are the windows of the calendar months from since to until (in
// UTC), the first and the last cut to them.
func months(since, until time.Time) []window {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	since, until = day(since), day(until)
	var ws []window
	for from := since; !from.After(until); {
		next := time.Date(from.Year(), from.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		to := next.AddDate(0, 0, -1)
		if to.After(until) {
			to = until
		}
		ws = append(ws, window{from, to})
		from = next
	}
	return ws
}

// name is how a window is shown: 2019-06 for a whole month.
func (w window) name() string {
	if w.from.Day() == 1 && w.to.AddDate(0, 0, 1).Day() == 1 && w.from.Month() == w.to.Month() {
		return w.from.Format("2006-01")
	}
	if w.from.Equal(w.to) {
		return w.from.Format(time.DateOnly)
	}
	return w.from.Format(time.DateOnly) + " to " + w.to.Format(time.DateOnly)
}

// days is how many days the window spans.
func (w window) days() int { return int(w.to.Sub(w.from).Hours()/24) + 1 }

// split cuts the window in two halves.
func (w window) split() (window, window) {
	mid := w.from.AddDate(0, 0, w.days()/2-1)
	return window{w.from, mid}, window{mid.AddDate(0, 0, 1), w.to}
}

// walked reports whether window w of site was walked whole before, by
// the backfills that walked the windows of done: itself, or the halves it
// was split into.
func walked(done map[string]time.Time, site *arcSite, w window) bool {
	if at, ok := done[w.key(site)]; ok && w.complete(at) {
		return true
	}
	if w.days() < 2 {
		return false
	}
	first, second := w.split()
	return walked(done, site, first) && walked(done, site, second)
}

// key is the window of a site in the backfill's section of the state.
func (w window) key(site *arcSite) string {
	return site.root.Host + " " + site.website + " " + w.from.Format(time.DateOnly) + ".." + w.to.Format(time.DateOnly)
}

// complete reports whether a window walked at was walked whole: after its
// last day was over everywhere, and stories of its days had time to be
// published.
func (w window) complete(at time.Time) bool { return at.After(w.to.AddDate(0, 0, 2)) }
