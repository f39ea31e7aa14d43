package fetch_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/feeds/fetch"
)

// fast are options that keep retries quick; tests override what they test.
func fast() fetch.Options {
	return fetch.Options{Backoff: 10 * time.Millisecond, Timeout: 5 * time.Second}
}

// server is a site that serves every path with one handler, and counts
// the requests it receives.
type server struct {
	*feedstest.Site
	hits atomic.Int64
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{Site: feedstest.NewSite(t)}
	s.Handle("/", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	})
	return s
}

// newClient returns a client with opts that trusts the hosts of trust.
func newClient(t *testing.T, opts fetch.Options, trust ...string) *fetch.Client {
	t.Helper()
	c := fetch.New(opts)
	for _, u := range trust {
		if err := c.Trust(u); err != nil {
			t.Fatalf("Trust(%q): %v", u, err)
		}
	}
	return c
}

// fetchError asserts that err is a *fetch.Error and returns it.
func fetchError(t *testing.T, err error) *fetch.Error {
	t.Helper()
	var fe *fetch.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v (%T), want a *fetch.Error", err, err)
	}
	return fe
}

// result is what a Get run in the background returned.
type result struct {
	resp *fetch.Response
	err  error
}

func goGet(ctx context.Context, c *fetch.Client, req fetch.Request) <-chan result {
	done := make(chan result, 1)
	go func() {
		resp, err := c.Get(ctx, req)
		done <- result{resp, err}
	}()
	return done
}

// await returns the result of a background Get. It fails the test if the
// Get does not return: a Get that ignores its context would otherwise hang
// the suite until the test binary's deadline.
func await(t *testing.T, done <-chan result) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("Get did not return")
		return result{}
	}
}

func TestGetOK(t *testing.T) {
	t.Parallel()
	const body = "<rss>hello</rss>"
	const lastMod = "Mon, 16 Jun 2025 14:05:12 GMT"
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			http.Redirect(w, r, "/feed?x=1", http.StatusMovedPermanently)
		case "/feed":
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Last-Modified", lastMod)
			io.WriteString(w, body)
		default:
			http.NotFound(w, r)
		}
	})
	c := newClient(t, fast(), srv.URL)

	resp, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/old"})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := fetch.Response{
		URL:          srv.URL + "/feed?x=1",
		StatusCode:   http.StatusOK,
		ContentType:  "application/rss+xml; charset=utf-8",
		ETag:         `"v1"`,
		LastModified: lastMod,
		Body:         []byte(body),
	}
	if resp.URL != want.URL || resp.StatusCode != want.StatusCode || resp.ContentType != want.ContentType ||
		resp.ETag != want.ETag || resp.LastModified != want.LastModified || !bytes.Equal(resp.Body, want.Body) {
		t.Errorf("Get = %+v\nwant %+v", *resp, want)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2 (the redirect and the feed)", n)
	}
}

func TestGetHeaders(t *testing.T) {
	t.Parallel()
	var got http.Header
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
	})
	tests := []struct {
		name       string
		opts       fetch.Options
		req        fetch.Request
		wantUA     string
		wantAccept string
	}{
		{"set", fetch.Options{UserAgent: "archiver-test/1.0 (+https://example.org)"},
			fetch.Request{Accept: "application/rss+xml, */*;q=0.1"},
			"archiver-test/1.0 (+https://example.org)", "application/rss+xml, */*;q=0.1"},
		{"defaults", fetch.Options{}, fetch.Request{}, "archiver", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.opts, srv.URL)
			tt.req.URL = srv.URL + "/"
			if _, err := c.Get(t.Context(), tt.req); err != nil {
				t.Fatalf("Get: %v", err)
			}
			if ua := got.Get("User-Agent"); ua != tt.wantUA {
				t.Errorf("User-Agent = %q, want %q", ua, tt.wantUA)
			}
			if a := got.Get("Accept"); a != tt.wantAccept {
				t.Errorf("Accept = %q, want %q", a, tt.wantAccept)
			}
			for _, h := range []string{"If-None-Match", "If-Modified-Since"} {
				if v, ok := got[h]; ok {
					t.Errorf("unconditional request sent %s: %q", h, v)
				}
			}
		})
	}
}

