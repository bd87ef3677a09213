import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Projections
import RecordCore
import ServiceLifecycle
import Synchronization

/// The request context of the API: Hummingbird's core storage, nothing else (the caller is
/// resolved per route, so a route's capability is checked in one place).
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }
    /// Bodies are collected with the server's own limit (``RecordServer/Options/maxBodyBytes``).
    public var maxUploadSize: Int { 1 << 20 }
}

/// A route the router serves: its method and its path template (`/v1/consumers/{id}/record`).
public struct RouteInfo: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `GET`, `POST`…
    public var method: String
    /// The path template, parameters in braces.
    public var path: String
    public init(method: String, path: String) { self.method = method; self.path = path }
    public static func < (a: RouteInfo, b: RouteInfo) -> Bool { (a.path, a.method) < (b.path, b.method) }
    public var description: String { "\(method) \(path)" }
}

/// The IMR Ledger HTTP API: appends, the feed (pages and Server-Sent Events), projection
/// queries, consumer records with access accounting, checkpoints and proofs, the OpenAPI
/// document, metrics and health. docs/API.md describes it for clients.
///
/// ```swift
/// let log = try LMDBEventLog.open(at: "/var/lib/imr")
/// let server = try RecordServer(store: "/var/lib/imr", log: log, options: .init(port: 8080))
/// try await server.run()          // until SIGTERM or SIGINT, then a graceful shutdown
/// ```
public final class RecordServer: Sendable {
    /// Settings of a server.
    public struct Options: Sendable {
        /// The address to bind (default loopback only).
        public var host: String
        /// The port (0 picks a free one).
        public var port: Int
        /// CloudEvents `source` of events the server writes through commands (and of raw events that name none).
        public var source: String
        /// The largest request body, in bytes (larger ones get 413).
        public var maxBodyBytes: Int
        /// Seconds between heartbeat comments on an idle live feed.
        public var heartbeatSeconds: Double
        /// Seconds between polls of the log for appends made by other processes.
        public var pollSeconds: Double
        /// The default and the largest page of `GET /v1/feed`.
        public var defaultPageSize: Int
        public var maxPageSize: Int
        /// PEM certificate chain and private key files; both set means HTTPS.
        public var tlsCertificate: String?
        public var tlsKey: String?
        /// The server log's level (requests are never logged with patient data).
        public var logLevel: Logger.Level
        /// Seconds a connection may go without sending a whole request part (a request head, a
        /// piece of body) before it is closed: idle keep-alive connections and requests sent a
        /// byte at a time cannot hold the server's connections. A response being written (a
        /// live feed) is not idle.
        public var idleTimeoutSeconds: Double

        public init(host: String = "127.0.0.1", port: Int = 8080, source: String = "/agencies/local/programs/imr",
                    maxBodyBytes: Int = 1 << 20, heartbeatSeconds: Double = 5, pollSeconds: Double = 1,
                    defaultPageSize: Int = 100, maxPageSize: Int = 1000,
                    tlsCertificate: String? = nil, tlsKey: String? = nil, logLevel: Logger.Level = .info,
                    idleTimeoutSeconds: Double = 30) {
            self.host = host; self.port = port; self.source = source; self.maxBodyBytes = maxBodyBytes
            self.heartbeatSeconds = heartbeatSeconds; self.pollSeconds = pollSeconds
            self.defaultPageSize = defaultPageSize; self.maxPageSize = maxPageSize
            self.tlsCertificate = tlsCertificate; self.tlsKey = tlsKey; self.logLevel = logLevel
            self.idleTimeoutSeconds = idleTimeoutSeconds
        }
    }

    /// The store directory.
    public let store: String
    /// The log.
    public let log: any VerifiableEventLog
    /// The record core that executes commands (and writes access events).
    public let core: RecordCore
    /// The projections, kept live while the server runs.
    public let views: ProjectionStore
    /// The bearer tokens.
    public let tokens: TokenStore
    /// The metrics `/metrics` shows.
    public let metrics: ServerMetrics
    /// The settings.
    public let options: Options
    let logger: Logger
    private let registered = Mutex<[RouteInfo]>([])
    /// The methods of each routed path, for 405 answers (learned from ``routes``).
    let allowedMethods = AllowedMethods()
    /// Query answers at the projections' current position (``ReportCache``).
    let reportCache = ReportCache()
    /// The last as-of snapshot, for the next report as of the same moment.
    let replayCache = ReplayCache()
    /// The dashboard's browser sessions and its latest rendering (DashboardRoutes.swift).
    let dashboardSessions = DashboardSessions()
    let dashboardCache = Mutex<DashboardCache?>(nil)
    /// The dashboard's audit status: it verifies what was appended since the page was last
    /// drawn, and the whole log again every 10 minutes (``ChainAudit``).
    let chainAudit: ChainAudit

