package jekyll

import (
	"strings"
	"unicode"
)

// A post is text a reader can open: valid UTF-8, with no control
// characters but the new lines and tabs of its body. Its header line
// ([title](from)) is one line, as a commit message's are. Format
// characters (bidi marks, zero width joiners) are the story's text, and
// stay.

// cleanText is s as a post holds it: a byte that is not UTF-8 becomes
// U+FFFD, and control characters go; when multiline is false, line
// breaks become spaces.
func cleanText(s string, multiline bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case multiline && (r == '\n' || r == '\t'):
			return r
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			return ' '
		case unicode.Is(unicode.Cc, r):
			return -1
		}
		return r
	}, s)
}

// OneLine makes s one line of a commit message or a post's header: no
// control, format (bidi, zero width) or line-breaking characters, runs of
// space made one, a byte that is not UTF-8 made U+FFFD.
func OneLine(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, "\uFFFD"), func(r rune) bool {
		return r == ' ' || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
	}), " ")
}

// Clean makes the post's text fields text a reader can open.
func (p *Post) Clean() {
	for _, f := range []*string{&p.Title, &p.Byline, &p.Section, &p.Description, &p.Image, &p.Audio, &p.SourceID, &p.GUID, &p.Feed, &p.Author, &p.Layout} {
		*f = cleanText(*f, false)
	}
	for _, list := range [][]string{p.Tags, p.Categories} {
		for i := range list {
			list[i] = cleanText(list[i], false)
		}
	}
	p.Body = cleanText(p.Body, true)
}
