import EventLog
import EventLogTesting
import Foundation
import Testing

/// The writer asks for a higher priority while it commits (`LMDBEventLog.Options.writerNice`),
/// on a thread Dispatch lends it, and gives that thread its own priority back when it is done.
@Suite("Writer priority: raised while committing, given back after", .serialized)
struct WriterPriorityTests {
    /// The nice value of each thread of this process (`/proc/self/task/*/stat`, field 19).
    private static func threadNiceValues() throws -> [Int] {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        return tasks.compactMap { tid in
            // A thread may end between the listing and the read.
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // After the name: state is field 3, so nice (field 19) is the 17th.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 16 ? Int(fields[16]) : nil
        }
    }

    /// Whether this process may give a thread nice −10: tried on the calling thread, which gets
    /// its own value back.
    private static func mayRaise() -> Bool {
        errno = 0
        let before = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        guard errno == 0, before > -10 else { return false }
        guard setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, -10) == 0 else { return false }
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, before)
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

    @Test("At the default, the writer's thread runs at nice −10 where the process may raise it, and no thread keeps it afterwards")
    func raisedAndGivenBack() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        try await Self.appendConcurrently(log)
        #expect(try await log.head().treeSize == 160)
        let raised = log.writerStatistics.raisedPriority
        guard Self.mayRaise() else {
            // Not allowed here (no root, no CAP_SYS_NICE): the writer ran at its thread's priority.
            #expect(raised == 0)
            return
        }
        #expect(raised > 0)
        // The writer hands its thread back just after the last append returns. Other suites'
        // writers, running meanwhile in this process, hold −10 only while they commit, so a
        // moment with no thread at −10 comes; a thread that kept it would hold it until Dispatch
        // retires it, idle, after about 5 s.
        var lent = try Self.threadNiceValues().filter { $0 <= -10 }.count
        for _ in 0..<600 {
            if lent == 0 { break }
            try await Task.sleep(for: .milliseconds(5))
            lent = try Self.threadNiceValues().filter { $0 <= -10 }.count
        }
        #expect(lent == 0, "a thread Dispatch lent the writer kept its raised priority")
    }

    @Test("With writerNice nil the writer never asks")
    func neverAsked() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create(options: .init(writerNice: nil))
        try await Self.appendConcurrently(log)
        #expect(log.writerStatistics.raisedPriority == 0)
    }
}
