package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-co-op/gocron/v2"
	"gopkg.in/yaml.v3"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/feeds/fetch"
)

// Config is config.yaml. README.md documents every key; keep them in step.
type Config struct {
	Store        StoreConfig       `yaml:"store"`
	Feeds        []FeedConfig      `yaml:"feeds"`
	FrontMatter  FrontMatterConfig `yaml:"front_matter"`
	Timezone     string            `yaml:"timezone"`
	HTTP         HTTPConfig        `yaml:"http"`
	AllowedHosts []string          `yaml:"allowed_hosts"`
	Schedule     Schedule          `yaml:"schedule"` // the daemon's
	Listen       string            `yaml:"listen"`   // the daemon's HTTP endpoint, or "off"

	location  *time.Location
	listenSet bool // listen was given, not defaulted
}

// StoreConfig is where and how the archive is kept.
type StoreConfig struct {
	Path        string   `yaml:"path"`
	Author      string   `yaml:"author"` // "Name <email>", of every commit
	LockTimeout Duration `yaml:"lock_timeout"`
	Remote      string   `yaml:"remote"` // a git URL or path to pull from and push to
	Branch      string   `yaml:"branch"` // the branch, here and at the remote

	name, email string
}

// FeedConfig is one feed.
type FeedConfig struct {
	URL         string            `yaml:"url"`
	Name        string            `yaml:"name"`
	FrontMatter FrontMatterConfig `yaml:"front_matter"`
}

// FrontMatterConfig sets front matter values; what is left out is
// inherited (a feed's from the top level's, the top level's from the
// earlier tool's defaults).
type FrontMatterConfig struct {
	Layout     *string  `yaml:"layout"`
	Author     *string  `yaml:"author"`
	Tags       []string `yaml:"tags"`
	Categories []string `yaml:"categories"`
	Comments   *bool    `yaml:"comments"`
}

// HTTPConfig is how feeds and pages are fetched.
type HTTPConfig struct {
	UserAgent    string   `yaml:"user_agent"`
	Timeout      Duration `yaml:"timeout"`
	Concurrency  int      `yaml:"concurrency"`
	PerHost      int      `yaml:"per_host"`
	HostDelay    Duration `yaml:"host_delay"`
	Attempts     int      `yaml:"attempts"`
	RetryBackoff Duration `yaml:"retry_backoff"`
	MaxRetryWait Duration `yaml:"max_retry_wait"`
	MaxBodySize  ByteSize `yaml:"max_body_size"`
}

// Duration is a Go duration in YAML: 30s, 15m, 2h.
type Duration struct {
	time.Duration
	raw  string
	line int
}

// UnmarshalYAML keeps the text; validate parses it, to report the key.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	d.raw, d.line = n.Value, n.Line
	return nil
}

// Schedule is when the daemon runs a pass: every Go duration (15m), or at
// the times of a 5-field cron expression (*/15 * * * *), in the configured
// timezone unless it starts with CRON_TZ=.
type Schedule struct {
	Every time.Duration
	Cron  string
	raw   string
	line  int
}

// UnmarshalYAML keeps the text; validate parses it, to report the key.
func (s *Schedule) UnmarshalYAML(n *yaml.Node) error {
	s.raw, s.line = n.Value, n.Line
	return nil
}

// String is the schedule as configured.
func (s Schedule) String() string {
	if s.Cron != "" {
		return s.Cron
	}
	return "every " + s.Every.String()
}

// Interval is the time between passes: for a cron expression, the longest
// gap between its next 96 runs after now.
func (s Schedule) Interval(loc *time.Location, now time.Time) time.Duration {
	if s.Cron == "" {
		return s.Every
	}
	c := gocron.NewDefaultCron(false)
	if c.IsValid(s.Cron, loc, now) != nil {
		return 0
	}
	var longest time.Duration
	t := c.Next(now)
	for range 96 {
		next := c.Next(t)
		if next.IsZero() {
			break
		}
		longest = max(longest, next.Sub(t))
		t = next
	}
	return longest
}

// ByteSize is a size in bytes: 10485760, 10MiB, 512KiB, 1GB.
type ByteSize struct {
	Bytes int64
	raw   string
	line  int
}

// UnmarshalYAML keeps the text; validate parses it, to report the key.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	b.raw, b.line = n.Value, n.Line
	return nil
}

