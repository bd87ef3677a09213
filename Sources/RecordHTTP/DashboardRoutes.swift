import ClinicalRecord
import Crypto
import Dashboard
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import ServiceLifecycle
import Synchronization

/// Browser sessions of the dashboard at `/`.
///
/// A person signs in once with their bearer token through the form at `/`; the server keeps
/// the token in memory under a random session id and gives the browser only that id, in an
/// `HttpOnly`, `SameSite=Strict` cookie (`Secure` under TLS). Every request re-checks the token,
/// so a revoked token ends its sessions at once; sessions also end after
/// ``DashboardSessions/lifetime``, at sign-out, and when the server stops.
final class DashboardSessions: Sendable {
    /// How long a session lasts after sign-in.
    static let lifetime: Duration = .seconds(8 * 3600)
    /// The cookie's name.
    static let cookie = "imr_session"

    private struct Session {
        var token: String
        var expires: ContinuousClock.Instant
    }

    private let sessions = Mutex<[String: Session]>([:])

    /// Starts a session for `token` (already authenticated) and returns its id.
    func start(token: String) -> String {
        let id = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
        let now = ContinuousClock.now
        sessions.withLock {
            $0 = $0.filter { $0.value.expires > now }
            $0[id] = Session(token: token, expires: now + Self.lifetime)
        }
        return id
    }

    /// The token of a live session.
    func token(ofSession id: String) -> String? {
        sessions.withLock { table in
            guard let s = table[id] else { return nil }
            guard s.expires > .now else { table[id] = nil; return nil }
            return s.token
        }
    }

    /// Ends a session.
    func end(_ id: String) { _ = sessions.withLock { $0.removeValue(forKey: id) } }

    /// The session id in a request's `Cookie` header.
    static func id(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == cookie {
                    let value = kv[1].trimmingCharacters(in: .whitespaces)
                    if value.utf8.count == 64, value.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) { return value }
                }
            }
        }
        return nil
    }
}

/// The dashboard page of the latest position, kept so that viewers share one rendering per change.
struct DashboardCache: Sendable {
    var key: String
    var html: String
}

extension RecordServer {
    /// The signed-in caller of a dashboard request, or nil (no cookie, unknown or expired
    /// session, or a token revoked since sign-in).
    func dashboardPrincipal(_ request: Request) -> Principal? {
        guard let id = DashboardSessions.id(in: request), let token = dashboardSessions.token(ofSession: id) else { return nil }
        guard let record = tokens.authenticate(token) else {
            dashboardSessions.end(id)
            return nil
        }
        return Principal(token: record)
    }

    func addDashboardRoutes(to router: Router<APIContext>) {
        add(router, .get, "/", .anyone) { [self] request, _, _ in
            guard let principal = dashboardPrincipal(request) else { return htmlResponse(signInPage(message: nil)) }
            guard principal.role.capabilities.contains(.dashboard) else {
                return htmlResponse(signInPage(message: "The \(principal.role.rawValue) role may not view the dashboard. Sign in with an administrator's token."),
                                    status: .forbidden)
            }
            return htmlResponse(try await dashboardPage(for: principal))
        }
        add(router, .post, "/session", .anyone) { [self] request, _, _ in
            try await signIn(request)
        }
        add(router, .post, "/session/end", .anyone) { [self] request, _, _ in
            if let id = DashboardSessions.id(in: request) { dashboardSessions.end(id) }
            return Response(status: .seeOther, headers: [.location: "/", .setCookie: sessionCookie(value: "", maxAge: 0), .cacheControl: "no-store"])
        }
        add(router, .get, "/dashboard/live", .anyone) { [self] request, _, _ in
            guard let principal = dashboardPrincipal(request) else { throw Problem.unauthorized }
            guard principal.role.capabilities.contains(.dashboard) else {
                throw Problem.forbidden("the \(principal.role.rawValue) role may not use \(Capability.dashboard.rawValue)")
            }
            return dashboardLive { [self] in dashboardPrincipal(request) != nil }
        }
    }

    /// `POST /session`: the sign-in form (`token=…`, form-encoded). A valid token of a role
    /// with the `dashboard` capability starts a session and goes back to `/` (303); anything
    /// else shows the form again with the reason (401, 403, 415) and starts nothing.
    func signIn(_ request: Request) async throws -> Response {
        let contentType = request.headers[.contentType].flatMap { $0.split(separator: ";").first }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard contentType == "application/x-www-form-urlencoded" else {
            return htmlResponse(signInPage(message: "The sign-in form must be sent as application/x-www-form-urlencoded."), status: .unsupportedMediaType)
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: 4096) } catch {
            return htmlResponse(signInPage(message: "The sign-in form is too large."), status: .contentTooLarge)
        }
        var token: String?
        for pair in String(buffer: body).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if kv.count == 2, kv[0] == "token" {
                token = String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding?.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        guard let token, !token.isEmpty else {
            return htmlResponse(signInPage(message: "Enter a token (field token is required)."), status: .badRequest)
        }
        guard let record = tokens.authenticate(token) else {
            // A 401 carries its challenge (RFC 9110 §15.5.2): the scheme the token belongs to.
            var response = htmlResponse(signInPage(message: "That token is not valid."), status: .unauthorized)
            response.headers[.wwwAuthenticate] = "Bearer realm=\"imr-ledger\", error=\"invalid_token\""
            return response
        }
        guard record.role.capabilities.contains(.dashboard) else {
            return htmlResponse(signInPage(message: "The \(record.role.rawValue) role may not view the dashboard. Sign in with an administrator's token."),
                                status: .forbidden)
        }
        let id = dashboardSessions.start(token: token)
        return Response(status: .seeOther, headers: [.location: "/", .setCookie: sessionCookie(value: id, maxAge: 8 * 3600), .cacheControl: "no-store"])
    }