func TestGetConditional(t *testing.T) {
	t.Parallel()
	const etag = `W/"abc-123"`
	const lastMod = "Mon, 16 Jun 2025 14:05:12 GMT"
	var gotETag, gotSince string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotETag, gotSince = r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
		if gotETag == etag {
			w.Header().Set("ETag", etag)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "changed")
	})
	c := newClient(t, fast(), srv.URL)

	resp, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/feed", ETag: etag, LastModified: lastMod})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if gotETag != etag || gotSince != lastMod {
		t.Errorf("server got If-None-Match %q, If-Modified-Since %q; want %q, %q", gotETag, gotSince, etag, lastMod)
	}
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("StatusCode = %d, want 304", resp.StatusCode)
	}
	if len(resp.Body) != 0 {
		t.Errorf("Body = %q, want none", resp.Body)
	}
	if resp.ETag != etag {
		t.Errorf("ETag = %q, want %q", resp.ETag, etag)
	}
}

func TestGetRetriesTransient(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "finally")
	})
	opts := fast()
	opts.Attempts = 3
	c := newClient(t, opts, srv.URL)

	resp, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/"})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(resp.Body) != "finally" {
		t.Errorf("Body = %q, want %q", resp.Body, "finally")
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("server saw %d requests, want 3", n)
	}
}

func TestGetGivesUpAfterAttempts(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	})
	for _, attempts := range []int{1, 4} {
		t.Run(strconv.Itoa(attempts), func(t *testing.T) {
			srv.hits.Store(0)
			opts := fast()
			opts.Attempts = attempts
			c := newClient(t, opts, srv.URL)

			_, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/x"})
			fe := fetchError(t, err)
			if !fetch.IsTemporary(err) || fe.StatusCode != http.StatusInternalServerError {
				t.Errorf("error = %+v, want a temporary HTTP 500", fe)
			}
			if !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), srv.URL+"/x") {
				t.Errorf("error %q should name the status and the URL", err)
			}
			if n := srv.hits.Load(); n != int64(attempts) {
				t.Errorf("server saw %d requests, want %d", n, attempts)
			}
		})
	}
}

func TestGetPermanentStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code int
		gone bool
	}{
		{http.StatusNotFound, true},
		{http.StatusGone, true},
		{http.StatusForbidden, false},
		{http.StatusBadRequest, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.code)
			})
			opts := fast()
			opts.Attempts = 3
			c := newClient(t, opts, srv.URL)

			_, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/story"})
			fe := fetchError(t, err)
			if errors.Is(err, fetch.ErrGone) != tt.gone {
				t.Errorf("errors.Is(%v, ErrGone) = %v, want %v", err, !tt.gone, tt.gone)
			}
			if fetch.IsTemporary(err) {
				t.Errorf("HTTP %d reported as temporary", tt.code)
			}
			if fe.StatusCode != tt.code {
				t.Errorf("StatusCode = %d, want %d", fe.StatusCode, tt.code)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("server saw %d requests, want 1 (no retry)", n)
			}
		})
	}
}

// TestGetRetryAfter runs in a testing/synctest bubble, whose clock is
// fake: the retry comes exactly when the server asked.
func TestGetRetryAfter(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		times []time.Duration
		start time.Time
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Since(start))
		n := len(times)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "ok")
	})
	synctest.Test(t, func(t *testing.T) {
		start = time.Now()
		opts := fast()
		opts.Attempts = 3
		opts.Transport = srv.Transport()
		c := newClient(t, opts, srv.URL)

		resp, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/"})
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if string(resp.Body) != "ok" {
			t.Errorf("Body = %q, want ok", resp.Body)
		}
		mu.Lock()
		defer mu.Unlock()
		if want := []time.Duration{0, time.Second}; !slices.Equal(times, want) {
			t.Errorf("requests at %v, want %v: the retry exactly after the 429's Retry-After: 1", times, want)
		}
	})
}

