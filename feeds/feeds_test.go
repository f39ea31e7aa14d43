package feeds_test

import (
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/feeds/fetch"
)

const arcFeedURL = "https://www.rfa.org/arc/outboundfeeds/mandarin/rss/"

func parse(t *testing.T, body, contentType, feedURL string) *feeds.Result {
	t.Helper()
	res, err := feeds.Parse([]byte(body), contentType, feedURL)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// checkTime asserts that got is want, in UTC.
func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if !got.IsZero() && got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, got.Location())
	}
}

func links(items []feeds.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Link)
	}
	return out
}

func TestParseArc(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("testdata/arc-feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	res := parse(t, string(body), "application/rss+xml", arcFeedURL)

	if res.Title != "自由亚洲电台" {
		t.Errorf("Title = %q", res.Title)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("Warnings = %q, want none", res.Warnings)
	}
	if len(res.Items) != 2 {
		t.Fatalf("got %d items, want 2", len(res.Items))
	}

	first := res.Items[0]
	const link1 = "https://www.rfa.org/mandarin/shehui/2025/06/16/example-officials-respond-netizens/"
	want := feeds.Item{
		Feed:        arcFeedURL,
		Link:        link1,
		GUID:        link1,
		Title:       "示例标题：某地官员回应网民质疑",
		Authors:     []string{"凯迪"},
		Description: "这是一段示例摘要，对应 ANS 的 description.basic。",
		Content: `<p>第一段正文，可能含有<a href="https://www.rfa.org/mandarin/zhengzhi/2025/06/10/example-earlier-story/">内部链接</a>。</p>` +
			`<h2>小标题</h2><p>第二段正文。</p>` +
			`<img src="https://www.rfa.org/resizer/v2/BBBBBBBBBBBBBBBBBBBBBBBBBB.jpg?width=1200&height=800&auth=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef&smart=true" alt="正文图片说明文字。" height="800" width="1200"/>` +
			`<ul><li>列表项一</li><li>列表项二</li></ul>`,
		Image: &feeds.Image{
			URL:     "https://www.rfa.org/resizer/v2/AAAAAAAAAAAAAAAAAAAAAAAAAA.jpg?width=1800&height=1200&auth=fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210&smart=true",
			Caption: "头图说明：2025年6月15日，民众在街头。",
			Credit:  "Reuters",
		},
	}
	if first.Feed != want.Feed || first.Link != want.Link || first.GUID != want.GUID || first.Title != want.Title {
		t.Errorf("item 1 = feed %q link %q guid %q title %q\nwant feed %q link %q guid %q title %q",
			first.Feed, first.Link, first.GUID, first.Title, want.Feed, want.Link, want.GUID, want.Title)
	}
	if !slices.Equal(first.Authors, want.Authors) {
		t.Errorf("item 1 Authors = %q, want %q", first.Authors, want.Authors)
	}
	if first.Description != want.Description {
		t.Errorf("item 1 Description = %q, want %q", first.Description, want.Description)
	}
	if first.Content != want.Content {
		t.Errorf("item 1 Content =\n%s\nwant\n%s", first.Content, want.Content)
	}
	// The language is "zh", but a numeric offset is not a zone name to
	// reinterpret.
	checkTime(t, "item 1 Published", first.Published, utc("2025-06-16T14:05:12Z"))
	checkTime(t, "item 1 Updated", first.Updated, time.Time{})
	if first.Image == nil {
		t.Fatal("item 1 has no Image")
	}
	if *first.Image != *want.Image {
		t.Errorf("item 1 Image = %+v\nwant %+v", *first.Image, *want.Image)
	}
	if keys := first.Keys(); !slices.Equal(keys, []string{"rfa.org/mandarin/shehui/2025/06/16/example-officials-respond-netizens"}) {
		t.Errorf("item 1 Keys = %q, want one key, its guid being its link", keys)
	}

	second := res.Items[1]
	if second.Link != "https://www.rfa.org/mandarin/xinwenkuaixun/2025/06/16/example-brief/" || second.Title != "示例快讯：第二条新闻" {
		t.Errorf("item 2 = %q %q", second.Link, second.Title)
	}
	if second.Authors != nil {
		t.Errorf("item 2 Authors = %q, want none", second.Authors)
	}
	if second.Image != nil {
		t.Errorf("item 2 Image = %+v, want none", *second.Image)
	}
	if second.Description != "" {
		t.Errorf("item 2 Description = %q, want empty", second.Description)
	}
	if !strings.Contains(second.Content, "没有署名、没有头图的快讯") {
		t.Errorf("item 2 Content = %q", second.Content)
	}
	checkTime(t, "item 2 Published", second.Published, utc("2025-06-16T09:30:00Z"))
}

const atomFeed = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Atom Example</title>
  <link rel="alternate" href="https://atom.example/"/>
  <link rel="self" href="https://feeds.atom.example/atom.xml"/>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2025-06-16T10:00:00Z</updated>
  <entry>
    <title type="text">First entry</title>
    <link rel="alternate" href="https://atom.example/2025/06/first?utm_source=atom#comments"/>
    <link rel="replies" href="https://atom.example/2025/06/first/comments"/>
    <id>tag:atom.example,2025:1</id>
    <published>2025-06-16T08:00:00+02:00</published>
    <updated>2025-06-16T09:30:00Z</updated>
    <author><name>Alice</name></author>
    <author><name>Bob</name></author>
    <category term="politics"/>
    <summary>A short summary.</summary>
    <content type="html">&lt;p&gt;The whole &lt;b&gt;story&lt;/b&gt;.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Second entry</title>
    <link href="/2025/06/second"/>
    <id>tag:atom.example,2025:2</id>
    <updated>2025-06-15T12:00:00Z</updated>
  </entry>
  <entry xml:base="https://atom.example/blog/">
    <title>Third entry</title>
    <link href="third"/>
    <id>https://atom.example/blog/third</id>
    <updated>2025-06-14T12:00:00Z</updated>
  </entry>
</feed>`

func TestParseAtom(t *testing.T) {
	t.Parallel()
	const feedURL = "https://feeds.atom.example/atom.xml"
	res := parse(t, atomFeed, "application/atom+xml", feedURL)

	if res.Title != "Atom Example" {
		t.Errorf("Title = %q", res.Title)
	}
	wantLinks := []string{
		"https://atom.example/2025/06/first",
		"https://atom.example/2025/06/second", // relative, against the site's link
		"https://atom.example/blog/third",     // relative, against xml:base
	}
	if got := links(res.Items); !slices.Equal(got, wantLinks) {
		t.Fatalf("links = %q\nwant %q", got, wantLinks)
	}

	first := res.Items[0]
	if first.Title != "First entry" || first.GUID != "tag:atom.example,2025:1" || first.Feed != feedURL {
		t.Errorf("item 1 = title %q guid %q feed %q", first.Title, first.GUID, first.Feed)
	}
	checkTime(t, "item 1 Published", first.Published, utc("2025-06-16T06:00:00Z"))
	checkTime(t, "item 1 Updated", first.Updated, utc("2025-06-16T09:30:00Z"))
	if !slices.Equal(first.Authors, []string{"Alice", "Bob"}) {
		t.Errorf("item 1 Authors = %q", first.Authors)
	}
	if !slices.Equal(first.Categories, []string{"politics"}) {
		t.Errorf("item 1 Categories = %q", first.Categories)
	}
	if first.Description != "A short summary." || first.Content != "<p>The whole <b>story</b>.</p>" {
		t.Errorf("item 1 Description = %q, Content = %q", first.Description, first.Content)
	}
	wantKeys := []string{"atom.example/2025/06/first", "guid:feeds.atom.example:tag:atom.example,2025:1"}
	if keys := first.Keys(); !slices.Equal(keys, wantKeys) {
		t.Errorf("item 1 Keys = %q, want %q", keys, wantKeys)
	}
	// Atom's published falls back to updated.
	checkTime(t, "item 2 Published", res.Items[1].Published, utc("2025-06-15T12:00:00Z"))
}

const rdfFeed = `<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/">
    <title>RDF Example</title>
    <link>https://rdf.example/</link>
    <description>An RSS 1.0 feed</description>
    <items><rdf:Seq>
      <rdf:li rdf:resource="https://rdf.example/one"/>
      <rdf:li rdf:resource="https://rdf.example/two"/>
    </rdf:Seq></items>
  </channel>
  <item rdf:about="https://rdf.example/one">
    <title>One</title>
    <link>https://rdf.example/one</link>
    <description>The first item.</description>
    <dc:date>2025-06-16T14:05:12+08:00</dc:date>
    <dc:creator>Carol, Dave</dc:creator>
  </item>
  <item rdf:about="https://rdf.example/two">
    <title>Two</title>
    <link>https://rdf.example/two?id=2&amp;utm_medium=rss</link>
  </item>
</rdf:RDF>`

func TestParseRDF(t *testing.T) {
	t.Parallel()
	res := parse(t, rdfFeed, "application/rdf+xml", "https://rdf.example/index.rdf")
	if res.Title != "RDF Example" {
		t.Errorf("Title = %q", res.Title)
	}
	if got, want := links(res.Items), []string{"https://rdf.example/one", "https://rdf.example/two?id=2"}; !slices.Equal(got, want) {
		t.Fatalf("links = %q, want %q", got, want)
	}
	one := res.Items[0]
	if one.Title != "One" || one.Description != "The first item." {
		t.Errorf("item 1 = title %q description %q", one.Title, one.Description)
	}
	if !slices.Equal(one.Authors, []string{"Carol", "Dave"}) {
		t.Errorf("item 1 Authors = %q, want Carol and Dave apart", one.Authors)
	}
	checkTime(t, "item 1 Published", one.Published, utc("2025-06-16T06:05:12Z"))
	checkTime(t, "item 2 Published", res.Items[1].Published, time.Time{})
}

func TestParseMissingParts(t *testing.T) {
	t.Parallel()
	const feed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>Partial</title>
  <link>https://example.com/</link>
  <item><title>Has a link</title><link>https://example.com/a</link><pubDate>Mon, 16 Jun 2025 14:05:12 +0000</pubDate></item>
  <item><title>No link at all</title><guid isPermaLink="false">abc-123</guid><description>orphan</description></item>
  <item><link>https://example.com/untitled</link><description>no title, no date</description></item>
  <item><title>Link only in the guid</title><guid>https://example.com/from-guid</guid></item>
  <item><title>Bad link</title><link>mailto:editor@example.com</link></item>
</channel></rss>`
	res := parse(t, feed, "application/rss+xml", "https://example.com/feed")

	want := []string{"https://example.com/a", "https://example.com/untitled", "https://example.com/from-guid"}
	if got := links(res.Items); !slices.Equal(got, want) {
		t.Fatalf("links = %q, want %q", got, want)
	}
	untitled := res.Items[1]
	if untitled.Title != "" || !untitled.Published.IsZero() || untitled.Description != "no title, no date" {
		t.Errorf("untitled item = title %q published %v description %q", untitled.Title, untitled.Published, untitled.Description)
	}
	if len(res.Warnings) != 2 {
		t.Fatalf("Warnings = %q, want 2", res.Warnings)
	}
	for i, want := range [][]string{{"entry 2", "No link at all", "no link"}, {"entry 5", "Bad link", "mailto:"}} {
		for _, w := range want {
			if !strings.Contains(res.Warnings[i], w) {
				t.Errorf("warning %q does not say %q", res.Warnings[i], w)
			}
		}
	}
}

