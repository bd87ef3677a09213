import CanonicalJSON
import EventLog
import HTTPTypes
import Hummingbird
import HummingbirdCore
import MerkleLog

extension RecordServer {
    /// `GET /v1/checkpoint`: the newest signed checkpoint (C2SP tlog-checkpoint in a signed
    /// note). When the log has grown since and the store's signer key is present, a fresh one
    /// is signed first (checkpoints are made on demand as well as periodically).
    func checkpoint() throws -> Response {
        let head = try log.currentHead()
        var latest = try log.latestCheckpoint()
        if (latest?.treeSize ?? 0) < head.treeSize || latest == nil, let signer = try? log.loadSigner() {
            let made = try log.makeCheckpoint(signer: signer)
            latest = (made.checkpoint.size, made.note)
        }
        guard let latest else { throw Problem.notFound("the store has no checkpoint and no signer key to make one") }
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"]
        headers[HTTPField.Name("IMR-Tree-Size")!] = String(latest.treeSize)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: latest.note)))
    }

    /// `GET /v1/proofs/inclusion?position=P&size=N`: the RFC 9162 inclusion proof of the event
    /// at P in the tree of N events (default: the whole log), in imr-audit's JSON shape:
    /// `{position, treeSize, leafHash, rootHash, proof, event}`. A program-scoped token gets
    /// `event` only for events of its program.
    func inclusionProof(_ request: Request, _ principal: Principal) async throws -> Response {
        let params = QueryParameters(request.uri)
        guard let position = try params.position("position") else { throw Problem.parameter("position", "position is required") }
        let head = try log.currentHead().treeSize
        let size = try params.position("size") ?? head
        guard size <= head else { throw Problem.parameter("size", "size must be at most the log size, \(head)") }
        guard position < size else { throw Problem.parameter("position", "position must be below the tree size \(size)") }
        let proof = try log.inclusionProof(position: position, treeSize: size)
        let root = try log.rootHash(treeSize: size)
        guard let event = try log.readEvents(from: position, limit: 1).first else { throw Problem.notFound("no event at that position") }
        var body: [String: JSONValue] = [
            "position": .number(Double(position)),
            "treeSize": .number(Double(size)),
            "leafHash": .string(event.leafHash.hex),
            "rootHash": .string(root.hex),
            "proof": .array(proof.map { .string($0.hex) }),
        ]
        // The event's text is a read of the record: shown only to roles that may read the log
        // (the feed gives the same bytes), within their program, and accounted like a feed read.
        // Others get the proof of the leaf, which verifies the event they already hold.
        var showEvent = principal.role.capabilities.contains(.feed)
        if showEvent, let program = principal.program {
            showEvent = try await scopeResolver().program(ofStream: event.stream.rawValue) == program
        }
        if showEvent {
            let purpose = try purpose(request, params)
            try await accountFeedRead([FeedEvent(position: position, stream: event.stream.rawValue, bytes: event.bytes)],
                                      principal: principal, purpose: purpose, what: "proof")
            body["event"] = .string(String(decoding: event.bytes, as: UTF8.self))
        }
        return jsonResponse(.object(body))
    }

    /// `GET /v1/proofs/consistency?from=M&to=N`: the RFC 9162 consistency proof from the tree
    /// of M events to the tree of N (default: the whole log), in imr-audit's JSON shape:
    /// `{oldSize, newSize, oldRoot, newRoot, proof}`.
    func consistencyProof(_ request: Request) throws -> Response {
        let params = QueryParameters(request.uri)
        guard let from = try params.position("from") else { throw Problem.parameter("from", "from (the older tree size) is required") }
        let head = try log.currentHead().treeSize
        let to = try params.position("to") ?? head
        guard to <= head else { throw Problem.parameter("to", "to must be at most the log size, \(head)") }
        guard from >= 1, from <= to else { throw Problem.parameter("from", "from must be between 1 and to (\(to))") }
        let proof = try log.consistencyProof(from: from, to: to)
        let body: JSONValue = [
            "oldSize": .number(Double(from)),
            "newSize": .number(Double(to)),
            "oldRoot": .string(try log.rootHash(treeSize: from).hex),
            "newRoot": .string(try log.rootHash(treeSize: to).hex),
            "proof": .array(proof.map { .string($0.hex) }),
        ]
        return jsonResponse(body)
    }
}