func TestGetRetryAfterTooLong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter func() string
		atLeast    time.Duration
	}{
		{"seconds", func() string { return "3600" }, time.Hour},
		{"date", func() string { return time.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat) }, 119 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", tt.retryAfter())
				w.WriteHeader(http.StatusTooManyRequests)
			})
			opts := fast()
			opts.Attempts = 3
			opts.MaxRetryWait = time.Second
			c := newClient(t, opts, srv.URL)
			// The deadline only keeps a client that does wait from hanging
			// the suite; a correct one returns long before it.
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()

			_, err := c.Get(ctx, fetch.Request{URL: srv.URL + "/"})
			if ctx.Err() != nil {
				t.Fatalf("Get waited for the Retry-After: %v", err)
			}
			fe := fetchError(t, err)
			if fe.StatusCode != http.StatusTooManyRequests || !fe.Temporary {
				t.Errorf("error = %+v, want a temporary HTTP 429", fe)
			}
			if fe.RetryAfter < tt.atLeast || fe.RetryAfter > tt.atLeast+2*time.Minute {
				t.Errorf("RetryAfter = %v, want about %v", fe.RetryAfter, tt.atLeast)
			}
			if !strings.Contains(err.Error(), "max_retry_wait") {
				t.Errorf("error %q should point at http.max_retry_wait", err)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

func TestGetTruncated(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "only the first few bytes")
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		conn.Close()
	})
	opts := fast()
	opts.Attempts = 2
	c := newClient(t, opts, srv.URL)

	_, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/"})
	if !errors.Is(err, fetch.ErrTruncated) {
		t.Fatalf("error = %v, want ErrTruncated", err)
	}
	if !fetch.IsTemporary(err) {
		t.Errorf("a truncated body is not reported as temporary: %v", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2 (truncation is retried)", n)
	}
}

// streamBody writes n bytes in flushed chunks, so that the response has no
// Content-Length, and stops when the client goes away.
func streamBody(w http.ResponseWriter, n int) {
	chunk := bytes.Repeat([]byte("x"), 100)
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := w.Write(chunk[:k]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		n -= k
	}
}

func TestGetBodySize(t *testing.T) {
	t.Parallel()
	const limit = 1000
	tests := []struct {
		name    string
		handler http.HandlerFunc
		tooBig  bool
		wantMsg string
	}{
		{"declared", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(5*limit))
			w.Write(bytes.Repeat([]byte("x"), 5*limit))
		}, true, "Content-Length 5000"},
		{"streamed", func(w http.ResponseWriter, r *http.Request) {
			streamBody(w, 100*limit)
		}, true, "more than 1000 bytes"},
		{"declared at the limit", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(limit))
			w.Write(bytes.Repeat([]byte("x"), limit))
		}, false, ""},
		{"streamed to the limit", func(w http.ResponseWriter, r *http.Request) {
			streamBody(w, limit)
		}, false, ""},
		{"streamed one byte over", func(w http.ResponseWriter, r *http.Request) {
			streamBody(w, limit+1)
		}, true, "more than 1000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			opts := fast()
			opts.MaxBodySize = limit
			c := newClient(t, opts, srv.URL)

			resp, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/"})
			if !tt.tooBig {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if len(resp.Body) != limit {
					t.Errorf("read %d bytes, want %d", len(resp.Body), limit)
				}
				return
			}
			if !errors.Is(err, fetch.ErrTooLarge) {
				t.Fatalf("error = %v, want ErrTooLarge", err)
			}
			if fetch.IsTemporary(err) {
				t.Errorf("an oversized body is reported as temporary: %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

func TestGetStopsReadingAtLimit(t *testing.T) {
	t.Parallel()
	// An endless body must not be read to its end: the client stops at the
	// limit and hangs up, so the server cannot send much more than the
	// socket buffers hold.
	const endless = 256 << 20
	var written atomic.Int64
	handlerDone := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		chunk := make([]byte, 32<<10)
		for written.Load() < endless {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	opts := fast()
	opts.MaxBodySize = 1000
	c := newClient(t, opts, srv.URL)

	_, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/"})
	if !errors.Is(err, fetch.ErrTooLarge) {
		t.Fatalf("error = %v, want ErrTooLarge", err)
	}
	<-handlerDone
	if n := written.Load(); n >= endless/4 {
		t.Errorf("the server wrote %d MiB before the client hung up", n>>20)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipServer(t *testing.T, wire []byte) *server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(wire)))
		w.Write(wire)
	})
}

func TestGetGzip(t *testing.T) {
	t.Parallel()
	plain := []byte(strings.Repeat("<item>自由亚洲电台</item>", 100))
	srv := gzipServer(t, gzipped(t, plain))
	opts := fast()
	opts.MaxBodySize = int64(len(plain))
	c := newClient(t, opts, srv.URL)

	resp, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/"})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !bytes.Equal(resp.Body, plain) {
		t.Errorf("Body is %d bytes, want the %d decompressed bytes", len(resp.Body), len(plain))
	}
}

