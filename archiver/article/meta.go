package article

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// readMeta reads what a page says about itself in JSON-LD and in <meta>
// and <link> elements, JSON-LD first.
func readMeta(doc *goquery.Document, page *url.URL) *Story {
	m := &Story{}
	if ld := findArticleLD(doc); ld != nil {
		m.Title = ldString(ld["headline"])
		m.Published = parseTime(ldString(ld["datePublished"]))
		m.Modified = parseTime(ldString(ld["dateModified"]))
		m.Authors = ldNames(ld["author"])
		m.Section = ldString(ld["articleSection"])
		m.Description = ldString(ld["description"])
		m.Tags = splitKeywords(ld["keywords"])
	}
	meta := func(attr, name string) string {
		return strings.TrimSpace(doc.Find("meta["+attr+"='"+name+"']").First().AttrOr("content", ""))
	}
	m.Title = firstNonEmpty(m.Title, meta("property", "og:title"), meta("name", "twitter:title"))
	if m.Published.IsZero() {
		m.Published = parseTime(firstNonEmpty(meta("property", "article:published_time"), meta("name", "date"), meta("itemprop", "datePublished")))
	}
	if m.Modified.IsZero() {
		m.Modified = parseTime(firstNonEmpty(meta("property", "article:modified_time"), meta("itemprop", "dateModified")))
	}
	if len(m.Authors) == 0 {
		if a := meta("name", "author"); a != "" {
			m.Authors = []string{a}
		}
	}
	m.Section = firstNonEmpty(m.Section, meta("property", "article:section"))
	if len(m.Tags) == 0 {
		doc.Find("meta[property='article:tag']").Each(func(_ int, s *goquery.Selection) {
			if t := strings.TrimSpace(s.AttrOr("content", "")); t != "" {
				m.Tags = append(m.Tags, t)
			}
		})
	}
	if len(m.Tags) == 0 {
		m.Tags = splitKeywords(meta("name", "keywords"))
	}
	m.Description = firstNonEmpty(m.Description, meta("property", "og:description"), meta("name", "description"))
	m.Audio = absolute(page, firstNonEmpty(meta("property", "og:audio"), doc.Find(".storyaudio audio[src], audio[src]").First().AttrOr("src", "")))
	return m
}

// findArticleLD returns the first JSON-LD object of an article type,
// looking into arrays and @graph.
func findArticleLD(doc *goquery.Document) map[string]any {
	var found map[string]any
	doc.Find("script[type='application/ld+json']").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		var v any
		if json.Unmarshal([]byte(s.Text()), &v) != nil {
			return true
		}
		found = articleIn(v, 0)
		return found == nil
	})
	return found
}

func articleIn(v any, depth int) map[string]any {
	if depth > 4 {
		return nil
	}
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if a := articleIn(e, depth+1); a != nil {
				return a
			}
		}
	case map[string]any:
		for _, t := range ldStrings(v["@type"]) {
			if strings.HasSuffix(t, "Article") || t == "BlogPosting" || t == "Report" {
				return v
			}
		}
		return articleIn(v["@graph"], depth+1)
	}
	return nil
}

func ldString(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case []any:
		if len(v) > 0 {
			return ldString(v[0])
		}
	case map[string]any:
		return firstNonEmpty(ldString(v["@id"]), ldString(v["url"]), ldString(v["name"]))
	}
	return ""
}

func ldStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ldNames reads author: a name, a Person, or a list of either.
func ldNames(v any) []string {
	var names []string
	switch v := v.(type) {
	case string:
		names = append(names, strings.TrimSpace(v))
	case map[string]any:
		names = append(names, ldString(v["name"]))
	case []any:
		for _, e := range v {
			names = append(names, ldNames(e)...)
		}
	}
	return compact(names)
}

func splitKeywords(v any) []string {
	var parts []string
	for _, s := range append(ldStrings(v), "") {
		parts = append(parts, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' })...)
	}
	return compact(parts)
}

// compact trims each string and drops empty ones and repeats.
func compact(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// absolute resolves ref against base; "" when ref is empty or not http(s).
func absolute(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	return u.String()
}