    /// A server over an already open log of the store at `store`, keeping `projections` live.
    public init(store: String, log: any VerifiableEventLog, options: Options = .init(),
                projections: [any Projection] = ProjectionStore.standard) throws {
        self.store = store
        self.log = log
        self.options = options
        self.core = RecordCore(log: log, options: .init(source: options.source))
        self.views = try ProjectionStore.open(store: store, log: log, projections: projections)
        self.tokens = TokenStore(store: store)
        self.chainAudit = ChainAudit(log: log)
        self.metrics = ServerMetrics()
        // Server logs go to standard error; standard output is the tool's own.
        var logger = Logger(label: "imr.serve", factory: { ServerLogHandler(label: $0) })
        logger.logLevel = options.logLevel
        self.logger = logger
        if let repaired = views.repaired { logger.warning("\(repaired)") }
        for warning in log.operatorWarnings() { logger.warning("\(warning)") }
    }

    /// The routes the router was built with (after ``makeApplication(onServerRunning:)``).
    public var routes: [RouteInfo] { registered.withLock { $0.sorted() } }

    /// Builds the Hummingbird application: router, TLS when configured, and the projection follower.
    public func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        throws -> some ApplicationProtocol
    {
        let router = Router(context: APIContext.self)
        router.add(middleware: ProblemMiddleware(metrics: metrics, logger: logger, allowedMethods: allowedMethods))
        registered.withLock { $0 = [] }
        addRoutes(to: router)
        allowedMethods.learn(routes)
        let server: HTTPServerBuilder
        let http1 = HTTP1Channel.Configuration(idleTimeout: .milliseconds(Int64(options.idleTimeoutSeconds * 1000)))
        if let cert = options.tlsCertificate, let key = options.tlsKey {
            try ServerStartError.checkReadable(cert, "the TLS certificate chain")
            try ServerStartError.checkReadable(key, "the TLS private key")
            let chain: [NIOSSLCertificateSource]
            do {
                chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
            } catch {
                throw ServerStartError(description: "the TLS certificate chain \(cert) is not a PEM certificate chain (\(error))")
            }
            let privateKey: NIOSSLPrivateKey
            do {
                privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            } catch {
                throw ServerStartError(description: "the TLS private key \(key) is not a PEM private key (\(error))")
            }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        } else {
            server = .http1(configuration: http1)
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "imr-ledger"),
            services: [ProjectionFollower(views: views, pollSeconds: options.pollSeconds, logger: logger)],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: no new connections, requests
    /// in flight (appends among them) finish, live feeds end, the projections stop following.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = try makeApplication(onServerRunning: onServerRunning)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as IOError where [EADDRINUSE, EADDRNOTAVAIL, EACCES].contains(error.errnoCode) {
            throw ServerStartError(description: "cannot listen on \(options.host):\(options.port): \(String(cString: strerror(error.errnoCode)))")
        }
    }

    // MARK: Routing

    /// Who may call a route.
    enum Access {
        /// No token needed.
        case anyone
        /// A token with this capability.
        case capability(Capability)
        /// Any valid token; the handler checks the capability (commands, audit view).
        case authenticated
    }

    typealias Handler = @Sendable (Request, APIContext, Principal?) async throws -> Response

    /// Registers a route and records it for ``routes``.
    func add(_ router: Router<APIContext>, _ method: HTTPRequest.Method, _ path: String, _ access: Access, _ handler: @escaping Handler) {
        registered.withLock { $0.append(RouteInfo(method: method.rawValue, path: path)) }
        router.on(RouterPath(path), method: method) { [self] request, context in
            let principal: Principal?
            switch access {
            case .anyone:
                principal = nil
            case .authenticated:
                principal = try authenticate(request)
            case .capability(let c):
                let p = try authenticate(request)
                guard p.role.capabilities.contains(c) else {
                    throw Problem.forbidden("the \(p.role.rawValue) role may not use \(c.rawValue)")
                }
                principal = p
            }
            return try await handler(request, context, principal)
        }
    }

    /// The caller of a request, from its bearer token.
    /// - Throws: a 401 ``Problem`` (with `WWW-Authenticate: Bearer`) without a valid token.
    func authenticate(_ request: Request) throws -> Principal {
        guard let header = request.headers[.authorization],
              let token = TokenStore.bearerToken(fromAuthorization: header) else { throw Problem.unauthorized }
        guard let record = tokens.authenticate(String(token)) else {
            throw Problem.invalidToken
        }
        return Principal(token: record)
    }

    func addRoutes(to router: Router<APIContext>) {
        addDashboardRoutes(to: router)
        add(router, .get, "/healthz", .anyone) { _, _, _ in
            jsonResponse(["status": "ok"])
        }
        add(router, .head, "/healthz", .anyone) { _, _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"])
        }
        add(router, .get, "/openapi.json", .anyone) { _, _, _ in
            var r = jsonResponse(OpenAPIDocument.document())
            r.headers[.cacheControl] = "no-cache"
            return r
        }
        add(router, .get, "/metrics", .capability(.metrics)) { [metrics] _, _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        add(router, .post, "/v1/commands/{command}", .authenticated) { [self] request, context, principal in
            try await postCommand(request, context, principal!)
        }
        add(router, .post, "/v1/streams/{stream}/events", .capability(.rawEvents)) { [self] request, context, principal in
            try await postEvents(request, context, principal!)
        }
        add(router, .get, "/v1/feed", .capability(.feed)) { [self] request, _, principal in
            try await feedPage(request, principal!)
        }
        add(router, .get, "/v1/feed/live", .capability(.feed)) { [self] request, _, principal in
            try await liveFeed(request, principal!)
        }
        add(router, .get, "/v1/caseload", .capability(.queries)) { [self] request, _, principal in
            try await query(.caseload, request, principal!)
        }
        add(router, .get, "/v1/goals", .capability(.queries)) { [self] request, _, principal in
            try await query(.goals, request, principal!)
        }
        add(router, .get, "/v1/participation", .capability(.queries)) { [self] request, _, principal in
            try await query(.participation, request, principal!)
        }
        add(router, .get, "/v1/fidelity", .capability(.fidelity)) { [self] request, _, principal in
            try await query(.fidelity, request, principal!)
        }
        add(router, .get, "/v1/consumers/{id}/record", .capability(.consumerRecord)) { [self] request, context, principal in
            try await consumerRecord(request, context, principal!)
        }
        add(router, .get, "/v1/checkpoint", .capability(.integrity)) { [self] _, _, _ in
            try checkpoint()
        }
        add(router, .get, "/v1/proofs/inclusion", .capability(.integrity)) { [self] request, _, principal in
            try await inclusionProof(request, principal!)
        }
        add(router, .get, "/v1/proofs/consistency", .capability(.integrity)) { [self] request, _, _ in
            try consistencyProof(request)
        }
    }
}

