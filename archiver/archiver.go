// Package archiver runs a pass, the heart of the program: it polls every
// feed, plans what to fetch (new articles, edited ones, failures due for
// another try), makes their posts a few at a time, has the writer
// (archiver/posts) write and commit them, and remembers what failed.
// `archiver sync` is one pass; the daemon runs passes on a schedule.
//
// A pass reads top to bottom as poll (poll.go) → plan (plan.go, a pure
// function of the feeds' answers, the saved state and the posts in the
// store) → run (workers.go) → record (record.go) → finish.
package archiver

import (
	"context"
	"log/slog"
	"maps"
	"time"

	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/archiver/revisit"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/store"
)

// Archiver runs passes. It outlives them: the daemon keeps one.
type Archiver struct {
	*wire.Tools
}

// New returns an Archiver that works with tools.
func New(tools *wire.Tools) *Archiver { return &Archiver{tools} }

// remoteTimeout bounds a pull or a push, so that a remote that does not
// answer cannot stall the passes (git also gives up on a transfer that
// stalls for 30 s).
const remoteTimeout = 10 * time.Minute

// Pass runs one pass. Its error is the store's (store.ErrBusy among them),
// or ctx's when it was stopped; what failed beside that is in the
// summary. A stopped pass commits the posts it completed.
func (a *Archiver) Pass(ctx context.Context) (*Summary, error) {
	sum := &Summary{Start: a.Now(), Revisits: map[string]int{}, Drift: map[string]int{}}
	defer func() { sum.Duration = time.Since(sum.Start) }()
	st, err := a.Open(ctx)
	if err != nil {
		return sum, err
	}
	defer st.Close()
	a.remote(ctx, retry.KindPull, st.Pull, sum)

	s := loadState(st, a.Log)
	book, err := retry.Load(st, a.Config.Retry.GiveUp.Duration, a.Log)
	if err != nil {
		a.Log.Warn("pass: starting without the failures of earlier runs", slog.String("error", err.Error()))
	}
	results := a.poll(ctx, s)
	sch, revisits := schedule(a.Config)
	var rv *revisiter
	var queue *revisit.Queue
	if revisits {
		rv = a.loadQueue(ctx, st, sch, sum.Start)
		queue = rv.q
	}
	index := &posts.Index{}
	if needsIndex(results, book, sum.Start) || len(queue.Take(sum.Start, 1)) > 0 {
		index = posts.NewIndex(st)
	}
	rc := &recorder{w: a.Writer(st, book, index, posts.Options{Now: sum.Start}), queue: queue, schedule: sch,
		state: s, book: book, index: index, sum: sum, log: a.Log}
	if ctx.Err() == nil {
		if rc.forgotten, err = posts.TakenDown(st); err != nil {
			// Archiving the stories taken down again is worse than not
			// archiving at all.
			sum.Failed = append(sum.Failed, retry.Failure{URL: st.Dir(), Kind: retry.KindStore, Reason: err.Error()})
			return sum, err
		}
		pl := planner{cfg: a.Config, state: s, book: book, index: index, forgotten: rc.forgotten, trusted: a.Client.Trusted, now: sum.Start,
			holds: func(name string) bool { _, ok := st.Post(name); return ok }}
		p := pl.plan(results)
		a.begin(p, rc)
		rc.known = p.known
		if rv != nil {
			p.jobs = append(p.jobs, rv.jobs(ctx, p, rc)...)
		}
		if len(p.jobs) > 0 {
			a.run(ctx, p.jobs, rc.w, rc.record)
		}
		if ctx.Err() == nil {
			// Only a pass that handled every entry may let the next one
			// skip an unchanged feed.
			maps.Copy(s.Feeds, p.validators)
		}
	}
	return sum, a.finish(ctx, st, rc)
}

// needsIndex reports whether a pass has anything to look up in the index
// of posts: an entry of a feed, or a failure due. A pass of feeds that
// answered 304 has not, and in an archive of 100,000 posts the index
// takes as long as all else.
func needsIndex(results []polled, book *retry.Book, now time.Time) bool {
	for _, r := range results {
		if r.res != nil && len(r.res.Items) > 0 {
			return true
		}
	}
	for _, f := range book.All {
		if f.GaveUp.IsZero() && !f.Next().After(now) {
			return true
		}
	}
	return false
}

