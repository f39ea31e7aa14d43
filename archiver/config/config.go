// Package config reads config.yaml: it decodes it strictly (an unknown key
// is an error), checks each section and fills in its defaults, and
// reports every mistake with the file, line and key it is at. It is also
// the one place archiver's own settings are read from the environment
// (see ReadEnv); git and the HTTP proxy read theirs as they always do.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is config.yaml. README.md documents every key; keep them in step.
type Config struct {
	Store        Store       `yaml:"store"`
	Feeds        []Feed      `yaml:"feeds"`
	FrontMatter  FrontMatter `yaml:"front_matter"`
	Timezone     string      `yaml:"timezone"`
	HTTP         HTTP        `yaml:"http"`
	AllowedHosts []string    `yaml:"allowed_hosts"`
	Retry        Retry       `yaml:"retry"`
	Revisit      Revisit     `yaml:"revisit"`
	Media        Media       `yaml:"media"`
	Schedule     Schedule    `yaml:"schedule"` // the daemon's
	Listen       string      `yaml:"listen"`   // the daemon's HTTP endpoint, or "off"

	Location  *time.Location `yaml:"-"` // of Timezone
	ListenSet bool           `yaml:"-"` // listen was given, not defaulted
}

// Media says whether posts keep copies of their images and audio in the
// archive, and how they are fetched.
type Media struct {
	Images    bool     `yaml:"images"`
	Audio     bool     `yaml:"audio"`
	Hosts     []string `yaml:"hosts"`      // trusted for media besides the feeds' hosts and allowed_hosts
	MaxSize   ByteSize `yaml:"max_size"`   // of one file
	Width     int      `yaml:"width"`      // asked of an image resizer
	MaxPixels int      `yaml:"max_pixels"` // of one image: width × height
}

// Store is where and how the archive is kept.
type Store struct {
	Path        string   `yaml:"path"`
	Author      string   `yaml:"author"` // "Name <email>", of every commit
	LockTimeout Duration `yaml:"lock_timeout"`
	Remote      string   `yaml:"remote"` // a git URL or path to pull from and push to
	Branch      string   `yaml:"branch"` // the branch, here and at the remote; "" for the one checked out
	// Layout is where in _posts a new post goes: folders of {year},
	// {month}, {day} and {feed}, or "flat"; "" for the default (see
	// posts.Layout).
	Layout string `yaml:"layout"`

	AuthorName  string      `yaml:"-"` // of Author
	AuthorEmail string      `yaml:"-"`
	Credentials Credentials `yaml:"-"` // for Remote, from the environment
}

// Credentials reach the store's remote; they come from the environment,
// never from the file.
type Credentials struct {
	Token  string // $ARCHIVER_GIT_TOKEN, for an HTTPS remote
	User   string // $ARCHIVER_GIT_USER, sent with Token
	SSHKey string // $ARCHIVER_SSH_KEY, a private key file for an SSH remote
}

// Feed is one feed.
type Feed struct {
	URL         string      `yaml:"url"`
	Name        string      `yaml:"name"` // in logs and metrics; defaults to the URL's host and path
	FrontMatter FrontMatter `yaml:"front_matter"`
	// ArcWebsite is the Arc XP site id whose content API, on the feed's
	// host, holds the feed's stories: archiver backfill reads it.
	ArcWebsite string `yaml:"arc_website"`
}

// FrontMatter sets front matter values; what is left out is inherited (a
// feed's from the top level's, the top level's from the earlier tool's
// defaults).
type FrontMatter struct {
	Layout     *string  `yaml:"layout"`
	Author     *string  `yaml:"author"`
	Tags       []string `yaml:"tags"`
	Categories []string `yaml:"categories"`
	Comments   *bool    `yaml:"comments"`
}

