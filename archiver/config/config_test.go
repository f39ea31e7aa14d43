package config_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/config"
)

const minimal = "store: {path: archive}\nfeeds: [{url: 'https://www.rfa.org/arc/outboundfeeds/mandarin/rss/'}]\n"

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Parse([]byte(minimal), "/etc/archiver/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for what, ok := range map[string]bool{
		"store.path relative to the file": c.Store.Path == "/etc/archiver/archive",
		"store.author":                    c.Store.AuthorName == "archiver" && c.Store.AuthorEmail == "archiver@localhost",
		"store.lock_timeout":              c.Store.LockTimeout.Duration == time.Minute,
		"store.branch":                    c.Store.Branch == "", // the one checked out
		"store.layout":                    c.Store.Layout == "", // the store's: posts.LayoutOf
		"feeds[0].name":                   c.Feeds[0].Name == "rfa.org/arc/outboundfeeds/mandarin/rss",
		"timezone":                        c.Timezone == "UTC" && c.Location == time.UTC,
		"http":                            c.HTTP.Concurrency == 4 && c.HTTP.PerHost == 2 && c.HTTP.Attempts == 3 && c.HTTP.MaxBodySize.Bytes == 10<<20,
		"user agent":                      strings.HasPrefix(c.HTTP.UserAgent, "archiver/"),
		"schedule":                        c.Schedule.Every == 15*time.Minute,
		"listen":                          c.Listen == config.DefaultListen && !c.ListenSet,
		"revisit":                         !c.Revisit.Off && slices.Equal(c.Revisit.Intervals(), defaultRevisits) && c.Revisit.Budget == 100,
	} {
		if !ok {
			t.Errorf("default %s: %+v", what, c)
		}
	}
	d := c.FrontMatterOf(&c.Feeds[0])
	if d.Layout != "post" || d.Author != "自由亚洲电台" || !d.Comments || len(d.Tags) != 1 {
		t.Errorf("default front matter: %+v", d)
	}
}

