package posts

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/rfa-archive/archiver/store/jekyll"
)

// minDriftText is the least text, in letters, of an archived post whose
// new version Drift compares: a short post may well lose half in an edit.
const minDriftText = 200

// DriftError means a page of an archived story no longer reads as its
// post: the site's pages changed shape, and the post stays as it is.
type DriftError struct{ Why string }

func (e *DriftError) Error() string {
	return "extraction drift: the page no longer reads as its archived post (the site's pages changed shape: fix the site rule): " + e.Why
}

// drift says why p, a new version of the archived post old, is no edit
// but the site's pages changed shape ("" when it is not): it has lost
// most of the post's text, as a site rule that no longer matches, or a
// reader view that takes over, would lose it.
func drift(old *jekyll.FrontMatter, p *jekyll.Post) string {
	was, is := letters(string(old.Body)), letters(p.Body)
	if was >= minDriftText && is < was/2 {
		return fmt.Sprintf("its text is %d letters, the post's %d", is, was)
	}
	return ""
}

// linkTarget is a Markdown link's address.
var linkTarget = regexp.MustCompile(`\]\([^)]*\)`)

// letters counts the letters of a body's paragraphs of text, images and
// links' addresses aside.
func letters(body string) int {
	n := 0
	for para := range strings.SplitSeq(body, "\n\n") {
		if strings.Contains(para, "![") {
			continue
		}
		for _, r := range linkTarget.ReplaceAllString(para, "]") {
			if unicode.IsLetter(r) {
				n++
			}
		}
	}
	return n
}

// readerSame reports whether a post, a, and its new version show a reader the
// same: the same title, text and images, the same URLs, and the same mark
// of a removal,
// whatever else of their front matter differs (a date the site stamped
// anew) and however their text is spaced, or tracked (utm_ parameters).
func readerSame(a *jekyll.FrontMatter, new []byte) bool {
	b, err := jekyll.Parse(new)
	if err != nil {
		return false
	}
	return a.Title == b.Title && a.From == b.From && slices.Equal(a.Also, b.Also) && jekyll.Removed(a) == jekyll.Removed(b) &&
		readerText(a.Body) == readerText(b.Body)
}

// linkURL is a link's or image's address in Markdown.
var linkURL = regexp.MustCompile(`\]\((https?://[^)\s]+)`)

// readerText is a body as a reader sees it: its runs of white space one
// space, its links without tracking parameters (utm_…, fbclid, gclid).
func readerText(body []byte) string {
	text := linkURL.ReplaceAllStringFunc(string(body), func(m string) string {
		u, err := url.Parse(m[2:])
		if err != nil || u.RawQuery == "" {
			return m
		}
		q := u.Query()
		for k := range q {
			if strings.HasPrefix(k, "utm_") || k == "fbclid" || k == "gclid" {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
		return "](" + u.String()
	})
	return strings.Join(strings.Fields(text), " ")
}
