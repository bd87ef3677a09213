import CanonicalJSON
import EventLog
import EventLogTesting
import Foundation
import MerkleLog
import Testing

@Suite("Event log: appends, versions, idempotency")
struct EventLogTests {
    @Test("Append assigns gapless positions and 1-based stream versions")
    func appendAssignsPositions() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let a = Fixtures.consumerStream(1)
        let b = Fixtures.consumerStream(2)
        let r1 = try await log.append([Fixtures.sessionNote(1), Fixtures.sessionNote(2)], to: a, expecting: .noStream)
        #expect(r1.positions == [0, 1])
        #expect(r1.versions == [1, 2])
        let r2 = try await log.append([Fixtures.sessionNote(3)], to: b, expecting: .any)
        #expect(r2.positions == [2])
        #expect(r2.versions == [1])
        let r3 = try await log.append([Fixtures.sessionNote(4)], to: a, expecting: .exact(2))
        #expect(r3.positions == [3] && r3.versions == [3])
        // A result made by the store equals, and hashes as, one listing the same numbers.
        let listed = AppendResult(stream: a, positions: [0, 1], versions: [1, 2], wasDuplicate: false)
        #expect(r1 == listed && r1.hashValue == listed.hashValue && r1.streamVersion == 2)
        #expect(r1 != AppendResult(stream: a, positions: [0, 1], versions: [1, 3], wasDuplicate: false))
        var changed = r1
        changed.versions = [5, 6]
        #expect(changed.positions == [0, 1] && changed.versions == [5, 6] && changed.streamVersion == 6)
        let events = try await log.read(from: 0, limit: 10)
        #expect(events.map(\.position) == [0, 1, 2, 3])
        #expect(events.map(\.stream) == [a, a, b, a])
        let streamA = try await log.readStream(a, from: 1, limit: 10)
        #expect(streamA.map(\.streamVersion) == [1, 2, 3])
        #expect(streamA.map(\.id) == ["evt-1", "evt-2", "evt-4"])
        #expect(try await log.readStream(a, from: 3, limit: 10).map(\.id) == ["evt-4"])
        #expect(try await log.version(of: a) == 3)
        #expect(try await log.version(of: Fixtures.consumerStream(99)) == 0)
    }

    @Test("size() is the head's tree size, without hashing: 0 when empty, then the number stored")
    func sizeIsTheHeadsTreeSize() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        #expect(try log.size() == 0)
        _ = try await log.append([Fixtures.sessionNote(1), Fixtures.sessionNote(2)], to: Fixtures.consumerStream(1), expecting: .any)
        #expect(try log.size() == 2)
        _ = try await log.append([Fixtures.sessionNote(3)], to: Fixtures.consumerStream(2), expecting: .any)
        #expect(try log.size() == 3)
        #expect(try log.size() == log.currentHead().treeSize)
    }

    @Test("A wrong expected version writes nothing and reports both versions")
    func wrongExpectedVersionWritesNothing() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let s = Fixtures.consumerStream(1)
        _ = try await log.append([Fixtures.sessionNote(1)], to: s, expecting: .noStream)
        let before = try await log.head()
        for expected in [ExpectedVersion.noStream, .exact(0), .exact(2), .exact(7)] {
            do {
                _ = try await log.append([Fixtures.sessionNote(2)], to: s, expecting: expected)
                Issue.record("append with \(expected) should fail")
            } catch let e as EventLogError {
                #expect(e.code == .wrongExpectedVersion)
                #expect(e.expected == expected)
                #expect(e.actual == 1)
            }
        }
        do {
            _ = try await log.append([Fixtures.sessionNote(3)], to: Fixtures.consumerStream(5), expecting: .exists)
            Issue.record("exists on a new stream should fail")
        } catch let e as EventLogError {
            #expect(e.code == .wrongExpectedVersion && e.actual == 0)
        }
        #expect(try await log.head() == before)
        // The refused ids were not consumed: appending them properly now works.
        let ok = try await log.append([Fixtures.sessionNote(2)], to: s, expecting: .exact(1))
        #expect(ok.positions == [1])
    }

    @Test("A multi-stream append with one bad expectation writes nothing at all")
    func multiStreamAtomicity() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let group = try StreamID("group-g-1")
        let c1 = Fixtures.consumerStream(1)
        let c2 = Fixtures.consumerStream(2)
        _ = try await log.append([Fixtures.sessionNote(0)], to: c2, expecting: .noStream)
        do {
            _ = try await log.append([
                StreamAppend(stream: group, expected: .noStream, events: [Fixtures.sessionNote(1)]),
                StreamAppend(stream: c1, expected: .noStream, events: [Fixtures.sessionNote(2)]),
                StreamAppend(stream: c2, expected: .noStream, events: [Fixtures.sessionNote(3)]),
            ])
            Issue.record("should fail on c2")
        } catch let e as EventLogError {
            #expect(e.code == .wrongExpectedVersion)
            #expect(e.stream == c2)
        }
        #expect(try await log.head().treeSize == 1)
        #expect(try await log.version(of: group) == 0)
        let results = try await log.append([
            StreamAppend(stream: group, expected: .noStream, events: [Fixtures.sessionNote(1)]),
            StreamAppend(stream: c1, expected: .noStream, events: [Fixtures.sessionNote(2)]),
            StreamAppend(stream: c2, expected: .exact(1), events: [Fixtures.sessionNote(3)]),
        ])
        #expect(results.map(\.positions) == [[1], [2], [3]])
        #expect(results.map(\.streamVersion) == [1, 1, 2])
    }

    @Test("An idempotent retry returns the original positions; other content under the id is refused")
    func idempotency() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let s = Fixtures.consumerStream(1)
        let first = try await log.append([Fixtures.sessionNote(1), Fixtures.sessionNote(2)], to: s, expecting: .noStream)
        _ = try await log.append([Fixtures.sessionNote(3)], to: s, expecting: .exact(2))
        // Same request again, even with an expectation that would now fail: a safe retry.
        let retry = try await log.append([Fixtures.sessionNote(1), Fixtures.sessionNote(2)], to: s, expecting: .noStream)
        #expect(retry.wasDuplicate)
        #expect(retry.positions == first.positions)
        #expect(retry.versions == first.versions)
        #expect(try await log.head().treeSize == 3)

        var changed = Fixtures.sessionNote(1)
        changed.data = .object(["sessionId": .string("s-1"), "minutes": .number(90)])
        do {
            _ = try await log.append([changed], to: s, expecting: .any)
            Issue.record("same id with other content should be refused")
        } catch let e as EventLogError {
            #expect(e.code == .idempotencyConflict)
            #expect(e.position == 0)
        }
        // Partly a retry, partly new: refused as a whole.
        do {
            _ = try await log.append([Fixtures.sessionNote(1), Fixtures.sessionNote(9)], to: s, expecting: .any)
            Issue.record("partial retry should be refused")
        } catch let e as EventLogError {
            #expect(e.code == .idempotencyConflict)
        }
        #expect(try await log.head().treeSize == 3)
    }

    @Test("Concurrent identical appends store the event once")
    func concurrentRetries() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let s = Fixtures.consumerStream(1)
        let results = try await withThrowingTaskGroup(of: AppendResult.self) { group in
            for _ in 0..<16 {
                group.addTask { try await log.append([Fixtures.sessionNote(7)], to: s, expecting: .any) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.positions)) == [[0]])
        #expect(results.filter { !$0.wasDuplicate }.count == 1)
        #expect(try await log.head().treeSize == 1)
    }

    @Test("1,000 events from 32 concurrent tasks: all present, gapless, chain valid")
    func concurrentAppends() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let perTask = 1000 / 32 + 1
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<32 {
                group.addTask {
                    let stream = Fixtures.consumerStream(t)
                    for i in 0..<perTask where t * perTask + i < 1000 {
                        let n = t * perTask + i
                        let r = try await log.append([Fixtures.sessionNote(n)], to: stream, expecting: .exact(UInt64(i)))
                        #expect(r.versions == [UInt64(i + 1)])
                    }
                }
            }
            try await group.waitForAll()
        }
        let events = try await log.read(from: 0, limit: 2000)
        #expect(events.count == 1000)
        #expect(events.map(\.position) == Array(0..<1000))
        #expect(Set(events.map(\.id)).count == 1000)
        let verifier = try log.verifyChain()
        #expect(verifier.violations.isEmpty)
        #expect(verifier.count == 1000)
        #expect(try await log.head().rootHash == verifier.rootHash)
    }

    @Test("Commit notifications carry the new tree size")
    func commitNotifications() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let commits = log.commits()
        _ = try await log.append([Fixtures.sessionNote(1)], to: Fixtures.consumerStream(1), expecting: .any)
        var iterator = commits.makeAsyncIterator()
        let size = await iterator.next()
        #expect(size == 1)
        _ = try await log.append([Fixtures.sessionNote(2), Fixtures.sessionNote(3)], to: Fixtures.consumerStream(1), expecting: .any)
        #expect(await iterator.next() == 3)
    }

    @Test("A tiny map grows on MDB_MAP_FULL and nothing is lost")
    func mapGrows() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create(options: .init(mapSize: 64 * 1024))
        var drafts: [StreamAppend] = []
        for i in 0..<500 {
            drafts.append(StreamAppend(stream: Fixtures.consumerStream(i % 10), events: [Fixtures.sessionNote(i)]))
        }
        let results = try await log.append(drafts)
        #expect(results.flatMap(\.positions) == Array(0..<500))
        #expect(try log.verifyChain().violations.isEmpty)
    }

    @Test("create refuses a store where one exists, and names the system's reason when the folder cannot be made")
    func createRefusals() throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        _ = try tmp.create()
        #expect { _ = try LMDBEventLog.create(at: tmp.path) } throws: { ($0 as? EventLogError)?.code == .alreadyExists }
        // A file where the store's folder should be.
        let file = tmp.path + "-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect {
            _ = try LMDBEventLog.create(at: file)
        } throws: { error in
            guard let e = error as? EventLogError else { return false }
            return e.code == .storage && e.message == "cannot create the store directory \(file): Not a directory"
        }
    }

    @Test("Reopening a store keeps the chain going")
    func reopenContinuesChain() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        do {
            let log = try tmp.create()
            _ = try await log.append([Fixtures.sessionNote(1)], to: Fixtures.consumerStream(1), expecting: .any)
        }
        let log = try LMDBEventLog.open(at: tmp.path)
        let r = try await log.append([Fixtures.sessionNote(2)], to: Fixtures.consumerStream(1), expecting: .exact(1))
        #expect(r.positions == [1])
        let events = try await log.read(from: 0, limit: 10)
        #expect(events[1].predecessorHash == events[0].leafHash)
        #expect(events[0].predecessorHash == Hash.zero)
        #expect(try log.verifyChain().violations.isEmpty)
    }
}

