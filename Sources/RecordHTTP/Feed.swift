import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import ServiceLifecycle
import Synchronization

/// The filters of a feed request: event types, a stream prefix, and the token's program.
struct FeedFilter: Sendable {
    var types: Set<String>?
    var streamPrefix: String?
    var program: String?

    init(_ params: QueryParameters, program: String?) throws(Problem) {
        if let t = params["type"] {
            let list = t.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !list.isEmpty, list.allSatisfy({ $0.utf8.count <= 128 }) else {
                throw Problem.parameter("type", "type is a comma-separated list of event types")
            }
            types = Set(list)
        }
        if let p = params["stream-prefix"] {
            guard !p.isEmpty, p.utf8.count <= 128 else { throw Problem.parameter("stream-prefix", "stream-prefix must be 1-128 bytes") }
            streamPrefix = p
        }
        self.program = program
    }

    /// Whether an event of `type` in `stream` passes the type and prefix filters (the program
    /// is checked with a resolver).
    func matches(type: String, stream: String) -> Bool {
        if let types, !types.contains(type) { return false }
        if let streamPrefix, !stream.hasPrefix(streamPrefix) { return false }
        return true
    }
}

/// An event of a feed answer: where it is, its stream, its stored bytes.
struct FeedEvent: Sendable {
    var position: UInt64
    var stream: String
    var bytes: [UInt8]
}

extension RecordServer {
    /// Most events one feed request looks at, matching or not, before it answers with what it has.
    static let maxScanPerRequest: UInt64 = 20_000

    /// Reads matching events from `from` (at most `limit` of them, looking at most at
    /// `maxScan` events, never beyond `head`). Returns them and the position to continue from.
    func scan(from: UInt64, limit: Int, head: UInt64, filter: FeedFilter, maxScan: UInt64 = RecordServer.maxScanPerRequest)
        async throws -> (events: [FeedEvent], next: UInt64)
    {
        var out: [FeedEvent] = []
        var cursor = from
        let end = min(head, from &+ maxScan)
        guard cursor < end, limit > 0 else { return (out, cursor) }
        let scope = filter.program == nil ? nil : try await scopeResolver()
        // One read transaction over the stored bytes; only the envelope is looked at (a tape
        // parse, no `data` values built), and only the events answered are copied.
        var reader = StoredEventReader()
        try log.forEachRaw(from: cursor, limit: Int(end - cursor)) { position, bytes in
            cursor = position + 1
            let event = try reader.read(bytes, expectedPosition: position)
            let stream = event.subject
            guard filter.matches(type: event.type, stream: stream) else { return true }
            if let program = filter.program, scope?.program(ofStream: stream) != program { return true }
            out.append(FeedEvent(position: position, stream: stream, bytes: Array(bytes)))
            return out.count < limit
        }
        return (out, cursor)
    }

    /// Writes the access events for every consumer whose data `events` show (the feed is a
    /// read of their data): the owners of consumer streams, the consumers that events of other
    /// streams name (a referral's consumer, a group's members, the cases of a supervision),
    /// and the consumer of each referral stream (a decision's reason is about them).
    func accountFeedRead(_ events: [FeedEvent], principal: Principal, purpose: String, what: String = "feed") async throws {
        var consumers: [String] = []
        var seen = Set<String>()
        func add(_ id: String) { if seen.insert(id).inserted { consumers.append(id) } }
        var referrals = Set<String>()
        for e in events {
            if e.stream.hasPrefix("consumer-") {
                add(String(e.stream.dropFirst("consumer-".count)))
                continue
            }
            if e.stream.hasPrefix("referral-") { referrals.insert(e.stream) }
            guard let named = try namedConsumers(e.bytes, position: e.position) else { continue }
            for c in named { add(c.rawValue) }
        }
        // A referral's consumer is named by its first event, which the page may not hold.
        for stream in referrals.sorted() {
            guard let id = try? StreamID(stream), let first = try await log.readStream(id, from: 1, limit: 1).first,
                let named = try namedConsumers(first.bytes, position: first.position)
            else { continue }
            for c in named { add(c.rawValue) }
        }
        try await logAccess(principal: principal, consumers: consumers, what: [what], purpose: purpose)
    }