// HTTP is how feeds and pages are fetched.
type HTTP struct {
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

// Retry is how long failed articles are tried again.
type Retry struct {
	GiveUp Duration `yaml:"give_up"` // after this since its first failure, an article is given up
}

// Revisit is when archived stories are looked at again, to archive their
// later edits and removals: at each of After since a story's publication,
// and after the last every last interval.
type Revisit struct {
	Off    bool       `yaml:"-"`      // revisit: off (or false)
	After  []Duration `yaml:"after"`  // strictly increasing
	Budget int        `yaml:"budget"` // the most requests a pass spends on revisits; 0 spends none

	raw  string // a scalar that is neither off nor on, which validate reports
	line int    // of raw; 0 when there is none
}

// revisitKeys are the keys of a revisit mapping; keep them in step with
// Revisit's tags.
var revisitKeys = []string{"after", "budget"}

// UnmarshalYAML reads revisit as off, false, on or true, or as a mapping
// of revisitKeys. yaml's Node.Decode does not reject unknown keys as
// Parse's decoder does, so the mapping's keys are checked here, each
// unknown one reported in yaml's words so that decodeError names its key
// and line as it does the others'.
func (r *Revisit) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "off", "false":
			r.Off = true
		case "on", "true":
		default:
			r.raw, r.line = n.Value, n.Line
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s into config.Revisit", n.Line, n.ShortTag())}}
	}
	var unknown []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(revisitKeys, k.Value) {
			unknown = append(unknown, fmt.Sprintf("line %d: field %s not found in type config.Revisit", k.Line, k.Value))
		}
	}
	type plain Revisit // without this method
	err := n.Decode((*plain)(r))
	var te *yaml.TypeError
	if errors.As(err, &te) {
		unknown = append(unknown, te.Errors...)
	} else if err != nil {
		return err
	}
	if len(unknown) > 0 {
		return &yaml.TypeError{Errors: unknown}
	}
	return nil
}

// Intervals are the times since a story's publication at which it is
// looked at again, shortest first; nil when revisits are off (or for a
// Revisit that Parse has not checked).
func (r Revisit) Intervals() []time.Duration {
	if r.Off || len(r.After) == 0 {
		return nil
	}
	d := make([]time.Duration, len(r.After))
	for i, a := range r.After {
		d[i] = a.Duration
	}
	return d
}

// Defaults of the configuration.
const (
	DefaultListen       = "127.0.0.1:9180"
	defaultAuthor       = "archiver <archiver@localhost>"
	defaultConcurrency  = 4
	defaultPerHost      = 2
	defaultAttempts     = 3
	defaultTimeout      = 30 * time.Second
	defaultBackoff      = time.Second
	defaultMaxRetryWait = time.Minute
	defaultMaxBodySize  = 10 << 20
	defaultLockTimeout  = time.Minute
	defaultSchedule     = 15 * time.Minute
	defaultGiveUp       = 30 * 24 * time.Hour
	minSchedule         = 10 * time.Millisecond
)

// PostDefaults are the front matter values every post of a feed gets,
// its own or inherited (see FrontMatterOf).
type PostDefaults struct {
	Layout     string
	Author     string
	Tags       []string
	Categories []string
	Comments   bool
}

// defaultFrontMatter is the earlier tool's.
var defaultFrontMatter = PostDefaults{
	Layout:     "post",
	Author:     "自由亚洲电台",
	Tags:       []string{"自由亚洲电台"},
	Categories: []string{"自由亚洲电台"},
	Comments:   true,
}

// Error is a configuration that cannot be used: each line is one mistake,
// as FILE:LINE: key: problem.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Env is what archiver takes from its environment.
type Env struct {
	ConfigPath  string      // $ARCHIVER_CONFIG: the configuration file when --config is not given
	Credentials Credentials // $ARCHIVER_GIT_TOKEN, $ARCHIVER_GIT_USER, $ARCHIVER_SSH_KEY
}

// ReadEnv reads archiver's settings from the environment through getenv
// (os.Getenv). It is the one place that does; what it reads is passed
// down.
func ReadEnv(getenv func(string) string) Env {
	return Env{
		ConfigPath: getenv("ARCHIVER_CONFIG"),
		Credentials: Credentials{
			Token:  getenv("ARCHIVER_GIT_TOKEN"),
			User:   getenv("ARCHIVER_GIT_USER"),
			SSHKey: getenv("ARCHIVER_SSH_KEY"),
		},
	}
}

// Path is the configuration file to read: $ARCHIVER_CONFIG, else
// config.yaml in the working directory.
func (e Env) Path() string {
	if e.ConfigPath != "" {
		return e.ConfigPath
	}
	return "config.yaml"
}

// Load reads and checks the configuration file at path, with the
// credentials of env.
func Load(path string, env Env) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{fmt.Sprintf("config file %s not found: pass --config FILE, or run in the directory holding config.yaml", path)}
		}
		return nil, &Error{fmt.Sprintf("reading config: %v", err)}
	}
	c, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	c.Store.Credentials = env.Credentials
	return c, nil
}

// Parse parses and checks a configuration; path names it in errors and is
// where relative paths in it start from.
func Parse(data []byte, path string) (*Config, error) {
	var c Config
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, decodeError(err, path, &root)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, decodeError(err, path, &root)
	}
	if err := c.validate(&root, path); err != nil {
		return nil, err
	}
	return &c, nil
}

