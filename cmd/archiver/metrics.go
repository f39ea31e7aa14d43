package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rfa-archive/archiver/store"
)

// metrics are the daemon's Prometheus metrics, at /metrics. README.md
// lists them; keep it in step.
type metrics struct {
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
	failing        prometheus.Gauge
}

// failureKinds are the kinds of failure a pass reports.
var failureKinds = []string{"feed", "fetch", "gone", "extract", "store", "pull", "push", "busy", "other"}

func newMetrics(cfg *Config) *metrics {
	m := &metrics{
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
		failing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "archiver_failing_articles", Help: "Articles that failed and are tried again at later passes.",
		}),
	}
	m.reg.MustRegister(m.archived, m.archivedByFeed, m.updated, m.failures, m.polls, m.passes,
		m.lastSuccess, m.duration, m.posts, m.failing,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every series exists from the start, at zero.
	for _, f := range cfg.Feeds {
		m.archivedByFeed.WithLabelValues(f.Name)
		for _, o := range []string{"new", "unchanged", "error"} {
			m.polls.WithLabelValues(f.Name, o)
		}
	}
	for _, k := range failureKinds {
		m.failures.WithLabelValues(k)
	}
	for _, r := range []string{"ok", "store_error", "busy", "stopped"} {
		m.passes.WithLabelValues(r)
	}
	return m
}

// observe counts a pass that ended with err.
func (m *metrics) observe(sum *Summary, err error) {
	m.duration.Observe(sum.Duration.Seconds())
	for _, p := range sum.Polls {
		m.polls.WithLabelValues(p.Feed, p.Outcome).Inc()
	}
	m.archived.Add(float64(len(sum.New)))
	for _, a := range sum.New {
		m.archivedByFeed.WithLabelValues(a.Feed).Inc()
	}
	m.updated.Add(float64(len(sum.Updated)))
	for _, f := range sum.Failed {
		if f.Attempted() {
			m.failures.WithLabelValues(f.Kind).Inc()
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		m.passes.WithLabelValues("stopped").Inc()
	case errors.Is(err, store.ErrBusy):
		m.passes.WithLabelValues("busy").Inc()
		m.failures.WithLabelValues("busy").Inc()
	case err != nil:
		m.passes.WithLabelValues("store_error").Inc()
		if !hasKind(sum.Failed, "store") {
			m.failures.WithLabelValues("store").Inc()
		}
	default:
		m.passes.WithLabelValues("ok").Inc()
		m.lastSuccess.Set(float64(sum.Start.Add(sum.Duration).UnixNano()) / 1e9)
	}
	if sum.Stored {
		m.posts.Set(float64(sum.Posts))
		m.failing.Set(float64(sum.Failing))
	}
}

func hasKind(failed []Failure, kind string) bool {
	for _, f := range failed {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