// Defaults of the configuration.
const (
	defaultAuthor      = "archiver <archiver@localhost>"
	defaultConcurrency = 4
	defaultLockTimeout = time.Minute
	defaultSchedule    = 15 * time.Minute
	defaultListen      = "127.0.0.1:9180"
	defaultBranch      = "main"
	minSchedule        = 10 * time.Millisecond
)

// defaultFrontMatter is the earlier tool's.
var defaultFrontMatter = archiver.Defaults{
	Layout:     "post",
	Author:     "自由亚洲电台",
	Tags:       []string{"自由亚洲电台"},
	Categories: []string{"自由亚洲电台"},
	Comments:   true,
}

// configError is a mistake in the configuration: exit status 2.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// defaultConfigPath is $ARCHIVER_CONFIG, else config.yaml in the working
// directory.
func defaultConfigPath() string {
	if p := os.Getenv("ARCHIVER_CONFIG"); p != "" {
		return p
	}
	return "config.yaml"
}

// loadConfig reads and validates the configuration file at path.
func loadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &configError{fmt.Sprintf("config file %s not found: pass --config FILE, or run in the directory holding config.yaml", path)}
		}
		return nil, &configError{fmt.Sprintf("reading config: %v", err)}
	}
	return parseConfig(data, path)
}

// parseConfig parses a configuration; path names it in errors and is
// where relative paths in it start from.
func parseConfig(data []byte, path string) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &configError{fmt.Sprintf("%s: the file is empty: it needs at least store.path and feeds", path)}
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
		msg = unknownField.ReplaceAllString(msg, `unknown key "$1" (README.md lists the keys)`)
		var lines []string
		for _, l := range strings.Split(msg, "\n") {
			lines = append(lines, path+": "+strings.TrimSpace(l))
		}
		return nil, &configError{strings.Join(lines, "\n")}
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	if err := c.validate(&root, path); err != nil {
		return nil, err
	}
	return &c, nil
}

var unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)

