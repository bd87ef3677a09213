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
    private let handles = Mutex<[RequestKey: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

    /// A fresh registry.
    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
        subscriberGauge = CoreMetrics.Gauge(label: "imr_feed_subscribers", factory: factory)
        subscriberGauge.record(0)
    }

    /// The methods counted under their own name; any other (a client may send any token as
    /// its method, even an identifier) is counted as `other`, so that labels stay few and hold
    /// nothing a client wrote.
    static let labelledMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"]

    /// Counts one request and records its latency (to the response head).
    func request(method: String, route: String, status: Int, seconds: Double) {
        let method = Self.labelledMethods.contains(method) ? method : "other"
        let (counter, timer) = requestHandles(method: method, route: route, status: status)
        counter.increment()
        timer.recordSeconds(seconds)
    }

    /// The counter and timer of one method, route and status, made once: looking them up in
    /// the registry on every request took a lock and built their label sets each time.
    private func requestHandles(method: String, route: String, status: Int) -> (CoreMetrics.Counter, CoreMetrics.Timer) {
        let key = RequestKey(method: method, route: route, status: status)
        if let found = handles.withLock({ $0[key] }) { return found }
        let labels = [("method", method), ("route", route), ("status", String(status))]
        let made = (CoreMetrics.Counter(label: "imr_http_requests_total", dimensions: labels, factory: factory),
                    CoreMetrics.Timer(label: "imr_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory))
        handles.withLock { h in
            // Routes are templates and statuses few; the bound only guards against surprises.
            if h.count >= 4096 { h.removeAll() }
            h[key] = made
        }
        return made
    }

    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
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

    /// Counts as-of answers by how their snapshot was had (`outcome`: `replayed` or `reused`).
    func asOfSnapshot(_ outcome: String) {
        CoreMetrics.Counter(label: "imr_as_of_snapshots_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// A live-feed subscriber connected (+1) or left (−1).
    func subscribers(_ delta: Int) {
        let now = subscriberCount.add(delta, ordering: .relaxed).newValue
        subscriberGauge.record(now)
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