var (
	yamlLine     = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	wrongType    = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// decodeError is yaml's error in our words, a line per mistake, each as
// FILE:LINE: key: problem.
func decodeError(err error, path string, root *yaml.Node) error {
	if errors.Is(err, io.EOF) || (root.Kind == yaml.DocumentNode && len(root.Content) == 0) {
		return &Error{fmt.Sprintf("%s: the file is empty: it needs at least store.path and feeds", path)}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		m := yamlLine.FindStringSubmatch(l)
		if m == nil {
			lines = append(lines, path+": "+l)
			continue
		}
		line, problem := m[1], m[2]
		n, _ := strconv.Atoi(line)
		f, t := unknownField.FindStringSubmatch(problem), wrongType.FindStringSubmatch(problem)
		want := ""
		if f != nil {
			want = f[1]
		} else if t != nil {
			want = t[2]
		}
		key, node := keyAt(root, n, want, "")
		switch {
		case f != nil:
			problem = "unknown key (README.md lists the keys)"
		case t != nil && t[3] == "config.Feed":
			problem = fmt.Sprintf("a feed is written as a mapping with its url (- url: %s), not as %s", node.Value, yamlKind(t[1]))
		case t != nil && node != nil:
			problem = fmt.Sprintf("%q is %s, not %s", node.Value, yamlKind(t[1]), goKind(t[3]))
		default:
			problem = "the YAML is not valid: " + problem
		}
		if key == "" {
			key = "(YAML)"
		}
		lines = append(lines, fmt.Sprintf("%s:%s: %s: %s", path, line, key, problem))
	}
	return &Error{strings.Join(lines, "\n")}
}

// keyAt finds the key (feeds[0].url) that a yaml error at line is about:
// the deepest at that line whose name (for an unknown key) or value (for
// a value of the wrong kind) is want; "" and nil if there is none.
func keyAt(n *yaml.Node, line int, want, prefix string) (string, *yaml.Node) {
	matches := func(v string) bool {
		cut, truncated := strings.CutSuffix(want, "...") // yaml shortens long values
		return want == "" || v == want || truncated && strings.HasPrefix(v, cut)
	}
	for i, c := range n.Content {
		name, k := prefix, c
		switch n.Kind {
		case yaml.MappingNode:
			if i%2 == 0 {
				continue
			}
			k = n.Content[i-1]
			name = strings.TrimPrefix(prefix+"."+k.Value, ".")
		case yaml.SequenceNode:
			name = fmt.Sprintf("%s[%d]", prefix, i)
		}
		if found, node := keyAt(c, line, want, name); node != nil {
			return found, node
		}
		if c.Kind == yaml.ScalarNode && c.Line == line && matches(c.Value) || n.Kind == yaml.MappingNode && k.Line == line && matches(k.Value) {
			return name, c
		}
	}
	return "", nil
}

// yamlKind names a YAML tag as a user knows it.
func yamlKind(tag string) string {
	return map[string]string{"str": "text", "int": "a number", "float": "a number", "bool": "true or false",
		"seq": "a list", "map": "a mapping", "null": "empty"}[tag]
}

// goKind names what a key wants, from the Go type yaml names.
func goKind(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case t == "int" || t == "int64":
		return "a whole number"
	case t == "bool" || t == "*bool":
		return "true or false"
	case t == "string" || t == "*string":
		return "text"
	}
	return "a mapping of keys"
}

// FrontMatterOf is the front matter defaults for feed f: f's own values,
// else the configuration's, else the earlier tool's.
func (c *Config) FrontMatterOf(f *Feed) PostDefaults {
	d := defaultFrontMatter
	for _, fm := range []*FrontMatter{&c.FrontMatter, &f.FrontMatter} {
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

// FeedOf is the configured feed of that URL, or an empty one.
func (c *Config) FeedOf(u string) *Feed {
	for i := range c.Feeds {
		if c.Feeds[i].URL == u {
			return &c.Feeds[i]
		}
	}
	return &Feed{URL: u, Name: u}
}

// HealthURL is the address of the daemon's /healthz as a client reaches
// it: a wildcard host of listen is loopback.
func (c *Config) HealthURL() string {
	addr := c.Listen
	if host, port, err := net.SplitHostPort(c.Listen); err == nil {
		switch strings.Trim(host, "[]") {
		case "", "0.0.0.0":
			host = "127.0.0.1"
		case "::":
			host = "::1"
		}
		addr = net.JoinHostPort(host, port)
	}
	return "http://" + addr + "/healthz"
}