// validate checks every value, fills in defaults, and reports each
// mistake with its key and line.
func (c *Config) validate(root *yaml.Node, path string) error {
	var errs []string
	fail := func(line int, key, format string, args ...any) {
		at := path
		if line > 0 {
			at = fmt.Sprintf("%s:%d", path, line)
		}
		errs = append(errs, fmt.Sprintf("%s: %s: %s", at, key, fmt.Sprintf(format, args...)))
	}
	line := func(keys ...any) int { return lineOf(root, keys...) }

	// store
	if strings.TrimSpace(c.Store.Path) == "" {
		fail(line("store"), "store.path", "missing: set it to the directory of the archive's git repository, e.g. ./archive")
	} else if !filepath.IsAbs(c.Store.Path) {
		c.Store.Path = filepath.Join(filepath.Dir(path), c.Store.Path)
	}
	if c.Store.Author == "" {
		c.Store.Author = defaultAuthor
	}
	if a, err := mail.ParseAddress(c.Store.Author); err != nil || a.Name == "" {
		fail(line("store", "author"), "store.author", "%q is not of the form Name <email>", c.Store.Author)
	} else {
		c.Store.name, c.Store.email = a.Name, a.Address
	}
	c.Store.LockTimeout.parse(defaultLockTimeout, "store.lock_timeout", fail)
	c.Store.Remote = strings.TrimSpace(c.Store.Remote)
	switch r := c.Store.Remote; {
	case r == "":
	case strings.HasPrefix(r, "http://") || strings.HasPrefix(r, "https://"):
		if u, err := url.Parse(r); err != nil || u.Host == "" {
			fail(line("store", "remote"), "store.remote", "is not a valid URL")
		} else if u.User != nil {
			// A user name in the URL is often a token: it would show in logs.
			fail(line("store", "remote"), "store.remote", "holds a user name or password: remove it from the URL and put the token "+
				"in the environment (ARCHIVER_GIT_TOKEN, and ARCHIVER_GIT_USER if the host needs a user name; see README.md)")
		}
	case strings.Contains(r, "://") || isSCPLike(r) || filepath.IsAbs(r):
	default:
		// A path of the local machine, relative to the configuration;
		// absolute, because git runs in the store.
		if abs, err := filepath.Abs(filepath.Join(filepath.Dir(path), r)); err == nil {
			c.Store.Remote = abs
		}
	}
	if c.Store.Branch == "" {
		c.Store.Branch = defaultBranch
	} else if strings.HasPrefix(c.Store.Branch, "-") || strings.ContainsAny(c.Store.Branch, " ~^:?*[\\") || strings.Contains(c.Store.Branch, "..") {
		fail(line("store", "branch"), "store.branch", "%q is not a git branch name", c.Store.Branch)
	}

	// feeds
	if len(c.Feeds) == 0 {
		fail(line("feeds"), "feeds", "no feeds: list at least one, each with a url")
	}
	seen := map[string]int{}
	for i := range c.Feeds {
		f := &c.Feeds[i]
		key := fmt.Sprintf("feeds[%d].url", i)
		u, err := url.Parse(strings.TrimSpace(f.URL))
		switch {
		case f.URL == "":
			fail(line("feeds", i), key, "missing")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			fail(line("feeds", i, "url"), key, "%q is not an http or https URL", f.URL)
		default:
			f.URL = u.String()
			if j, dup := seen[f.URL]; dup {
				fail(line("feeds", i, "url"), key, "the same feed as feeds[%d]", j)
			}
			seen[f.URL] = i
			if f.Name == "" {
				f.Name = strings.TrimPrefix(u.Host, "www.") + strings.TrimSuffix(u.Path, "/")
			}
		}
		checkFrontMatter(&f.FrontMatter, fmt.Sprintf("feeds[%d].front_matter", i), func(k string) int { return line("feeds", i, "front_matter", k) }, fail)
	}
	checkFrontMatter(&c.FrontMatter, "front_matter", func(k string) int { return line("front_matter", k) }, fail)

	// timezone
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	if loc, err := time.LoadLocation(c.Timezone); err != nil {
		fail(line("timezone"), "timezone", "%q is not a time zone: use an IANA name such as UTC or Asia/Shanghai", c.Timezone)
	} else {
		c.location = loc
	}

	// http
	h := &c.HTTP
	if h.UserAgent == "" {
		h.UserAgent = userAgent()
	}
	h.Timeout.parse(fetch.DefaultTimeout, "http.timeout", fail)
	h.HostDelay.parse(0, "http.host_delay", fail)
	h.RetryBackoff.parse(fetch.DefaultBackoff, "http.retry_backoff", fail)
	h.MaxRetryWait.parse(time.Minute, "http.max_retry_wait", fail)
	h.MaxBodySize.parse(fetch.DefaultMaxBodySize, "http.max_body_size", fail)
	for _, n := range []struct {
		key   string
		v     *int
		def   int
		lower int
	}{
		{"concurrency", &h.Concurrency, defaultConcurrency, 1},
		{"per_host", &h.PerHost, fetch.DefaultPerHost, 1},
		{"attempts", &h.Attempts, fetch.DefaultAttempts, 1},
	} {
		if *n.v == 0 {
			*n.v = n.def
		} else if *n.v < n.lower || *n.v > 100 {
			fail(line("http", n.key), "http."+n.key, "%d is out of range (%d to 100)", *n.v, n.lower)
		}
	}
	for i, h := range c.AllowedHosts {
		if h = strings.TrimSpace(h); h == "" || strings.ContainsAny(h, "/ ") {
			fail(line("allowed_hosts", i), fmt.Sprintf("allowed_hosts[%d]", i), "%q is not a host name (write example.com or example.com:8080)", h)
		}
	}

	// daemon
	c.checkSchedule(fail)
	c.listenSet = c.Listen != ""
	switch c.Listen = strings.TrimSpace(c.Listen); c.Listen {
	case "":
		c.Listen = defaultListen
	case "off":
	default:
		_, port, err := net.SplitHostPort(c.Listen)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			fail(line("listen"), "listen", "%q is not host:port with a port number (e.g. 127.0.0.1:9180, or :9180 for every interface) or off", c.Listen)
		}
	}

	if len(errs) > 0 {
		return &configError{strings.Join(errs, "\n")}
	}
	return nil
}

// isSCPLike reports whether a remote is git's scp-like form, host:path or
// user@host:path.
func isSCPLike(r string) bool {
	colon := strings.Index(r, ":")
	return colon > 0 && !strings.Contains(r[:colon], "/")
}

