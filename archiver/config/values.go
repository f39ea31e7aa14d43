package config

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-co-op/gocron/v2"
	"gopkg.in/yaml.v3"
)

// The values of some keys are parsed by validate rather than by the YAML
// decoder, so that a mistake is reported with its key and line.

// Duration is a Go duration in YAML (30s, 15m, 2h), or a number of days
// (30d).
type Duration struct {
	time.Duration
	raw  string
	line int
}

// UnmarshalYAML keeps the text; validate parses it.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	d.raw, d.line = n.Value, n.Line
	return nil
}

// parse parses the duration, from lo to hi, or sets def when it was not
// given.
func (d *Duration) parse(def, lo, hi time.Duration, key string, ck *checker) {
	if d.raw == "" {
		d.Duration = def
		return
	}
	v, err := time.ParseDuration(d.raw)
	if days, ok := strings.CutSuffix(d.raw, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		if n > int(hi/(24*time.Hour))+1 {
			n = int(hi/(24*time.Hour)) + 1 // out of range, not overflowing
		}
		v = time.Duration(n) * 24 * time.Hour
	}
	switch {
	case err != nil:
		ck.fail(d.line, key, "%q is not a duration: use a Go duration such as 30s, 15m or 2h, or days: 30d", d.raw)
	case v < lo || v > hi:
		ck.fail(d.line, key, "%q is out of range (%s to %s)", d.raw, lo, hi)
	default:
		d.Duration = v
	}
}

// ByteSize is a size in bytes: 10485760, 10MiB, 512KiB, 1GB.
type ByteSize struct {
	Bytes int64
	raw   string
	line  int
}

// UnmarshalYAML keeps the text; validate parses it.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	b.raw, b.line = n.Value, n.Line
	return nil
}

// parse parses the size, from lo to hi bytes, or sets def when it was
// not given.
func (b *ByteSize) parse(def, lo, hi int64, key string, ck *checker) {
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
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange) || n < 0:
		ck.fail(b.line, key, "%q is not a size: write bytes, or a number with KiB, MiB or GiB (e.g. 10MiB)", b.raw)
	case err != nil || n > hi/mult || n*mult < lo:
		ck.fail(b.line, key, "%q is out of range (%s to %s)", b.raw, sizeName(lo), sizeName(hi))
	default:
		b.Bytes = n * mult
	}
}

// sizeName is n bytes as a size is written: 1KiB, 1GiB.
func sizeName(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
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

// UnmarshalYAML keeps the text; validate parses it.
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

// parse parses the schedule in loc, or sets the default.
func (s *Schedule) parse(loc *time.Location, ck *checker) {
	s.raw = strings.TrimSpace(s.raw)
	if s.raw == "" {
		s.Every = defaultSchedule
		return
	}
	if d, err := time.ParseDuration(s.raw); err == nil {
		if d < minSchedule {
			ck.fail(s.line, "schedule", "%q is too short: the least interval is %s (15m is usual)", s.raw, minSchedule)
		}
		s.Every = d
		return
	}
	if len(strings.Fields(strings.TrimPrefix(s.raw, "CRON_TZ="))) < 5 && !strings.HasPrefix(s.raw, "@") {
		ck.fail(s.line, "schedule", "%q is neither a Go duration (15m, 2h) nor a cron expression (*/15 * * * *)", s.raw)
		return
	}
	if err := gocron.NewDefaultCron(false).IsValid(s.raw, loc, time.Now()); err != nil {
		ck.fail(s.line, "schedule", "%q is not a valid 5-field cron expression (minute hour day month weekday, e.g. */15 * * * *): %s",
			s.raw, strings.Join(strings.Fields(err.Error()), " "))
		return
	}
	s.Cron = s.raw
}

// nodeAt is the value at a path of mapping keys (string) and sequence
// indexes (int) in a YAML document, nil if there is none.
func nodeAt(root *yaml.Node, path ...any) *yaml.Node {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		var next *yaml.Node
		switch p := p.(type) {
		case string:
			for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					next = n.Content[i+1]
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// lineOf is the line of the value at a path of mapping keys (string) and
// sequence indexes (int) in a YAML document (for a key, the line of the
// key); the line of the nearest ancestor found if the path does not
// exist, 0 if nothing is.
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
