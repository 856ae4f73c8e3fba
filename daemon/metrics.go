package daemon

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Values of the status label of codepace_runs_total.
const (
	// StatusOK is a run that returned no error.
	StatusOK = "ok"
	// StatusFailed is a run that returned an error, panicked, or was
	// cancelled at shutdown.
	StatusFailed = "failed"
	// StatusSkipped is a scheduled run that did not start because the
	// previous run of the same source was still running.
	StatusSkipped = "skipped"
)

// metricSet holds the daemon's metrics, registered on the daemon's own
// registry.
type metricSet struct {
	runs           *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	items          *prometheus.CounterVec
	requests       *prometheus.CounterVec
	rateLimitWaits *prometheus.CounterVec
	lastSuccess    *prometheus.GaugeVec
}

// newMetricSet registers the daemon's metrics and the Go and process
// collectors on reg, with every series of every source present from the
// start (at zero), so that dashboards and alerts see them before a run.
func newMetricSet(reg *prometheus.Registry, sources []string) (*metricSet, error) {
	m := &metricSet{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codepace_runs_total",
			Help: "Runs of a source's job (collect, then compute) by outcome: ok, failed (error, panic or cancelled at shutdown), skipped (the previous run still ran).",
		}, []string{"source", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "codepace_run_duration_seconds",
			Help:    "Duration of a source's runs that started (ok or failed), jitter excluded.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 15), // 1s to about 4.5h
		}, []string{"source"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codepace_items_collected_total",
			Help: "Items (changes, builds) a source's runs stored.",
		}, []string{"source"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codepace_api_requests_total",
			Help: "API requests a source's runs made.",
		}, []string{"source"}),
		rateLimitWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codepace_rate_limit_waits_total",
			Help: "Times a source's runs waited for an API rate limit.",
		}, []string{"source"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "codepace_last_success_timestamp_seconds",
			Help: "Unix time a source's last successful run ended (at start-up: its last success as stored); 0 when unknown.",
		}, []string{"source"}),
	}
	cs := []prometheus.Collector{
		m.runs, m.duration, m.items, m.requests, m.rateLimitWaits, m.lastSuccess,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, s := range sources {
		for _, st := range []string{StatusOK, StatusFailed, StatusSkipped} {
			m.runs.WithLabelValues(s, st)
		}
		m.duration.WithLabelValues(s)
		m.items.WithLabelValues(s)
		m.requests.WithLabelValues(s)
		m.rateLimitWaits.WithLabelValues(s)
		m.lastSuccess.WithLabelValues(s)
	}
	return m, nil
}

// observe records one finished run.
func (m *metricSet) observe(source string, r Result, took time.Duration, ok bool, end time.Time) {
	status := StatusFailed
	if ok {
		status = StatusOK
		m.lastSuccess.WithLabelValues(source).Set(float64(end.Unix()))
	}
	m.runs.WithLabelValues(source, status).Inc()
	m.duration.WithLabelValues(source).Observe(took.Seconds())
	// Counters only go up; a negative count from a job is a bug, not a
	// reason to panic in the daemon.
	if r.Items > 0 {
		m.items.WithLabelValues(source).Add(float64(r.Items))
	}
	if r.Requests > 0 {
		m.requests.WithLabelValues(source).Add(float64(r.Requests))
	}
	if r.RateLimitWaits > 0 {
		m.rateLimitWaits.WithLabelValues(source).Add(float64(r.RateLimitWaits))
	}
}