// checkSchedule parses the schedule, or sets the default.
func (c *Config) checkSchedule(fail func(int, string, string, ...any)) {
	s := &c.Schedule
	s.raw = strings.TrimSpace(s.raw)
	if s.raw == "" {
		s.Every = defaultSchedule
		return
	}
	if d, err := time.ParseDuration(s.raw); err == nil {
		if d < minSchedule {
			fail(s.line, "schedule", "%q is too short: the least interval is %s (15m is usual)", s.raw, minSchedule)
		}
		s.Every = d
		return
	}
	if len(strings.Fields(strings.TrimPrefix(s.raw, "CRON_TZ="))) < 5 && !strings.HasPrefix(s.raw, "@") {
		fail(s.line, "schedule", "%q is neither a Go duration (15m, 2h) nor a cron expression (*/15 * * * *)", s.raw)
		return
	}
	if err := gocron.NewDefaultCron(false).IsValid(s.raw, c.locationOrUTC(), time.Now()); err != nil {
		fail(s.line, "schedule", "%q is not a valid 5-field cron expression (minute hour day month weekday, e.g. */15 * * * *): %v", s.raw, err)
		return
	}
	s.Cron = s.raw
}

// locationOrUTC is the configured timezone, or UTC while it is not known.
func (c *Config) locationOrUTC() *time.Location {
	if c.location != nil {
		return c.location
	}
	return time.UTC
}

func checkFrontMatter(fm *FrontMatterConfig, prefix string, line func(string) int, fail func(int, string, string, ...any)) {
	if fm.Layout != nil && strings.TrimSpace(*fm.Layout) == "" {
		fail(line("layout"), prefix+".layout", "must not be empty")
	}
	if fm.Author != nil && strings.TrimSpace(*fm.Author) == "" {
		fail(line("author"), prefix+".author", "must not be empty")
	}
}

// parse parses the duration, or sets def when it was not given.
func (d *Duration) parse(def time.Duration, key string, fail func(int, string, string, ...any)) {
	if d.raw == "" {
		d.Duration = def
		return
	}
	v, err := time.ParseDuration(d.raw)
	if err != nil || v < 0 {
		fail(d.line, key, "%q is not a duration: use a Go duration such as 30s, 15m or 2h", d.raw)
		return
	}
	d.Duration = v
}

// parse parses the size, or sets def when it was not given.
func (b *ByteSize) parse(def int64, key string, fail func(int, string, string, ...any)) {
	if b.raw == "" {
		b.Bytes = def
		return
	}
	s := strings.TrimSpace(b.raw)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		fail(b.line, key, "%q is not a size: write bytes, or a number with KiB, MiB or GiB (e.g. 10MiB)", b.raw)
		return
	}
	b.Bytes = n * mult
}

// lineOf is the line of the value at a path of mapping keys (string) and
// sequence indexes (int) in a YAML document; the line of the nearest
// ancestor found if the path does not exist, 0 if nothing is.
func lineOf(root *yaml.Node, path ...any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, p := range path {
		var next *yaml.Node
		switch p := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						line, next = n.Content[i].Line, n.Content[i+1]
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// frontMatter is the front matter defaults for feed f: f's own values,
// else the configuration's, else the earlier tool's.
func (c *Config) frontMatter(f *FeedConfig) archiver.Defaults {
	d := defaultFrontMatter
	for _, fm := range []*FrontMatterConfig{&c.FrontMatter, &f.FrontMatter} {
		if fm.Layout != nil {
			d.Layout = *fm.Layout
		}
		if fm.Author != nil {
			d.Author = *fm.Author
		}
		if fm.Tags != nil {
			d.Tags = fm.Tags
		}
		if fm.Categories != nil {
			d.Categories = fm.Categories
		}
		if fm.Comments != nil {
			d.Comments = *fm.Comments
		}
	}
	return d
}

// fetchOptions are the HTTP client's options.
func (c *Config) fetchOptions() fetch.Options {
	return fetch.Options{
		UserAgent:    c.HTTP.UserAgent,
		Timeout:      c.HTTP.Timeout.Duration,
		Attempts:     c.HTTP.Attempts,
		Backoff:      c.HTTP.RetryBackoff.Duration,
		MaxRetryWait: c.HTTP.MaxRetryWait.Duration,
		MaxBodySize:  c.HTTP.MaxBodySize.Bytes,
		PerHost:      c.HTTP.PerHost,
		HostInterval: c.HTTP.HostDelay.Duration,
		AllowedHosts: c.AllowedHosts,
	}
}
