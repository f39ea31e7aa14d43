package feedstest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// A Fault is how a path of a Site fails, until it is healed (Heal,
// HealAll) or has failed Times times.
type Fault struct {
	status      int
	retryAfter  string
	times       int // requests left to fail; 0 for no end
	usedUp      bool
	hang        bool
	truncate    bool
	huge        int
	bomb        bool
	loop        bool
	body        string
	contentType string
}

// Status answers with the HTTP status code.
func Status(code int) Fault { return Fault{status: code} }

// The faults that are the same whatever the path.
var (
	Hang         = Fault{hang: true}     // answers nothing until the client gives up
	Truncated    = Fault{truncate: true} // sends the path's content with a Content-Length 1000 bytes longer
	GzipBomb     = Fault{bomb: true}     // sends a gzip stream of 256 MiB of zeros
	RedirectLoop = Fault{loop: true}     // redirects to the path with ?again, which redirects back
)

// Huge sends n bytes of HTML.
func Huge(n int) Fault { return Fault{huge: n} }

// Answer answers 200 with body instead of the path's content.
func Answer(contentType, body string) Fault {
	return Fault{body: body, contentType: contentType}
}

// RetryAfter is f with a Retry-After header.
func (f Fault) RetryAfter(v string) Fault { f.retryAfter = v; return f }

// Times is f for the first n requests only (n > 0).
func (f Fault) Times(n int) Fault {
	if n <= 0 {
		panic("feedstest: Times takes a number of requests above 0")
	}
	f.times = n
	return f
}

// Fail makes path fail with f.
func (s *Site) Fail(path string, f Fault) {
	if f.bomb {
		gzipBomb() // before any client waits for it
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = &f
}

// Heal ends the fault of path.
func (s *Site) Heal(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.faults, path)
}

// take is the fault for one request, nil if there is none or it is used
// up. The site's lock is held.
func (f *Fault) take() *Fault {
	if f == nil || f.usedUp {
		return nil
	}
	if f.times > 0 {
		f.times--
		f.usedUp = f.times == 0
	}
	c := *f
	return &c
}

// serve fails the request.
func (f *Fault) serve(w http.ResponseWriter, r *http.Request, s *Site) {
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	switch {
	case f.status != 0:
		http.Error(w, http.StatusText(f.status), f.status)
	case f.hang:
		hang(r)
	case f.truncate:
		contentType, body, _ := s.content(r.URL.Path)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)+1000))
		w.Write(body) // and the server closes the connection short
	case f.huge > 0:
		w.Header().Set("Content-Type", "text/html")
		chunk := []byte("<p>" + strings.Repeat("大", 1000) + "</p>\n")
		for written := 0; written < f.huge; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case f.bomb:
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipBomb())
	case f.loop:
		target := r.URL.Path + "?again"
		if r.URL.RawQuery == "again" {
			target = r.URL.Path
		}
		http.Redirect(w, r, target, http.StatusFound)
	default:
		if f.contentType != "" {
			w.Header().Set("Content-Type", f.contentType)
		}
		fmt.Fprint(w, f.body)
	}
}
