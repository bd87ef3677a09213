import CanonicalJSON
import EventLog
import EventLogTesting
import Foundation
import MerkleLog
import Testing

/// The sequencer renders, hashes and links each append against the log it expects the writer to
/// have; the writer checks that expectation and decides on its own when it does not hold. These
/// tests make the expectation fail while many appends are in flight.
@Suite("Append pipeline: the sequencer's surprises are caught and it starts again", .serialized)
struct PipelineTests {
    /// Every stream's events read back with versions 1…n, the indexes agree with the events and
    /// the chain and tree verify.
    private func expectWhole(_ log: LMDBEventLog, streams: [StreamID], total: Int) async throws {
        #expect(try await log.head().treeSize == UInt64(total))
        var seen = 0
        for s in streams {
            let events = try await log.readStream(s, from: 1, limit: 10_000)
            #expect(events.map(\.streamVersion) == (0..<events.count).map { UInt64($0 + 1) })
            #expect(try await log.version(of: s) == UInt64(events.count))
            seen += events.count
        }
        #expect(seen == total)
        #expect(try log.verifyIndexes().isEmpty)
        #expect(try log.verifyChain().violations.isEmpty)
    }

    @Test("Retries and conflicts among hundreds of appends in flight: the rest land gapless, and the pipeline resumes")
    func retriesInFlight() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let streams = (0..<5).map { Fixtures.consumerStream($0) }
        for n in 0..<50 {
            _ = try await log.append([Fixtures.sessionNote(n)], to: streams[n % 5], expecting: .any)
        }
        let before = log.writerStatistics
        // 300 appends at once: every tenth repeats a stored event (a safe retry, which the
        // sequencer takes for a new append), every tenth after that reuses a stored id with other
        // content (a conflict); the others are new.
        let outcomes = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<300 {
                group.addTask {
                    let stream = streams[i % 5]
                    var draft = Fixtures.sessionNote(1000 + i)
                    if i % 10 == 0 {
                        draft = Fixtures.sessionNote(i / 10)
                        let r = try await log.append([draft], to: streams[(i / 10) % 5], expecting: .any)
                        return (i, r.wasDuplicate && r.positions == [UInt64(i / 10)] ? "retry" : "wrong retry")
                    }
                    if i % 10 == 5 {
                        draft = Fixtures.sessionNote(i / 10 + 20)
                        draft.data = .object(["sessionId": .string("other \(i)")])
                        do {
                            _ = try await log.append([draft], to: stream, expecting: .any)
                            return (i, "conflict stored")
                        } catch let e as EventLogError where e.code == .idempotencyConflict {
                            return (i, "conflict")
                        }
                    }
                    let r = try await log.append([draft], to: stream, expecting: .any)
                    return (i, r.wasDuplicate ? "new taken for a retry" : "new")
                }
            }
            var all: [Int: String] = [:]
            for try await (i, o) in group { all[i] = o }
            return all
        }
        #expect(outcomes.values.filter { $0 == "retry" }.count == 30)
        #expect(outcomes.values.filter { $0 == "conflict" }.count == 30)
        #expect(outcomes.values.filter { $0 == "new" }.count == 240)
        try await expectWhole(log, streams: streams, total: 50 + 240)
        // The retries surprised the sequencer, so it starts again from the store (at the latest
        // for the next append), and an append made once all is quiet is written as it prepared it.
        let after = log.writerStatistics
        _ = try await log.append([Fixtures.sessionNote(5000)], to: streams[0], expecting: .any)
        let quiet = log.writerStatistics
        #expect(quiet.rebases > before.rebases)
        #expect(quiet.sequenced == after.sequenced + 1)
        try await expectWhole(log, streams: streams, total: 50 + 240 + 1)
    }

    @Test("Two writers on one store appending at once: each event lands once and every stream stays whole")
    func twoWritersAtOnce() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let first = try tmp.create()
        let second = try LMDBEventLog.open(at: tmp.path)
        let streams = (0..<4).map { Fixtures.consumerStream($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (w, log) in [first, second].enumerated() {
                for i in 0..<150 {
                    group.addTask {
                        let n = w * 1000 + i
                        _ = try await log.append([Fixtures.sessionNote(n)], to: streams[n % 4], expecting: .any)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await expectWhole(first, streams: streams, total: 300)
        // Each writer goes on from the other's events.
        let r = try await first.append([Fixtures.sessionNote(9000)], to: streams[0], expecting: .any)
        let r2 = try await second.append([Fixtures.sessionNote(9001)], to: streams[0], expecting: .exact(r.versions[0]))
        #expect(r2.positions == [r.positions[0] + 1])
        try await expectWhole(second, streams: streams, total: 302)
    }
}
