// Package feedstest is a news site on loopback for tests, in the way
// net/http/httptest is a server: feeds in the forms sites write (RSS 2.0
// as Arc XP writes it, Atom, RSS 1.0) listing stories, the stories'
// pages (copies of RFA's real pages among them), and, on demand, every
// fault a real site has: errors, hangs, cut-off and huge bodies, gzip
// bombs, redirect loops, refused connections. Every package's tests use
// it; none writes a fake site of its own.
package feedstest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Site is a news site on loopback. Its methods are safe to call while it
// serves.
type Site struct {
	*httptest.Server
	t testing.TB

	mu          sync.Mutex
	feeds       map[string]*Feed // by path
	files       map[string]file  // pages and anything else, by path
	handlers    map[string]http.HandlerFunc
	redirects   map[string]string
	faults      map[string]*Fault
	holds       map[string]chan struct{}
	hits        map[string]int
	agents      map[string]bool
	latency     time.Duration
	stories     int          // see ListStories
	arcQueries  []url.Values // see SetArcStories
	arcSites    map[string][]ArcStory
	unreachable net.Listener // closed until HealAll; see Unreachable
	unreachAddr string
}

type file struct {
	contentType string
	body        []byte
}

// NewSite starts a site with nothing on it; it stops when the test ends.
func NewSite(t testing.TB) *Site {
	s := &Site{
		t: t, feeds: map[string]*Feed{}, files: map[string]file{}, handlers: map[string]http.HandlerFunc{},
		redirects: map[string]string{}, faults: map[string]*Fault{}, holds: map[string]chan struct{}{},
		hits: map[string]int{}, agents: map[string]bool{},
	}
	s.Server = httptest.NewServer(s)
	t.Cleanup(func() {
		s.mu.Lock()
		for path, c := range s.holds {
			close(c)
			delete(s.holds, path)
		}
		s.mu.Unlock()
		s.Close()
	})
	return s
}

// SetFeed serves f at path.
func (s *Site) SetFeed(path string, f Feed) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.Entries = slices.Clone(f.Entries) // AddEntries and EditStory change them
	s.feeds[path] = &f
}

// AddEntries adds entries to the end of the feed at path.
func (s *Site) AddEntries(path string, entries ...Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[path]
	if f == nil {
		f = &Feed{Title: "feedstest"}
		s.feeds[path] = f
	}
	f.Entries = append(f.Entries, entries...)
}

// SetFeedTitle changes the title of the feed at path and nothing else:
// the feed answers anew, with the same entries, as feeds do that stamp
// the time they were made.
func (s *Site) SetFeedTitle(path, title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.feeds[path].Title = title
}

// SetPage serves an HTML page in UTF-8 at path.
func (s *Site) SetPage(path, html string) {
	s.SetFile(path, "text/html; charset=utf-8", []byte(html))
}

// SetFile serves body at path, as it is.
func (s *Site) SetFile(path, contentType string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = file{contentType, body}
}

// Handle serves path with h; a path that ends in a slash, every path
// under it that has nothing more specific.
func (s *Site) Handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[path] = h
}

// Redirect redirects path to target (a path or a URL) with 302 Found; a
// target "" ends the redirect.
func (s *Site) Redirect(path, target string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if target == "" {
		delete(s.redirects, path)
		return
	}
	s.redirects[path] = target
}

// SetLatency makes every answer but a feed's, or a fault's, wait d first.
func (s *Site) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Hold makes requests to path wait, until release is called or the
// client gives up. Holding a path that is held already holds it until
// either release is called.
func (s *Site) Hold(path string) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.holds[path]
	if !ok {
		c = make(chan struct{})
		s.holds[path] = c
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.holds[path] == c {
			close(c)
			delete(s.holds, path)
		}
	}
}

// Hits is the number of requests for path.
func (s *Site) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// TotalHits is the number of requests for any path.
func (s *Site) TotalHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		n += h
	}
	return n
}

// UserAgents are the User-Agent headers the site has seen.
func (s *Site) UserAgents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var uas []string
	for ua := range s.agents {
		uas = append(uas, ua)
	}
	return uas
}