    /// The consumers a stored record event names outside their own streams; nil for an
    /// integrator's raw event. A record event that does not decode fails the read: nothing
    /// is shown without its access events.
    private func namedConsumers(_ bytes: [UInt8], position: UInt64) throws -> [ConsumerID]? {
        try core.codec.decode(try StoredEvent(bytes: bytes, expectedPosition: position))?.consumersNamed
    }

    /// `GET /v1/feed`: one page of the log as `application/cloudevents-batch+json`, the stored
    /// bytes of each event joined with commas inside `[ ]`.
    func feedPage(_ request: Request, _ principal: Principal) async throws -> Response {
        let params = QueryParameters(request.uri)
        let from = try params.position("from") ?? 0
        let requested = try params.position("limit") ?? UInt64(options.defaultPageSize)
        guard requested >= 1 && requested <= UInt64(options.maxPageSize) else {
            throw Problem.parameter("limit", "limit must be between 1 and \(options.maxPageSize)")
        }
        let limit = Int(requested)
        let filter = try FeedFilter(params, program: principal.program)
        let purpose = try purpose(request, params)
        let head = try head(checkingCursor: from)
        let (events, next) = try await scan(from: from, limit: limit, head: head, filter: filter)
        try await accountFeedRead(events, principal: principal, purpose: purpose)
        var body: [UInt8] = [0x5B]
        for (i, e) in events.enumerated() {
            if i > 0 { body.append(0x2C) }
            body.append(contentsOf: e.bytes)
        }
        body.append(0x5D)
        var link = "/v1/feed?from=\(next)&limit=\(limit)"
        if let t = params["type"] { link += "&type=" + Self.percentEncode(t) }
        if let s = params["stream-prefix"] { link += "&stream-prefix=" + Self.percentEncode(s) }
        if let p = params["purpose"] { link += "&purpose=" + Self.percentEncode(p) }
        var headers: HTTPFields = [
            .contentType: "application/cloudevents-batch+json",
            .cacheControl: "no-store",
        ]
        headers[HTTPField.Name("Link")!] = "<\(link)>; rel=\"next\""
        headers[HTTPField.Name("IMR-Next-From")!] = String(next)
        headers[HTTPField.Name("IMR-Log-Size")!] = String(head)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func percentEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:/")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// `GET /v1/feed/live`: Server-Sent Events, one event per stored event (`id` = position,
    /// `data` = the stored bytes), from `from` or after `Last-Event-ID`, with heartbeat
    /// comments, until the client leaves or the server shuts down.
    func liveFeed(_ request: Request, _ principal: Principal) async throws -> Response {
        let params = QueryParameters(request.uri)
        var from = try params.position("from") ?? 0
        if let last = request.headers[HTTPField.Name("Last-Event-ID")!] ?? params["last-event-id"] {
            guard let p = UInt64(last.trimmingCharacters(in: .whitespaces)) else {
                throw Problem(.badRequest, "bad-cursor", "Last-Event-ID is not a position",
                              errors: [.init(rule: "cursor.format", field: "Last-Event-ID", message: "must be the position of an event")])
            }
            let head = try log.size()
            guard p < head else {
                throw Problem(.badRequest, "bad-cursor", "The cursor is beyond the end of the log",
                              detail: "the log holds \(head) events",
                              errors: [.init(rule: "cursor.range", field: "Last-Event-ID", message: "must be the position of an event")])
            }
            from = p + 1
        }
        let filter = try FeedFilter(params, program: principal.program)
        let purpose = try purpose(request, params)
        _ = try head(checkingCursor: from)
        let heartbeat = Duration.milliseconds(Int64(options.heartbeatSeconds * 1000))
        let wakeups = LogWakeups(log: log, options: options)
        let start = from
        // The token is checked again at each wake-up: revoking it ends a stream already open.
        let bearer = request.headers[.authorization].flatMap { TokenStore.bearerToken(fromAuthorization: $0) }.map(String.init)
        let body = ResponseBody { [self] writer in
            metrics.subscribers(1)
            defer { metrics.subscribers(-1) }
            let wakes = wakeups.start()
            defer { wakeups.stop() }
            try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
            var cursor = start
            var lastWrite = ContinuousClock.now
            var iterator = wakes.makeAsyncIterator()
            func stillValid() -> Bool { bearer.flatMap { tokens.authenticate($0) } != nil }
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                guard stillValid() else {
                    try await writer.write(ByteBuffer(string: ": token revoked\n\n"))
                    break
                }
                let size = try log.size()
                while cursor < size {
                    guard stillValid() else { break }
                    let (events, next) = try await scan(from: cursor, limit: 500, head: size, filter: filter, maxScan: 2000)
                    if !events.isEmpty {
                        try await accountFeedRead(events, principal: principal, purpose: purpose)
                        var text = ""
                        for e in events {
                            text += "id: \(e.position)\ndata: "
                            text += String(decoding: e.bytes, as: UTF8.self)
                            text += "\n\n"
                        }
                        try await writer.write(ByteBuffer(string: text))
                        lastWrite = .now
                    }
                    cursor = next
                }
                if ContinuousClock.now - lastWrite >= heartbeat {
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    lastWrite = .now
                }
                if await iterator.next() == nil { break }
            }
            try await writer.finish(nil)
        }
        return eventStreamResponse(body)
    }

