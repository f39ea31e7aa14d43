// Package fetch is the one HTTP client archiver uses, for feeds and for
// pages alike. It is careful so the rest of the program need not be: it
// fetches only from trusted hosts, bounds every request in time and size
// (after decompression, so a gzip bomb is just a large body), retries
// transient faults with backoff while honouring Retry-After, and keeps to a
// per-host concurrency limit and a minimum gap between requests to one host.
package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Client. Zero values take the defaults below.
type Options struct {
	UserAgent    string
	Timeout      time.Duration // one attempt, from connect to last byte
	Attempts     int           // attempts in all for a transient fault
	Backoff      time.Duration // wait before the first retry; doubles after
	MaxRetryWait time.Duration // longest Retry-After waited for within a run
	MaxBodySize  int64         // bytes, after decompression
	MaxRedirects int
	PerHost      int           // concurrent requests to one host
	HostInterval time.Duration // minimum gap between requests to one host
	// AllowedHosts may be fetched besides the hosts passed to Trust. An
	// entry without a port matches the host on any port.
	AllowedHosts []string
	Logger       *slog.Logger
	// Transport makes the requests; nil is a copy of Go's default, with
	// the environment's proxy. Tests put an in-memory one here.
	Transport http.RoundTripper
}

// Defaults for Options.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultAttempts     = 3
	DefaultBackoff      = time.Second
	DefaultMaxRetryWait = 2 * time.Minute
	DefaultMaxBodySize  = 10 << 20
	DefaultMaxRedirects = 10
	DefaultPerHost      = 2
)

// Sentinel errors, found with errors.Is on what Get returns.
var (
	ErrUntrusted    = errors.New("host is not trusted (not a feed's host and not in allowed_hosts)")
	ErrGone         = errors.New("page is gone")
	ErrTooLarge     = errors.New("body exceeds the size limit")
	ErrTruncated    = errors.New("body ended before its declared length")
	ErrRedirects    = errors.New("too many redirects")
	ErrRedirectLoop = errors.New("redirect loop")
)

// Error is the error of a failed Get.
type Error struct {
	URL        string
	StatusCode int           // the HTTP status, 0 when none was received
	Temporary  bool          // worth another attempt: timeouts, 429, 5xx, cut-off bodies
	RetryAfter time.Duration // what the server asked for, if anything
	Err        error
}

func (e *Error) Error() string { return e.URL + ": " + e.Reason() }

// Reason is the error without the URL.
func (e *Error) Reason() string {
	var msg string
	switch {
	case e.StatusCode != 0 && e.Err == nil:
		msg = fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	case e.StatusCode != 0:
		msg = fmt.Sprintf("HTTP %d: %v", e.StatusCode, e.Err)
	default:
		msg = e.Err.Error()
	}
	if e.Temporary {
		msg += " (a temporary fault)"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// IsTemporary reports whether err is a fault that may heal by itself.
func IsTemporary(err error) bool {
	var fe *Error
	return errors.As(err, &fe) && fe.Temporary
}

// Request is one GET. ETag and LastModified make it conditional.
type Request struct {
	URL          string
	Accept       string
	ETag         string
	LastModified string
	MaxSize      int64  // the largest body, if not Options.MaxBodySize
	MaxSizeKey   string // the setting of MaxSize, named in its error
	// Into, if not nil, takes the body instead of Response.Body, a piece
	// at a time: a large file costs no memory. Each attempt writes it
	// anew.
	Into *os.File
}

// Response is a successful GET: status 200 with the whole body, or 304.
type Response struct {
	URL          string // after redirects
	StatusCode   int
	ContentType  string
	ETag         string
	LastModified string
	Body         []byte // nil with Request.Into
	Size         int64  // of the body
}

// Client fetches over HTTP. It is safe for concurrent use.
type Client struct {
	opts    Options
	http    *http.Client
	log     *slog.Logger
	mu      sync.Mutex
	trusted map[string]bool // hostKey → trusted; see Trust
	hosts   map[string]*hostGate
	anyPort map[string]bool // AllowedHosts entries without a port
}

// New returns a Client with opts, defaults filled in.
func New(opts Options) *Client {
	if opts.UserAgent == "" {
		opts.UserAgent = "archiver"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = DefaultMaxRetryWait
	}
	if opts.MaxBodySize <= 0 {
		opts.MaxBodySize = DefaultMaxBodySize
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.PerHost <= 0 {
		opts.PerHost = DefaultPerHost
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		opts:    opts,
		log:     opts.Logger,
		trusted: map[string]bool{},
		hosts:   map[string]*hostGate{},
		anyPort: map[string]bool{},
	}
	for _, h := range opts.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, _, err := net.SplitHostPort(h); err == nil {
			c.trusted[trimWWW(h)] = true
		} else {
			c.anyPort[trimWWW(strings.Trim(h, "[]"))] = true
		}
	}
	if opts.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = http.ProxyFromEnvironment
		t.MaxIdleConnsPerHost = opts.PerHost
		opts.Transport = t
	}
	c.http = &http.Client{Transport: opts.Transport, CheckRedirect: c.checkRedirect}
	return c
}

// Trust adds the host of rawURL to the hosts that may be fetched.
func (c *Client) Trust(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("fetch: cannot trust %q: not an absolute URL", rawURL)
	}
	c.mu.Lock()
	c.trusted[hostKey(u)] = true
	c.mu.Unlock()
	return nil
}

