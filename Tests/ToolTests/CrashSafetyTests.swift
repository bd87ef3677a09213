import CanonicalJSON
import EventLog
import EventLogTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Crash safety and multi-process access", .serialized)  // serialized: each test runs child processes; running them together only adds CPU contention
struct CrashSafetyTests {
    /// Every acknowledged batch of a killed writer, by batch id, with its positions.
    func acknowledged(_ file: String) throws -> [String: [LogIndex]] {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var acks: [String: [LogIndex]] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            // A line cut by the kill has no trailing newline and may be partial: only whole lines count.
            guard parts.count == 3, parts[0] == "ack" else { continue }
            acks[String(parts[1])] = parts[2].split(separator: ",").compactMap { LogIndex($0) }
        }
        if !text.isEmpty && !text.hasSuffix("\n"), let last = text.split(separator: "\n").last {
            let parts = last.split(separator: " ")
            if parts.count == 3 { acks.removeValue(forKey: String(parts[1])) }
        }
        return acks
    }

    @Test("SIGKILL at random moments loses no acknowledged append and leaves no partial batch")
    func killNineRounds() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        do { _ = try tmp.create() }
        var rng = SystemRandomNumberGenerator()
        var allAcked: [String: [LogIndex]] = [:]
        var roundsWithAcks = 0
        var checkedSize: UInt64 = 0
        for round in 0..<24 {
            let outFile = tmp.path + "-out-\(round).txt"
            let child = try ToolRunner.start(
                ["debug", "append-loop", tmp.path, "--tasks", "6", "--batch", "3", "--run", "r\(round)"], outputFile: outFile)
            let delay = UInt64.random(in: 80...600, using: &rng)
            try await Task.sleep(nanoseconds: delay * 1_000_000)
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)
            let acks = try acknowledged(outFile)
            if !acks.isEmpty { roundsWithAcks += 1 }
            allAcked.merge(acks) { a, _ in a }

            // Reopen and check: every event acknowledged in this round is where it was acknowledged,
            // the new events hold only whole batches, and they extend the chain.
            let log = try LMDBEventLog.open(at: tmp.path, options: .init(readOnly: true))
            let head = try await log.head()
            let from = checkedSize == 0 ? 0 : checkedSize - 1
            let events = try await log.read(from: from, limit: Int(head.treeSize - from) + 1)
            #expect(UInt64(events.count) == head.treeSize - from)
            for (batch, positions) in acks {
                for (k, p) in positions.enumerated() {
                    guard p >= from, p < head.treeSize else {
                        Issue.record("round \(round): acknowledged position \(p) of \(batch) is missing")
                        continue
                    }
                    #expect(events[Int(p - from)].id == "\(batch)-\(k)", "round \(round): position \(p)")
                }
            }
            var parts: [String: Int] = [:]
            for e in events where e.position >= checkedSize {
                guard case .string(let b)? = e.data["batch"] else { continue }
                parts[b, default: 0] += 1
            }
            for (b, n) in parts { #expect(n == 3, "round \(round): batch \(b) has \(n) of 3 events") }
            for (prev, next) in zip(events, events.dropFirst()) {
                #expect(next.predecessorHash == prev.leafHash, "round \(round): chain breaks at \(next.position)")
            }
            #expect(head.treeSize >= checkedSize)
            checkedSize = head.treeSize
        }
        // The whole log, once more from the start: chain, canonical bytes, Merkle leaves and root.
        let log = try LMDBEventLog.open(at: tmp.path, options: .init(readOnly: true))
        let verifier = try log.verifyChain()
        #expect(verifier.violations.isEmpty, "\(verifier.violations.first?.description ?? "")")
        let all = try await log.read(from: 0, limit: Int(checkedSize))
        let byID = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0.position) })
        for (batch, positions) in allAcked {
            for (k, p) in positions.enumerated() { #expect(byID["\(batch)-\(k)"] == p) }
        }
        #expect(roundsWithAcks >= 10, "too few rounds acknowledged anything to be a real test")
        #expect(allAcked.count > 50)
    }

    @Test("A second process reads a consistent, growing log while this one's child appends")
    func concurrentReaderProcess() async throws {
        // The child pauses 4 ms after each append, so that a loaded machine cannot let it
        // finish between two of the reader's looks (the reader must see the log grow).
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        do { _ = try tmp.create() }
        let child = try ToolRunner.start(
            ["debug", "append-loop", tmp.path, "--tasks", "4", "--batch", "3", "--count", "150", "--run", "m", "--pause-ms", "4"],
            outputFile: tmp.path + "-out.txt")
        let log = try LMDBEventLog.open(at: tmp.path, options: .init(readOnly: true))
        var sizes: [UInt64] = []
        while child.isRunning {
            let head = try await log.head()
            sizes.append(head.treeSize)
            let events = try await log.read(from: 0, limit: Int(head.treeSize))
            #expect(UInt64(events.count) >= head.treeSize)
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)
        let final = try await log.head()
        #expect(final.treeSize == 4 * 150 * 3)
        #expect(sizes == sizes.sorted(), "the size seen by the reader never goes back")
        #expect(Set(sizes.filter { $0 > 0 && $0 < final.treeSize }).count >= 2, "the reader saw the log grow: \(Set(sizes).sorted())")
        #expect(try log.verifyChain().violations.isEmpty)
    }
}
