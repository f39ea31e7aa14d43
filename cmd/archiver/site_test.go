package main

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

// fixtureSite is an RFA-like web site on loopback: feeds in RSS 2.0 (Arc's
// form), Atom and RSS 1.0, pages of both RFA shapes and of no known shape,
// and the broken cases: a page that is gone with the story in the feed, one
// gone without, one that fails twice before answering, hostile content.
type fixtureSite struct {
	*httptest.Server
	t *testing.T

	mu     sync.Mutex
	hits   map[string]int      // by path
	fails  map[string]int      // path → 503s left to answer
	pages  map[string]string   // path → testdata page
	gone   map[string]bool     // path → 404
	extra  map[string][]string // feed path → extra items (XML)
	agents map[string]bool
}

// hostileTitle is a title written to break YAML, Markdown and Liquid.
const hostileTitle = `He said: "{{ site.github.token }}" #1 --- [a](b) {% raw %} *x* _y_ ` + "`z`" + ` & <b>`

func newFixtureSite(t *testing.T) *fixtureSite {
	s := &fixtureSite{
		t:     t,
		hits:  map[string]int{},
		fails: map[string]int{"/mandarin/flaky/2025/06/13/flaky-story/": 2},
		pages: map[string]string{
			"/mandarin/shehui/2025/06/16/example-officials-respond-netizens/":                            "arc-page",
			"/mandarin/guoji/2025/06/15/rendered-story/":                                                 "arc-rendered",
			"/mandarin/yataibaodao/junshiwaijiao/hx2-southeast-asian-diplomats-meet-07262024084201.html": "plone-sample",
			"/mandarin/flaky/2025/06/13/flaky-story/":                                                    "plone-page",
			"/mandarin/test/hostile-story-03012025080000.html":                                           "hostile",
			"/blog/2025/05/notes-on-archiving-feeds/":                                                    "generic-blog",
			"/mandarin/yataibaodao/renquanfazhi/ql1-01152024101512.html":                                 "plone-page",
		},
		gone:   map[string]bool{"/mandarin/gone/2025/06/14/removed/": true, "/mandarin/gone/2025/06/14/removed-empty/": true},
		extra:  map[string][]string{},
		agents: map[string]bool{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *fixtureSite) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.agents[r.UserAgent()] = true
	fail := s.fails[r.URL.Path] > 0
	if fail {
		s.fails[r.URL.Path]--
	}
	page, isPage := s.pages[r.URL.Path]
	gone := s.gone[r.URL.Path]
	s.mu.Unlock()

	switch {
	case fail:
		http.Error(w, "try again", http.StatusServiceUnavailable)
	case gone:
		http.NotFound(w, r)
	case r.URL.Path == "/arc/outboundfeeds/mandarin/rss/":
		s.feed(w, r, "application/rss+xml", s.arcFeed())
	case r.URL.Path == "/blog/atom.xml":
		s.feed(w, r, "application/atom+xml", s.atomFeed())
	case r.URL.Path == "/mandarin/rss1.rdf":
		s.feed(w, r, "application/rdf+xml", s.rdfFeed())
	case isPage:
		data, err := os.ReadFile("../../testdata/" + page + ".html")
		if err != nil {
			s.t.Error(err)
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write(data)
	default:
		http.NotFound(w, r)
	}
}

// feed serves a feed with an ETag, answering 304 when it matches.
func (s *fixtureSite) feed(w http.ResponseWriter, r *http.Request, contentType, body string) {
	etag := fmt.Sprintf(`"%x"`, len(body)*31+strings.Count(body, "<item")+strings.Count(body, "<entry"))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", contentType+"; charset=utf-8")
	fmt.Fprint(w, body)
}

func (s *fixtureSite) hitCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *fixtureSite) userAgents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var uas []string
	for ua := range s.agents {
		uas = append(uas, ua)
	}
	return uas
}

// heal makes every page answer.
func (s *fixtureSite) heal(path, page string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.gone, path)
	s.pages[path] = page
}

func (s *fixtureSite) addItem(feedPath, item string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra[feedPath] = append(s.extra[feedPath], item)
}