// Trusted reports whether u may be fetched: http or https, on a trusted host.
func (c *Client) Trusted(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	host := trimWWW(strings.ToLower(u.Hostname()))
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// An allowed_hosts entry may spell out the default port ("host:443").
	return c.trusted[hostKey(u)] || c.trusted[net.JoinHostPort(host, port)] || c.anyPort[host]
}

// Get fetches req.URL, retrying transient faults. The error is an *Error
// unless ctx ended.
func (c *Client) Get(ctx context.Context, req Request) (*Response, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, &Error{URL: req.URL, Err: fmt.Errorf("invalid URL: %w", err)}
	}
	if !c.Trusted(u) {
		return nil, &Error{URL: req.URL, Err: ErrUntrusted}
	}
	wait := c.opts.Backoff
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, u, req)
		if err == nil || ctx.Err() != nil {
			return resp, err
		}
		var fe *Error
		if !errors.As(err, &fe) || !fe.Temporary || attempt >= c.opts.Attempts {
			return nil, err
		}
		delay := jitter(wait)
		if fe.RetryAfter > 0 {
			if fe.RetryAfter > c.opts.MaxRetryWait {
				fe.Err = fmt.Errorf("the server's Retry-After asks for %v, more than a run waits (http.max_retry_wait %v)", fe.RetryAfter, c.opts.MaxRetryWait)
				return nil, fe
			}
			delay = fe.RetryAfter
		}
		c.log.Debug("fetch: retrying", slog.String("url", req.URL), slog.Int("attempt", attempt),
			slog.String("delay", delay.String()), slog.String("error", err.Error()))
		if err := sleepCtx(ctx, delay); err != nil {
			return nil, err
		}
		wait *= 2
	}
}

// once makes one attempt, within the per-host limits and the timeout.
func (c *Client) once(ctx context.Context, u *url.URL, req Request) (*Response, error) {
	gate := c.gate(u)
	if err := gate.enter(ctx, c.opts.HostInterval); err != nil {
		return nil, err
	}
	defer gate.leave()

	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{URL: u.String(), Err: err}
	}
	hr.Header.Set("User-Agent", c.opts.UserAgent)
	for k, v := range map[string]string{"Accept": req.Accept, "If-None-Match": req.ETag, "If-Modified-Since": req.LastModified} {
		if v != "" {
			hr.Header.Set(k, v)
		}
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, c.transportError(ctx, u.String(), err)
	}
	defer resp.Body.Close()
	final := resp.Request.URL.String()
	if err := statusError(resp, final); err != nil {
		return nil, err
	}
	r := &Response{URL: final, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	if resp.StatusCode == http.StatusNotModified {
		r.ContentType = ""
		return r, nil
	}
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && req.Into == nil {
		buf.Grow(int(min(n, c.limit(req)) + 1)) // one buffer, not one a doubling
	}
	dst := io.Writer(&buf)
	if req.Into != nil {
		if err := rewind(req.Into); err != nil {
			return nil, &Error{URL: final, Err: err}
		}
		dst = req.Into
	}
	if r.Size, err = c.readBody(ctx, resp, final, req, dst); err != nil {
		return nil, err
	}
	if req.Into == nil {
		r.Body = buf.Bytes()
	}
	return r, nil
}

