package posts

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/rfa-archive/archiver/store/jekyll"
)

// minDriftText is the least text, in letters, of an archived post whose
// new version Drift compares: a short post may well lose half in an edit.
const minDriftText = 200

// Drift says why p, a new version of the archived post name, is no edit
// but the site's pages changed shape ("" when it is not): it has lost
// most of the post's text, as a site rule that no longer matches, or a
// reader view that takes over, would lose it. The post stays as it is.
func (w *Writer) Drift(name string, p *jekyll.Post) string {
	data, err := w.st.Read(name)
	if err != nil {
		return ""
	}
	fm, err := jekyll.Parse(data)
	if err != nil {
		return ""
	}
	was, is := letters(string(fm.Body)), letters(p.Body)
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