func (s *fixtureSite) arcFeed() string {
	u := s.URL
	item := func(title, link, pubDate, creator, content string) string {
		x := "<item><title><![CDATA[" + title + "]]></title><link>" + html.EscapeString(link) + "</link>" +
			`<guid isPermaLink="true">` + html.EscapeString(link) + "</guid>"
		if creator != "" {
			x += "<dc:creator><![CDATA[" + creator + "]]></dc:creator>"
		}
		x += "<description><![CDATA[]]></description><pubDate>" + pubDate + "</pubDate>"
		if content != "" {
			x += "<content:encoded><![CDATA[" + content + "]]></content:encoded>"
		}
		return x + "</item>\n"
	}
	s.mu.Lock()
	extra := strings.Join(s.extra["/arc/outboundfeeds/mandarin/rss/"], "")
	s.mu.Unlock()
	return `<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title><![CDATA[自由亚洲电台]]></title><link>` + u + `</link><description><![CDATA[自由亚洲电台 News Feed]]></description><language>zh</language>
` + item("示例标题：某地官员回应网民质疑", u+"/mandarin/shehui/2025/06/16/example-officials-respond-netizens/", "Mon, 16 Jun 2025 14:05:12 +0000", "凯迪", "<p>提要</p>") +
		item("渲染页面的报道", u+"/mandarin/guoji/2025/06/15/rendered-story/", "Sun, 15 Jun 2025 10:00:00 +0000", "", "") +
		item("美中外长在东盟外交拼场 布林肯与王毅将会面", u+"/mandarin/yataibaodao/junshiwaijiao/hx2-southeast-asian-diplomats-meet-07262024084201.html?utm_source=rss&utm_medium=feed#top", "Fri, 26 Jul 2024 19:35:21 +0000", "", "") +
		item("已删除但订阅源保留了全文", u+"/mandarin/gone/2025/06/14/removed/", "Sat, 14 Jun 2025 08:00:00 +0000", "", "<p>这篇报道的网页已经删除，全文只在订阅源里。</p><h2>小标题</h2><p>第二段 {{ page.title }}。</p>") +
		item("已删除且没有全文", u+"/mandarin/gone/2025/06/14/removed-empty/", "Sat, 14 Jun 2025 09:00:00 +0000", "", "") +
		item("两次失败后才成功", u+"/mandarin/flaky/2025/06/13/flaky-story/", "Fri, 13 Jun 2025 08:00:00 +0000", "", "") +
		item(hostileTitle, u+"/mandarin/test/hostile-story-03012025080000.html", "Sat, 01 Mar 2025 08:00:00 +0000", "", "") +
		item("示例标题：某地官员回应网民质疑（重复）", "HTTP://"+strings.TrimPrefix(u, "http://")+"/mandarin/shehui/2025/06/16/example-officials-respond-netizens/?utm_campaign=x", "Mon, 16 Jun 2025 14:05:12 +0000", "", "") +
		extra + `</channel></rss>`
}

func (s *fixtureSite) atomFeed() string {
	u := s.URL
	return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>A Small Blog</title><id>tag:blog.example.org,2025:feed</id><updated>2025-05-04T08:00:00Z</updated>
<link href="` + u + `/blog/" rel="alternate"/>
<entry><title>Notes on archiving feeds</title><id>tag:blog.example.org,2025:notes</id>
<link href="` + u + `/blog/2025/05/notes-on-archiving-feeds/" rel="alternate"/>
<published>2025-05-04T08:00:00Z</published><updated>2025-05-04T08:00:00Z</updated>
<author><name>Jane Doe</name></author><summary>Lessons from running an archiver.</summary></entry>
<entry><title>The same article as in the Arc feed</title><id>` + u + `/mandarin/shehui/2025/06/16/example-officials-respond-netizens/</id>
<link href="` + u + `/mandarin/shehui/2025/06/16/example-officials-respond-netizens/#comments" rel="alternate"/>
<updated>2025-06-16T14:05:12Z</updated></entry>
</feed>`
}

func (s *fixtureSite) rdfFeed() string {
	u := s.URL
	return `<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="` + u + `/mandarin/rss1.rdf"><title>普通话 RSS 1.0</title><link>` + u + `/mandarin/</link><description>旧式订阅源</description>
<items><rdf:Seq><rdf:li rdf:resource="` + u + `/mandarin/yataibaodao/renquanfazhi/ql1-01152024101512.html"/></rdf:Seq></items></channel>
<item rdf:about="` + u + `/mandarin/yataibaodao/renquanfazhi/ql1-01152024101512.html"><title>示例：维权人士获释后仍受监控</title>
<link>` + u + `/mandarin/yataibaodao/renquanfazhi/ql1-01152024101512.html</link><dc:date>2024-01-15T15:15:12Z</dc:date></item>
</rdf:RDF>`
}
