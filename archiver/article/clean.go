package article

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// policy is the allow-list of what a story may hold: text structure,
// links, images and tables. Everything active (scripts, styles, frames,
// objects, forms, event handlers, javascript: and data: URLs) is dropped.
var policy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
		"ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "code",
		"strong", "b", "em", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark", "cite", "q", "abbr",
		"figure", "figcaption", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
		"div", "span", "section", "article")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("src", "alt", "title").OnElements("img")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.AddSpaceWhenStrippingTag(false)
	return p
}()

// clean turns a story into a safe fragment ready for conversion: the lead
// image first, page furniture removed, lazy images given their source, URLs
// made absolute, figures in one form, then everything not on the
// allow-list removed, and finally the text made to convert well.
func clean(lead *Image, body string, base *url.URL) (*html.Node, error) {
	var b strings.Builder
	figureHTML(&b, lead)
	b.WriteString(body)
	root, err := parseFragment(b.String())
	if err != nil {
		return nil, err
	}
	sel := goquery.NewDocumentFromNode(root).Selection
	sel.Find(strings.Join(furniture, ",")).Remove()
	sel.Find("img").Each(func(_ int, img *goquery.Selection) {
		src := absolute(base, imageSource(img))
		if src == "" || img.AttrOr("width", "") == "1" || img.AttrOr("height", "") == "1" {
			img.Remove()
			return
		}
		img.SetAttr("src", src)
		if img.AttrOr("alt", "") == "" {
			img.SetAttr("alt", img.AttrOr("title", ""))
		}
		// No title: the converter writes it into the Markdown as it is,
		// raw HTML and all ("<A", found by FuzzConvert).
		img.RemoveAttr("title")
	})
	sel.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		if h := absolute(base, a.AttrOr("href", "")); h != "" {
			a.SetAttr("href", h)
		} else if !strings.HasPrefix(strings.TrimSpace(a.AttrOr("href", "")), "mailto:") {
			a.RemoveAttr("href")
		}
	})
	sel.Find("figure").Each(func(_ int, f *goquery.Selection) { normaliseFigure(f) })

	h, err := sel.Html()
	if err != nil {
		return nil, err
	}
	safe := policy.Sanitize(h)
	root, err = parseFragment(safe)
	if err != nil {
		return nil, err
	}
	joinCJKLines(root)
	fixEmphasis(root)
	escapeAltText(root)
	return root, nil
}

// escapeAltText escapes each < in image alt text, which the converter
// writes as it is: "![a<b>](…)" would leave a tag in the Markdown.
func escapeAltText(n *html.Node) {
	if n.Type == html.ElementNode && n.Data == "img" {
		for i, a := range n.Attr {
			if a.Key == "alt" {
				n.Attr[i].Val = strings.ReplaceAll(a.Val, "<", `\<`)
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		escapeAltText(c)
	}
}

// normaliseFigure makes a figure hold its images and one caption, which is
// also each image's alt text. A figcaption's credit part (Arc's
// c-media-item__credit) goes in brackets after the caption.
func normaliseFigure(f *goquery.Selection) {
	imgs := f.Find("img")
	if imgs.Length() == 0 {
		return
	}
	capSel := f.Find("figcaption").First()
	credits := capSel.Find("[class*=credit]")
	credit := text(credits)
	credits.Remove()
	caption := text(capSel)
	if caption == "" && credit == "" {
		caption = imgs.First().AttrOr("alt", "")
	}
	caption = captionText(&Image{Caption: caption, Credit: credit})
	var b strings.Builder
	b.WriteString("<figure>")
	imgs.Each(func(_ int, img *goquery.Selection) {
		b.WriteString(`<img src="` + html.EscapeString(img.AttrOr("src", "")) + `" alt="` + html.EscapeString(caption) + `">`)
	})
	if caption != "" {
		b.WriteString("<figcaption>" + html.EscapeString(caption) + "</figcaption>")
	}
	b.WriteString("</figure>")
	f.ReplaceWithHtml(b.String())
}

// parseFragment parses HTML as the content of a <div>, returned.
func parseFragment(s string) (*html.Node, error) {
	div := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), div)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		div.AppendChild(n)
	}
	return div, nil
}

// isCJK reports whether r is written without spaces between words:
// Chinese and Japanese characters, and their punctuation.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) ||
		(r >= 0x3000 && r <= 0x303F) || // CJK symbols and punctuation
		(r >= 0xFF00 && r <= 0xFFEF) || // full-width forms
		strings.ContainsRune("“”‘’…—·", r)
}

// textRun is the text nodes of one block, in order: the text a reader sees
// as one line, whatever inline elements it passes through.
type textRun []*html.Node

// blocks walks n and calls fn with each run of inline text.
func blocks(n *html.Node, fn func(textRun)) {
	var run textRun
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				run = append(run, c)
			case c.Type == html.ElementNode && isInline(c):
				walk(c)
			case c.Type == html.ElementNode:
				if len(run) > 0 {
					fn(run)
				}
				run = nil
				walk(c)
				if len(run) > 0 {
					fn(run)
				}
				run = nil
			}
		}
	}
	walk(n)
	if len(run) > 0 {
		fn(run)
	}
}

