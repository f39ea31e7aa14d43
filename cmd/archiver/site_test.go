package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds/feedstest"
)

// hostileTitle is a title written to break YAML, Markdown and Liquid.
const hostileTitle = `He said: "{{ site.github.token }}" #1 --- [a](b) {% raw %} *x* _y_ ` + "`z`" + ` & <b>`

// The paths of the fixture site's broken cases.
const (
	goneKept  = "/mandarin/gone/2025/06/14/removed/"       // 404, the story in the feed
	goneEmpty = "/mandarin/gone/2025/06/14/removed-empty/" // 404, no story in the feed
	flakyPage = "/mandarin/flaky/2025/06/13/flaky-story/"  // 503 twice, then answers
)

// newFixtureSite is an RFA-like site: feeds in RSS 2.0 (Arc's form), Atom
// and RSS 1.0, pages of both RFA shapes and of no known shape, and the
// broken cases: a page that is gone with the story in the feed, one gone
// without, one that fails twice before answering, hostile content.
func newFixtureSite(t *testing.T) *feedstest.Site {
	s := feedstest.NewSite(t)
	for path, page := range map[string]string{
		"/mandarin/shehui/2025/06/16/example-officials-respond-netizens/":                            "arc-page",
		"/mandarin/guoji/2025/06/15/rendered-story/":                                                 "arc-rendered",
		"/mandarin/yataibaodao/junshiwaijiao/hx2-southeast-asian-diplomats-meet-07262024084201.html": "plone-sample",
		flakyPage: "plone-page",
		"/mandarin/test/hostile-story-03012025080000.html":           "hostile",
		"/blog/2025/05/notes-on-archiving-feeds/":                    "generic-blog",
		"/mandarin/yataibaodao/renquanfazhi/ql1-01152024101512.html": "plone-page",
	} {
		s.SetFile(path, "text/html", feedstest.Page(page))
	}
	s.Fail(goneKept, feedstest.Status(404))
	s.Fail(goneEmpty, feedstest.Status(404))
	s.Fail(flakyPage, feedstest.Status(503).Times(2))

	u := s.URL
	date := func(v string) time.Time { t, _ := time.Parse(time.RFC3339, v); return t }
	item := func(title, link, published, creator, content string) feedstest.Entry {
		return feedstest.Entry{Title: title, Link: link, GUID: link, Published: date(published), Creator: creator, Content: content}
	}
	s.SetFeed("/arc/outboundfeeds/mandarin/rss/", feedstest.Feed{Title: "自由亚洲电台", Link: u, Language: "zh", Entries: []feedstest.Entry{
		item("示例标题：某地官员回应网民质疑", u+"/mandarin/shehui/2025/06/16/example-officials-respond-netizens/", "2025-06-16T14:05:12Z", "凯迪", "<p>提要</p>"),
		item("渲染页面的报道", u+"/mandarin/guoji/2025/06/15/rendered-story/", "2025-06-15T10:00:00Z", "", ""),
		item("美中外长在东盟外交拼场 布林肯与王毅将会面", u+"/mandarin/yataibaodao/junshiwaijiao/hx2-southeast-asian-diplomats-meet-07262024084201.html?utm_source=rss&utm_medium=feed#top", "2024-07-26T19:35:21Z", "", ""),
		item("已删除但订阅源保留了全文", u+goneKept, "2025-06-14T08:00:00Z", "", "<p>这篇报道的网页已经删除，全文只在订阅源里。</p><h2>小标题</h2><p>第二段 {{ page.title }}。</p>"),
		item("已删除且没有全文", u+goneEmpty, "2025-06-14T09:00:00Z", "", ""),
		item("两次失败后才成功", u+flakyPage, "2025-06-13T08:00:00Z", "", ""),
		item(hostileTitle, u+"/mandarin/test/hostile-story-03012025080000.html", "2025-03-01T08:00:00Z", "", ""),
		item("示例标题：某地官员回应网民质疑（重复）", "HTTP://"+strings.TrimPrefix(u, "http://")+"/mandarin/shehui/2025/06/16/example-officials-respond-netizens/?utm_campaign=x", "2025-06-16T14:05:12Z", "", ""),
	}})
	s.SetFeed("/blog/atom.xml", feedstest.Feed{Format: feedstest.Atom, Title: "A Small Blog", Link: u + "/blog/", Entries: []feedstest.Entry{
		{Title: "Notes on archiving feeds", GUID: "tag:blog.example.org,2025:notes", Link: u + "/blog/2025/05/notes-on-archiving-feeds/",
			Published: date("2025-05-04T08:00:00Z"), Updated: date("2025-05-04T08:00:00Z"), Creator: "Jane Doe", Description: "Lessons from running an archiver."},
		{Title: "The same article as in the Arc feed", GUID: u + "/mandarin/shehui/2025/06/16/example-officials-respond-netizens/",
			Link: u + "/mandarin/shehui/2025/06/16/example-officials-respond-netizens/#comments", Updated: date("2025-06-16T14:05:12Z")},
	}})
	s.SetFeed("/mandarin/rss1.rdf", feedstest.Feed{Format: feedstest.RDF, Title: "普通话 RSS 1.0", Link: u + "/mandarin/", Entries: []feedstest.Entry{
		{Title: "示例：维权人士获释后仍受监控", Link: u + "/mandarin/yataibaodao/renquanfazhi/ql1-01152024101512.html", Published: date("2024-01-15T15:15:12Z")},
	}})
	return s
}
