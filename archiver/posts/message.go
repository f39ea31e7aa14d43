package posts

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rfa-archive/archiver/store/jekyll"
)

// message is the batch's commit message: a subject with the numbers
// ("Archive 2 new posts", "Backfill 2019-06: 412 posts"), then a line per
// new post. (A post updated has a commit of its own: revisionMessage.)
func (w *Writer) message() string {
	var b strings.Builder
	n := len(w.Done.New)
	switch {
	case w.opts.Label != "":
		fmt.Fprintf(&b, "%s: %d %s", w.opts.Label, n, Plural(n, "post", "posts"))
		if w.Done.Linked > 0 {
			fmt.Fprintf(&b, ", %d known by a new URL", w.Done.Linked)
		}
		if w.opts.Note != "" {
			fmt.Fprintf(&b, " (%s)", w.opts.Note)
		}
	default:
		fmt.Fprintf(&b, "Archive %d new %s", n, Plural(n, "post", "posts"))
	}
	b.WriteString("\n\n")
	for _, a := range w.Done.New {
		b.WriteString("+ " + commitTitle(a.Title) + "\n")
	}
	return b.String()
}

// revisionMessage is the commit message of r, the post's version n:
// what happened to its story, and the trailers Story and Revision.
func revisionMessage(r revision, n int) string {
	return fmt.Sprintf("%s: %s\n\nVersion %d of the story's post.\n\nStory: %s\nRevision: %d\n",
		r.subject, commitTitle(r.Title), n, jekyll.OneLine(r.URL), n)
}

// maxTitle is the most characters of a title in a commit message.
const maxTitle = 120

// commitTitle is a title as a line of a commit message: one line, at most
// maxTitle characters.
func commitTitle(s string) string {
	s = jekyll.OneLine(s)
	if utf8.RuneCountInString(s) > maxTitle {
		s = string([]rune(s)[:maxTitle-1]) + "…"
	}
	return s
}

// Plural is one or many, as n asks.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