    func sessionCookie(value: String, maxAge: Int) -> String {
        "\(DashboardSessions.cookie)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (options.tlsCertificate != nil ? "; Secure" : "")
    }

    /// The dashboard as of the projections' current position, for the caller's program (all
    /// programs for a token without one). One rendering serves every viewer until the log grows.
    func dashboardPage(for principal: Principal) async throws -> String {
        try await catchUpViews()
        let position = views.position
        let key = "\(position)/\(principal.program ?? "*")"
        if let cached = dashboardCache.withLock({ $0?.key == key ? $0?.html : nil }) { return cached }
        let snapshot = views.snapshot()
        let program = principal.program.flatMap(ProgramID.init)
        let title = principal.program.map { "IMR program dashboard: \($0)" } ?? "IMR program dashboard"
        // Drawing the page audits what was appended since the last one (the whole log every
        // 10 minutes): not on the pool.
        let html = try await OffPool.run(on: OffPool.longReads) { [self] in
            let day = try ReportPage.lastClinicalDate(log) ?? LocalDate(dayNumber: Int(Date().timeIntervalSince1970 / 86_400))
            return try ReportPage.gather(snapshot: snapshot, log: log, asOf: day, title: title, program: program, audit: chainAudit)
                .html(live: true)
        }
        dashboardCache.withLock { $0 = DashboardCache(key: key, html: html) }
        return html
    }

    /// `GET /dashboard/live`: Server-Sent Events telling the page the projections' position
    /// (`event: position`) each time it moves, woken by this server's commits and by polls for
    /// other processes' appends, with heartbeat comments. It carries no record data.
    ///
    /// `stillSignedIn` is asked at each wake-up: a token revoked, a sign-out or an expired
    /// session ends a stream already open (with a `: session ended` comment).
    func dashboardLive(stillSignedIn: @escaping @Sendable () -> Bool) -> Response {
        let heartbeat = Duration.milliseconds(Int64(options.heartbeatSeconds * 1000))
        let wakeups = LogWakeups(log: log, options: options)
        let body = ResponseBody { [self] writer in
            let wakes = wakeups.start()
            defer { wakeups.stop() }
            try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
            var sent: UInt64?
            var lastWrite = ContinuousClock.now
            var iterator = wakes.makeAsyncIterator()
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                guard stillSignedIn() else {
                    try await writer.write(ByteBuffer(string: ": session ended\n\n"))
                    break
                }
                try await catchUpViews()
                let position = views.position
                if position != sent {
                    try await writer.write(ByteBuffer(string: "event: position\ndata: \(position)\n\n"))
                    sent = position
                    lastWrite = .now
                } else if ContinuousClock.now - lastWrite >= heartbeat {
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    lastWrite = .now
                }
                if await iterator.next() == nil { break }
            }
            try await writer.finish(nil)
        }
        return eventStreamResponse(body)
    }

    /// The sign-in page, with a reason when a sign-in failed. It never repeats what was typed.
    func signInPage(message: String?) -> String {
        var out = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in · IMR Ledger</title>"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>"
        out += "body{font-family:-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif;max-width:420px;margin:80px auto;color:#222;padding:0 16px}"
        out += "label{display:block;margin:16px 0 4px}input{width:100%;padding:6px;font-size:14px;box-sizing:border-box}"
        out += "button{margin-top:12px;padding:6px 16px}.error{color:#c0392b}</style></head><body>"
        out += "<h1>IMR program dashboard</h1><p>Sign in with an administrator's token (<code>imr token create --role administrator</code>).</p>"
        if let message { out += "<p class=\"error\" id=\"sign-in-error\">\(SVG.escape(message))</p>" }
        out += "<form method=\"post\" action=\"/session\"><label for=\"token\">Token</label>"
        out += "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required>"
        out += "<button id=\"sign-in\" type=\"submit\">Sign in</button></form></body></html>"
        return out
    }
}

/// An HTML response that browsers and proxies must not store.
func htmlResponse(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [
        .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    ], body: .init(byteBuffer: ByteBuffer(string: html)))
}
