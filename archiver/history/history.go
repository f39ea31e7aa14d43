// Package history tells a post's life from the archive's history: each
// version archived, oldest first, with what changed from the one before
// (title, text, images, removed, back), and the text's changes marked by
// character (Diff).
package history

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// Printer writes a post's versions, one line each, oldest first: its
// date, its commit, and what changed; with diff, the text's changes after
// it, each line indented.
type Printer struct {
	w    io.Writer
	diff bool
	prev *jekyll.FrontMatter // the version before; nil if none, or the post was removed
	n    int                 // versions written
}

// NewPrinter returns a Printer writing to w.
func NewPrinter(w io.Writer, diff bool) *Printer { return &Printer{w: w, diff: diff} }

// Versions is how many versions p has written.
func (p *Printer) Versions() int { return p.n }

// Add writes the line of version v.
func (p *Printer) Add(v store.Version) error {
	var cur *jekyll.FrontMatter
	if v.Data != nil {
		cur, _ = jekyll.Parse(v.Data)
		if cur == nil {
			cur = &jekyll.FrontMatter{Body: v.Data} // not a post: its text still tells
		}
	}
	line := fmt.Sprintf("%s %.12s %s\n", v.Date.UTC().Format(time.RFC3339), v.Commit, jekyll.OneLine(Changes(p.prev, cur, p.n == 0)))
	if _, err := io.WriteString(p.w, line); err != nil {
		return err
	}
	if p.diff && p.prev != nil && cur != nil {
		if _, err := io.WriteString(p.w, printable(Diff(string(p.prev.Body), string(cur.Body)))); err != nil {
			return err
		}
	}
	p.prev = cur
	p.n++
	return nil
}

// Changes says what changed from the version prev to cur of a post, in
// words: nil for a version the archive does not hold (removed from it);
// first for its first version.
func Changes(prev, cur *jekyll.FrontMatter, first bool) string {
	switch {
	case cur == nil:
		return "removed from the archive"
	case first:
		return "archived: " + cur.Title
	case prev == nil:
		return "back in the archive: " + cur.Title
	}
	var what []string
	if jekyll.Removed(cur) && !jekyll.Removed(prev) {
		what = append(what, "removed from the site")
	} else if jekyll.Removed(prev) && !jekyll.Removed(cur) {
		what = append(what, "back on the site")
	}
	if prev.Title != cur.Title {
		what = append(what, "title")
	}
	prevText, prevImages := split(prev.Body)
	curText, curImages := split(cur.Body)
	if !slices.Equal(prevText, curText) {
		what = append(what, "text")
	}
	if !slices.Equal(prevImages, curImages) {
		what = append(what, "images")
	}
	if len(cur.Also) > len(prev.Also) {
		what = append(what, "known by another URL")
	}
	if len(what) == 0 {
		return "front matter"
	}
	return strings.Join(what, ", ")
}

// split is a body's paragraphs of text and those that show an image,
// as Diff reads them: each line without the spaces at its end.
func split(body []byte) (text, images []string) {
	lines := strings.Split(string(body), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	for _, para := range strings.Split(strings.Join(lines, "\n"), "\n\n") {
		para = strings.Trim(para, "\n")
		switch {
		case para == "":
		case strings.Contains(para, "!["):
			images = append(images, para)
		default:
			text = append(text, para)
		}
	}
	return text, images
}

// printable is s with no control character but line breaks and tabs: a
// person's version of a post could hold a terminal's escape sequences.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.Is(unicode.Cc, r) {
			return -1
		}
		return r
	}, s)
}