@Suite("Event log: batches")
struct EventLogBatchTests {
    @Test("Several parts of one append may name the same stream; versions follow their order")
    func sameStreamTwice() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let s = Fixtures.consumerStream(1)
        let g = try StreamID("group-g-1")
        let results = try await log.append([
            StreamAppend(stream: s, expected: .noStream, events: [Fixtures.sessionNote(1), Fixtures.sessionNote(2)]),
            StreamAppend(stream: g, expected: .noStream, events: [Fixtures.sessionNote(3)]),
            StreamAppend(stream: s, expected: .exact(2), events: [Fixtures.sessionNote(4)]),
        ])
        #expect(results.map(\.versions) == [[1, 2], [1], [3]])
        #expect(results.map(\.positions) == [[0, 1], [2], [3]])
        #expect(try await log.version(of: s) == 3)
        #expect(try await log.readStream(s, from: 1, limit: 10).map(\.id) == ["evt-1", "evt-2", "evt-4"])
    }

    @Test("A large append reports the first bad event")
    func largeAppendFirstError() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var drafts = (0..<2000).map { Fixtures.sessionNote($0) }
        drafts[1500].time = "bad"
        drafts[700].type = "bad"
        do {
            _ = try await log.append(drafts, to: Fixtures.consumerStream(1), expecting: .any)
            Issue.record("accepted")
        } catch let e as EventLogError {
            #expect(e.eventIndex == 700)
            #expect(e.field == "type")
        }
        drafts[700].type = "org.imr.session.recorded.v1"
        drafts[1500].time = "2026-03-02T15:00:00Z"
        let r = try await log.append(drafts, to: Fixtures.consumerStream(1), expecting: .noStream)
        #expect(r.positions == Array(0..<2000))
        #expect(try log.verifyChain().violations.isEmpty)
    }
}