func TestGetGzipBomb(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	srv.Fail("/", feedstest.GzipBomb) // 256 MiB of zeros in some 260 KB
	opts := fast()
	opts.MaxBodySize = limit
	c := newClient(t, opts, srv.URL)

	_, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/"})
	if !errors.Is(err, fetch.ErrTooLarge) {
		t.Fatalf("error = %v, want ErrTooLarge", err)
	}
}

func TestGetRedirectLoop(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, from string }{
		{"self", "/self"},
		{"two", "/a"},
		{"three", "/x"},
	}
	next := map[string]string{"/self": "/self", "/a": "/b", "/b": "/a", "/x": "/y", "/y": "/z", "/z": "/x"}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, next[r.URL.Path], http.StatusFound)
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, fast(), srv.URL)
			_, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + tt.from})
			if !errors.Is(err, fetch.ErrRedirectLoop) {
				t.Fatalf("error = %v, want ErrRedirectLoop", err)
			}
			if fetch.IsTemporary(err) {
				t.Errorf("a redirect loop is reported as temporary: %v", err)
			}
		})
	}
}

func TestGetRedirectLimit(t *testing.T) {
	t.Parallel()
	const maxRedirects = 3
	var reachedEnd atomic.Bool
	// /hop/N redirects to /hop/N-1; /hop/0 is the page.
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if n == 0 {
			reachedEnd.Store(true)
			io.WriteString(w, "end")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
	opts := fast()
	opts.MaxRedirects = maxRedirects

	t.Run("at the limit", func(t *testing.T) {
		c := newClient(t, opts, srv.URL)
		resp, err := c.Get(t.Context(), fetch.Request{URL: fmt.Sprintf("%s/hop/%d", srv.URL, maxRedirects)})
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if resp.URL != srv.URL+"/hop/0" || string(resp.Body) != "end" {
			t.Errorf("Get = %s %q, want %s/hop/0 \"end\"", resp.URL, resp.Body, srv.URL)
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		reachedEnd.Store(false)
		c := newClient(t, opts, srv.URL)
		_, err := c.Get(t.Context(), fetch.Request{URL: fmt.Sprintf("%s/hop/%d", srv.URL, maxRedirects+1)})
		if !errors.Is(err, fetch.ErrRedirects) {
			t.Fatalf("error = %v, want ErrRedirects", err)
		}
		if fetch.IsTemporary(err) {
			t.Errorf("too many redirects reported as temporary: %v", err)
		}
		if reachedEnd.Load() {
			t.Error("the redirect beyond the limit was followed")
		}
	})
}

func TestGetUntrusted(t *testing.T) {
	t.Parallel()
	other := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "should not be fetched")
	})
	home := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
	})

	t.Run("redirect", func(t *testing.T) {
		c := newClient(t, fast(), home.URL)
		_, err := c.Get(t.Context(), fetch.Request{URL: home.URL + "/go"})
		if !errors.Is(err, fetch.ErrUntrusted) {
			t.Fatalf("error = %v, want ErrUntrusted", err)
		}
		if fetch.IsTemporary(err) {
			t.Errorf("an untrusted redirect is reported as temporary: %v", err)
		}
		if !strings.Contains(err.Error(), other.URL+"/landing") {
			t.Errorf("error %q should name where the redirect went", err)
		}
		if n := home.hits.Load(); n != 1 {
			t.Errorf("trusted server saw %d requests, want 1", n)
		}
	})
	for _, rawURL := range []string{other.URL + "/page", "ftp" + strings.TrimPrefix(home.URL, "http") + "/file", "/relative"} {
		t.Run(rawURL, func(t *testing.T) {
			c := newClient(t, fast(), home.URL)
			_, err := c.Get(t.Context(), fetch.Request{URL: rawURL})
			if !errors.Is(err, fetch.ErrUntrusted) {
				t.Fatalf("error = %v, want ErrUntrusted", err)
			}
		})
	}
	t.Run("invalid URL", func(t *testing.T) {
		c := newClient(t, fast(), home.URL)
		_, err := c.Get(t.Context(), fetch.Request{URL: "http://[::1"})
		fetchError(t, err)
	})
	if n := other.hits.Load(); n != 0 {
		t.Errorf("untrusted server saw %d requests, want 0", n)
	}
}

