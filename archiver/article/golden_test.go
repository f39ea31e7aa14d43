package article

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// The golden tests run extraction, cleaning, conversion and rendering on
// each page of the test site (feedstest.Page), as fetched for the feed
// entry in testdata/<page>.item.json, and compare the post with
// testdata/<page>.md. After a deliberate change, regenerate them with
//
//	go test ./archiver/article -run TestGolden -update
//
// and read the diff.

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenNow stands in for the clock, for pages with no date at all.
var goldenNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var testDefaults = jekyll.Defaults{
	Layout:     "post",
	Author:     "自由亚洲电台",
	Tags:       []string{"自由亚洲电台"},
	Categories: []string{"自由亚洲电台"},
	Comments:   true,
}

// goldenPost makes the post of the test site's page name.
func goldenPost(t testing.TB, name string) (*Story, *jekyll.Post, []byte) {
	t.Helper()
	it := loadItem(t, "testdata/"+name+".item.json")
	body, err := decodeHTML(feedstest.Page(name), "text/html")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(it.Link)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Extract(body, u)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	m := New(fetch.New(fetch.Options{}), 10<<20)
	m.now = func() time.Time { return goldenNow }
	post, err := m.MakePost(s, it, u, testDefaults)
	if err != nil {
		t.Fatalf("MakePost: %v", err)
	}
	out, err := post.Render()
	if err != nil {
		t.Fatalf("post.Render: %v", err)
	}
	return s, post, out
}

func loadItem(t testing.TB, path string) feeds.Item {
	t.Helper()
	var it feeds.Item
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("each test page needs its feed entry: %v", err)
	}
	if err := json.Unmarshal(data, &it); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if it.Link != "" {
		if u, err := feeds.CleanURL(nil, it.Link); err == nil {
			it.Link = u.String()
		}
	}
	return it
}

func TestGolden(t *testing.T) {
	t.Parallel()
	names := feedstest.PageNames()
	if len(names) == 0 {
		t.Fatal("no test pages")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			_, _, got := goldenPost(t, name)
			golden := "testdata/" + name + ".md"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("no golden file %s: run go test ./archiver/article -run TestGolden -update", golden)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("post differs from %s (-update rewrites it):\n%s", golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// TestStoryComplete checks, page by page, that every paragraph, heading,
// list item and caption of the story is in the post, and that nothing of
// the page around it is.
func TestStoryComplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		page      string
		shape     string
		story     string   // the selector of the story in the page
		furniture []string // selectors of what must not be in the post
	}{
		{"arc-page", "arc-ans", "article.b-article-body", []string{"nav", "aside", "footer", ".donate", ".b-share-bar"}},
		{"arc-rendered", "arc", "article.b-article-body, .b-lead-art", []string{"nav", "aside", "footer", ".donate", ".b-share-bar"}},
		{"plone-page", "plone", "#storytext, #headerimg", []string{"nav", "aside", "footer", ".donate", "#sharebar", ".related_stories"}},
		{"plone-sample", "plone", "#storytext, .lead_image_caption", []string{"nav", "footer", "#sharebar", ".related_stories", "ul:has(.result-title)"}},
		{"generic-blog", "readability", ".post-content", []string{"nav", "aside", "footer", ".comments"}},
		{"gbk-page", "plone", "#storytext", nil},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			s, post, out := goldenPost(t, tt.page)
			if s.Shape != tt.shape {
				t.Errorf("read as %q, want %q", s.Shape, tt.shape)
			}
			raw, _ := decodeHTML(feedstest.Page(tt.page), "text/html")
			doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			md := unescapeMarkdown(string(out))
			story := doc.Find(tt.story)
			story.Find("#zoomattribute, ul:has(.result-title), .c-media-item__credit").Remove()
			n := 0
			story.Find("p, h1, h2, h3, h4, h5, h6, li, figcaption, .lead_image_caption").Each(func(_ int, el *goquery.Selection) {
				want := collapseSpace(el.Text())
				if want == "" || el.Find("p, li").Length() > 0 {
					return
				}
				n++
				if !strings.Contains(md, want) {
					t.Errorf("the post lacks %q", want)
				}
			})
			if n == 0 {
				t.Fatalf("no story text found with %q", tt.story)
			}
			story.Find("img").Each(func(_ int, img *goquery.Selection) {
				src := imageSource(img)
				u, _ := url.Parse(post.URL)
				if abs := absolute(u, src); abs != "" && !strings.Contains(string(out), "]("+abs+")") {
					t.Errorf("the post lacks image %s", abs)
				}
			})
			for _, sel := range tt.furniture {
				doc.Find(sel).Each(func(_ int, el *goquery.Selection) {
					el.Find("li, p, a, h3, button, div").AddSelection(el).Each(func(_ int, part *goquery.Selection) {
						if txt := collapseSpace(part.Text()); len([]rune(txt)) >= 4 && strings.Contains(md, txt) {
							t.Errorf("the post holds page furniture %s: %q", sel, txt)
						}
					})
				})
			}
		})
	}
}

