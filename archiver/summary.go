package archiver

import (
	"fmt"
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
	NotModified int    // feeds that answered 304 (Unchanged counts those with nothing new too)
	New         []Archived
	Updated     []Archived
	Skipped     int       // entries not fetched: untrusted hosts, no link
	Failed      []Failure // this pass's failures, and earlier ones not yet due again
	Committed   bool
	Pushed      bool // to store.remote
	Stored      bool // the pass saved its work (committed if there was any, and saved its state)
	Posts       int  // in the store after the pass
	Failing     int  // articles remembered as failed, to try again
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

// FailedNow is the number of failures that happened in this pass.
func (s *Summary) FailedNow() int {
	n := 0
	for _, f := range s.Failed {
		if f.Attempted() {
			n++
		}
	}
	return n
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