/// Keeps the projections caught up while the server runs; stops on graceful shutdown.
///
/// It wakes on this process's commits, and every `pollSeconds` for appends of other
/// processes, and catches up on a thread of its own, never on the cooperative pool that
/// serves requests: a catch-up ends with a synced write of the views. Under a stream of
/// appends it catches up at most once every ``minimumInterval``, each time taking in every
/// event committed since, instead of once per commit (one views sync per log commit took
/// disk time from the appends). Queries never depend on it: when the projections are behind
/// the log, a query catches them up first.
struct ProjectionFollower: Service {
    let views: ProjectionStore
    let pollSeconds: Double
    let logger: Logger
    /// The shortest time between the starts of two catch-ups.
    var minimumInterval: Duration = .milliseconds(100)

    /// The follower's own thread; queries that find the projections behind catch up here too.
    static let queue = DispatchQueue(label: "org.imr.serve.projections", qos: .utility)

    /// Runs `work` on the follower's own thread.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await OffPool.run(on: queue, work)
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await follow()
            }
        } catch is CancellationError {
        } catch {
            // Queries still catch up on demand; keep serving rather than stopping the server.
            logger.error("projections stopped following the log: \(String(describing: type(of: error)))")
        }
        // A service that returns early would end the whole group: wait for the shutdown.
        if !Task.isShuttingDownGracefully && !Task.isCancelled { try? await gracefulShutdown() }
    }

    /// Catches up now, then after commits and polls until cancelled.
    func follow() async throws {
        let views = self.views
        let wakeups = LogWakeups(log: views.log, tick: .milliseconds(Int64(max(0.01, pollSeconds) * 1000)))
        _ = try await Self.offPool { try views.catchUp() }
        let wakes = wakeups.start()
        defer { wakeups.stop() }
        for await _ in wakes {
            if Task.isCancelled { break }
            let started = ContinuousClock.now
            _ = try? await Self.offPool { try views.catchUp() }
            try? await Task.sleep(until: started + minimumInterval, clock: .continuous)
        }
    }
}