    /// The log's size, after checking that a feed cursor does not lie beyond it (400 `bad-cursor`).
    func head(checkingCursor from: UInt64) throws -> UInt64 {
        let head = try log.size()
        guard from <= head else {
            throw Problem(.badRequest, "bad-cursor", "The cursor is beyond the end of the log",
                          detail: "the log holds \(head) events",
                          errors: [.init(rule: "cursor.range", field: "from", message: "beyond the end of the log")])
        }
        return head
    }

    /// A `text/event-stream` response that caches and proxies must pass through unbuffered.
    func eventStreamResponse(_ body: ResponseBody) -> Response {
        Response(status: .ok, headers: [
            .contentType: "text/event-stream",
            .cacheControl: "no-store",
            HTTPField.Name("X-Accel-Buffering")!: "no",
        ], body: body)
    }
}

/// Wake-ups for a live stream: one on each commit of this server's log, and one every poll
/// interval (at most the heartbeat interval) for appends made by other processes and for
/// heartbeats. Coalesced: a slow consumer sees one pending wake-up, not a backlog.
final class LogWakeups: Sendable {
    private let commits: AsyncStream<UInt64>
    private let tick: Duration
    private let tasks = Mutex<(forwarder: Task<Void, Never>?, ticker: Task<Void, Never>?, wake: AsyncStream<Void>.Continuation?)>((nil, nil, nil))

    /// Wake-ups for a live stream: the poll interval, capped at the heartbeat interval.
    convenience init(log: any EventLog, options: RecordServer.Options) {
        self.init(log: log, tick: .milliseconds(Int64(max(0.05, min(options.pollSeconds, options.heartbeatSeconds)) * 1000)))
    }

    /// Wake-ups on `log`'s commits and every `tick`.
    init(log: any EventLog, tick: Duration) {
        commits = log.commits()
        self.tick = tick
    }

    /// Starts the wake-ups; call once, and ``stop()`` when the stream ends.
    func start() -> AsyncStream<Void> {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let (commits, tick) = (commits, tick)
        let forwarder = Task { for await _ in commits { wake.yield() }; wake.finish() }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                wake.yield()
            }
        }
        tasks.withLock { $0 = (forwarder, ticker, wake) }
        return wakes
    }

    /// Stops the wake-ups.
    func stop() {
        let t = tasks.withLock { t in defer { t = (nil, nil, nil) }; return t }
        t.forwarder?.cancel(); t.ticker?.cancel(); t.wake?.finish()
    }
}