func TestFrontMatterInherited(t *testing.T) {
	t.Parallel()
	c, err := config.Parse([]byte(minimal+"front_matter: {author: RFA, comments: false}\n"), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Feeds = append(c.Feeds, config.Feed{URL: "https://x.org/", FrontMatter: config.FrontMatter{Tags: []string{"x"}}})
	if d := c.FrontMatterOf(&c.Feeds[0]); d.Author != "RFA" || d.Comments || d.Tags[0] != "自由亚洲电台" {
		t.Errorf("the top level's front matter: %+v", d)
	}
	if d := c.FrontMatterOf(&c.Feeds[1]); d.Author != "RFA" || len(d.Tags) != 1 || d.Tags[0] != "x" {
		t.Errorf("a feed's front matter over the top level's: %+v", d)
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	env := config.ReadEnv(func(k string) string {
		return map[string]string{"ARCHIVER_CONFIG": "/c.yaml", "ARCHIVER_GIT_TOKEN": "tok", "ARCHIVER_SSH_KEY": "/k"}[k]
	})
	if env.Path() != "/c.yaml" || (env.Credentials != config.Credentials{Token: "tok", SSHKey: "/k"}) {
		t.Errorf("ReadEnv: %+v", env)
	}
	if p := (config.Env{}).Path(); p != "config.yaml" {
		t.Errorf("Path without ARCHIVER_CONFIG: %q", p)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Credentials != env.Credentials {
		t.Errorf("the store's credentials are not the environment's: %+v", c.Store.Credentials)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "none.yaml"), env); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yaml     string
		every    time.Duration
		cron     string
		interval time.Duration
		listen   string
	}{
		{"", 15 * time.Minute, "", 15 * time.Minute, "127.0.0.1:9180"},
		{"schedule: 2s\nlisten: 'off'\n", 2 * time.Second, "", 2 * time.Second, "off"},
		{"schedule: 250ms\nlisten: ':0'\n", 250 * time.Millisecond, "", 250 * time.Millisecond, ":0"},
		{"schedule: '*/15 * * * *'\n", 0, "*/15 * * * *", 15 * time.Minute, "127.0.0.1:9180"},
		{"schedule: 'CRON_TZ=Asia/Shanghai 0 */2 * * *'\n", 0, "CRON_TZ=Asia/Shanghai 0 */2 * * *", 2 * time.Hour, "127.0.0.1:9180"},
		{"schedule: '0 6,18 * * *'\n", 0, "0 6,18 * * *", 12 * time.Hour, "127.0.0.1:9180"},
		{"schedule: '5 0 * * 1'\n", 0, "5 0 * * 1", 7 * 24 * time.Hour, "127.0.0.1:9180"},
	} {
		c, err := config.Parse([]byte(minimal+tc.yaml), "config.yaml")
		if err != nil {
			t.Errorf("%q: %v", tc.yaml, err)
			continue
		}
		if c.Schedule.Every != tc.every || c.Schedule.Cron != tc.cron || c.Listen != tc.listen {
			t.Errorf("%q: schedule %v %q, listen %q", tc.yaml, c.Schedule.Every, c.Schedule.Cron, c.Listen)
		}
		now := time.Date(2026, 3, 1, 0, 7, 0, 0, time.UTC)
		if got := c.Schedule.Interval(c.Location, now); got != tc.interval {
			t.Errorf("%q: interval %v, want %v", tc.yaml, got, tc.interval)
		}
	}
}

// TestErrors: each section's validator names the file, the line and the
// key of each mistake.
func TestErrors(t *testing.T) {
	t.Parallel()
	for yaml, want := range map[string]string{
		minimal + "schedule: 0s\n":                                                        "config.yaml:3: schedule:",
		minimal + "schedule: -5m\n":                                                       "config.yaml:3: schedule:",
		minimal + "schedule: often\n":                                                     "config.yaml:3: schedule: \"often\" is neither a Go duration",
		minimal + "schedule: '*/15 * * *'\n":                                              "config.yaml:3: schedule:",
		minimal + "schedule: '61 * * * *'\n":                                              "config.yaml:3: schedule: \"61 * * * *\" is not a valid 5-field cron expression",
		minimal + "schedule: 'CRON_TZ=Mars/Base * * * * *'\n":                             "config.yaml:3: schedule:",
		minimal + "listen: localhost\n":                                                   "config.yaml:3: listen: \"localhost\" is not host:port",
		minimal + "store2: {}\n":                                                          `config.yaml:3: store2: unknown key`,
		minimal + "timezone: Mars/Base\n":                                                 `config.yaml:3: timezone: "Mars/Base" is not a time zone`,
		minimal + "http:\n  timeout: soon\n":                                              `config.yaml:4: http.timeout: "soon" is not a duration`,
		minimal + "http:\n  per_host: 101\n":                                              `config.yaml:4: http.per_host: 101 is out of range (1 to 100)`,
		minimal + "http:\n  max_body_size: 10 apples\n":                                   `config.yaml:4: http.max_body_size: "10 apples" is not a size`,
		minimal + "allowed_hosts: ['a/b']\n":                                              `config.yaml:3: allowed_hosts[0]: "a/b" is not a host name`,
		minimal + "front_matter: {layout: ' '}\n":                                         `config.yaml:3: front_matter.layout: must not be empty`,
		"store: {path: a}\nfeeds:\n  - url: ftp://x/\n":                                   `config.yaml:3: feeds[0].url: "ftp://x/" is not an http or https URL`,
		"store: {path: a}\nfeeds:\n  - url: https://x/\n    front_matter: {author: ''}\n": `config.yaml:4: feeds[0].front_matter.author: must not be empty`,
		"store: {path: a}\nfeeds:\n  - url: https://x/\n  - url: https://x/\n":            `config.yaml:4: feeds[1].url: the same feed as feeds[0]`,
		"store: {path: a}\n":                                                              "feeds: no feeds",
		"store: {author: nobody}\nfeeds: [{url: 'https://x.org/'}]\n":                     "config.yaml:1: store.author: \"nobody\" is not of the form Name <email>",
		"store: {path: a, remote: 'https://me:pw@example.org/a.git'}\nfeeds: [{url: 'https://x.org/'}]\n":  "config.yaml:1: store.remote: holds a user name or password",
		"store: {path: a, remote: 'https://ghp_pw@example.org/a.git'}\nfeeds: [{url: 'https://x.org/'}]\n": "config.yaml:1: store.remote: holds a user name or password",
		"store: {path: a, branch: 'a..b'}\nfeeds: [{url: 'https://x.org/'}]\n":                             `config.yaml:1: store.branch: "a..b" is not a git branch name`,
		"store: {path: a, layout: '{year}/{week}'}\nfeeds: [{url: 'https://x.org/'}]\n":                    `config.yaml:1: store.layout: "{year}/{week}" is not a layout`,
		"store: {path: a, layout: '../{year}'}\nfeeds: [{url: 'https://x.org/'}]\n":                        `config.yaml:1: store.layout: "../{year}" is not a layout`,
		"store: {path: a, layout: '/{year}'}\nfeeds: [{url: 'https://x.org/'}]\n":                          `config.yaml:1: store.layout: "/{year}" is not a layout`,
		"store: {path: a, layout: '{year}//{month}'}\nfeeds: [{url: 'https://x.org/'}]\n":                  `config.yaml:1: store.layout: "{year}//{month}" is not a layout`,
		"store: {path: a, layout: 'a/b/c/d/{year}'}\nfeeds: [{url: 'https://x.org/'}]\n":                   `config.yaml:1: store.layout: "a/b/c/d/{year}" is not a layout`,
		"store: {path: a, layout: 'Posts/{year}'}\nfeeds: [{url: 'https://x.org/'}]\n":                     `config.yaml:1: store.layout: "Posts/{year}" is not a layout`,
		"store: {path: a, layout: 'year'}\nfeeds: [{url: 'https://x.org/'}]\n":                             ``, // a folder of that name: valid
		"": "config.yaml: the file is empty",
	} {
		_, err := config.Parse([]byte(yaml), "config.yaml")
		if want == "" && err != nil {
			t.Errorf("%q: %v", yaml, err)
		} else if want != "" && (err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "pw@")) {
			t.Errorf("%q: error %v, want %q", yaml, err, want)
		}
	}
}