/// Turns every error into an RFC 9457 problem and records request metrics.
///
/// A request the router found no route for is a 405 with `Allow` when its path is routed
/// under other methods (``AllowedMethods``), else a 404. A HEAD request's answer carries no
/// body (RFC 9110 §9.3.2), whatever its status.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let metrics: ServerMetrics
    let logger: Logger
    let allowedMethods: AllowedMethods

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let problem as Problem {
            response = problem.response
        } catch let error as EventLogError {
            if error.code == .storage || error.code == .corruption {
                logger.error("store failure: \(error.code)")
            }
            response = Problem.from(error).response
        } catch let error as RecordError {
            response = Problem.from(error).response
        } catch let error as any HTTPResponseError {
            if error.status == .notFound, let allowed = await allowedMethods.methods(for: request, context: context),
               !allowed.contains(request.method.rawValue)
            {
                response = Problem.methodNotAllowed(allowed).response
            } else {
                response = Problem.forStatus(error.status).response
            }
        } catch {
            logger.error("unexpected error: \(String(describing: type(of: error)))")
            response = Problem(.internalServerError, "internal", "Internal server error").response
        }
        if request.method == .head { response = response.createHeadResponse() }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                        status: Int(response.status.code), seconds: seconds)
        return response
    }
}

extension Problem {
    /// 405: the path is routed, but not for the request's method. `Allow` lists the methods
    /// it is routed for (RFC 9110 §15.5.6); the text does not repeat the method sent.
    static func methodNotAllowed(_ allowed: [String]) -> Problem {
        let list = allowed.joined(separator: ", ")
        let message = "this path answers \(list) only"
        var p = Problem(.methodNotAllowed, "method-not-allowed", "Method not allowed", detail: message,
                        errors: [.init(rule: "method.not-allowed", field: "method", message: message)])
        p.headers[.allow] = list
        return p
    }

    /// A problem for a status Hummingbird raised (no route, body too large…).
    static func forStatus(_ status: HTTPResponse.Status) -> Problem {
        switch status.code {
        case 404: Problem(.notFound, "not-found", "No such route", detail: "see /openapi.json for the routes")
        case 413: Problem(.contentTooLarge, "body-too-large", "The request body is too large")
        case 400..<500: Problem(status, "bad-request", status.reasonPhrase)
        default: Problem(status, "internal", status.reasonPhrase)
        }
    }
}

/// A JSON response (canonical JSON).
func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
    Response(status: status, headers: [.contentType: contentType, .cacheControl: "no-store"],
             body: .init(byteBuffer: ByteBuffer(bytes: value.canonicalBytes)))
}

/// Synchronous work that may take long, run on a dispatch queue instead of the cooperative
/// pool that serves requests.
///
/// The pool has one thread per core, two on the project's machine: a request that folds the
/// log on it (an as-of query's replay, the dashboard's full audit, a catch-up after another
/// process appended a great deal) holds one of them for seconds, and two such requests stall
/// every other request, health checks included, until they finish. On a queue they wait
/// without holding a pool thread.
enum OffPool {
    /// Long reads for requests (as-of replays, dashboard pages), one at a time: a burst of
    /// them takes one core, and the other keeps serving.
    static let longReads = DispatchQueue(label: "org.imr.serve.long-reads", qos: .userInitiated)

    /// Runs `work` on `queue` and waits for it without blocking the calling task's thread.
    static func run<T: Sendable>(on queue: DispatchQueue, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// Why the server could not start: a TLS file it cannot read or use, or an address it cannot
/// listen on. The description names the file or the address and the reason.
public struct ServerStartError: Error, Sendable, CustomStringConvertible {
    public let description: String

    /// Throws when the file at `path` cannot be opened for reading, with the system's reason.
    static func checkReadable(_ path: String, _ what: String) throws {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            throw ServerStartError(description: "cannot read \(what) \(path): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }
}
