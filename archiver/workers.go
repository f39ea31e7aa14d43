package archiver

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// result is a job done: its post and its media files, or why there is
// none.
type result struct {
	job        job
	post       *jekyll.Post
	media      []posts.MediaFile // of the post, or the medium of a medium's job
	validators feeds.Validators  // of a revisit's page: for its next conditional GET
	err        error
}

// run makes the posts of the jobs, http.concurrency at a time, and hands
// each result to done as it comes, in the calling goroutine. Once ctx is
// done no job is started; a job it stopped is not a failure, and its
// result is dropped: it is done again at the next pass.
func (a *Archiver) run(ctx context.Context, jobs []job, w *posts.Writer, done func(result)) {
	todo := make(chan job)
	results := make(chan result)
	var wg sync.WaitGroup
	for range a.Config.HTTP.Concurrency {
		wg.Go(func() {
			for j := range todo {
				results <- a.work(ctx, j, w)
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

// work does one job: fetches the medium, or makes the article's post and
// fetches its media.
func (a *Archiver) work(ctx context.Context, j job, w *posts.Writer) result {
	r := result{job: j}
	r.err = safely(a.Log, func() error {
		if j.medium() {
			r.media = []posts.MediaFile{w.FetchMedium(ctx, j.retry.Medium.URL)}
			return r.media[0].Err
		}
		var err error
		if r.post, r.validators, err = a.Maker.MakeIfChanged(ctx, j.item, a.FrontMatter(j.feed), j.validators); err == nil {
			r.media, err = w.FetchMedia(ctx, r.post)
		}
		return err
	})
	return r
}

// safely runs fn, turning a panic into an error: a page or a feed that
// trips a bug fails, and the rest of the pass goes on.
func safely(log *slog.Logger, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("internal error; please report it", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("internal error (please report it): %v", r)
		}
	}()
	return fn()
}