func TestRemote(t *testing.T) {
	t.Parallel()
	for remote, want := range map[string]string{
		"git@example.org:me/a.git":         "git@example.org:me/a.git",
		"ssh://git@example.org/me/a.git":   "ssh://git@example.org/me/a.git",
		"https://example.org/me/a.git":     "https://example.org/me/a.git",
		"/srv/git/a.git":                   "/srv/git/a.git",
		"../backup/a.git":                  "/etc/backup/a.git", // relative to the configuration
		"  https://example.org/me/a.git  ": "https://example.org/me/a.git",
	} {
		c, err := config.Parse([]byte("store: {path: a, remote: '"+remote+"'}\nfeeds: [{url: 'https://x.org/'}]\n"), "/etc/archiver/config.yaml")
		if err != nil || c.Store.Remote != want {
			t.Errorf("remote %q: %v %q, want %q", remote, err, c.Store.Remote, want)
		}
	}
}

// TestShippedServices: the shipped config.yaml reads as it is, and with
// the other RFA services uncommented: ten services, each with its feed,
// its Arc site and front matter in its language.
func TestShippedServices(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse(data, "config.yaml")
	if err != nil || len(c.Feeds) != 1 || c.Feeds[0].ArcWebsite != "rfa-mandarin" {
		t.Fatalf("the shipped config: %v, %+v", err, c)
	}
	var lines []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.Contains(line, "# - url: https://www.rfa.org/arc/"):
			in = true
		case strings.Contains(line, "# The old Plone-era feeds"):
			in = false
		}
		if in {
			line = strings.Replace(line, "# ", "", 1)
		}
		lines = append(lines, line)
	}
	c, err = config.Parse([]byte(strings.Join(lines, "\n")), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sites, authors := map[string]bool{}, map[string]bool{}
	for _, f := range c.Feeds {
		sites[f.ArcWebsite] = true
		authors[c.FrontMatterOf(&f).Author] = true
	}
	if len(c.Feeds) != 10 || len(sites) != 10 || len(authors) != 10 || !authors["自由亞洲電台"] {
		t.Errorf("%d feeds, %d Arc sites, authors %q", len(c.Feeds), len(sites), slices.Collect(maps.Keys(authors)))
	}
}

