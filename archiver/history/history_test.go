package history

import (
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// TestChanges: what a version changed, in words.
func TestChanges(t *testing.T) {
	t.Parallel()
	body := "[标题](https://x/a)\n------\n\n![图](https://x/a.jpg)\n\n第一段。\n\n第二段。\n"
	base := func() *jekyll.FrontMatter {
		return &jekyll.FrontMatter{Title: "标题", Body: []byte(body), Fields: map[string]any{}}
	}
	with := func(f func(*jekyll.FrontMatter)) *jekyll.FrontMatter { fm := base(); f(fm); return fm }
	gone := with(func(fm *jekyll.FrontMatter) { fm.Fields[jekyll.KeyRemovedAt] = "2026-01-01T00:00:00Z" })
	for _, c := range []struct {
		name      string
		prev, cur *jekyll.FrontMatter
		first     bool
		want      string
	}{
		{"first", nil, base(), true, "archived: 标题"},
		{"deleted", base(), nil, false, "removed from the archive"},
		{"restored", nil, base(), false, "back in the archive: 标题"},
		{"title", base(), with(func(fm *jekyll.FrontMatter) { fm.Title = "新标题" }), false, "title"},
		{"text", base(), with(func(fm *jekyll.FrontMatter) { fm.Body = []byte(strings.Replace(body, "第二段", "第三段", 1)) }), false, "text"},
		{"spaces at line ends", base(), with(func(fm *jekyll.FrontMatter) {
			fm.Body = []byte(strings.Replace(body, "第一段。", "第一段。  ", 1))
		}), false, "front matter"},
		{"images", base(), with(func(fm *jekyll.FrontMatter) { fm.Body = []byte(strings.Replace(body, "a.jpg", "b.jpg", 1)) }), false, "images"},
		{"removed", base(), gone, false, "removed from the site"},
		{"back", gone, base(), false, "back on the site"},
		{"moved", base(), with(func(fm *jekyll.FrontMatter) { fm.Also = []string{"https://x/b"} }), false, "known by another URL"},
		{"title and text", base(), with(func(fm *jekyll.FrontMatter) {
			fm.Title = "新标题"
			fm.Body = []byte(strings.Replace(body, "第一段", "第1段", 1))
		}), false, "title, text"},
	} {
		if got := Changes(c.prev, c.cur, c.first); got != c.want {
			t.Errorf("%s: Changes = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestPrinter: a line a version, with --diff the changed characters
// under it; no control character of a person's version reaches the
// terminal.
func TestPrinter(t *testing.T) {
	t.Parallel()
	post := func(title, text string) []byte {
		return []byte("---\nlayout: post\ntitle: " + title + "\nfrom: https://x/a\n---\n" + text + "\n")
	}
	var b strings.Builder
	p := NewPrinter(&b, true)
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CST", 8*3600))
	for i, v := range []store.Version{
		{Commit: strings.Repeat("a", 40), Date: date, Data: post("甲", "今天北京下雨。")},
		{Commit: strings.Repeat("b", 40), Date: date.Add(time.Hour), Data: post("甲", "今天上海下雨。\x1b[31m")},
		{Commit: strings.Repeat("c", 40), Date: date.Add(2 * time.Hour)},
	} {
		if err := p.Add(v); err != nil || p.Versions() != i+1 {
			t.Fatalf("Add: %v, %d versions", err, p.Versions())
		}
	}
	want := "2026-01-01T19:04:05Z aaaaaaaaaaaa archived: 甲\n" +
		"2026-01-01T20:04:05Z bbbbbbbbbbbb text\n" +
		"    今天[-北京-]{+上海+}下雨。{+[31m+}\n" +
		"2026-01-01T21:04:05Z cccccccccccc removed from the archive\n"
	if b.String() != want {
		t.Errorf("printed\n%s\nwant\n%s", b.String(), want)
	}
}
