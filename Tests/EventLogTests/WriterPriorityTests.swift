import EventLogTesting
import Foundation
import Testing

@testable import EventLog

/// The writer asks for a higher priority while it commits (`LMDBEventLog.Options.writerNice`),
/// on a thread Dispatch lends it, and gives that thread its own priority back when it is done.
@Suite("Writer priority: raised while committing, given back after", .serialized)
struct WriterPriorityTests {
    /// Whether this process may give a thread nice −10 (root, `CAP_SYS_NICE`, `RLIMIT_NICE`):
    /// tried on the calling thread, which gets its own value back.
    private static func mayRaise() -> Bool {
        guard let before = ThreadPriority.raise(to: -10) else { return false }
        ThreadPriority.restore(before)
        return true
    }

    /// Appends from 16 tasks at once, so the writer drains several commits in a row.
    private static func appendConcurrently(_ log: LMDBEventLog) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<16 {
                group.addTask {
                    for n in 0..<10 {
                        _ = try await log.append(
                            [Fixtures.sessionNote(t * 100 + n)], to: Fixtures.consumerStream(t), expecting: .any)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("A raised priority is the thread's until it is given back, and then its own value again")
    func raiseAndRestore() {
        let own = ThreadPriority.current
        guard let before = ThreadPriority.raise(to: -10) else {
            // Not allowed here, or the thread already runs at −10 or higher: nothing changed.
            #expect(ThreadPriority.current == own)
            return
        }
        #expect(before == own)
        #expect(ThreadPriority.current == -10)
        ThreadPriority.restore(before)
        #expect(ThreadPriority.current == own)
        // Never lowered: asking for less than the thread has changes nothing.
        #expect(ThreadPriority.raise(to: own + 1) == nil)
        #expect(ThreadPriority.current == own)
    }

    @Test("At the default the writer raises its thread's priority where the process may, and gives it back each time it is idle")
    func writerRaisesAndGivesBack() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        try await Self.appendConcurrently(log)
        #expect(try await log.head().treeSize == 160)
        guard Self.mayRaise() else {
            // Not allowed here: the writer ran at its thread's priority.
            #expect(log.writerStatistics.raisedPriority == 0)
            return
        }
        #expect(log.writerStatistics.raisedPriority > 0)
        // The writer gives its thread back just after the last append returns: wait for that.
        var stats = log.writerStatistics
        for _ in 0..<1000 where stats.restoredPriority != stats.raisedPriority {
            try await Task.sleep(for: .milliseconds(5))
            stats = log.writerStatistics
        }
        #expect(stats.restoredPriority == stats.raisedPriority)
    }

    @Test("With writerNice nil the writer never asks")
    func neverAsked() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create(options: .init(writerNice: nil))
        try await Self.appendConcurrently(log)
        #expect(log.writerStatistics.raisedPriority == 0)
        #expect(log.writerStatistics.restoredPriority == 0)
    }

    @Test("writerPriorityAvailable says whether the writer can run at its nice value, and leaves the calling thread as it was")
    func availability() throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let own = ThreadPriority.current
        do {
            let log = try tmp.create()
            #expect(log.writerNice == -10)
            #expect(log.writerPriorityAvailable() == (own <= -10 || Self.mayRaise()))
            #expect(ThreadPriority.current == own)
        }
        // A nice value the thread already has or betters needs no privilege.
        let low = try LMDBEventLog.open(at: tmp.path, options: .init(writerNice: 19))
        #expect(low.writerPriorityAvailable() == true)
        #expect(ThreadPriority.current == own)
    }

    @Test("Without a writer, or with writerNice nil, there is no priority to ask for")
    func noPriorityToAsk() throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        do {
            let log = try tmp.create(options: .init(writerNice: nil))
            #expect(log.writerNice == nil)
            #expect(log.writerPriorityAvailable() == nil)
        }
        let readOnly = try LMDBEventLog.open(at: tmp.path, options: .init(readOnly: true))
        #expect(readOnly.writerPriorityAvailable() == nil)
    }
}
