package daemon

import (
	"context"
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/store"
)

// Metrics count what passes do, in Prometheus's form: the daemon serves
// them at /metrics. README.md lists them; keep it in step.
type Metrics struct {
	reg            *prometheus.Registry
	archived       prometheus.Counter
	archivedByFeed *prometheus.CounterVec
	updated        prometheus.Counter
	failures       *prometheus.CounterVec
	polls          *prometheus.CounterVec
	passes         *prometheus.CounterVec
	lastSuccess    prometheus.Gauge
	duration       prometheus.Histogram
	posts          prometheus.Gauge
	failing        *prometheus.GaugeVec
	revisits       *prometheus.CounterVec
	drift          *prometheus.CounterVec
	removed        prometheus.Gauge
}

// The results of a pass, in archiver_passes_total.
const (
	passOK         = "ok"          // finished; feeds or articles may have failed
	passStoreError = "store_error" // the store could not be written
	passBusy       = "busy"        // another archiver held the store
	passStopped    = "stopped"     // SIGTERM
)

// NewMetrics returns the metrics of the passes of cfg, each at zero.
func NewMetrics(cfg *config.Config) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		archived: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archiver_articles_archived_total", Help: "Articles archived as new posts.",
		}),
		archivedByFeed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archiver_feed_articles_archived_total", Help: "Articles archived as new posts, by the feed that listed them.",
		}, []string{"feed"}),
		updated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archiver_articles_updated_total", Help: "Posts rewritten because their story was edited.",
		}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archiver_failures_total", Help: "Failures, by kind: feed, fetch, gone, extract, store, pull, push, busy, other.",
		}, []string{"kind"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archiver_feed_polls_total", Help: "Feed polls, by feed and outcome: new (it listed articles to archive), unchanged, error.",
		}, []string{"feed", "outcome"}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archiver_passes_total", Help: "Passes, by result: ok (finished; feeds or articles may have failed), store_error, busy, stopped.",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "archiver_last_success_timestamp_seconds", Help: "When the last pass that finished and saved its work finished, in Unix time (feeds or articles may have failed: see archiver_failures_total).",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "archiver_pass_duration_seconds", Help: "How long passes take.",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800},
		}),
		posts: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "archiver_store_posts", Help: "Posts in the archive after the last pass.",
		}),
		failing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "archiver_failing_articles", Help: "Articles that failed and are tried again at later passes, by kind of failure.",
		}, []string{"kind"}),
		revisits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archiver_revisits_total", Help: "Archived stories looked at again, by outcome: unchanged, revised, removed, back, failed.",
		}, []string{"outcome"}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archiver_extraction_drift_total", Help: "Pages of archived stories that no longer read as their posts (the site's pages changed shape), by site.",
		}, []string{"site"}),
		removed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "archiver_stories_removed", Help: "Archived stories marked removed from their site (removed_at).",
		}),
	}
	m.reg.MustRegister(m.archived, m.archivedByFeed, m.updated, m.failures, m.polls, m.passes,
		m.lastSuccess, m.duration, m.posts, m.failing, m.revisits, m.drift, m.removed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.zero(cfg)
	return m
}

// zero makes every series of the metrics of cfg's passes exist, at zero.
func (m *Metrics) zero(cfg *config.Config) {
	for _, f := range cfg.Feeds {
		m.archivedByFeed.WithLabelValues(f.Name)
		for _, o := range archiver.Outcomes {
			m.polls.WithLabelValues(f.Name, string(o))
		}
	}
	for _, k := range retry.Kinds {
		m.failures.WithLabelValues(string(k))
		m.failing.WithLabelValues(string(k))
	}
	for _, r := range []string{passOK, passStoreError, passBusy, passStopped} {
		m.passes.WithLabelValues(r)
	}
	for _, o := range archiver.RevisitOutcomes {
		m.revisits.WithLabelValues(o)
	}
}

// Observe counts a pass that ended with err.
func (m *Metrics) Observe(sum *archiver.Summary, err error) {
	m.duration.Observe(sum.Duration.Seconds())
	for _, p := range sum.Polls {
		m.polls.WithLabelValues(p.Feed, string(p.Outcome)).Inc()
	}
	m.archived.Add(float64(len(sum.New)))
	for _, a := range sum.New {
		m.archivedByFeed.WithLabelValues(a.Feed).Inc()
	}
	m.updated.Add(float64(len(sum.Updated)))
	for o, n := range sum.Revisits {
		m.revisits.WithLabelValues(o).Add(float64(n))
	}
	for site, n := range sum.Drift {
		m.drift.WithLabelValues(site).Add(float64(n))
	}
	storeFailed := false
	for _, f := range sum.Attempted() {
		m.failures.WithLabelValues(string(f.Kind)).Inc()
		storeFailed = storeFailed || f.Kind == retry.KindStore
	}
	switch {
	case errors.Is(err, context.Canceled):
		m.passes.WithLabelValues(passStopped).Inc()
	case errors.Is(err, store.ErrBusy):
		m.passes.WithLabelValues(passBusy).Inc()
		m.failures.WithLabelValues(string(retry.KindBusy)).Inc()
	case err != nil:
		m.passes.WithLabelValues(passStoreError).Inc()
		if !storeFailed { // the store could not be opened
			m.failures.WithLabelValues(string(retry.KindStore)).Inc()
		}
	default:
		m.passes.WithLabelValues(passOK).Inc()
		m.lastSuccess.Set(float64(sum.Start.Add(sum.Duration).UnixNano()) / 1e9)
	}
	if sum.Stored {
		m.posts.Set(float64(sum.Posts))
		m.removed.Set(float64(sum.Removed))
		for _, k := range retry.Kinds {
			m.failing.WithLabelValues(string(k)).Set(float64(sum.Failing[k]))
		}
	}
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