// rewind empties f for an attempt's body.
func rewind(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// statusError is the error an HTTP status means, nil for 2xx and 304.
func statusError(resp *http.Response, final string) error {
	switch code := resp.StatusCode; {
	case code == http.StatusNotModified:
		return nil
	case code == http.StatusNotFound || code == http.StatusGone:
		return &Error{URL: final, StatusCode: code, Err: ErrGone}
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return &Error{URL: final, StatusCode: code, Temporary: true,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	case code < 200 || code > 299:
		return &Error{URL: final, StatusCode: code}
	}
	return nil
}

// readBody copies the whole body to dst, at most req.MaxSize bytes of it
// (MaxBodySize if 0), and returns its size.
func (c *Client) readBody(ctx context.Context, resp *http.Response, final string, req Request, dst io.Writer) (int64, error) {
	limit, key := c.limit(req), req.MaxSizeKey
	if req.MaxSize <= 0 {
		key = "http.max_body_size"
	}
	if resp.ContentLength > limit {
		return 0, &Error{URL: final, StatusCode: resp.StatusCode,
			Err: fmt.Errorf("%w: Content-Length %d > %d bytes (%s)", ErrTooLarge, resp.ContentLength, limit, key)}
	}
	n, err := io.Copy(dst, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, &Error{URL: final, StatusCode: resp.StatusCode, Temporary: true,
				Err: fmt.Errorf("%w (read %d bytes)", ErrTruncated, n)}
		}
		return 0, c.transportError(ctx, final, err)
	}
	if n > limit {
		return 0, &Error{URL: final, StatusCode: resp.StatusCode,
			Err: fmt.Errorf("%w: more than %d bytes (%s)", ErrTooLarge, limit, key)}
	}
	return n, nil
}

// limit is the largest body req takes.
func (c *Client) limit(req Request) int64 {
	if req.MaxSize > 0 {
		return req.MaxSize
	}
	return c.opts.MaxBodySize
}

// transportError classifies an error from the connection or the body read.
// An error of our own (a refused redirect) is permanent; a network fault or
// a timeout is temporary. The parent's cancellation is returned as it is.
func (c *Client) transportError(ctx context.Context, rawURL string, err error) error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{URL: rawURL, Temporary: true,
			Err: fmt.Errorf("timed out after %v (http.timeout)", c.opts.Timeout)}
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &Error{URL: rawURL, Temporary: true, Err: err}
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	target := req.URL.String()
	if len(via) > c.opts.MaxRedirects {
		return &Error{URL: via[0].URL.String(), Err: fmt.Errorf("%w (more than %d)", ErrRedirects, c.opts.MaxRedirects)}
	}
	for _, v := range via {
		if v.URL.String() == target {
			return &Error{URL: via[0].URL.String(), Err: fmt.Errorf("%w at %s", ErrRedirectLoop, target)}
		}
	}
	if !c.Trusted(req.URL) {
		return &Error{URL: via[0].URL.String(), Err: fmt.Errorf("redirected to %s: %w", target, ErrUntrusted)}
	}
	return nil
}

// gate returns the limiter of u's host.
func (c *Client) gate(u *url.URL) *hostGate {
	key := hostKey(u)
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.hosts[key]
	if !ok {
		g = &hostGate{slots: make(chan struct{}, c.opts.PerHost)}
		c.hosts[key] = g
	}
	return g
}

// hostGate bounds the requests to one host: at most cap(slots) at once, and
// starts at least an interval apart.
type hostGate struct {
	slots chan struct{}
	mu    sync.Mutex
	next  time.Time // earliest start of the next request
}

func (g *hostGate) enter(ctx context.Context, interval time.Duration) error {
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	if interval <= 0 {
		return nil
	}
	g.mu.Lock()
	now := time.Now()
	start := now
	if g.next.After(now) {
		start = g.next
	}
	g.next = start.Add(interval)
	g.mu.Unlock()
	if err := sleepCtx(ctx, start.Sub(now)); err != nil {
		g.leave()
		return err
	}
	return nil
}

func (g *hostGate) leave() { <-g.slots }

// hostKey is the identity of a host for trust and politeness: lower case,
// without a leading "www.", with the port unless it is the scheme's default.
func hostKey(u *url.URL) string {
	host := trimWWW(strings.ToLower(u.Hostname()))
	port := u.Port()
	if port == "" || (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		return host
	}
	return net.JoinHostPort(host, port)
}

func trimWWW(host string) string { return strings.TrimPrefix(host, "www.") }

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// jitter spreads d by ±20% so that retries from many workers do not align.
func jitter(d time.Duration) time.Duration {
	return d*4/5 + time.Duration(rand.Int64N(int64(d)*2/5+1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
