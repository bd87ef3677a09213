import CanonicalJSON
import EventLog
import EventLogTesting
import Foundation
import MerkleLog
import Testing

/// The writer inserts each id before it knows whether the append goes through, and remembers
/// streams' last events between commits. These tests hold it to the stored format's rules:
/// a refused append leaves no id behind, and what the writer remembers never outlives the log
/// it describes.
@Suite("Writer: refused appends leave no ids; remembered stream tails stay true", .serialized)
struct WriterCacheTests {
    @Test("An append refused for its expected version leaves its ids free for a later append")
    func versionRefusalTakesBackIDs() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let s = Fixtures.consumerStream(1)
        _ = try await log.append([Fixtures.sessionNote(1)], to: s, expecting: .noStream)
        let notes = [Fixtures.sessionNote(2), Fixtures.sessionNote(3)]
        await #expect(throws: EventLogError.self) { try await log.append(notes, to: s, expecting: .exact(5)) }
        // The same ids are new, not a retry or a conflict: the refused append stored none of them.
        let r = try await log.append(notes, to: s, expecting: .exact(1))
        #expect(!r.wasDuplicate)
        #expect(r.positions == [1, 2])
        #expect(r.versions == [2, 3])
        #expect(try log.position(ofEventID: "evt-2", source: Fixtures.source) == 1)
        #expect(try log.position(ofEventID: "evt-3", source: Fixtures.source) == 2)
    }

    @Test("A partial retry and a conflicting append leave their new ids free")
    func idempotencyRefusalsTakeBackIDs() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let s = Fixtures.consumerStream(1)
        _ = try await log.append([Fixtures.sessionNote(1)], to: s, expecting: .any)
        // Partly a retry: evt-1 stored, evt-8 new (inserted, then taken back).
        await #expect(throws: EventLogError.self) {
            try await log.append([Fixtures.sessionNote(8), Fixtures.sessionNote(1)], to: s, expecting: .any)
        }
        // A conflict after a new id: evt-9 new, evt-1 with other content.
        var changed = Fixtures.sessionNote(1)
        changed.data = .object(["sessionId": .string("other")])
        do {
            _ = try await log.append([Fixtures.sessionNote(9), changed], to: s, expecting: .any)
            Issue.record("a conflicting id must refuse the append")
        } catch let e as EventLogError {
            #expect(e.code == .idempotencyConflict)
            #expect(e.eventIndex == 1)
            #expect(e.position == 0)
        }
        let r = try await log.append([Fixtures.sessionNote(8), Fixtures.sessionNote(9)], to: s, expecting: .exact(1))
        #expect(!r.wasDuplicate && r.positions == [1, 2])
        #expect(try await log.head().treeSize == 3)
    }

    @Test("Refused and accepted appends mixed in one commit each see the ones before them")
    func mixedCommit() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let s = Fixtures.consumerStream(1)
        // Many appends at once, so that group commit puts several into each transaction:
        // every second one expects a version it cannot have and must leave nothing.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                group.addTask {
                    let expected: ExpectedVersion = i % 2 == 0 ? .any : .exact(100_000)
                    do {
                        _ = try await log.append([Fixtures.sessionNote(i)], to: s, expecting: expected)
                    } catch let e as EventLogError where e.code == .wrongExpectedVersion && i % 2 == 1 {
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await log.head().treeSize == 100)
        #expect(try await log.version(of: s) == 100)
        let stream = try await log.readStream(s, from: 1, limit: 1000)
        #expect(stream.map(\.streamVersion) == Array(1...100))
        #expect(Set(stream.map(\.id)) == Set((0..<100).map { "evt-\($0 * 2)" }))
        // The odd ids were taken back: appending them now stores them anew.
        #expect(try log.position(ofEventID: "evt-1", source: Fixtures.source) == nil)
        let odd = (0..<100).map { Fixtures.sessionNote($0 * 2 + 1) }
        let r = try await log.append(odd, to: s, expecting: .exact(100))
        #expect(!r.wasDuplicate && r.versions == Array(101...200))
        #expect(try log.verifyChain().violations.isEmpty)
    }

    @Test("Another writer on the same store is seen: stream versions continue from its events")
    func anotherWriterIsSeen() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let first = try tmp.create()
        let s = Fixtures.consumerStream(1)
        _ = try await first.append([Fixtures.sessionNote(1)], to: s, expecting: .noStream)
        // A second log instance has its own writer (as another process would).
        let second = try LMDBEventLog.open(at: tmp.path)
        let r2 = try await second.append([Fixtures.sessionNote(2)], to: s, expecting: .exact(1))
        #expect(r2.versions == [2])
        // The first writer remembers version 1 for the stream; it must notice the log moved on.
        await #expect(throws: EventLogError.self) {
            try await first.append([Fixtures.sessionNote(3)], to: s, expecting: .exact(1))
        }
        let r3 = try await first.append([Fixtures.sessionNote(3)], to: s, expecting: .exact(2))
        #expect(r3.positions == [2] && r3.versions == [3])
        let stream = try await first.readStream(s, from: 1, limit: 10)
        #expect(stream.map(\.id) == ["evt-1", "evt-2", "evt-3"])
        #expect(try first.verifyChain().violations.isEmpty)
    }

    @Test("A map that fills mid-transaction reruns it from the store; streams stay consistent")
    func mapGrowthRerunsFromStore() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create(options: .init(mapSize: 64 * 1024))
        var total = 0
        for round in 0..<6 {
            var appends: [StreamAppend] = []
            for i in 0..<150 {
                let n = round * 150 + i
                appends.append(StreamAppend(stream: Fixtures.consumerStream(n % 7), events: [Fixtures.sessionNote(n)]))
            }
            _ = try await log.append(appends)
            total += 150
        }
        #expect(try await log.head().treeSize == UInt64(total))
        for k in 0..<7 {
            let s = Fixtures.consumerStream(k)
            let stream = try await log.readStream(s, from: 1, limit: 1000)
            let expected = (0..<total).filter { $0 % 7 == k }.map { "evt-\($0)" }
            #expect(stream.map(\.id) == expected)
            #expect(stream.map(\.streamVersion) == Array(1...UInt64(expected.count)))
            #expect(try await log.version(of: s) == UInt64(expected.count))
        }
        #expect(try log.verifyChain().violations.isEmpty)
    }
}