// TestRanges: a value out of its range, an overflowing size and a header
// that would inject another are refused at load, each said on one line as
// FILE:LINE: key: problem.
func TestRanges(t *testing.T) {
	t.Parallel()
	for yaml, want := range map[string]string{
		minimal + "http: {concurrency: 0}\n":                                          `config.yaml:3: http.concurrency: 0 is out of range (1 to 100)`,
		minimal + "http: {per_host: 0}\n":                                             `config.yaml:3: http.per_host: 0 is out of range (1 to 100)`,
		minimal + "http: {attempts: -1}\n":                                            `config.yaml:3: http.attempts: -1 is out of range (1 to 100)`,
		minimal + "http: {host_delay: 2562047h}\n":                                    `config.yaml:3: http.host_delay: "2562047h" is out of range (0s to 1h0m0s)`,
		minimal + "http: {timeout: 0s}\n":                                             `config.yaml:3: http.timeout: "0s" is out of range (1s to 1h0m0s)`,
		minimal + "http: {max_body_size: 9999999999GiB}\n":                            `config.yaml:3: http.max_body_size: "9999999999GiB" is out of range (1 to 1GiB)`,
		minimal + "http: {max_body_size: 0}\n":                                        `config.yaml:3: http.max_body_size: "0" is out of range (1 to 1GiB)`,
		minimal + "media: {max_size: 2GiB}\n":                                         `config.yaml:3: media.max_size: "2GiB" is out of range (1 to 1GiB)`,
		minimal + "media: {max_pixels: 0}\n":                                          `config.yaml:3: media.max_pixels: 0 is out of range (1 to 1000000000)`,
		"store: {path: a, lock_timeout: 100000h}\nfeeds: [{url: 'https://x.org/'}]\n": `config.yaml:1: store.lock_timeout: "100000h" is out of range (0s to 24h0m0s)`,
		minimal + "retry: {give_up: 0s}\n":                                            `config.yaml:3: retry.give_up: "0s" is out of range (1h0m0s to 87600h0m0s)`,
		minimal + "http: {user_agent: \"a\\r\\nX-Evil: 1\"}\n":                        `config.yaml:3: http.user_agent: holds a control character`,
		minimal + "schedule: '* * * * * *'\n":                                         `config.yaml:3: schedule: "* * * * * *" is not a valid 5-field cron expression`,
	} {
		_, err := config.Parse([]byte(yaml), "config.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", yaml, err, want)
			continue
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "config.yaml:") || strings.Count(line, ": ") < 2 {
				t.Errorf("%q: the line %q is not FILE:LINE: key: problem", yaml, line)
			}
		}
	}
	c, err := config.Parse([]byte(minimal+"http: {concurrency: 100, host_delay: 1h, max_body_size: 1GiB}\nmedia: {max_pixels: 1000}\n"), "config.yaml")
	if err != nil || c.HTTP.Concurrency != 100 || c.HTTP.MaxBodySize.Bytes != 1<<30 || c.Media.MaxPixels != 1000 {
		t.Errorf("the ends of the ranges: %v", err)
	}
	if c, _ := config.Parse([]byte(minimal), "config.yaml"); c.Media.MaxPixels != 50_000_000 {
		t.Errorf("media.max_pixels defaults to %d, want 50 megapixels", c.Media.MaxPixels)
	}
}

// defaultRevisits is revisit.after when it is not given: 1h, 6h, 1d, 3d,
// 7d, 30d, 180d.
var defaultRevisits = []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour,
	168 * time.Hour, 720 * time.Hour, 4320 * time.Hour}

// TestRevisit: revisit is off, on, or a mapping of after and budget; what
// is left out is the default.
func TestRevisit(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	for _, tc := range []struct {
		yaml      string
		off       bool
		intervals []time.Duration
		budget    int
	}{
		{"", false, defaultRevisits, 100},
		{"revisit:\n", false, defaultRevisits, 100},
		{"revisit: off\n", true, nil, 0},
		{"revisit: false\n", true, nil, 0},
		{"revisit: 'OFF'\n", true, nil, 0},
		{"revisit: on\n", false, defaultRevisits, 100},
		{"revisit: true\n", false, defaultRevisits, 100},
		{"revisit:\n  after: [30m, 2h, 1d, 3d, 7d, 30d, 180d]\n  budget: 250\n", false,
			[]time.Duration{30 * time.Minute, 2 * time.Hour, day, 3 * day, 7 * day, 30 * day, 180 * day}, 250},
		{"revisit:\n  after: [1d]\n", false, []time.Duration{day}, 100},
		{"revisit: {budget: 0}\n", false, defaultRevisits, 0},
		{"revisit: {after: [1s, 3650d], budget: 100000}\n", false, []time.Duration{time.Second, 3650 * day}, 100000},
	} {
		c, err := config.Parse([]byte(minimal+tc.yaml), "config.yaml")
		if err != nil {
			t.Errorf("%q: %v", tc.yaml, err)
			continue
		}
		r := c.Revisit
		if r.Off != tc.off || !slices.Equal(r.Intervals(), tc.intervals) || (tc.intervals == nil) != (r.Intervals() == nil) || r.Budget != tc.budget {
			t.Errorf("%q: off %v, intervals %v, budget %d; want %v, %v, %d", tc.yaml, r.Off, r.Intervals(), r.Budget, tc.off, tc.intervals, tc.budget)
		}
		if r.Off = true; r.Intervals() != nil {
			t.Errorf("%q, then off: intervals %v", tc.yaml, r.Intervals())
		}
	}
}