@Suite("Event log: stream reads through jump links")
struct StreamReadTests {
    @Test("Any range of a long, interleaved stream reads back exactly")
    func rangesOfLongStream() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let s = Fixtures.consumerStream(1)
        let other = Fixtures.consumerStream(2)
        var n = 0
        for batch in 0..<13 {
            var appends: [StreamAppend] = []
            for i in 0..<(37 + batch) {
                appends.append(StreamAppend(stream: i % 3 == 0 ? other : s, events: [Fixtures.sessionNote(n)]))
                n += 1
            }
            _ = try await log.append(appends)
        }
        let all = try await log.read(from: 0, limit: 10_000)
        let expected = all.filter { $0.stream == s }
        #expect(try await log.version(of: s) == UInt64(expected.count))
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let from = UInt64.random(in: 0...UInt64(expected.count + 2), using: &rng)
            let limit = Int.random(in: 1...60, using: &rng)
            let got = try await log.readStream(s, from: from, limit: limit)
            let lo = Int(max(from, 1)) - 1
            let want = lo < expected.count ? Array(expected[lo..<min(expected.count, lo + limit)]) : []
            #expect(got.map(\.position) == want.map(\.position), "from \(from) limit \(limit)")
            #expect(got.map(\.streamVersion) == want.map(\.streamVersion))
        }
    }
}