// Unreachable is the base URL (http://127.0.0.1:port) of a port that
// refuses connections until HealAll, from when it serves this site too.
// The port is one the system gave and took back: another listener could
// be given it meanwhile, which is unlikely within a test's time.
func (s *Site) Unreachable() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unreachAddr == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.t.Fatal(err)
		}
		s.unreachAddr = ln.Addr().String()
		ln.Close()
	}
	return "http://" + s.unreachAddr
}

// HealAll ends every fault, and makes the Unreachable port listen.
func (s *Site) HealAll() {
	s.mu.Lock()
	clear(s.faults)
	s.mu.Unlock()
	s.Reachable()
}

// Reachable makes the Unreachable port listen.
func (s *Site) Reachable() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unreachAddr == "" || s.unreachable != nil {
		return
	}
	ln, err := net.Listen("tcp", s.unreachAddr)
	if err != nil {
		s.t.Fatalf("feedstest: listening on the unreachable port again: %v", err)
	}
	s.unreachable = ln
	srv := &http.Server{Handler: s}
	go srv.Serve(ln)
	s.t.Cleanup(func() { srv.Close() })
}

// ServeHTTP serves the site.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	s.mu.Lock()
	s.hits[path]++
	s.agents[r.UserAgent()] = true
	hold := s.holds[path]
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}

	s.mu.Lock()
	fault := s.faults[path].take()
	latency := s.latency
	_, isFeed := s.feeds[path]
	s.mu.Unlock()
	if fault != nil {
		fault.serve(w, r, s)
		return
	}
	if latency > 0 && !isFeed {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	s.serve(w, r)
}

// serve answers with what is at the path, as it is when no fault is.
func (s *Site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	target, redirect := s.redirects[r.URL.Path]
	h := s.handler(r.URL.Path)
	s.mu.Unlock()
	switch {
	case redirect:
		http.Redirect(w, r, target, http.StatusFound)
	case h != nil:
		h(w, r)
	default:
		contentType, body, ok := s.content(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		serveBody(w, r, contentType, body)
	}
}

// handler is the handler of path, nil if none; the site's lock is held.
func (s *Site) handler(path string) http.HandlerFunc {
	if h, ok := s.handlers[path]; ok {
		return h
	}
	if _, ok := s.feeds[path]; ok {
		return nil
	}
	if _, ok := s.files[path]; ok {
		return nil
	}
	var h http.HandlerFunc
	longest := 0
	for p, ph := range s.handlers {
		if strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) && len(p) > longest {
			h, longest = ph, len(p)
		}
	}
	return h
}

// Transport serves requests with the site in memory, whatever their
// host, without the network: for a client in a testing/synctest bubble,
// whose clock is fake and which cannot wait for a socket. (Make the Site
// outside the bubble.) It is not a network: the handler runs in the
// client's goroutine, an answer is whole or nothing, a gzip body is not
// decompressed, and Unreachable is reached.
func (s *Site) Transport() http.RoundTripper { return transport{s} }

type transport struct{ s *Site }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.s.ServeHTTP(rec, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// content is the feed or file at path.
func (s *Site) content(path string) (string, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.feeds[path]; ok {
		return f.ContentType(), []byte(f.XML()), true
	}
	f, ok := s.files[path]
	return f.contentType, f.body, ok
}

// serveBody serves body with an ETag of its own, answering a request
// that has it with 304.
func serveBody(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(body))[:18] + `"`
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.Write(body)
}

var (
	bombOnce sync.Once
	bomb     []byte
)

// gzipBomb is a small gzip stream of 256 MiB of zeros. A gzip stream may
// hold many members, read one after another: it is one member of 1 MiB
// of zeros, 256 times, some 260 KB in all.
func gzipBomb() []byte {
	bombOnce.Do(func() {
		var member bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
		zw.Write(make([]byte, 1<<20))
		zw.Close()
		bomb = bytes.Repeat(member.Bytes(), 256)
	})
	return bomb
}

// hangFor is the longest a hanging answer waits for the client to give up.
const hangFor = 10 * time.Second

func hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(hangFor):
	}
}
