// Package metrics keeps the service's Prometheus metrics in its own registry
// (never the global one) and serves them in the text format at /metrics.
package metrics

import (
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "izpochat"

// Options configure New.
type Options struct {
	// DB, when set, is reported through database/sql pool statistics.
	DB *sql.DB
	// DBName labels the pool statistics ("postgres" or "sqlite").
	DBName string
	// Version is exported as izpochat_build_info{version}.
	Version string
}

// Metrics is every metric of one server process.
type Metrics struct {
	registry *prometheus.Registry

	sockets        *prometheus.GaugeVec
	eventsIn       *prometheus.CounterVec
	eventsOut      *prometheus.CounterVec
	messagesStored prometheus.Counter
	delivery       *prometheus.HistogramVec
	httpDuration   *prometheus.HistogramVec
}

var _ Recorder = (*Metrics)(nil)

// latencyBuckets span a local fan-out (sub-millisecond) to a slow client (seconds).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// New registers every metric in a fresh registry.
func New(opts Options) (*Metrics, error) {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		sockets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "sockets_connected",
			Help: "Live real-time connections by transport and namespace.",
		}, []string{"transport", "namespace"}),
		eventsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "socket_events_received_total",
			Help: "Events received from clients, by event name (unknown names are counted as \"other\").",
		}, []string{"event"}),
		eventsOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "socket_events_sent_total",
			Help: "Events sent to clients, by event name.",
		}, []string{"event"}),
		messagesStored: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "messages_stored_total",
			Help: "Chat messages stored by this instance.",
		}),
		delivery: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "message_delivery_seconds",
			Help:    "Time from a message being stored to reaching this instance's fan-out (stage=\"hub\") or a client connection (stage=\"client\").",
			Buckets: latencyBuckets,
		}, []string{"stage"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP request duration by method, route pattern and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
	}
	cs := []prometheus.Collector{
		m.sockets, m.eventsIn, m.eventsOut, m.messagesStored, m.delivery, m.httpDuration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "build_info", Help: "Always 1; the version label names the running build.",
			ConstLabels: prometheus.Labels{"version": opts.Version},
		}, func() float64 { return 1 }),
	}
	if opts.DB != nil {
		cs = append(cs, collectors.NewDBStatsCollector(opts.DB, opts.DBName))
	}
	for _, c := range cs {
		if err := m.registry.Register(c); err != nil {
			return nil, fmt.Errorf("register metric: %w", err)
		}
	}
	return m, nil
}

// Registry exposes the registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

func (m *Metrics) SocketConnected(transport, ns string) {
	m.sockets.WithLabelValues(transportLabel(transport), namespaceLabel(ns)).Inc()
}

func (m *Metrics) SocketDisconnected(transport, ns string) {
	m.sockets.WithLabelValues(transportLabel(transport), namespaceLabel(ns)).Dec()
}

func (m *Metrics) SocketUpgraded(ns, from, to string) {
	m.SocketDisconnected(from, ns)
	m.SocketConnected(to, ns)
}

func (m *Metrics) EventIn(name string)  { m.eventsIn.WithLabelValues(eventLabel(name)).Inc() }
func (m *Metrics) EventOut(name string) { m.eventsOut.WithLabelValues(eventLabel(name)).Inc() }
func (m *Metrics) MessageStored()       { m.messagesStored.Inc() }

func (m *Metrics) ObserveDelivery(d time.Duration) {
	m.delivery.WithLabelValues("client").Observe(d.Seconds())
}

// ObserveFanout records the time from a message being stored to this
// instance's hub handing it to the doors (across instances: via the broker).
func (m *Metrics) ObserveFanout(d time.Duration) {
	m.delivery.WithLabelValues("hub").Observe(d.Seconds())
}

// ObserveHTTP records one HTTP request; route is the pattern ("/api/rooms/:id"),
// never the raw path, so the label set stays bounded.
func (m *Metrics) ObserveHTTP(method, route string, status int, d time.Duration) {
	m.httpDuration.WithLabelValues(method, route, strconv.Itoa(status)).Observe(d.Seconds())
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
