import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// The server's metrics, in its own Prometheus registry (so several servers in one process,
/// as in tests, never share counters). Labels are route templates, methods, status codes and
/// kinds: never identifiers or any other patient data.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let subscriberCount = Atomic<Int>(0)
    private let subscriberGauge: CoreMetrics.Gauge

    /// A fresh registry.
    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
        subscriberGauge = CoreMetrics.Gauge(label: "imr_feed_subscribers", factory: factory)
        subscriberGauge.record(0)
    }

    /// Counts one request and records its latency (to the response head).
    func request(method: String, route: String, status: Int, seconds: Double) {
        let labels = [("method", method), ("route", route), ("status", String(status))]
        CoreMetrics.Counter(label: "imr_http_requests_total", dimensions: labels, factory: factory).increment()
        CoreMetrics.Timer(label: "imr_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordSeconds(seconds)
    }

    /// Counts appended events (`kind`: `command` or `raw`).
    func appended(_ count: Int, kind: String) {
        guard count > 0 else { return }
        CoreMetrics.Counter(label: "imr_appended_events_total", dimensions: [("kind", kind)], factory: factory).increment(by: count)
    }

    /// Counts access-accounting events written (`what`: the kind of read).
    func accessLogged(_ count: Int, what: String) {
        guard count > 0 else { return }
        CoreMetrics.Counter(label: "imr_access_events_total", dimensions: [("what", what)], factory: factory).increment(by: count)
    }

    /// A live-feed subscriber connected (+1) or left (−1).
    func subscribers(_ delta: Int) {
        let now = subscriberCount.add(delta, ordering: .relaxed).newValue
        subscriberGauge.record(now)
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
