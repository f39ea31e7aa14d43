package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// checker collects the mistakes of one configuration file.
type checker struct {
	path string     // of the file
	root *yaml.Node // the file, for the lines of keys
	errs []string
}

// fail records a mistake at line (0 when unknown) of the value of key.
func (c *checker) fail(line int, key, format string, args ...any) {
	at := c.path
	if line > 0 {
		at = fmt.Sprintf("%s:%d", c.path, line)
	}
	c.errs = append(c.errs, fmt.Sprintf("%s: %s: %s", at, key, fmt.Sprintf(format, args...)))
}

// line is the line of the value at a path of keys; see lineOf.
func (c *checker) line(keys ...any) int { return lineOf(c.root, keys...) }

// has reports whether the file gives the key at a path of keys.
func (c *checker) has(keys ...any) bool { return nodeAt(c.root, keys...) != nil }

// validate checks every section, fills in defaults, and reports each
// mistake with its key and line.
func (c *Config) validate(root *yaml.Node, path string) error {
	ck := &checker{path: path, root: root}
	c.Store.validate(ck, filepath.Dir(path))
	validateFeeds(c.Feeds, ck)
	c.FrontMatter.validate(ck, "front_matter")
	c.validateTimezone(ck)
	c.HTTP.validate(ck)
	validateHosts(c.AllowedHosts, ck)
	c.Retry.GiveUp.parse(defaultGiveUp, time.Hour, 10*365*24*time.Hour, "retry.give_up", ck)
	c.Revisit.validate(ck)
	c.Media.validate(ck)
	c.validateDaemon(ck)
	if len(ck.errs) > 0 {
		return &Error{strings.Join(ck.errs, "\n")}
	}
	return nil
}

// validate checks store: dir is where a relative path starts from.
func (s *Store) validate(ck *checker, dir string) {
	if strings.TrimSpace(s.Path) == "" {
		ck.fail(ck.line("store"), "store.path", "missing: set it to the directory of the archive's git repository, e.g. ./archive")
	} else if !filepath.IsAbs(s.Path) {
		s.Path = filepath.Join(dir, s.Path)
	}
	if s.Author == "" {
		s.Author = defaultAuthor
	}
	if a, err := mail.ParseAddress(s.Author); err != nil || a.Name == "" {
		ck.fail(ck.line("store", "author"), "store.author", "%q is not of the form Name <email>", s.Author)
	} else {
		s.AuthorName, s.AuthorEmail = a.Name, a.Address
	}
	s.LockTimeout.parse(defaultLockTimeout, 0, 24*time.Hour, "store.lock_timeout", ck)
	s.validateRemote(ck, dir)
	// No branch: the one checked out when archiver first opens the
	// store (main in a repository it creates).
	if b := s.Branch; strings.HasPrefix(b, "-") || strings.ContainsAny(b, " ~^:?*[\\") || strings.Contains(b, "..") {
		ck.fail(ck.line("store", "branch"), "store.branch", "%q is not a git branch name", s.Branch)
	}
	if s.Layout != "" && s.Layout != "flat" && !layoutPattern.MatchString(s.Layout) {
		ck.fail(ck.line("store", "layout"), "store.layout", "%q is not a layout: give folders of {year}, {month}, {day} and {feed} "+
			"(lower-case letters, digits and - besides), such as {year}/{month} or {feed}/{year}/{month}, or flat", s.Layout)
	}
}

// layoutPattern is the form of store.layout: one to four folders, each of
// placeholders and plain lower-case ASCII.
var layoutPattern = regexp.MustCompile(`^(?:[a-z0-9-]|\{(?:year|month|day|feed)\})+(?:/(?:[a-z0-9-]|\{(?:year|month|day|feed)\})+){0,3}$`)

// validateRemote checks store.remote: a URL without credentials, git's
// scp-like form, or a path, which is made absolute because git runs in
// the store.
func (s *Store) validateRemote(ck *checker, dir string) {
	s.Remote = strings.TrimSpace(s.Remote)
	switch r := s.Remote; {
	case r == "":
	case strings.HasPrefix(r, "http://") || strings.HasPrefix(r, "https://"):
		if u, err := url.Parse(r); err != nil || u.Host == "" {
			ck.fail(ck.line("store", "remote"), "store.remote", "is not a valid URL")
		} else if u.User != nil {
			// A user name in the URL is often a token: it would show in logs.
			ck.fail(ck.line("store", "remote"), "store.remote", "holds a user name or password: remove it from the URL and put the token "+
				"in the environment (ARCHIVER_GIT_TOKEN, and ARCHIVER_GIT_USER if the host needs a user name; see README.md)")
		}
	case strings.Contains(r, "://") || isSCPLike(r) || filepath.IsAbs(r):
	default:
		if abs, err := filepath.Abs(filepath.Join(dir, r)); err == nil {
			s.Remote = abs
		}
	}
}

