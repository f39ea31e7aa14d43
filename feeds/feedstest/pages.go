package feedstest

import (
	"embed"
	"path"
	"slices"
	"strings"
)

// The site's pages include copies of real pages of RFA (its Plone era
// until 2025 and its Arc XP era since), a page of no known shape, and a
// hostile one, in pages/. archiver/article's golden tests archive each.
//
//go:embed pages/*.html
var pages embed.FS

// Page is the page pages/name.html. It panics if there is none: a test
// names a page that does not exist.
func Page(name string) []byte {
	data, err := pages.ReadFile("pages/" + name + ".html")
	if err != nil {
		panic("feedstest: no page " + name + ": " + err.Error())
	}
	return data
}

// PageNames are the names of the pages in pages/, sorted.
func PageNames() []string {
	entries, _ := pages.ReadDir("pages")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), path.Ext(e.Name())))
	}
	slices.Sort(names)
	return names
}

// StoryPage is a story page in Plone's shape (#storytext): a headline
// (none when empty) and paragraphs of text.
func StoryPage(headline string, paragraphs ...string) string {
	h1 := ""
	if headline != "" {
		h1 = "<h1>" + headline + "</h1>"
	}
	var body strings.Builder
	for _, p := range paragraphs {
		body.WriteString("<p>" + p + "</p>")
	}
	return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>頁面</title></head><body>
<div id="storypagemaincol">` + h1 + `
<div id="storytext">` + body.String() + `</div></div></body></html>`
}

// PathStory is the story page of path: its text names the path, so that a
// post shows which page it came from. It is in traditional characters,
// which GBK and Big5 both have.
func PathStory(path string) string {
	return StoryPage("頁面標題 "+path, PathText(path), "第二段。")
}

// PathText is the first paragraph of PathStory(path).
func PathText(path string) string {
	return "完整的正文：" + path + "。繁體與簡體都要原樣保存。"
}