// begin takes a plan into the pass's state, failures and summary (those
// of rc), and logs it.
func (a *Archiver) begin(p *plan, rc *recorder) {
	s, book, sum := rc.state, rc.book, rc.sum
	sum.Polls, sum.NotModified = p.polls, p.notModified
	for _, po := range p.polls {
		a.Log.Debug("feed polled", slog.String("feed", po.Feed), slog.String("outcome", string(po.Outcome)))
	}
	maps.Copy(s.Seen, p.seen)
	for _, key := range p.resolved {
		book.Done(key)
	}
	for _, f := range p.failed {
		sum.Failed = append(sum.Failed, f)
		a.Log.Error("feed failed", slog.String("url", f.URL), slog.String("error", f.Reason))
	}
	for _, sk := range p.skipped {
		sum.Skipped++
		a.Log.Warn("feed entry skipped", slog.String("feed", sk.feed), slog.String("url", sk.url), slog.String("reason", sk.reason))
	}
	sum.Waiting = len(p.waiting)
	for _, j := range p.waiting {
		sum.Parked = append(sum.Parked, *j.retry)
		a.Log.Debug("parked article not due yet", slog.String("url", j.retry.URL),
			slog.Int("attempts", j.retry.Attempts), slog.Time("next", j.retry.Next()), slog.String("error", j.retry.Reason))
	}
}

// finish commits what the pass (rc) wrote to st (even when it is
// stopping: what is written is complete), saves the state, packs the
// repository when it is time, and pushes.
func (a *Archiver) finish(ctx context.Context, st wire.Store, rc *recorder) error {
	w, s, book, sum := rc.w, rc.state, rc.book, rc.sum
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	// A commit that fails leaves the posts in the store's journal, for
	// the next pass to commit; the state is saved all the same, so that
	// no failure of this pass is forgotten.
	made, commitErr := w.Commit(cctx)
	sum.add(w.Done)
	sum.Committed, sum.Posts = made, st.Len()
	book.Bound()
	sum.Failing = book.Failing()
	s.forgetOld(sum.Start)
	sections := s.sections()
	sections[retry.Section] = book
	if q := rc.queue; q != nil {
		for _, p := range w.Done.New {
			q.Add(p.Name, p.URL, p.Date, sum.Start, rc.schedule)
		}
		q.Removed = max(0, q.Removed+len(w.Done.Removed)-len(w.Done.Back))
		sum.Removed = q.Removed
		sections[revisit.Section] = q
	}
	if err := st.SaveState(sections); err != nil {
		sum.Failed = append(sum.Failed, retry.Failure{URL: st.Dir(), Kind: retry.KindStore, Reason: err.Error()})
		return err
	}
	if commitErr != nil {
		return commitErr
	}
	sum.Stored = true
	if made && ctx.Err() == nil {
		if err := st.Maintain(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("git gc failed; the archive is whole, only less compact", slog.String("error", err.Error()))
		}
	}
	// Every pass pushes, so that commits an earlier push could not
	// deliver go with it.
	sum.Pushed = a.remote(ctx, retry.KindPush, st.Push, sum)
	return ctx.Err()
}

// remote pulls or pushes (op) the store's remote, if it has one, and
// reports whether that went well. A failure is recorded, and the pass goes
// on: what it archives is committed, and pushed once the remote is
// reachable again.
func (a *Archiver) remote(ctx context.Context, kind retry.Kind, op func(context.Context) error, sum *Summary) bool {
	if a.Config.Store.Remote == "" || ctx.Err() != nil {
		return false
	}
	rctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	defer cancel()
	err := op(rctx)
	if err != nil && ctx.Err() == nil {
		remote := store.Redact(a.Config.Store.Remote)
		sum.Failed = append(sum.Failed, retry.Failure{URL: remote, Kind: kind, Reason: retry.Reason(err)})
		a.Log.Error(string(kind)+" failed", slog.String("remote", remote), slog.String("error", retry.Reason(err)))
	}
	return err == nil
}
