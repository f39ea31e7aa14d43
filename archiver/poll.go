package archiver

import (
	"context"
	"sync"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/feeds"
)

// polled is one feed's answer to a poll.
type polled struct {
	feed *config.Feed
	res  *feeds.Result
	err  error
}

// poll polls every feed, http.concurrency at a time, each conditionally on
// what it answered last time.
func (a *Archiver) poll(ctx context.Context, s *state) []polled {
	out := make([]polled, len(a.Config.Feeds))
	sem := make(chan struct{}, a.Config.HTTP.Concurrency)
	var wg sync.WaitGroup
	for i := range a.Config.Feeds {
		f := &a.Config.Feeds[i]
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var res *feeds.Result
			err := safely(a.Log, func() (err error) {
				res, err = feeds.Poll(ctx, a.Client, f.URL, s.Feeds[f.URL])
				return err
			})
			out[i] = polled{f, res, err}
		})
	}
	wg.Wait()
	return out
}
