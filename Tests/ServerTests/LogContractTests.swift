import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import MerkleLog
import RecordHTTP
import Synchronization
import Testing

/// A log that is not ``LMDBEventLog``: it forwards every call to one and counts them. A server
/// that runs over it depends on the log's contract, not on the LMDB store (issue 2: nothing
/// above the log depends on LMDB types).
final class ForwardingLog: VerifiableEventLog {
    let inner: LMDBEventLog
    let calls = Mutex<[String: Int]>([:])

    init(_ inner: LMDBEventLog) { self.inner = inner }

    private func count(_ name: String) { calls.withLock { $0[name, default: 0] += 1 } }
    func called(_ name: String) -> Int { calls.withLock { $0[name] ?? 0 } }

    func append(_ appends: [StreamAppend]) async throws -> [AppendResult] { count("append"); return try await inner.append(appends) }
    func read(from position: LogIndex, limit: Int) async throws -> [StoredEvent] { count("read"); return try await inner.read(from: position, limit: limit) }
    func readStream(_ stream: StreamID, from version: StreamVersion, limit: Int) async throws -> [StoredEvent] {
        count("readStream"); return try await inner.readStream(stream, from: version, limit: limit)
    }
    func version(of stream: StreamID) async throws -> StreamVersion { count("version"); return try await inner.version(of: stream) }
    func head() async throws -> LogHead { count("head"); return try await inner.head() }
    func position(ofEventID id: String, source: String) async throws -> LogIndex? {
        count("position"); return try inner.position(ofEventID: id, source: source)
    }
    func commits() -> AsyncStream<UInt64> { count("commits"); return inner.commits() }
    func currentHead() throws -> LogHead { count("currentHead"); return try inner.currentHead() }
    func size() throws -> UInt64 { count("size"); return try inner.size() }
    func readEvents(from position: LogIndex, limit: Int) throws -> [StoredEvent] { count("readEvents"); return try inner.readEvents(from: position, limit: limit) }
    func readStreamEvents(_ stream: StreamID, from version: StreamVersion, limit: Int) throws -> [StoredEvent] {
        count("readStreamEvents"); return try inner.readStreamEvents(stream, from: version, limit: limit)
    }
    func forEachRaw(from position: LogIndex, limit: Int, _ body: (LogIndex, UnsafeRawBufferPointer) throws -> Bool) throws {
        count("forEachRaw"); try inner.forEachRaw(from: position, limit: limit, body)
    }
    func rootHash(treeSize: UInt64) throws -> Hash { count("rootHash"); return try inner.rootHash(treeSize: treeSize) }
    func inclusionProof(position: LogIndex, treeSize: UInt64) throws -> [Hash] {
        count("inclusionProof"); return try inner.inclusionProof(position: position, treeSize: treeSize)
    }
    func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [Hash] {
        count("consistencyProof"); return try inner.consistencyProof(from: oldSize, to: newSize)
    }
    func loadSigner() throws -> NoteSigner { count("loadSigner"); return try inner.loadSigner() }
    func makeCheckpoint(signer: NoteSigner) throws -> (checkpoint: Checkpoint, note: String) {
        count("makeCheckpoint"); return try inner.makeCheckpoint(signer: signer)
    }
    func latestCheckpoint() throws -> (treeSize: UInt64, note: String)? { count("latestCheckpoint"); return try inner.latestCheckpoint() }
    func verifyChain(strict: Bool, rootsAt: Set<UInt64>, continuing previous: ChainVerifier?, progress: ((UInt64) -> Void)?) throws -> ChainVerifier {
        count("verifyChain"); return try inner.verifyChain(strict: strict, rootsAt: rootsAt, continuing: previous, progress: progress)
    }
    func operatorWarnings() -> [String] { count("operatorWarnings"); return inner.operatorWarnings() }
}

@Suite("The server over the log's contract")
struct LogContractTests {
    @Test("A server runs over a log that is not the LMDB store: it appends, pages the feed, answers queries and proofs through it")
    func serverOverAnotherLog() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let log = ForwardingLog(fx.log)
        let server = try RecordServer(store: fx.tmp.path, log: log, options: Fixture.options)
        let app = try server.makeApplication()
        try await app.test(.live) { client in
            let base = APIClient(port: client.port!, token: nil)
            let integrator = base.with(token: fx.tokens[.integrator])
            let before = try fx.log.size()

            let appended = try await integrator.post(
                "/v1/streams/ehr-import-1/events?expected-version=no-stream",
                json: [["type": "com.example.ehr.visit.v1", "id": "v-1", "time": "2026-03-01T10:00:00Z", "data": ["visit": 1]]])
            #expect(appended.status == 201)
            #expect(log.called("append") >= 1)
            #expect(try fx.log.size() > before)

            let page = try await integrator.get("/v1/feed?from=0&limit=5")
            #expect(page.status == 200)
            #expect((page.json as? [Any])?.count == 5)

            let admin = base.with(token: fx.tokens[.administrator])
            #expect(try await admin.get("/v1/caseload").status == 200)

            let auditor = base.with(token: fx.tokens[.auditor])
            #expect(try await auditor.get("/v1/checkpoint").status == 200)
            let proof = try await auditor.get("/v1/proofs/inclusion?position=0")
            #expect(proof.status == 200)
            #expect(log.called("inclusionProof") == 1)
            #expect(log.called("makeCheckpoint") + log.called("latestCheckpoint") >= 1)
        }
        #expect(log.called("forEachRaw") + log.called("readEvents") >= 1, "the feed and the projections read through the log given")
    }
}
