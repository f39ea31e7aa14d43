package archiver

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rfa-archive/archiver/archiver/article"
)

// Summary is what a pass did.
type Summary struct {
	Start       time.Time
	Duration    time.Duration
	Polls       []Poll // one for each feed polled
	NotModified int    // feeds that answered 304 (Unchanged counts them, and those with nothing new)
	New         []Archived
	Updated     []Archived
	Skipped     int       // entries not fetched: untrusted hosts, no link
	Failed      []Failure // what failed in this pass: feeds, the store, a pull or push, articles for the first time
	Parked      []Failure // articles that failed before: tried again and failed, or not yet due
	Committed   bool
	Pushed      bool         // to store.remote
	Stored      bool         // the pass saved its work (committed if there was any, and saved its state)
	Posts       int          // in the store after the pass
	Failing     map[Kind]int // failed articles tried again at later passes, by kind
}

// Poll is how a feed answered.
type Poll struct {
	Feed    string // its name
	Outcome Outcome
}

// Archived is a post written by a pass.
type Archived struct {
	Title string
	URL   string
	Feed  string // the name of the feed that listed it
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
func (s *Summary) Attempted() []Failure {
	return append(slices.Clone(s.Failed), slices.DeleteFunc(slices.Clone(s.Parked), func(f Failure) bool { return !f.Attempted() })...)
}

// Report writes what a pass did as sync reports it: a line of numbers,
// then every failure that counts with its URL, its reason and when it is
// tried again.
func (s *Summary) Report(w io.Writer) {
	fmt.Fprintf(w, "sync: %d new, %d updated, %d failed, %d parked, %d skipped; %d feeds polled (%d unchanged) in %s",
		len(s.New), len(s.Updated), len(s.Failed), len(s.Parked), s.Skipped, len(s.Polls), s.Unchanged(), s.Duration.Round(time.Millisecond))
	if !s.Committed {
		fmt.Fprint(w, "; nothing to commit")
	}
	fmt.Fprintln(w)
	for _, f := range s.Failed {
		fmt.Fprintf(w, "FAILED %s: %s [%s; %s]\n", f.URL, strings.TrimSpace(f.Reason), f.Kind, f.whenAgain("tried again at the next run"))
	}
}

// whenAgain says when the failure is tried again: next, unless it will
// not heal by itself.
func (f Failure) whenAgain(next string) string {
	if f.Permanent {
		return "will not heal without a change on the site; tried again less and less often (archiver failures)"
	}
	return next
}

// LogAttrs are the numbers of a pass, for its summary line in a log.
func (s *Summary) LogAttrs() []any {
	return []any{
		slog.Int("new", len(s.New)), slog.Int("updated", len(s.Updated)),
		slog.Int("failed", len(s.Failed)), slog.Int("parked", len(s.Parked)), slog.Int("skipped", s.Skipped),
		slog.Int("feeds", len(s.Polls)), slog.Int("unchanged", s.Unchanged()), slog.Int("not_modified", s.NotModified), slog.Int("posts", s.Posts),
		slog.Bool("committed", s.Committed), slog.String("duration", s.Duration.Round(time.Millisecond).String()),
	}
}

// commitMessage says what a pass archived: a subject with the numbers,
// then a line per post.
func commitMessage(sum *Summary) string {
	var b strings.Builder
	n, u := len(sum.New), len(sum.Updated)
	switch {
	case n > 0 && u > 0:
		fmt.Fprintf(&b, "Archive %d new %s, update %d\n", n, plural(n, "post", "posts"), u)
	case u > 0:
		fmt.Fprintf(&b, "Update %d %s\n", u, plural(u, "post", "posts"))
	default:
		fmt.Fprintf(&b, "Archive %d new %s\n", n, plural(n, "post", "posts"))
	}
	b.WriteString("\n")
	for _, a := range sum.New {
		b.WriteString("+ " + commitTitle(a.Title) + "\n")
	}
	for _, a := range sum.Updated {
		b.WriteString("~ " + commitTitle(a.Title) + "\n")
	}
	return b.String()
}

// maxTitle is the most characters of a title in a commit message.
const maxTitle = 120

// commitTitle is a title as a line of a commit message: one line, at most
// maxTitle characters.
func commitTitle(s string) string {
	s = article.OneLine(s)
	if utf8.RuneCountInString(s) > maxTitle {
		s = string([]rune(s)[:maxTitle-1]) + "…"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
