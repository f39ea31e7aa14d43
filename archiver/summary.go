package archiver

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
)

// Summary is what a pass did. cmd/archiver reports it, the daemon counts
// it (archiver/health).
type Summary struct {
	Start       time.Time
	Duration    time.Duration
	Polls       []Poll // one for each feed polled
	NotModified int    // feeds that answered 304 (Unchanged counts them, and those with nothing new)
	New         []posts.Archived
	Updated     []posts.Archived
	Skipped     int             // entries not fetched: untrusted hosts, no link
	Failed      []retry.Failure // what failed in this pass: feeds, the store, a pull or push, articles for the first time
	Parked      []retry.Failure // articles that failed before: not yet due (the first Waiting), or tried again and failed
	Waiting     int             // of Parked, those not due yet: not tried in this pass
	Committed   bool
	Pushed      bool               // to store.remote
	Stored      bool               // the pass saved its work (committed if there was any, and saved its state)
	Posts       int                // in the store after the pass
	Failing     map[retry.Kind]int // failed articles tried again at later passes, by kind
	Revisits    map[string]int     // archived stories looked at again, by outcome (RevisitUnchanged…)
	Drift       map[string]int     // pages of archived stories that no longer read as their posts, by site
	Removed     int                // posts marked removed from the site, in the revisit queue's count
}

// Poll is how a feed answered.
type Poll struct {
	Feed    string // its name
	Outcome Outcome
}

// Outcome is how a feed answered a poll.
type Outcome string

// The outcomes of a poll.
const (
	PollNew       Outcome = "new"       // it lists articles to archive
	PollUnchanged Outcome = "unchanged" // 304, or nothing new
	PollError     Outcome = "error"     // it failed: a failure of retry.KindFeed says why
)

// Outcomes are the outcomes of a poll.
var Outcomes = []Outcome{PollNew, PollUnchanged, PollError}

// add adds what the pass's writer did.
func (s *Summary) add(d posts.Done) {
	s.New, s.Updated = append(s.New, d.New...), append(s.Updated, d.Updated...)
	s.Failed, s.Parked = append(s.Failed, d.Failed...), append(s.Parked, d.Parked...)
}

// Unchanged is the number of feeds that answered 304 or listed nothing
// new.
func (s *Summary) Unchanged() int {
	n := 0
	for _, p := range s.Polls {
		if p.Outcome == PollUnchanged {
			n++
		}
	}
	return n
}

// Attempted are the failures that happened in this pass: those that
// count, and those of parked articles tried again.
func (s *Summary) Attempted() []retry.Failure {
	return append(slices.Clone(s.Failed), s.Parked[s.Waiting:]...)
}

// LogAttrs are the numbers of a pass, for its summary line in a log.
func (s *Summary) LogAttrs() []any {
	return []any{
		slog.Int("new", len(s.New)), slog.Int("updated", len(s.Updated)),
		slog.Int("failed", len(s.Failed)), slog.Int("parked", len(s.Parked)), slog.Int("skipped", s.Skipped),
		slog.Int("feeds", len(s.Polls)), slog.Int("unchanged", s.Unchanged()), slog.Int("not_modified", s.NotModified), slog.Int("posts", s.Posts),
		slog.Bool("committed", s.Committed), slog.String("duration", s.Duration.Round(time.Millisecond).String()),
		slog.Int("revisited", s.Revisited()), slog.Any("revisits", s.Revisits),
	}
}

// Revisited is the number of archived stories the pass looked at again.
func (s *Summary) Revisited() int {
	n := 0
	for _, k := range s.Revisits {
		n += k
	}
	return n
}

// RevisitLine says what the pass's revisits came to, for the end of the
// sync's line: "" when there were none.
func (s *Summary) RevisitLine() string {
	if s.Revisited() == 0 {
		return ""
	}
	line := fmt.Sprintf("; %d revisited", s.Revisited())
	var parts []string
	for _, o := range RevisitOutcomes {
		if n := s.Revisits[o]; n > 0 && o != RevisitUnchanged {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	return line
}