// TestRevisitErrors: each mistake in revisit is said as FILE:LINE: key:
// problem, an unknown key under revisit as any other unknown key is.
func TestRevisitErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"revisit: sometimes\n", `config.yaml:3: revisit: "sometimes" is neither off nor on`},
		{"revisit: 0\n", `config.yaml:3: revisit: "0" is neither off nor on`},
		{"revisit: {off: true}\n", `config.yaml:3: revisit.off: unknown key`},
		{"revisit:\n  budget: 5\n  aftr: [1h]\n", `config.yaml:5: revisit.aftr: unknown key`},
		{"revisit: [1h]\n", `config.yaml:3: revisit[0]: the YAML is not valid: cannot unmarshal !!seq into config.Revisit`},
		{"revisit:\n  after: [1h, 6h, 6h]\n", `config.yaml:4: revisit.after[2]: "6h" is not longer than the interval before it, "6h"`},
		{"revisit:\n  after:\n    - 1d\n    - 2h\n", `config.yaml:6: revisit.after[1]: "2h" is not longer than the interval before it, "1d"`},
		{"revisit:\n  after: []\n", `config.yaml:4: revisit.after: is empty`},
		{"revisit:\n  after:\n", `config.yaml:4: revisit.after: is empty`},
		{"revisit:\n  after:\n    - 1h\n    -\n    - 2h\n", `config.yaml:6: revisit.after[1]: is empty`},
		{"revisit:\n  after: [1h, '']\n", `config.yaml:4: revisit.after[1]: is empty`},
		{"revisit:\n  after: 1d\n", `config.yaml:4: revisit.after: "1d" is text, not a list`},
		{"revisit:\n  after: [" + strings.Repeat("1h, ", 20) + "2h]\n", `config.yaml:4: revisit.after: lists 21 intervals: the most is 20`},
		{"revisit:\n  after: [0s]\n", `config.yaml:4: revisit.after[0]: "0s" is out of range (1s to 87600h0m0s)`},
		{"revisit:\n  after: [500ms]\n", `config.yaml:4: revisit.after[0]: "500ms" is out of range`},
		{"revisit:\n  after: [1h, 3651d]\n", `config.yaml:4: revisit.after[1]: "3651d" is out of range`},
		{"revisit:\n  after: [-1d]\n", `config.yaml:4: revisit.after[0]: "-1d" is out of range`},
		{"revisit:\n  after: [1h, soon]\n", `config.yaml:4: revisit.after[1]: "soon" is not a duration`},
		{"revisit:\n  budget: -1\n", `config.yaml:4: revisit.budget: -1 is out of range (0 to 100000)`},
		{"revisit:\n  budget: 100001\n", `config.yaml:4: revisit.budget: 100001 is out of range (0 to 100000)`},
		{"revisit:\n  budget: many\n", `config.yaml:4: revisit.budget: "many" is text, not a whole number`},
	} {
		_, err := config.Parse([]byte(minimal+tc.yaml), "config.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
			continue
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "config.yaml:") || !strings.Contains(line, ": revisit") {
				t.Errorf("%q: the line %q is not FILE:LINE: revisit key: problem", tc.yaml, line)
			}
		}
	}
}

// TestShippedRevisit: the revisit block commented out in the shipped
// config.yaml reads, uncommented, as the defaults.
func TestShippedRevisit(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "# revisit:") || len(block) > 0 && strings.HasPrefix(line, "#   ") {
			block = append(block, strings.TrimPrefix(line, "# "))
		} else if len(block) > 0 {
			break
		}
	}
	c, err := config.Parse([]byte(minimal+strings.Join(block, "\n")), "config.yaml")
	if err != nil || len(block) != 3 {
		t.Fatalf("the shipped revisit block %q: %v", block, err)
	}
	if !slices.Equal(c.Revisit.Intervals(), defaultRevisits) || c.Revisit.Budget != 100 {
		t.Errorf("the shipped revisit block is not the defaults: %v, budget %d", c.Revisit.Intervals(), c.Revisit.Budget)
	}
}