func TestParseRelativeLinks(t *testing.T) {
	t.Parallel()
	const items = `
  <item><title>a</title><link>/mandarin/a/</link>
    <media:content url="/resizer/v2/IMG.jpg?width=800" type="image/jpeg"/></item>
  <item><title>b</title><link>b.html#top</link></item>
  <item><title>c</title><link>//cdn.example.com/c</link></item>
  <item><title>d</title><link>../d/</link></item>`
	tests := []struct {
		name, channelLink string
		want              []string
		wantImage         string
	}{
		{"against the feed URL", "", []string{
			"https://www.example.com/mandarin/a/",
			"https://www.example.com/news/rss/b.html",
			"https://cdn.example.com/c",
			"https://www.example.com/news/d/",
		}, "https://www.example.com/resizer/v2/IMG.jpg?width=800"},
		{"against a relative site link", "/", []string{
			"https://www.example.com/mandarin/a/",
			"https://www.example.com/news/rss/b.html",
			"https://cdn.example.com/c",
			"https://www.example.com/news/d/",
		}, "https://www.example.com/resizer/v2/IMG.jpg?width=800"},
		{"against an absolute site link", "https://site.example/section/", []string{
			"https://site.example/mandarin/a/",
			"https://site.example/section/b.html",
			"https://cdn.example.com/c",
			"https://site.example/d/",
		}, "https://site.example/resizer/v2/IMG.jpg?width=800"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			link := ""
			if tt.channelLink != "" {
				link = "<link>" + tt.channelLink + "</link>"
			}
			feed := `<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title>` + link + items + `</channel></rss>`
			res := parse(t, feed, "application/rss+xml", "https://www.example.com/news/rss/feed.xml")
			if got := links(res.Items); !slices.Equal(got, tt.want) {
				t.Errorf("links = %q\nwant %q", got, tt.want)
			}
			if len(res.Items) > 0 && (res.Items[0].Image == nil || res.Items[0].Image.URL != tt.wantImage) {
				t.Errorf("image = %+v, want %s", res.Items[0].Image, tt.wantImage)
			}
		})
	}
}