func TestGetAllowedHosts(t *testing.T) {
	t.Parallel()
	a := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "a") })
	b := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "b") })
	portOf := func(s *server) string { u, _ := url.Parse(s.URL); return u.Port() }

	tests := []struct {
		name         string
		allowed      []string
		wantA, wantB bool
	}{
		{"none", nil, false, false},
		{"host without port", []string{"127.0.0.1"}, true, true},
		{"host with port", []string{"127.0.0.1:" + portOf(a)}, true, false},
		{"spaces and case", []string{" 127.0.0.1:" + portOf(b) + " "}, false, true},
		{"other host", []string{"example.com"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.hits.Store(0)
			b.hits.Store(0)
			opts := fast()
			opts.AllowedHosts = tt.allowed
			c := newClient(t, opts)
			for _, s := range []struct {
				srv  *server
				want bool
			}{{a, tt.wantA}, {b, tt.wantB}} {
				resp, err := c.Get(t.Context(), fetch.Request{URL: s.srv.URL + "/"})
				if s.want && err != nil {
					t.Errorf("Get(%s): %v", s.srv.URL, err)
				}
				if s.want && err == nil && resp.StatusCode != http.StatusOK {
					t.Errorf("Get(%s) = %d", s.srv.URL, resp.StatusCode)
				}
				if !s.want && !errors.Is(err, fetch.ErrUntrusted) {
					t.Errorf("Get(%s) error = %v, want ErrUntrusted", s.srv.URL, err)
				}
				want := int64(0)
				if s.want {
					want = 1
				}
				if n := s.srv.hits.Load(); n != want {
					t.Errorf("%s saw %d requests, want %d", s.srv.URL, n, want)
				}
			}
		})
	}
}