// isSCPLike reports whether a remote is git's scp-like form, host:path or
// user@host:path.
func isSCPLike(r string) bool {
	colon := strings.Index(r, ":")
	return colon > 0 && !strings.Contains(r[:colon], "/")
}

// validateFeeds checks feeds: at least one, each an http(s) URL listed
// once, and names the feeds that have none.
func validateFeeds(feeds []Feed, ck *checker) {
	if len(feeds) == 0 {
		ck.fail(ck.line("feeds"), "feeds", "no feeds: list at least one, each with a url")
	}
	seen := map[string]int{}
	for i := range feeds {
		f := &feeds[i]
		key := fmt.Sprintf("feeds[%d].url", i)
		u, err := url.Parse(strings.TrimSpace(f.URL))
		switch {
		case f.URL == "":
			ck.fail(ck.line("feeds", i), key, "missing")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			ck.fail(ck.line("feeds", i, "url"), key, "%q is not an http or https URL", f.URL)
		default:
			f.URL = u.String()
			if j, dup := seen[f.URL]; dup {
				ck.fail(ck.line("feeds", i, "url"), key, "the same feed as feeds[%d]", j)
			}
			seen[f.URL] = i
			if f.Name == "" {
				f.Name = strings.TrimPrefix(u.Host, "www.") + strings.TrimSuffix(u.Path, "/")
			}
		}
		f.FrontMatter.validate(ck, "feeds", i, "front_matter")
		if f.ArcWebsite != "" && !arcWebsite.MatchString(f.ArcWebsite) {
			ck.fail(ck.line("feeds", i, "arc_website"), fmt.Sprintf("feeds[%d].arc_website", i),
				"%q is not an Arc site id (such as rfa-mandarin: lower-case letters, digits and -)", f.ArcWebsite)
		}
	}
}