func TestParseImage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, media string
		want        *feeds.Image
	}{
		{"content", `<media:content url="https://img.example/a.jpg" medium="image"><media:credit>AP</media:credit></media:content>`,
			&feeds.Image{URL: "https://img.example/a.jpg", Credit: "AP"}},
		{"video skipped for the thumbnail", `<media:content url="https://img.example/v.mp4" type="video/mp4"/>` +
			`<media:thumbnail url="https://img.example/thumb.jpg"/>`,
			&feeds.Image{URL: "https://img.example/thumb.jpg"}},
		{"video medium skipped", `<media:content url="https://img.example/v" medium="video"/>`, nil},
		{"no url", `<media:content type="image/jpeg"><media:description>caption</media:description></media:content>`, nil},
		{"first image wins", `<media:content url="https://img.example/1.png" type="image/png"><media:description> one </media:description></media:content>` +
			`<media:content url="https://img.example/2.png" type="image/png"/>`,
			&feeds.Image{URL: "https://img.example/1.png", Caption: "one"}},
		{"none", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feed := `<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title>` +
				`<item><title>a</title><link>https://example.com/a</link>` + tt.media + `</item></channel></rss>`
			res := parse(t, feed, "", "https://example.com/feed")
			if len(res.Items) != 1 {
				t.Fatalf("got %d items, want 1", len(res.Items))
			}
			got := res.Items[0].Image
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("Image = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// chineseFeed is an RSS feed in UTF-8 with decl as its XML declaration.
func chineseFeed(decl, title, itemTitle, description string) string {
	f := feedstest.Feed{Title: title, Link: "https://www.rfa.org/mandarin/", Entries: []feedstest.Entry{
		{Title: itemTitle, Link: "https://www.rfa.org/mandarin/yataibaodao/story-01.html", Description: description},
	}}
	return strings.Replace(f.XML(), feedstest.XMLDecl, decl, 1)
}

func encode(t *testing.T, enc encoding.Encoding, s string) string {
	t.Helper()
	b, err := enc.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("encoding the fixture: %v", err)
	}
	if b == s {
		t.Fatal("the fixture did not change when encoded")
	}
	return b
}

func TestParseCharsets(t *testing.T) {
	t.Parallel()
	const (
		gbTitle = "自由亚洲电台普通话"
		gbItem  = "中国外交部回应：“坚决反对”"
		gbDesc  = "记者：凯迪　责编：何平　网编：洪伟"
		b5Title = "自由亞洲電台粵語"
		b5Item  = "臺灣總統發表講話，強調維持現狀"
		b5Desc  = "記者：陳美華　責編：申鈺"
	)
	tests := []struct {
		name, contentType, body string
		title, item, desc       string
	}{
		{"GBK in Content-Type only", "application/rss+xml; charset=GBK",
			encode(t, simplifiedchinese.GBK, chineseFeed(`<?xml version="1.0"?>`, gbTitle, gbItem, gbDesc)),
			gbTitle, gbItem, gbDesc},
		{"GB2312 in Content-Type only", `text/xml; charset="gb2312"`,
			encode(t, simplifiedchinese.GBK, chineseFeed(``, gbTitle, gbItem, gbDesc)),
			gbTitle, gbItem, gbDesc},
		{"GBK in the XML declaration only", "application/rss+xml",
			encode(t, simplifiedchinese.GBK, chineseFeed(`<?xml version="1.0" encoding="GBK"?>`, gbTitle, gbItem, gbDesc)),
			gbTitle, gbItem, gbDesc},
		{"GBK in the XML declaration, no Content-Type", "",
			encode(t, simplifiedchinese.GBK, chineseFeed(`<?xml version='1.0' encoding='gbk' standalone='yes'?>`, gbTitle, gbItem, gbDesc)),
			gbTitle, gbItem, gbDesc},
		{"Content-Type over the XML declaration", "application/xml; charset=gbk",
			encode(t, simplifiedchinese.GBK, chineseFeed(`<?xml version="1.0" encoding="ISO-8859-1"?>`, gbTitle, gbItem, gbDesc)),
			gbTitle, gbItem, gbDesc},
		{"GB18030", "",
			encode(t, simplifiedchinese.GB18030, chineseFeed(`<?xml version="1.0" encoding="GB18030"?>`, gbTitle, gbItem, gbDesc)),
			gbTitle, gbItem, gbDesc},
		{"Big5 in the XML declaration", "application/rss+xml",
			encode(t, traditionalchinese.Big5, chineseFeed(`<?xml version="1.0" encoding="Big5"?>`, b5Title, b5Item, b5Desc)),
			b5Title, b5Item, b5Desc},
		{"Big5 in Content-Type", "text/xml; charset=big5",
			encode(t, traditionalchinese.Big5, chineseFeed(`<?xml version="1.0"?>`, b5Title, b5Item, b5Desc)),
			b5Title, b5Item, b5Desc},
		{"UTF-16 with a byte order mark", "",
			encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), chineseFeed(`<?xml version="1.0" encoding="UTF-16"?>`, gbTitle, gbItem, gbDesc)),
			gbTitle, gbItem, gbDesc},
		{"UTF-8 with a byte order mark", "",
			"\uFEFF" + chineseFeed(`<?xml version="1.0" encoding="utf-8"?>`, b5Title, b5Item, b5Desc),
			b5Title, b5Item, b5Desc},
		{"UTF-8 undeclared", "",
			chineseFeed(``, gbTitle, gbItem, gbDesc),
			gbTitle, gbItem, gbDesc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, tt.body, tt.contentType, "https://www.rfa.org/mandarin/rss2.xml")
			if res.Title != tt.title {
				t.Errorf("Title = %q, want %q", res.Title, tt.title)
			}
			if len(res.Items) != 1 {
				t.Fatalf("got %d items, want 1", len(res.Items))
			}
			if it := res.Items[0]; it.Title != tt.item || it.Description != tt.desc {
				t.Errorf("item = %q / %q, want %q / %q", it.Title, it.Description, tt.item, tt.desc)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	arc, err := os.ReadFile("testdata/arc-feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	gbk := encode(t, simplifiedchinese.GBK, chineseFeed(`<?xml version="1.0"?>`, "自由亚洲电台", "标题", "摘要"))
	tests := []struct {
		name, contentType, body string
		notFeed                 bool
		says                    []string
	}{
		{"undeclared GBK", "application/rss+xml", gbk, false, []string{"UTF-8"}},
		{"stray byte", "", "<rss version=\"2.0\"><channel><title>caf\xe9</title></channel></rss>", false, []string{"UTF-8", "offset 38"}},
		{"unknown charset", "text/xml; charset=x-klingon", "<rss/>", false, []string{"x-klingon"}},
		{"HTML page", "text/html; charset=utf-8",
			"<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>", true, []string{"HTML"}},
		{"HTML without doctype", "text/html",
			"\n  <HTML lang=\"zh\"><head><title>404</title></head></html>", true, []string{"HTML"}},
		{"HTML after a comment", "",
			"<!-- served by nginx -->\n<!doctype html><html></html>", true, []string{"HTML"}},
		{"GBK HTML page", "text/html; charset=gbk",
			encode(t, simplifiedchinese.GBK, "<!DOCTYPE html><html><head><title>页面不存在</title></head></html>"), true, []string{"HTML"}},
		// Not caught as HTML by its first bytes, but still no feed.
		{"XHTML after an XML declaration", "application/xhtml+xml",
			"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>Error</title></head><body></body></html>", true, nil},
		{"plain text", "text/plain", "Service Unavailable", true, nil},
		{"empty", "application/rss+xml", "", true, nil},
		{"half-written", "application/rss+xml", string(arc[:len(arc)/2]), false, nil},
		{"cut in a tag", "application/rss+xml", `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</ti`, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := feeds.Parse([]byte(tt.body), tt.contentType, "https://example.com/feed")
			if err == nil {
				t.Fatalf("Parse = %d items, %q; want an error", len(res.Items), res.Warnings)
			}
			if errors.Is(err, feeds.ErrNotFeed) != tt.notFeed {
				t.Errorf("errors.Is(%q, ErrNotFeed) = %v, want %v", err, !tt.notFeed, tt.notFeed)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestParseChinaStandardTime(t *testing.T) {
	t.Parallel()
	const pubDate = "Mon, 16 Jun 2025 14:05:12 CST"
	tests := []struct {
		language, pubDate string
		want              time.Time
	}{
		{"zh-cn", pubDate, utc("2025-06-16T06:05:12Z")},
		{"zh-CN", pubDate, utc("2025-06-16T06:05:12Z")},
		{"zh", pubDate, utc("2025-06-16T06:05:12Z")},
		{"ZH-TW", pubDate, utc("2025-06-16T06:05:12Z")},
		{"zh-cn", "Mon, 16 Jun 2025 14:05:12 +0800", utc("2025-06-16T06:05:12Z")},
		{"zh-cn", "Mon, 16 Jun 2025 14:05:12 GMT", utc("2025-06-16T14:05:12Z")},
		{"zh-cn", "Mon, 16 Jun 2025 14:05:12 EST", utc("2025-06-16T19:05:12Z")},
		// gofeed reads CST as US Central Standard Time.
		{"en-us", pubDate, utc("2025-06-16T20:05:12Z")},
		{"", pubDate, utc("2025-06-16T20:05:12Z")},
	}
	for _, tt := range tests {
		t.Run(tt.language+" "+tt.pubDate, func(t *testing.T) {
			lang := ""
			if tt.language != "" {
				lang = "<language>" + tt.language + "</language>"
			}
			feed := `<rss version="2.0"><channel><title>t</title>` + lang +
				`<item><title>a</title><link>https://example.com/a</link><pubDate>` + tt.pubDate + `</pubDate></item></channel></rss>`
			res := parse(t, feed, "application/rss+xml", "https://example.com/feed")
			if len(res.Items) != 1 {
				t.Fatalf("got %d items, want 1", len(res.Items))
			}
			checkTime(t, "Published", res.Items[0].Published, tt.want)
		})
	}
}

func TestPoll(t *testing.T) {
	t.Parallel()
	feed, err := os.ReadFile("testdata/arc-feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	modTime := time.Date(2025, 6, 16, 15, 20, 7, 0, time.UTC)
	const etag = `"arc-1"`
	var accept []string
	srv := feedstest.NewSite(t)
	srv.Handle("/rss/", func(w http.ResponseWriter, r *http.Request) {
		accept = append(accept, r.Header.Get("Accept"))
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("ETag", etag)
		// ServeContent answers a matching If-None-Match with a 304 that
		// carries the ETag but, as RFC 9110 advises, no Last-Modified.
		http.ServeContent(w, r, "", modTime, strings.NewReader(string(feed)))
	})
	srv.Handle("/bare/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write(feed)
	})
	client := fetch.New(fetch.Options{Backoff: 10 * time.Millisecond})
	if err := client.Trust(srv.URL); err != nil {
		t.Fatal(err)
	}

	t.Run("ETag and Last-Modified", func(t *testing.T) {
		feedURL := srv.URL + "/rss/"
		res, err := feeds.Poll(t.Context(), client, feedURL, feeds.Validators{})
		if err != nil {
			t.Fatalf("first Poll: %v", err)
		}
		want := feeds.Validators{ETag: etag, LastModified: modTime.Format(http.TimeFormat)}
		if res.NotModified || res.Validators != want {
			t.Errorf("first Poll: NotModified %v, Validators %+v; want false, %+v", res.NotModified, res.Validators, want)
		}
		if len(res.Items) != 2 || res.Items[0].Feed != feedURL || res.Title != "自由亚洲电台" {
			t.Errorf("first Poll: title %q, %d items", res.Title, len(res.Items))
		}

		again, err := feeds.Poll(t.Context(), client, feedURL, res.Validators)
		if err != nil {
			t.Fatalf("second Poll: %v", err)
		}
		if !again.NotModified || len(again.Items) != 0 {
			t.Errorf("second Poll: NotModified %v, %d items; want a 304", again.NotModified, len(again.Items))
		}
		if again.Validators != want {
			t.Errorf("second Poll: Validators %+v, want them kept: %+v", again.Validators, want)
		}
		for _, a := range accept {
			if !strings.HasPrefix(a, "application/rss+xml") || !strings.Contains(a, "application/atom+xml") {
				t.Errorf("Accept = %q, want feed types first", a)
			}
		}
	})

	t.Run("304 without validators", func(t *testing.T) {
		prev := feeds.Validators{ETag: etag, LastModified: "Sun, 15 Jun 2025 00:00:00 GMT"}
		res, err := feeds.Poll(t.Context(), client, srv.URL+"/bare/", prev)
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
		if !res.NotModified || res.Validators != prev {
			t.Errorf("Poll: NotModified %v, Validators %+v; want true, %+v", res.NotModified, res.Validators, prev)
		}
	})

	t.Run("fetch error", func(t *testing.T) {
		_, err := feeds.Poll(t.Context(), client, srv.URL+"/missing", feeds.Validators{})
		if !errors.Is(err, fetch.ErrGone) {
			t.Fatalf("error = %v, want fetch.ErrGone", err)
		}
		var fe *fetch.Error
		if !errors.As(err, &fe) || fe.StatusCode != http.StatusNotFound {
			t.Errorf("error = %v, want a *fetch.Error with status 404", err)
		}
		if !strings.HasPrefix(err.Error(), "feeds: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	})

	t.Run("untrusted", func(t *testing.T) {
		_, err := feeds.Poll(t.Context(), client, "https://elsewhere.example/feed", feeds.Validators{})
		if !errors.Is(err, fetch.ErrUntrusted) {
			t.Fatalf("error = %v, want fetch.ErrUntrusted", err)
		}
	})
}

func TestPollParseError(t *testing.T) {
	t.Parallel()
	gbk := encode(t, simplifiedchinese.GBK, chineseFeed(`<?xml version="1.0"?>`, "自由亚洲电台", "香港新闻", "摘要"))
	srv := feedstest.NewSite(t)
	srv.SetFile("/gbk", "application/rss+xml; charset=GBK", []byte(gbk))
	srv.SetPage("/login", "<!DOCTYPE html><html><body>Please log in</body></html>")
	client := fetch.New(fetch.Options{})
	if err := client.Trust(srv.URL); err != nil {
		t.Fatal(err)
	}

	res, err := feeds.Poll(t.Context(), client, srv.URL+"/gbk", feeds.Validators{})
	if err != nil {
		t.Fatalf("Poll(gbk): %v", err)
	}
	if res.Title != "自由亚洲电台" || len(res.Items) != 1 || res.Items[0].Title != "香港新闻" {
		t.Errorf("Poll(gbk) = title %q, %d items", res.Title, len(res.Items))
	}

	_, err = feeds.Poll(t.Context(), client, srv.URL+"/login", feeds.Validators{})
	if !errors.Is(err, feeds.ErrNotFeed) {
		t.Fatalf("error = %v, want ErrNotFeed", err)
	}
	if !strings.Contains(err.Error(), srv.URL+"/login") || !strings.HasPrefix(err.Error(), "feeds: ") {
		t.Errorf("error %q should start with feeds: and name the feed", err)
	}
}

// TestParseGUIDs: a guid tells entries apart only when it can: not a
// placeholder, not the site's root, and not shared with an entry that
// links to another page.
func TestParseGUIDs(t *testing.T) {
	t.Parallel()
	entries := []feedstest.Entry{
		{Title: "1", Link: "https://www.rfa.org/a/1.html", GUID: "undefined"},
		{Title: "2", Link: "https://www.rfa.org/a/2.html", GUID: "undefined"},
		{Title: "3", Link: "https://www.rfa.org/a/3.html", GUID: "https://www.rfa.org/"},
		{Title: "4", Link: "https://www.rfa.org/a/4.html", GUID: "story-4"},
		{Title: "5", Link: "https://www.rfa.org/a/5.html", GUID: "shared"},
		{Title: "6", Link: "https://www.rfa.org/a/6.html", GUID: "shared"},
		{Title: "7", Link: "https://www.rfa.org/a/7.html?utm_source=x", GUID: "story-7"},
		{Title: "7 again", Link: "https://www.rfa.org/a/7.html", GUID: "story-7"}, // the same page: a guid still
		{Title: "8", Link: "https://www.rfa.org/a/8.html", GUID: "null"},
	}
	res := parse(t, feedstest.Feed{Title: "t", Entries: entries}.XML(), "application/rss+xml", arcFeedURL)
	var guids []string
	for _, it := range res.Items {
		guids = append(guids, it.GUID)
	}
	if want := []string{"", "", "", "story-4", "", "", "story-7", "story-7", ""}; !slices.Equal(guids, want) {
		t.Errorf("guids %q, want %q", guids, want)
	}
	keys := map[string]bool{}
	for _, it := range res.Items {
		keys[it.Keys()[0]] = true
	}
	if len(keys) != 8 {
		t.Errorf("%d articles among the entries, want 8", len(keys))
	}
}

// TestParseDatesOutOfRange: a date outside the years 1 to 9999 in UTC is
// no date.
func TestParseDatesOutOfRange(t *testing.T) {
	t.Parallel()
	res := parse(t, `<rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>https://x.org/a</link><pubDate>Fri, 31 Dec 9999 23:00:00 -1200</pubDate></item>
<item><title>b</title><link>https://x.org/b</link><pubDate>Mon, 01 Jan 0001 01:00:00 +0200</pubDate></item>
<item><title>c</title><link>https://x.org/c</link><pubDate>Mon, 16 Jun 2025 14:05:12 +0000</pubDate></item>
</channel></rss>`, "application/rss+xml", "https://x.org/feed")
	for i, want := range []time.Time{{}, {}, utc("2025-06-16T14:05:12Z")} {
		checkTime(t, res.Items[i].Title, res.Items[i].Published, want)
	}
}

// TestParseBadCharRefs: a reference to a character XML does not allow, in
// one entry, costs that character, not the feed; in CDATA it is text.
func TestParseBadCharRefs(t *testing.T) {
	t.Parallel()
	const feed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><link>https://example.com/</link>
  <item><title>退格&#8;字符&#x1b;与&#xFFFE;</title><link>https://example.com/a</link></item>
  <item><title>正常 &#26032;&#x95fb; &amp; tab&#9;end</title><link>https://example.com/b</link></item>
  <item><title><![CDATA[字面的 &#8; 文本]]></title><link>https://example.com/c</link></item>
</channel></rss>`
	res := parse(t, feed, "application/rss+xml", "https://example.com/feed")
	var titles []string
	for _, it := range res.Items {
		titles = append(titles, it.Title)
	}
	if want := []string{"退格字符与", "正常 新闻 & tab\tend", "字面的 &#8; 文本"}; !slices.Equal(titles, want) {
		t.Errorf("titles %q, want %q", titles, want)
	}
}
