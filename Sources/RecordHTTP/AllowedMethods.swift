import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Synchronization

/// The methods each routed path answers, so that a request for a routed path with another
/// method is answered 405 with `Allow` (RFC 9110 §15.5.6), not 404.
///
/// Hummingbird's router answers "no route has this path" and "this path has no route for
/// this method" alike, with its not-found responder, and keeps its route table to itself. So
/// this keeps a second router over the same path templates (the routes ``RecordServer`` records
/// as it registers them), each template answering the list of its methods. A path is then
/// resolved by the router's own rules (parameters, literal segments first, trailing slashes),
/// not by a matcher of our own that could come to disagree with it, and no list of methods is
/// kept by hand.
///
/// ```swift
/// let allowed = AllowedMethods()
/// allowed.learn(server.routes)
/// let methods = await allowed.methods(for: request, context: context)   // ["GET", "HEAD"] for /healthz
/// ```
final class AllowedMethods: Sendable {
    /// The lookup router's responder; nil until ``learn(_:)``.
    private let lookup = Mutex<RouterResponder<APIContext>?>(nil)

    /// The one method the lookup router answers. Its requests are made by ``methods(for:context:)``
    /// only, never received from a client.
    private static let lookupMethod = HTTPRequest.Method.get

    /// Builds the lookup router from `routes`; replaces what was learned before.
    func learn(_ routes: [RouteInfo]) {
        let router = Router(context: APIContext.self)
        for (path, routed) in Dictionary(grouping: routes, by: \.path) {
            let allow = Set(routed.map(\.method)).sorted().joined(separator: ", ")
            router.on(RouterPath(path), method: Self.lookupMethod) { _, _ in
                Response(status: .noContent, headers: [.allow: allow])
            }
        }
        let responder = router.buildResponder()
        lookup.withLock { $0 = responder }
    }

    /// The methods routed for the request's path, sorted, or nil when no route has that path.
    ///
    /// The lookup stores the matched template as the request's endpoint path in `context`, as
    /// the main router does for a matched route, so metrics label the answer with the template.
    func methods(for request: Request, context: APIContext) async -> [String]? {
        guard let responder = lookup.withLock({ $0 }) else { return nil }
        var head = request.head
        head.method = Self.lookupMethod
        let probe = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        guard let answer = try? await responder.respond(to: probe, context: context), answer.status == .noContent,
              let allow = answer.headers[.allow]
        else { return nil }
        return allow.split(separator: ",").map { String($0.filter { $0 != " " }) }
    }
}