func TestTrusted(t *testing.T) {
	t.Parallel()
	c := newClient(t, fetch.Options{AllowedHosts: []string{
		"www.example.org", "Example.NET:8443", "cdn.example.com:443", "[::1]", "[2001:db8::1]:8080",
	}}, "https://www.rfa.org/arc/outboundfeeds/mandarin/rss/", "http://blog.example:8080/feed")

	tests := []struct {
		url  string
		want bool
	}{
		{"https://www.rfa.org/mandarin/a/", true},
		{"https://rfa.org/mandarin/a/", true},
		{"http://rfa.org/", true},
		{"https://RFA.org/", true},
		{"https://rfa.org:443/", true},
		{"https://rfa.org:8443/", false},
		{"https://cdn.rfa.org/", false},
		{"https://wwwrfa.org/", false},
		{"https://rfa.org.evil.example/", false},
		{"ftp://rfa.org/", false},
		{"http://blog.example:8080/post", true},
		{"http://www.blog.example:8080/post", true},
		{"http://blog.example/post", false},
		{"https://example.org/", true},
		{"https://www.example.org:9000/", true},
		{"https://example.net:8443/", true},
		{"https://www.example.net:8443/", true},
		{"https://example.net/", false},
		{"https://cdn.example.com/", true},
		{"http://[::1]:1234/", true},
		{"http://[2001:db8::1]:8080/", true},
		{"http://[2001:db8::1]/", false},
		{"https://example.com/", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Trusted(u); got != tt.want {
			t.Errorf("Trusted(%s) = %v, want %v", tt.url, got, tt.want)
		}
	}
	for _, bad := range []string{"", "/feed", "not a url", "http://[::1"} {
		if err := c.Trust(bad); err == nil {
			t.Errorf("Trust(%q) = nil, want an error", bad)
		}
	}
}

func TestGetTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"no headers", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}},
		{"stalled body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, "<rss>")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			opts := fast()
			opts.Timeout = 200 * time.Millisecond
			opts.Attempts = 2
			c := newClient(t, opts, srv.URL)

			_, err := c.Get(t.Context(), fetch.Request{URL: srv.URL + "/"})
			fe := fetchError(t, err)
			if !fe.Temporary {
				t.Errorf("a timeout is not reported as temporary: %v", err)
			}
			if !strings.Contains(err.Error(), "timed out") {
				t.Errorf("error %q does not say it timed out", err)
			}
			if n := srv.hits.Load(); n != 2 {
				t.Errorf("server saw %d requests, want 2 (a timeout is retried)", n)
			}
		})
	}
}

func TestGetCancel(t *testing.T) {
	t.Parallel()
	t.Run("in flight", func(t *testing.T) {
		arrived := make(chan struct{})
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			<-r.Context().Done()
		})
		c := newClient(t, fast(), srv.URL)
		ctx, cancel := context.WithCancel(t.Context())
		done := goGet(ctx, c, fetch.Request{URL: srv.URL + "/"})
		<-arrived
		cancel()
		r := await(t, done)
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", r.err)
		}
		if fetch.IsTemporary(r.err) {
			t.Errorf("cancellation reported as a temporary fault: %v", r.err)
		}
	})

	t.Run("in backoff", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		// The client logs that it will retry just before it waits.
		retrying := &signalHandler{msg: "fetch: retrying", c: make(chan slog.Record, 10)}
		opts := fast()
		opts.Backoff = time.Hour
		opts.Logger = slog.New(retrying)
		c := newClient(t, opts, srv.URL)
		ctx, cancel := context.WithCancel(t.Context())
		done := goGet(ctx, c, fetch.Request{URL: srv.URL + "/"})
		rec := <-retrying.c
		cancel()
		r := await(t, done)
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", r.err)
		}
		if n := srv.hits.Load(); n != 1 {
			t.Errorf("server saw %d requests, want 1", n)
		}
		var delay time.Duration
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "delay" {
				delay, _ = time.ParseDuration(a.Value.String())
			}
			return true
		})
		if delay < 48*time.Minute || delay > 72*time.Minute {
			t.Errorf("logged a retry delay of %v, want the backoff of 1h ± 20%%", delay)
		}
	})

	t.Run("waiting for the host", func(t *testing.T) {
		arrived, release := make(chan struct{}, 10), make(chan struct{})
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-release
		})
		opts := fast()
		opts.PerHost = 1
		c := newClient(t, opts, srv.URL)
		first := goGet(t.Context(), c, fetch.Request{URL: srv.URL + "/1"})
		<-arrived

		ctx, cancel := context.WithCancel(t.Context())
		second := goGet(ctx, c, fetch.Request{URL: srv.URL + "/2"})
		cancel()
		r := await(t, second)
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", r.err)
		}
		close(release)
		if r := await(t, first); r.err != nil {
			t.Errorf("first Get: %v", r.err)
		}
		if n := srv.hits.Load(); n != 1 {
			t.Errorf("server saw %d requests, want 1", n)
		}
	})
}

