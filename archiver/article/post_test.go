package article

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// TestPostText: whatever bytes a page or a feed has, a post is valid
// UTF-8 without control characters but its body's new lines and tabs, and
// its header line is one line.
func TestPostText(t *testing.T) {
	t.Parallel()
	m := New(fetch.New(fetch.Options{}), 10<<20)
	it := feeds.Item{Link: "https://www.rfa.org/mandarin/a/", Title: "feed"}
	u, _ := url.Parse(it.Link)
	s := &Story{
		Title:  "标题\x00 with \x1b[31mcolour\xff and\u2028a line\nbreak \u202eRTL",
		Byline: "记者\x07：凯迪",
		Body:   "<p>第一段\x01，\xfe坏字节。</p><p>第二段\u200d。</p>",
	}
	p, err := m.MakePost(s, it, u, jekyll.Defaults{Layout: "post", Author: "RFA"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := p.Render()
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(data) {
		t.Errorf("the post is not valid UTF-8:\n%q", data)
	}
	for i, r := range string(data) {
		if unicode.Is(unicode.Cc, r) && r != '\n' && r != '\t' {
			t.Errorf("control character %q at %d", r, i)
		}
	}
	fm, err := jekyll.Parse(data)
	if err != nil || fm.Title != p.Title || fm.Title != "标题 with colour\uFFFD and a line break \u202eRTL" {
		t.Errorf("title %q (%v), post %q", fm.Title, err, p.Title)
	}
	header, _, _ := strings.Cut(string(fm.Body), "\n")
	if want := "[标题 with colour\uFFFD and a line break RTL](https://www.rfa.org/mandarin/a/)"; header != want {
		t.Errorf("header line %q, want %q", header, want)
	}
	if !strings.Contains(string(fm.Body), "第一段，\uFFFD坏字节。") || !strings.Contains(string(fm.Body), "第二段\u200d。") {
		t.Errorf("body:\n%s", fm.Body)
	}
}
