package daemon

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/config"
)

const minimalConfig = "store: {path: archive}\nfeeds: [{url: 'https://www.rfa.org/arc/outboundfeeds/mandarin/rss/'}]\n"

func parseConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(minimalConfig+yaml), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDaemonCadence runs a daemon on a 1 minute schedule in a
// testing/synctest bubble, whose clock is fake, with passes that take 10
// seconds, but for the second, which takes two and a half minutes: the
// first pass starts at once, the next on the minute; the runs the long
// pass overlaps are skipped, not stacked, and the next starts at the first
// minute after it ends. SIGTERM (the context) stops the pass in hand and
// the daemon at once.
func TestDaemonCadence(t *testing.T) {
	t.Parallel()
	cfg := parseConfig(t, "schedule: 1m\nlisten: 'off'\n")
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		var starts []time.Duration
		var stopped time.Duration
		pass := func(ctx context.Context) (*archiver.Summary, error) {
			sum := &archiver.Summary{Start: time.Now(), Stored: true}
			starts = append(starts, time.Since(begin))
			took := 10 * time.Second
			if len(starts) == 2 {
				took = 150 * time.Second
			}
			select {
			case <-time.After(took):
				return sum, nil
			case <-ctx.Done():
				stopped = time.Since(begin)
				return sum, ctx.Err()
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		d := New(cfg, slog.New(slog.DiscardHandler), pass)
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()

		time.Sleep(3 * time.Minute)
		if ok, msg := d.health.Check(time.Now()); !ok {
			t.Errorf("/healthz in the long pass: %s", msg)
		}
		time.Sleep(2*time.Minute + 5*time.Second) // into the pass of 5m
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if want := []time.Duration{0, time.Minute, 4 * time.Minute, 5 * time.Minute}; !slices.Equal(starts, want) {
			t.Errorf("passes started at %v, want %v", starts, want)
		}
		if want := 5*time.Minute + 5*time.Second; stopped != want {
			t.Errorf("the pass in hand stopped at %v, want at once, %v", stopped, want)
		}
	})
}
