package article

import (
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// The fuzz tests run in CI for a while (see .ci/run); a crasher found is
// kept by go test under testdata/fuzz/ and becomes a regression test.

// codeSpans are Markdown code spans: their text is shown as code, never
// as HTML.
var codeSpans = regexp.MustCompile("(`+)[^`]*?(`+)")

// activeHTML is raw HTML (text "<" comes out as &lt; or \<) or a link to
// a script.
var activeHTML = regexp.MustCompile(`(?i)(^|[^\\])<[a-z!/?]|\]\(\s*<?\s*(javascript|data|vbscript):`)

// FuzzConvert: any HTML becomes Markdown without a panic, with no HTML
// and no script link left in it.
func FuzzConvert(f *testing.F) {
	for _, name := range feedstest.PageNames() {
		f.Add(string(feedstest.Page(name)))
	}
	f.Add(`<p><strong>“引号”</strong>文字<b>。</b><em></em><a href="javascript:x">y</a><img src=x onerror=alert(1)></p>`)
	f.Add("<p>第一行\n<b>第二行</b>\n第三行</p><table><tr><td>|</td></tr></table>")
	conv := newConverter()
	base, _ := url.Parse("https://www.rfa.org/mandarin/a/b/")
	f.Fuzz(func(t *testing.T, h string) {
		root, err := clean(nil, h, base)
		if err != nil {
			return
		}
		md, err := toMarkdown(conv, root, base.String())
		if err != nil {
			return
		}
		if m := activeHTML.FindString(codeSpans.ReplaceAllString(md, "")); m != "" {
			t.Errorf("active content %q survived in:\n%s", m, md)
		}
	})
}

// FuzzFeedToPost: any feed becomes posts without a panic, and each post's
// front matter parses back to the entry's title and URL.
func FuzzFeedToPost(f *testing.F) {
	for _, format := range []feedstest.Format{feedstest.RSS, feedstest.Atom, feedstest.RDF} {
		feed := feedstest.Feed{Format: format, Title: "自由亚洲电台", Link: "https://www.rfa.org/", Entries: []feedstest.Entry{{
			Title: "美中外长在东盟外交拼场　布林肯与王毅将会面", Link: "https://www.rfa.org/mandarin/a-07262024084201.html",
			Published: goldenNow, Creator: "凯迪", Description: "<p>提要</p>", Content: "<p>全文</p><h2>小标题</h2>",
			Image: "https://www.rfa.org/a.jpg",
		}}}
		f.Add([]byte(feed.XML()))
	}
	f.Add([]byte(`<rss version="2.0"><channel><item><title>` + "He said: \"{{ x }}\" #1 ---" + `</title><link>https://x.org/a/%2e%2e/b</link><content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>x</p>]]></content:encoded></item></channel></rss>`))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>t</title><link href="/rel"/><content type="html">&lt;b&gt;b&lt;/b&gt;</content></entry></feed>`))
	m := New(fetch.New(fetch.Options{}), 10<<20)
	m.now = func() time.Time { return goldenNow }
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := feeds.Parse(data, "application/rss+xml", "https://www.rfa.org/feed/")
		if err != nil {
			return
		}
		for _, it := range res.Items {
			u, err := url.Parse(it.Link)
			if err != nil {
				t.Fatalf("Parse gave an unparseable link %q", it.Link)
			}
			post, err := m.MakePost(FeedStory(it), it, u, testDefaults)
			if err != nil {
				continue // no story in the entry
			}
			out, err := post.Render()
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			fm, err := jekyll.Parse(out)
			if err != nil {
				t.Fatalf("the post does not parse back: %v\n%s", err, out)
			}
			if fm.Title != post.Title || fm.From != post.URL {
				t.Fatalf("round trip: title %q → %q, from %q → %q", post.Title, fm.Title, post.URL, fm.From)
			}
		}
	})
}
