import EventLog
import EventLogTesting
import Foundation
import LMDBKit
import Testing

@Suite("Event log: verification that continues, and verification during appends")
struct ChainAuditTests {
    /// Appends `count` session notes numbered from `first`, spread over 7 streams.
    func appendNotes(_ log: LMDBEventLog, from first: Int, count: Int) async throws {
        let appends = (first..<(first + count)).map { n in
            StreamAppend(stream: Fixtures.consumerStream(n % 7), expected: .any, events: [Fixtures.sessionNote(n)])
        }
        _ = try await log.append(appends)
    }

    /// Overwrites the stored bytes of the event at `position` with one letter of its `data`
    /// changed, the way someone editing the file would: the chain no longer holds there.
    func alter(_ store: String, position: UInt64) throws {
        let env = try Environment.shared(path: LMDBEventLog.logDirectory(of: store))
        try env.write { txn in
            let events = try txn.openDatabase("events", create: false)
            var bytes = try #require(try txn.get(events, key: position))
            let i = try #require(bytes.firstIndex(of: UInt8(ascii: "s")))
            bytes[i] = UInt8(ascii: "S")
            try bytes.withUnsafeBytes { try txn.put(events, key: position, value: $0) }
        }
    }

    @Test("Continuing a verifier over the events appended since gives what a full pass gives")
    func continuedEqualsFull() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        try await appendNotes(log, from: 0, count: 300)
        let first = try log.verifyChain(strict: false)
        #expect(first.count == 300)
        for round in 1...3 {
            try await appendNotes(log, from: 300 * round, count: 37 * round)
        }
        let continued = try log.verifyChain(strict: false, continuing: first)
        let full = try log.verifyChain(strict: false)
        #expect(continued.violations.isEmpty)
        #expect(continued.count == full.count)
        #expect(continued.count == 300 + 37 + 74 + 111)
        #expect(continued.rootHash == full.rootHash)
        #expect(continued.rootHash == (try log.currentHead().rootHash))
        // Nothing appended: continuing reads nothing and stays verified.
        let again = try log.verifyChain(strict: false, continuing: continued)
        #expect(again.violations.isEmpty && again.count == continued.count && again.rootHash == continued.rootHash)
    }

    @Test("A standing audit finds an altered new event at once, and an altered old one at its next full pass")
    func standingAudit() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        try await appendNotes(log, from: 0, count: 200)
        let audit = ChainAudit(log: log, fullCheckInterval: 3600)
        let initial = try audit.check()
        #expect(initial.verifier.violations.isEmpty && initial.verifier.count == 200)

        // An event checked already, altered afterwards: the incremental checks do not re-read it…
        try alter(tmp.path, position: 50)
        try await appendNotes(log, from: 200, count: 20)
        let incremental = try audit.check()
        #expect(incremental.verifier.count == 220)
        #expect(incremental.verifier.violations.isEmpty)
        #expect(incremental.lastFullCheck == initial.lastFullCheck)
        // …a full pass does (the interval has run out: 0 makes every check full).
        let full = try ChainAudit(log: log, fullCheckInterval: 0).check()
        #expect(full.verifier.violations.contains { $0.position == 51 && $0.kind == .chainBreak })

        // An event appended after the last check and altered before the next: found at once.
        try await appendNotes(log, from: 220, count: 10)
        try alter(tmp.path, position: 225)
        let next = try audit.check()
        #expect(next.verifier.violations.contains { $0.position == 226 && $0.kind == .chainBreak })
    }

    @Test("Verifying while another task appends reports nothing wrong")
    func verifyDuringAppends() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        try await appendNotes(log, from: 0, count: 50)
        let appender = Task {
            var n = 50
            while !Task.isCancelled {
                _ = try await log.append([Fixtures.sessionNote(n)], to: Fixtures.consumerStream(n % 7), expecting: .any)
                n += 1
            }
        }
        defer { appender.cancel() }
        var continued: ChainVerifier?
        for _ in 0..<150 {
            let full = try log.verifyChain(strict: false)
            #expect(full.violations.isEmpty, "\(full.violations.first?.description ?? "")")
            continued = try log.verifyChain(strict: false, continuing: continued)
            #expect(continued!.violations.isEmpty, "\(continued!.violations.first?.description ?? "")")
            if !full.violations.isEmpty || !continued!.violations.isEmpty { break }
        }
        appender.cancel()
        _ = await appender.result
        let final = try log.verifyChain(strict: false, continuing: continued)
        #expect(final.count == (try log.size()))
        #expect(final.rootHash == (try log.currentHead().rootHash))
    }
}
