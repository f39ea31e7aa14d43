package article

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/rfa-archive/archiver/feeds/feedstest"
)

// TestListPage: a section's list of stories is no article; a story with
// a list of related stories after it is one, as is every page of the test
// site.
func TestListPage(t *testing.T) {
	t.Parallel()
	var list, related strings.Builder
	for i := range 10 {
		fmt.Fprintf(&list, `<div><h2><a href="/mandarin/zhengzhi/2026/11/%02d/s-%d/">第%d篇政治新闻的标题</a></h2><p>摘要%d。</p></div>`, i+1, i, i, i)
		fmt.Fprintf(&related, `<li><a href="/mandarin/x/%d/">相关报道第%d篇的标题很长</a></li>`, i, i)
	}
	story := strings.Repeat("<p>这是一段很长的正文，讲述了一件事情的来龙去脉，有许多细节。</p>", 12)
	u, _ := url.Parse("https://www.rfa.org/mandarin/zhengzhi/")
	for page, want := range map[string]bool{
		"<html><body><nav><a href='/'>首页</a></nav><main><h1>政治</h1>" + list.String() + "</main></body></html>":    true,
		"<html><body><main><h1>一篇报道</h1>" + story + "<ul>" + related.String() + "</ul></main></body></html>":      false,
		"<html><head><meta property='og:type' content='article'></head><body>" + list.String() + "</body></html>": false,
	} {
		doc, _ := goquery.NewDocumentFromReader(strings.NewReader(page))
		if got := listPage(doc, u); got != want {
			t.Errorf("listPage = %v, want %v, of\n%.300s", got, want, page)
		}
	}
	for _, name := range []string{"arc-ans", "arc-page", "arc-rendered", "generic-blog", "gbk-page", "hostile", "plone-page", "plone-sample"} {
		doc, _ := goquery.NewDocumentFromReader(strings.NewReader(string(feedstest.Page(name))))
		if listPage(doc, u) {
			t.Errorf("the story page %s is taken for a list page", name)
		}
	}
}