// arcWebsite is the form of an Arc site id.
var arcWebsite = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,99}$`)

// validate checks the front matter section at path (keys and indexes).
func (fm *FrontMatter) validate(ck *checker, path ...any) {
	prefix := keyName(path)
	for _, f := range []struct {
		key string
		v   *string
	}{{"layout", fm.Layout}, {"author", fm.Author}} {
		if f.v != nil && strings.TrimSpace(*f.v) == "" {
			ck.fail(ck.line(append(path, f.key)...), prefix+"."+f.key, "must not be empty")
		}
	}
}

// keyName writes a path of keys as the user does: feeds[0].front_matter.
func keyName(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		}
	}
	return b.String()
}

func (c *Config) validateTimezone(ck *checker) {
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		ck.fail(ck.line("timezone"), "timezone", "%q is not a time zone: use an IANA name such as UTC or Asia/Shanghai", c.Timezone)
		loc = time.UTC
	}
	c.Location = loc
}

func (h *HTTP) validate(ck *checker) {
	switch {
	case h.UserAgent == "":
		h.UserAgent = UserAgent()
	case strings.ContainsFunc(h.UserAgent, unicode.IsControl):
		// Sent as a header, a line break would make every request fail,
		// or send another header.
		ck.fail(ck.line("http", "user_agent"), "http.user_agent", "holds a control character (a line break, say): write it on one line")
	}
	h.Timeout.parse(defaultTimeout, time.Second, time.Hour, "http.timeout", ck)
	h.HostDelay.parse(0, 0, time.Hour, "http.host_delay", ck)
	h.RetryBackoff.parse(defaultBackoff, 0, time.Hour, "http.retry_backoff", ck)
	h.MaxRetryWait.parse(defaultMaxRetryWait, 0, 24*time.Hour, "http.max_retry_wait", ck)
	h.MaxBodySize.parse(defaultMaxBodySize, 1, 1<<30, "http.max_body_size", ck)
	for _, n := range []struct {
		key string
		v   *int
		def int
	}{
		{"concurrency", &h.Concurrency, defaultConcurrency},
		{"per_host", &h.PerHost, defaultPerHost},
		{"attempts", &h.Attempts, defaultAttempts},
	} {
		ck.number(n.v, n.def, 100, "http", n.key)
	}
}

// number checks the number *v at the key path, from 1 to hi, or sets def
// when it was not given.
func (c *checker) number(v *int, def, hi int, path ...string) {
	keys := make([]any, len(path))
	for i, k := range path {
		keys[i] = k
	}
	switch {
	case !c.has(keys...):
		*v = def
	case *v < 1 || *v > hi:
		c.fail(c.line(keys...), strings.Join(path, "."), "%d is out of range (1 to %d)", *v, hi)
	}
}

func validateHosts(hosts []string, ck *checker) { validateHostsAt(hosts, ck, "allowed_hosts") }

// validateHostsAt checks a list of hosts at the key path.
func validateHostsAt(hosts []string, ck *checker, path ...any) {
	for i, h := range hosts {
		if h = strings.TrimSpace(h); h == "" || strings.ContainsAny(h, "/ ") {
			ck.fail(ck.line(append(path, i)...), fmt.Sprintf("%s[%d]", keyName(path), i), "%q is not a host name (write example.com or example.com:8080)", h)
		}
	}
}

// validateDaemon checks the daemon's keys, schedule and listen. It runs
// after the timezone, in which a cron schedule is read.
func (c *Config) validateDaemon(ck *checker) {
	c.Schedule.parse(c.Location, ck)
	c.ListenSet = c.Listen != ""
	switch c.Listen = strings.TrimSpace(c.Listen); c.Listen {
	case "":
		c.Listen = DefaultListen
	case "off":
	default:
		_, port, err := net.SplitHostPort(c.Listen)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			ck.fail(ck.line("listen"), "listen", "%q is not host:port with a port number (e.g. 127.0.0.1:9180, or :9180 for every interface) or off", c.Listen)
		}
	}
}

// Defaults of media.
const (
	defaultMediaMaxSize = 20 << 20
	defaultMediaWidth   = 1280
	defaultMaxPixels    = 50_000_000
)

// validate checks media.
func (m *Media) validate(ck *checker) {
	m.MaxSize.parse(defaultMediaMaxSize, 1, 1<<30, "media.max_size", ck)
	ck.number(&m.MaxPixels, defaultMaxPixels, 1_000_000_000, "media", "max_pixels")
	switch {
	case m.Width == 0:
		m.Width = defaultMediaWidth
	case m.Width < 16 || m.Width > 10000:
		ck.fail(ck.line("media", "width"), "media.width", "%d is not an image width: give pixels, between 16 and 10000", m.Width)
	}
	validateHostsAt(m.Hosts, ck, "media", "hosts")
}

// Defaults and limits of revisit.
const (
	defaultRevisitBudget = 100
	maxRevisitBudget     = 100_000
	maxRevisitIntervals  = 20
	minRevisitInterval   = time.Second
	maxRevisitInterval   = 3650 * 24 * time.Hour
)

// defaultRevisitAfter is revisit.after when it is not given: an hour, six
// hours, a day, three days, a week, 30 days and 180 days.
var defaultRevisitAfter = []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour,
	168 * time.Hour, 720 * time.Hour, 4320 * time.Hour}

// validate checks revisit, and fills in after and budget when they are
// not given and revisits are on.
func (r *Revisit) validate(ck *checker) {
	switch {
	case r.line > 0:
		ck.fail(r.line, "revisit", "%q is neither off nor on: write off, or a mapping of after and budget (README.md)", r.raw)
		return
	case r.Off:
		return
	}
	r.validateAfter(ck)
	switch {
	case !ck.has("revisit", "budget"):
		r.Budget = defaultRevisitBudget
	case r.Budget < 0 || r.Budget > maxRevisitBudget:
		ck.fail(ck.line("revisit", "budget"), "revisit.budget", "%d is out of range (0 to %d)", r.Budget, maxRevisitBudget)
	}
}

// validateAfter checks revisit.after, from 1 to 20 durations, or sets the
// default when it is not given.
func (r *Revisit) validateAfter(ck *checker) {
	if !ck.has("revisit", "after") {
		r.After = make([]Duration, len(defaultRevisitAfter))
		for i, d := range defaultRevisitAfter {
			r.After[i].Duration = d
		}
		return
	}
	switch n := len(r.After); {
	case n == 0:
		ck.fail(ck.line("revisit", "after"), "revisit.after", "is empty: list the intervals, such as [1h, 1d, 30d], or write revisit: off")
	case n > maxRevisitIntervals:
		ck.fail(ck.line("revisit", "after"), "revisit.after", "lists %d intervals: the most is %d", n, maxRevisitIntervals)
	}
	if list := nodeAt(ck.root, "revisit", "after"); list != nil && list.Kind == yaml.SequenceNode && len(list.Content) != len(r.After) {
		// yaml leaves out an empty entry: what follows it has another index.
		for i, item := range list.Content {
			if item.ShortTag() == "!!null" {
				ck.fail(item.Line, fmt.Sprintf("revisit.after[%d]", i), "is empty: give a duration such as 6h or 30d")
			}
		}
		return
	}
	r.parseAfter(ck)
}

// parseAfter parses each of revisit.after, from 1s to 3650 days and
// longer than the one before it.
func (r *Revisit) parseAfter(ck *checker) {
	var prev *Duration
	for i := range r.After {
		d, key := &r.After[i], fmt.Sprintf("revisit.after[%d]", i)
		if d.raw == "" {
			ck.fail(ck.line("revisit", "after", i), key, "is empty: give a duration such as 6h or 30d")
			continue
		}
		d.parse(0, minRevisitInterval, maxRevisitInterval, key, ck)
		if d.Duration == 0 {
			continue // not a duration, or out of range: reported
		}
		if prev != nil && d.Duration <= prev.Duration {
			ck.fail(d.line, key, "%q is not longer than the interval before it, %q: list them from shortest to longest", d.raw, prev.raw)
		}
		prev = d
	}
}