// signalHandler is a slog.Handler that passes on the records with msg.
type signalHandler struct {
	msg string
	c   chan slog.Record
}

func (h *signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *signalHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *signalHandler) WithGroup(string) slog.Handler            { return h }

func (h *signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.c <- r.Clone()
	}
	return nil
}

// getAll fetches urls in parallel and fails the test on any error.
func getAll(t *testing.T, c *fetch.Client, urls []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(urls))
	for i, u := range urls {
		wg.Go(func() { _, errs[i] = c.Get(t.Context(), fetch.Request{URL: u}) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// The per-host tests run in testing/synctest bubbles: the clock is fake,
// and the site is served in memory, so each request starts at an exact
// time however loaded the machine is.

func TestGetPerHost(t *testing.T) {
	t.Parallel()
	for _, perHost := range []int{1, 3} {
		t.Run(strconv.Itoa(perHost), func(t *testing.T) {
			// Each request takes a second: six of them take 6/perHost
			// seconds when perHost go at once, and no more at once.
			var now, most atomic.Int64
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n := now.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(time.Second)
				now.Add(-1)
			})
			synctest.Test(t, func(t *testing.T) {
				opts := fast()
				opts.PerHost = perHost
				opts.Transport = srv.Transport()
				c := newClient(t, opts, srv.URL)
				start := time.Now()
				urls := make([]string, 6)
				for i := range urls {
					urls[i] = fmt.Sprintf("%s/%d", srv.URL, i)
				}
				getAll(t, c, urls)
				if m := most.Load(); m != int64(perHost) {
					t.Errorf("%d requests in flight at once, want %d", m, perHost)
				}
				if took, want := time.Since(start), time.Duration(6/perHost)*time.Second; took != want {
					t.Errorf("6 requests of 1s took %v, want %v", took, want)
				}
			})
		})
	}
}

func TestGetHostInterval(t *testing.T) {
	t.Parallel()
	const interval = 150 * time.Millisecond
	var (
		mu     sync.Mutex
		starts []time.Duration
		begin  time.Time
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		starts = append(starts, time.Since(begin))
		mu.Unlock()
	})
	synctest.Test(t, func(t *testing.T) {
		begin = time.Now()
		opts := fast()
		opts.PerHost = 4
		opts.HostInterval = interval
		opts.Transport = srv.Transport()
		c := newClient(t, opts, srv.URL)

		getAll(t, c, []string{srv.URL + "/1", srv.URL + "/2", srv.URL + "/3", srv.URL + "/4"})
		slices.Sort(starts)
		if want := []time.Duration{0, interval, 2 * interval, 3 * interval}; !slices.Equal(starts, want) {
			t.Errorf("requests started at %v, want %v: %v apart", starts, want, interval)
		}
	})
}

func TestGetHostIntervalIsPerHost(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	hosts := map[string][]time.Duration{}
	var begin time.Time
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts[r.Host] = append(hosts[r.Host], time.Since(begin))
		mu.Unlock()
	})
	// Two hosts: the site by its address, and by the name localhost.
	a := srv.URL
	b := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	synctest.Test(t, func(t *testing.T) {
		begin = time.Now()
		opts := fast()
		opts.HostInterval = time.Hour
		opts.Transport = srv.Transport()
		c := newClient(t, opts, a, b)
		// The first request to each host goes at once; the second to a
		// host waits the interval.
		getAll(t, c, []string{a + "/1", b + "/1", a + "/2"})
		ha, hb := strings.TrimPrefix(a, "http://"), strings.TrimPrefix(b, "http://")
		if got, want := hosts[ha], []time.Duration{0, time.Hour}; !slices.Equal(got, want) {
			t.Errorf("requests to %s at %v, want %v", ha, got, want)
		}
		if got, want := hosts[hb], []time.Duration{0}; !slices.Equal(got, want) {
			t.Errorf("requests to %s at %v, want %v", hb, got, want)
		}
	})
}
