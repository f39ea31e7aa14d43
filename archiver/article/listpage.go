package article

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
)

// A link can lead to a page that is no article: a section's or the front
// page's, a list of links to stories, each a headline. No site rule reads
// such a page, and a reader view would make a story of its teasers; it is
// told by what it is, whatever its URL: many headline links on the site,
// most of its text, and no story's markup.

// The least headline links of a list page, the least runes of a headline,
// and the least share of the page's text its headlines are.
const (
	listLinks     = 8
	headlineRunes = 8
	listShare     = 0.3
)

// listPage reports whether doc, the page at page, is a list of links to
// stories rather than a story.
func listPage(doc *goquery.Document, page *url.URL) bool {
	if storyMarkup(doc) {
		return false
	}
	seen := map[string]bool{}
	headlines := 0
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		u, err := page.Parse(a.AttrOr("href", ""))
		text := utf8.RuneCountInString(strings.TrimSpace(a.Text()))
		if err != nil || !sameSite(u, page) || u.Path == page.Path || strings.Trim(u.Path, "/") == "" || text < headlineRunes || seen[u.Path] {
			return
		}
		seen[u.Path] = true
		headlines += text
	})
	body := doc.Find("body").Clone()
	body.Find("script, style, nav, header, footer").Remove()
	all := utf8.RuneCountInString(strings.Join(strings.Fields(body.Text()), ""))
	return len(seen) >= listLinks && float64(headlines) >= listShare*float64(all)
}

// storyMarkup reports whether a page says it is a story: as Open Graph or
// JSON-LD say it, or by one <article> of paragraphs (a list page's cards
// are many).
func storyMarkup(doc *goquery.Document) bool {
	if findArticleLD(doc) != nil || strings.EqualFold(doc.Find("meta[property='og:type']").AttrOr("content", ""), "article") {
		return true
	}
	articles := doc.Find("article")
	return articles.Length() == 1 && articles.Find("p").Length() >= 2
}

// sameSite reports whether u is on the host of page, with or without www.
func sameSite(u, page *url.URL) bool {
	return strings.TrimPrefix(strings.ToLower(u.Host), "www.") == strings.TrimPrefix(strings.ToLower(page.Host), "www.")
}
