import EventLog
import EventLogTesting
import Foundation
import LMDBKit
import Testing

/// Stream reads, stream versions and idempotent retries go through indexes that no hash
/// covers. `imr-audit verify --strict` recomputes them from the events; these tests damage one
/// entry of each and expect it found at its position.
@Suite("imr-audit verify --strict: damaged stream links, id entries and stream heads are found")
struct IndexTamperTests {
    private func verify(_ store: AuditStore) throws -> AuditRunner.Output {
        try AuditRunner.audit(["verify", store.path, "--key", store.key, "--strict"])
    }

    /// The stored events, read back.
    private func events(_ store: AuditStore) throws -> [StoredEvent] {
        try LMDBEventLog.open(at: store.path, options: .init(readOnly: true)).readEvents(from: 0, limit: .max)
    }

    @Test("A store's indexes match its events: 300 events over 7 streams in uneven batches")
    func cleanStore() async throws {
        let store = try await AuditStore.make(count: 300, checkpoints: [300], batch: 37)
        defer { store.remove() }
        let log = try LMDBEventLog.open(at: store.path, options: .init(readOnly: true))
        #expect(try log.verifyIndexes().isEmpty)
        let run = try verify(store)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    }

    @Test("A stream link with another jump is found at its position")
    func damagedLink() async throws {
        let store = try await AuditStore.make(count: 300, checkpoints: [300], batch: 37)
        defer { store.remove() }
        // The 30th event of its stream: a link with a jump that is not its parent's.
        let target = try #require(try events(store).first { $0.streamVersion == 30 })
        try store.write(database: "links") { txn, links in
            let stored = try #require(try txn.get(links, key: target.position))
            var changed = stored
            // version ‖ previous ‖ jump ‖ jump version: point the jump at the previous event.
            changed.replaceSubrange(16..<24, with: stored[8..<16])
            try changed.withUnsafeBytes { try txn.put(links, key: target.position, value: $0) }
        }
        let run = try verify(store)
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.stdout.contains("position \(target.position): link-mismatch"), "\(run.stdout)")
    }

    @Test("A missing id entry is found at its event's position, and the count is short")
    func missingID() async throws {
        let store = try await AuditStore.make(count: 120, checkpoints: [120])
        defer { store.remove() }
        let target = try events(store)[77]
        try store.write(database: "ids") { txn, ids in
            let deleted = try txn.delete(ids, key: Array(target.source.utf8) + [0] + Array(target.id.utf8))
            #expect(deleted)
        }
        let run = try verify(store)
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.stdout.contains("position 77: id-index-mismatch"), "\(run.stdout)")
        #expect(run.stdout.contains("expected 120 ids entries, one per event, found 119"), "\(run.stdout)")
    }

    @Test("A stream head left at an earlier event is found")
    func staleHead() async throws {
        let store = try await AuditStore.make(count: 120, checkpoints: [120])
        defer { store.remove() }
        let all = try events(store)
        let last = try #require(all.last)
        let earlier = try #require(all.last { $0.stream == last.stream && $0.streamVersion == last.streamVersion - 1 })
        // `heads` is keyed by the position of the stream's first event.
        let first = try #require(all.first { $0.stream == last.stream })
        try store.write(database: "heads") { txn, heads in
            var raw = (earlier.streamVersion.bigEndian, earlier.position.bigEndian)
            try withUnsafeBytes(of: &raw) { v in
                try txn.put(heads, key: first.position, value: v)
            }
        }
        let run = try verify(store)
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.stdout.contains("position \(last.position): head-mismatch"), "\(run.stdout)")
        // Stream ids are not printed: they name consumers.
        #expect(!run.stdout.contains(last.stream.rawValue), "\(run.stdout)")
    }

    @Test("A stream key that points at another stream's first event is found, and so is a missing one")
    func damagedStreamKeys() async throws {
        let store = try await AuditStore.make(count: 120, checkpoints: [120])
        defer { store.remove() }
        let all = try events(store)
        let streams = all.reduce(into: [StreamID]()) { seen, e in if !seen.contains(e.stream) { seen.append(e.stream) } }
        try #require(streams.count >= 3)
        let firstOf = { (s: StreamID) in all.first { $0.stream == s }!.position }
        try store.write(database: "streams") { txn, db in
            // The second stream now claims the third's key; the third loses its entry.
            var wrong = firstOf(streams[2]).bigEndian
            try withUnsafeBytes(of: &wrong) { v in
                try txn.put(db, key: Array(streams[1].rawValue.utf8), value: Array(v))
            }
            #expect(try txn.delete(db, key: Array(streams[2].rawValue.utf8)))
        }
        // A reader through the damaged entry gets the other stream's head; the audit says so.
        let run = try verify(store)
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.stdout.contains("position \(firstOf(streams[1])): head-mismatch"), "\(run.stdout)")
        #expect(run.stdout.contains("position \(firstOf(streams[2])): head-mismatch"), "\(run.stdout)")
        #expect(run.stdout.contains("a streams entry for the stream that begins here"), "\(run.stdout)")
        for s in streams { #expect(!run.stdout.contains(s.rawValue), "\(run.stdout)") }
    }
}
