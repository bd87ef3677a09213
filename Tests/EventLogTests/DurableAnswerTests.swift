import EventLogTesting
import Foundation
import Testing

@testable import EventLog

/// The log's environment leaves each commit's meta page to a later flush; the writer answers an
/// append only once a flush has covered its commit: the next commit that stores events, or an
/// explicit `mdb_env_sync` when none follows at once.
@Suite("Durable answers: an append is answered only after a flush covers its commit", .serialized)
struct DurableAnswerTests {
    @Test("A writable log defers meta-page flushes; a read-only one does not")
    func environments() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        do {
            let log = try tmp.create()
            #expect(log.env.defersMetaSync)
            _ = try await log.append([Fixtures.sessionNote(0)], to: Fixtures.consumerStream(0), expecting: .noStream)
        }
        let readOnly = try LMDBEventLog.open(at: tmp.path, options: .init(readOnly: true))
        #expect(!readOnly.env.defersMetaSync)
        #expect(try await readOnly.head().treeSize == 1)
    }

    @Test("One append at a time: each is answered after a flush of its own")
    func oneAtATime() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        for n in 0..<20 {
            _ = try await log.append([Fixtures.sessionNote(n)], to: Fixtures.consumerStream(n % 3), expecting: .any)
            // The flush is counted before the caller is answered.
            let stats = log.writerStatistics
            #expect(stats.metaFlushes == n + 1)
            #expect(stats.commits == n + 1)
            #expect(stats.coveredCommits == 0)
        }
        #expect(try await log.head().treeSize == 20)
    }

    @Test("Appends in flight: commits are covered by the next commit's flush, and every commit is made durable once")
    func inFlight() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create(options: .init(maxEventsPerCommit: 50))
        let streams = (0..<40).map { Fixtures.consumerStream($0) }
        // 40 appends of 50 events at once, one commit each: while the writer commits one, the
        // next ones wait in its queue.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for a in 0..<40 {
                group.addTask {
                    let drafts = (0..<50).map { Fixtures.sessionNote(a * 50 + $0, consumer: "c-\(a)") }
                    let results = try await log.append([StreamAppend(stream: streams[a], expected: .noStream, events: drafts)])
                    #expect(results.first?.positions.count == 50)
                }
            }
            try await group.waitForAll()
        }
        let stats = log.writerStatistics
        #expect(stats.commits == 40)
        #expect(stats.coveredCommits > 0)
        #expect(stats.commits == stats.coveredCommits + stats.metaFlushes)
        #expect(try await log.head().treeSize == 2000)
        #expect(try log.verifyIndexes().isEmpty)
        #expect(try log.verifyChain().violations.isEmpty)
    }
}