func isInline(n *html.Node) bool {
	switch n.DataAtom {
	case atom.A, atom.Strong, atom.B, atom.Em, atom.I, atom.U, atom.S, atom.Del, atom.Ins, atom.Sub, atom.Sup,
		atom.Small, atom.Mark, atom.Cite, atom.Q, atom.Abbr, atom.Span, atom.Code:
		return true
	}
	return false
}

// joinCJKLines removes the line breaks of the HTML source between two
// Chinese characters. A browser shows them as nothing; Markdown would make
// them a space.
func joinCJKLines(root *html.Node) {
	blocks(root, func(run textRun) {
		for i, n := range run {
			if !strings.ContainsAny(n.Data, "\n\r") {
				continue
			}
			before := func(j int) rune { // the rune before n.Data[j:]
				if r, _ := utf8.DecodeLastRuneInString(n.Data[:j]); j > 0 {
					return r
				}
				return lastRune(run[:i])
			}
			after := func(j int) rune { // the rune at n.Data[j:]
				if r, _ := utf8.DecodeRuneInString(n.Data[j:]); j < len(n.Data) {
					return r
				}
				return firstRune(run[i+1:])
			}
			var b strings.Builder
			s := n.Data
			for j := 0; j < len(s); {
				k := j
				for k < len(s) && isSpaceByte(s[k]) {
					k++
				}
				if k > j {
					ws := s[j:k]
					if !(strings.ContainsAny(ws, "\n\r") && isCJK(before(j)) && isCJK(after(k))) {
						b.WriteString(ws)
					}
					j = k
					continue
				}
				_, size := utf8.DecodeRuneInString(s[j:])
				b.WriteString(s[j : j+size])
				j += size
			}
			n.Data = b.String()
		}
	})
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func lastRune(run textRun) rune {
	for i := len(run) - 1; i >= 0; i-- {
		if run[i].Data != "" {
			r, _ := utf8.DecodeLastRuneInString(run[i].Data)
			return r
		}
	}
	return 0
}

func firstRune(run textRun) rune {
	for _, n := range run {
		if n.Data != "" {
			r, _ := utf8.DecodeRuneInString(n.Data)
			return r
		}
	}
	return 0
}

// fixEmphasis keeps bold and italic working next to CJK punctuation.
// CommonMark opens ** only if it is not followed by punctuation, or it is
// preceded by space or punctuation (and the mirror rule for closing), so
// **“引号”**文字 shows its asterisks. Punctuation at the edge of the
// emphasis that would break it is moved just outside; the text stays as
// written.
func fixEmphasis(root *html.Node) {
	var ems []*html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && isEmphasis(c) {
				ems = append(ems, c)
			}
			find(c)
		}
	}
	find(root)
	for _, em := range ems {
		fixOne(em)
	}
}

func isEmphasis(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Strong, atom.B, atom.Em, atom.I:
		return true
	}
	return false
}

func fixOne(em *html.Node) {
	first, last := em.FirstChild, em.LastChild
	if first == nil || first.Type != html.TextNode || last.Type != html.TextNode {
		return // a link or image at the edge: leave it as it is
	}
	breaks := func(r rune) bool { return r != 0 && !unicode.IsSpace(r) && !isPunct(r) }
	lead, _ := utf8.DecodeRuneInString(first.Data)
	trail, _ := utf8.DecodeLastRuneInString(last.Data)
	if !(isPunct(lead) && breaks(runeBefore(em))) && !(isPunct(trail) && breaks(runeAfter(em))) {
		return
	}
	// Move the punctuation at both edges out, so that “引号” stays whole.
	cut := len(first.Data) - len(strings.TrimLeftFunc(first.Data, isPunct))
	if cut > 0 {
		em.Parent.InsertBefore(&html.Node{Type: html.TextNode, Data: first.Data[:cut]}, em)
		first.Data = first.Data[cut:]
	}
	keep := len(strings.TrimRightFunc(last.Data, isPunct))
	if keep < len(last.Data) {
		em.Parent.InsertBefore(&html.Node{Type: html.TextNode, Data: last.Data[keep:]}, em.NextSibling)
		last.Data = last.Data[:keep]
	}
	if strings.TrimSpace(textOf(em)) == "" { // nothing left to emphasise
		for c := em.FirstChild; c != nil; {
			next := c.NextSibling
			em.RemoveChild(c)
			em.Parent.InsertBefore(c, em)
			c = next
		}
		em.Parent.RemoveChild(em)
	}
}

// isPunct is CommonMark's Unicode punctuation: categories P and S.
func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

// runeBefore is the rune just before n in its line of text, 0 at its start.
func runeBefore(n *html.Node) rune {
	for cur := n; cur != nil && (cur == n || isInline(cur)); cur = cur.Parent {
		for p := cur.PrevSibling; p != nil; p = p.PrevSibling {
			if t := textOf(p); t != "" {
				r, _ := utf8.DecodeLastRuneInString(t)
				return r
			}
			if p.Type == html.ElementNode && !isInline(p) {
				return 0
			}
		}
	}
	return 0
}

// runeAfter is the rune just after n in its line of text, 0 at its end.
func runeAfter(n *html.Node) rune {
	for cur := n; cur != nil && (cur == n || isInline(cur)); cur = cur.Parent {
		for p := cur.NextSibling; p != nil; p = p.NextSibling {
			if t := textOf(p); t != "" {
				r, _ := utf8.DecodeRuneInString(t)
				return r
			}
			if p.Type == html.ElementNode && !isInline(p) {
				return 0
			}
		}
	}
	return 0
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}
