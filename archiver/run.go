package archiver

import (
	"context"
	"sync"

	"github.com/rfa-archive/archiver/archiver/article"
)

// result is a job done: its post, or why there is none.
type result struct {
	job  job
	post *article.Post
	err  error
}

// run makes the posts of the jobs, http.concurrency at a time, and hands
// each result to done as it comes, in the calling goroutine. Once ctx is
// done no job is started; a job it stopped is not a failure, and its
// result is dropped: it is done again at the next pass.
func (a *Archiver) run(ctx context.Context, jobs []job, done func(result)) {
	todo := make(chan job)
	results := make(chan result)
	var wg sync.WaitGroup
	for range a.cfg.HTTP.Concurrency {
		wg.Go(func() {
			for j := range todo {
				var post *article.Post
				err := safely(a.log, func() (err error) {
					post, err = a.maker.Make(ctx, j.item, a.cfg.FrontMatterOf(j.feed))
					return err
				})
				results <- result{j, post, err}
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
