package archiver

import (
	"context"
	"sync"

	"github.com/rfa-archive/archiver/archiver/article"
)

// result is a job done: its post, or why there is none.
type result struct {
	job   job
	post  *article.Post
	media []mediaFile // of the post, or the medium of a media job
	err   error
}

// run makes the posts of the jobs, http.concurrency at a time, and hands
// each result to done as it comes, in the calling goroutine. Once ctx is
// done no job is started; a job it stopped is not a failure, and its
// result is dropped: it is done again at the next pass.
func (a *Archiver) run(ctx context.Context, jobs []job, media *mediaFetcher, done func(result)) {
	todo := make(chan job)
	results := make(chan result)
	var wg sync.WaitGroup
	for range a.cfg.HTTP.Concurrency {
		wg.Go(func() {
			for j := range todo {
				r := result{job: j}
				r.err = safely(a.log, func() error {
					if j.media {
						r.media = media.fetch(ctx, []string{j.item.Link})
						return r.media[0].err
					}
					var err error
					if r.post, err = a.maker.Make(ctx, j.item, a.cfg.FrontMatterOf(j.feed)); err == nil {
						r.media = media.fetch(ctx, a.mediaOf(r.post))
						if cutShort(ctx, r.media) {
							return ctx.Err()
						}
					}
					return err
				})
				results <- r
			}
		})
	}
	go func() {
		defer close(todo)
		for _, j := range jobs {
			select {
			case todo <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	for r := range results {
		if ctx.Err() != nil && r.err != nil {
			continue
		}
		done(r)
	}
}
