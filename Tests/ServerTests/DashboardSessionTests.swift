import ClinicalRecord
import EventLog
import Foundation
import RecordHTTP
import Testing

/// The dashboard's sign-in, cookie and live stream, over a real socket.
@Suite("Dashboard sessions")
struct DashboardSessionTests {
    static func form(_ token: String) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Array("token=\(token.addingPercentEncoding(withAllowedCharacters: allowed)!)".utf8)
    }

    static let formType = ["Content-Type": "application/x-www-form-urlencoded"]

    /// The `name=value` of a Set-Cookie header.
    static func cookie(_ r: HTTPResult) -> String? {
        r.headers["set-cookie"]?.split(separator: ";").first.map(String.init)
    }

    @Test("without a session, / is the sign-in form and /dashboard/live is 401; bad sign-ins start nothing and never echo the token")
    func refusals() async throws {
        let f = try await Fixture.make()
        defer { f.tmp.remove() }
        let before = try f.size()
        try await f.withServer { c, _ in
            let page = try await c.get("/")
            #expect(page.status == 200)
            #expect(page.text.contains("<title>Sign in · IMR Ledger</title>"))
            #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(page.headers["x-frame-options"] == "DENY")

            let live = try await c.get("/dashboard/live")
            #expect(live.status == 401)
            #expect(live.headers["content-type"] == "application/problem+json")

            // A bearer token is not a session: the dashboard takes only the cookie.
            let bearer = try await c.with(token: f.tokens[.administrator]).get("/dashboard/live")
            #expect(bearer.status == 401)

            let wrongType = try await c.send("POST", "/session", headers: ["Content-Type": "application/json"], body: Array("{\"token\":\"x\"}".utf8))
            #expect(wrongType.status == 415)
            let empty = try await c.send("POST", "/session", headers: Self.formType, body: Array("token=".utf8))
            #expect(empty.status == 400)
            #expect(empty.text.contains("field token is required"))
            let secret = "imr_not-a-real-token-7781"
            let invalid = try await c.send("POST", "/session", headers: Self.formType, body: Self.form(secret))
            #expect(invalid.status == 401)
            #expect(invalid.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            #expect(!invalid.text.contains(secret))
            #expect(invalid.headers["set-cookie"] == nil)
            for role in [Role.practitioner, .supervisor, .auditor, .integrator] {
                let r = try await c.send("POST", "/session", headers: Self.formType, body: Self.form(f.tokens[role]!))
                #expect(r.status == 403, "\(role)")
                #expect(r.headers["set-cookie"] == nil, "\(role)")
                #expect(r.text.contains("\(role.rawValue) role may not view the dashboard"))
            }
            let huge = try await c.send("POST", "/session", headers: Self.formType, body: Array(repeating: UInt8(ascii: "a"), count: 8000))
            #expect(huge.status == 413)
            // A forged session id is no session.
            let forged = try await c.get("/", headers: ["Cookie": "imr_session=" + String(repeating: "ab", count: 32)])
            #expect(forged.text.contains("<title>Sign in · IMR Ledger</title>"))
        }
        #expect(try f.size() == before, "signing in writes nothing to the record")
    }

    @Test("an administrator signs in: an HttpOnly SameSite=Strict cookie, the dashboard, the live position; revoking the token or signing out ends it")
    func session() async throws {
        let f = try await Fixture.make()
        defer { f.tmp.remove() }
        try await f.withServer { c, server in
            let signIn = try await c.send("POST", "/session", headers: Self.formType, body: Self.form(f.tokens[.administrator]!))
            #expect(signIn.status == 303)
            #expect(signIn.headers["location"] == "/")
            let setCookie = try #require(signIn.headers["set-cookie"])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
            #expect(!setCookie.contains(f.tokens[.administrator]!), "the cookie holds a session id, not the token")
            let cookie = try #require(Self.cookie(signIn))

            let page = try await c.get("/", headers: ["Cookie": cookie])
            #expect(page.status == 200)
            #expect(page.text.contains("<title>IMR program dashboard</title>"))
            #expect(page.text.contains("data-position=\"\(try f.size())\""))
            #expect(page.text.contains("new EventSource('/dashboard/live')"))
            #expect(!page.text.contains(">c1<") && !page.text.contains(">c9<"), "the dashboard names no consumer")

            let port = c.port
            let reader = try await offPool { try SSEReader(port: port, path: "/dashboard/live", headers: ["Cookie": cookie], timeoutSeconds: 10) }
            let first = try await offPool { reader.next() }
            #expect(reader.status == 200)
            #expect(reader.headers["content-type"] == "text/event-stream")
            #expect(first?.data == String(try f.size()))

            // Revoking the token ends the session at once.
            let admin = try #require(try server.tokens.list().first { $0.role == .administrator && $0.user == f.users[.administrator] })
            #expect(try server.tokens.revoke(id: admin.id))
            let after = try await c.get("/", headers: ["Cookie": cookie])
            #expect(after.text.contains("<title>Sign in · IMR Ledger</title>"))
            reader.disconnect()

            // A new session; signing out clears the cookie and the session.
            let scopedToken = try server.tokens.create(role: .administrator, program: "p2", user: "admin-p2").token
            let second = try await c.send("POST", "/session", headers: Self.formType, body: Self.form(scopedToken))
            let cookie2 = try #require(Self.cookie(second))
            let scoped = try await c.get("/", headers: ["Cookie": cookie2])
            #expect(scoped.text.contains("<title>IMR program dashboard: p2</title>"))
            #expect(scoped.text.contains("data-program=\"p2\"") && !scoped.text.contains("data-program=\"p1\""), "a program-scoped token sees its program only")
            let out = try await c.send("POST", "/session/end", headers: ["Cookie": cookie2])
            #expect(out.status == 303)
            #expect(out.headers["set-cookie"]?.contains("Max-Age=0") == true)
            let gone = try await c.get("/", headers: ["Cookie": cookie2])
            #expect(gone.text.contains("<title>Sign in · IMR Ledger</title>"))
        }
    }

    @Test("revoking the token or signing out ends a /dashboard/live stream already open: no later position is sent")
    func liveStreamEnds() async throws {
        let f = try await Fixture.make()
        defer { f.tmp.remove() }
        try await f.withServer { c, server in
            let port = c.port
            let admin = try server.tokens.create(role: .administrator, user: "admin-live")
            for ending in ["revoke", "sign-out"] {
                let token = ending == "revoke" ? admin.token : f.tokens[.administrator]!
                let signIn = try await c.send("POST", "/session", headers: Self.formType, body: Self.form(token))
                let cookie = try #require(Self.cookie(signIn))
                let reader = try await offPool { try SSEReader(port: port, path: "/dashboard/live", headers: ["Cookie": cookie], timeoutSeconds: 10) }
                defer { reader.disconnect() }
                #expect(try await offPool { reader.next() }?.data == String(try f.size()))
                if ending == "revoke" {
                    #expect(try server.tokens.revoke(id: admin.record.id))
                } else {
                    #expect(try await c.send("POST", "/session/end", headers: ["Cookie": cookie]).status == 303)
                }
                // An append wakes the stream; it must end instead of sending the new position.
                let i = c.with(token: f.tokens[.integrator])
                #expect(try await i.post("/v1/streams/ehr-\(ending)/events?expected-version=any", json: ["type": "com.example.after.v1", "data": ["k": 1]]).status == 201)
                let later = try await offPool { () -> [String] in
                    var out: [String] = []
                    // Until the stream ends, or the first position after the ending.
                    while out.isEmpty, let e = reader.next() { if !e.heartbeat { out.append(e.data) } }
                    return out
                }
                #expect(later.isEmpty, "\(ending): \(later)")
            }
        }
    }
}