func TestHostilePage(t *testing.T) {
	t.Parallel()
	s, post, out := goldenPost(t, "hostile")
	if s.Shape != "plone" {
		t.Fatalf("shape %q", s.Shape)
	}
	md := string(out)
	body := md[strings.Index(md[3:], "\n---\n")+8:]
	for _, bad := range []string{"<script", "alert(1)", "alert(2)", "alert(4)", "alert(5)", "alert(6)", "alert(7)", "<iframe", "<object", "<embed", "<form", "<input", "<button", "<style",
		"onclick", "onerror", "onmouseover", "onload", "javascript:", "data:", "evil.example", "<b>", "<img", "<a ", "<p>"} {
		if strings.Contains(strings.ToLower(body), bad) {
			t.Errorf("the post holds %q", bad)
		}
	}
	for _, want := range []string{
		"第一行第二行第三行，English words stay apart.", // no spaces between CJK lines; English keeps its space
		"“**引号**”文字，**加粗**。文字（*括号*）后面，《**书名**》和【**标签**】也是。",
		`Kramdown: \$$x^2\$$ and \{:.class} and \{::comment} here.`,
		`\| not \| a \| table \|`,
		"Markdown as text: \\*star* \\_under_ \\`tick\\` \\[bracket] 1. not a list",
		`\# not a heading`,
		`1\. not a list either`,
		`\+ plus and - minus and &gt; quote`,
		`Escaped HTML: &lt;script&gt;alert(3)&lt;/script&gt; stays text.`,
		"[相对链接](https://www.rfa.org/mandarin/relative/)",
		"[外部链接](https://example.com/x)",
		"![行内图片](https://www.rfa.org/images/inline.jpg)",
		"![图片说明（美联社）](https://www.rfa.org/images/fig.jpg)\n\n图片说明（美联社）",
		"![头图说明：“引号”里的字。](https://www.rfa.org/images/lead.jpg)",
		"## 小标题", "### 三级标题", "- 一\n- 二\n  \n  - 二点一", "1. 甲\n2. 乙", "> 引用的话。",
		"| 地区 | 人数   |", "\u202Eabc\u202C", "记者：王小明\u00a0\u00a0 责编：李四　网编：张三",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the post lacks %q", want)
		}
	}
	// Liquid in the story is the story's text: kept, and in the file in a
	// raw block (cmd/archiver's TestJekyllBuild builds it).
	if liquid := `Liquid: {{ site.github.token }} and {% include x.html %} and {% raw %}raw{% endraw %} and {% endraw %} alone.`; !strings.Contains(post.Body, liquid) ||
		!strings.Contains(body, "------\n\n{% raw %}\n") || !strings.HasSuffix(md, "\n{% endraw %}\n") {
		t.Errorf("the story's Liquid is not kept as text, in a raw block:\n%s", md)
	}
	if strings.Contains(md, "坏链接](") || strings.Contains(md, "数据链接](") {
		t.Error("a javascript: or data: link survived as a link")
	}
	if !strings.Contains(md, "坏链接") || !strings.Contains(md, "数据链接") {
		t.Error("the text of a dropped link was lost")
	}
	if strings.Contains(md, "pixel.gif") {
		t.Error("a tracking pixel survived")
	}
	title := `He said: "{{ site.github.token }}" #1 --- [a](b) {% raw %} *x* _y_ ` + "`z`" + ` & <b>`
	if post.Title != title {
		t.Errorf("title %q, want %q", post.Title, title)
	}
}

// unescapeMarkdown undoes Markdown's backslash escapes and entities, and
// collapses whitespace, so that the post's text can be compared with the
// page's.
func unescapeMarkdown(md string) string {
	md = regexp.MustCompile(`\\([[:punct:]])`).ReplaceAllString(md, "$1")
	md = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(md, "$1")
	md = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "**", "", "`", "", "  \n", " ").Replace(md)
	return collapseSpace(md)
}

// lineDiff shows the first lines where two texts differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
			shown++
		}
	}
	return b.String()
}
