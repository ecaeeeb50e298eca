package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vnsearch/vnsearch/index"
)

// metrics are what GET /metrics tells Prometheus. Each Server has its own
// registry: two servers in one process (tests, or a node per shard) do
// not share counters.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  http.Handler
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vnsearch_http_requests_total",
			Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vnsearch_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	m.registry.MustRegister(
		m.requests, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vnsearch_searches_running",
			Help: "Searches running now (at most the server's search concurrency).",
		}, func() float64 { return float64(len(s.searches)) }),
		&indexCollector{s: s},
	)
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

// observe counts one answered request.
func (m *metrics) observe(route string, code int, took time.Duration) {
	if route == "" {
		route = "other"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
}

// indexCollector reads the index's figures when Prometheus scrapes: the
// article count and size from the page's statistics cache (counting reads
// the index, so at most every statsTTL), the cluster log's applied
// sequence as it is now.
type indexCollector struct{ s *Server }

var (
	articlesDesc   = prometheus.NewDesc("vnsearch_index_articles", "Articles in the index.", nil, nil)
	sizeDesc       = prometheus.NewDesc("vnsearch_index_size_bytes", "Size of the index on disk.", nil, nil)
	appliedSeqDesc = prometheus.NewDesc("vnsearch_cluster_applied_seq", "Last sequence of the cluster's log applied to this node's index.", nil, nil)
	lastSeqDesc    = prometheus.NewDesc("vnsearch_cluster_stream_last_seq", "Last sequence of the cluster's log.", nil, nil)
	lagDesc        = prometheus.NewDesc("vnsearch_cluster_apply_lag", "Sequences of the cluster's log not yet applied to this node's index.", nil, nil)
	snapshotDesc   = prometheus.NewDesc("vnsearch_cluster_snapshot_seq", "Sequence of the newest index snapshot this node knows of.", nil, nil)
)

func (c *indexCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- articlesDesc
	ch <- sizeDesc
	ch <- appliedSeqDesc
	ch <- lastSeqDesc
	ch <- lagDesc
	ch <- snapshotDesc
}

func (c *indexCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	if release, err := s.hold(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := s.pageStats.get(func() (st index.Stats, err error) { return s.ix.Stats(ctx) })
		cancel()
		release()
		if err == nil {
			ch <- prometheus.MustNewConstMetric(articlesDesc, prometheus.GaugeValue, float64(st.Articles))
			ch <- prometheus.MustNewConstMetric(sizeDesc, prometheus.GaugeValue, float64(st.SizeBytes))
		}
	}
	if s.wlog == nil {
		return
	}
	hl, ok := s.wlog.(healthLog)
	if !ok {
		ch <- prometheus.MustNewConstMetric(appliedSeqDesc, prometheus.GaugeValue, float64(s.wlog.Applied()))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	h, err := hl.Health(ctx)
	cancel()
	ch <- prometheus.MustNewConstMetric(appliedSeqDesc, prometheus.GaugeValue, float64(h.AppliedSeq))
	ch <- prometheus.MustNewConstMetric(snapshotDesc, prometheus.GaugeValue, float64(h.SnapshotSeq))
	if err == nil { // unknown while the stream cannot be asked
		ch <- prometheus.MustNewConstMetric(lastSeqDesc, prometheus.GaugeValue, float64(h.StreamLastSeq))
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(h.Lag))
	}
}

// GET /metrics, in Prometheus's text format. Like /stats it needs no
// token: it tells counts, not content.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}
