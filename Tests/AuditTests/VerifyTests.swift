import EventLog
import EventLogTesting
import Foundation
import MerkleLog
import Testing

@Suite("imr-audit: a clean store, its export and its proofs verify")
struct VerifyTests {
    @Test("A clean store with two checkpoints verifies (exit 0)")
    func cleanStoreVerifies() async throws {
        let store = try await AuditStore.make(count: 300, checkpoints: [100, 300])
        defer { store.remove() }
        let held = store.checkpointFiles.values.sorted()
        let run = try AuditRunner.audit(["verify", store.path, "--key", store.key] + held.flatMap { ["--checkpoint", $0] })
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let log = try LMDBEventLog.open(at: store.path, options: .init(readOnly: true))
        let root = try log.currentHead().rootHash
        #expect(run.stdout == "verified: 300 events, 4 checkpoints, root \(root.hex)\n")
        #expect(!run.stderr.contains("warning"))
    }

    @Test("verify on a store another process keeps appending to finds nothing wrong (no false truncation)")
    func verifyWhileAppending() async throws {
        let store = try await AuditStore.make(count: 100, checkpoints: [50])
        defer { store.remove() }
        let appender = Process()
        appender.executableURL = URL(fileURLWithPath: ToolProcess.path(of: "imr"))
        appender.arguments = ["debug", "append-loop", store.path, "--tasks", "2", "--batch", "1", "--run", "live"]
        appender.standardOutput = FileHandle.nullDevice
        try appender.run()
        defer { if appender.isRunning { appender.terminate() } }
        let log = try LMDBEventLog.open(at: store.path, options: .init(readOnly: true))
        while try log.size() < 120 { try await Task.sleep(nanoseconds: 5_000_000) }
        for _ in 0..<6 {
            let run = try AuditRunner.audit(["verify", store.path, "--key", store.key])
            #expect(run.status == 0, "\(run.stdout)")
            if run.status != 0 { break }
        }
        appender.terminate()
        appender.waitUntilExit()
    }

    @Test("Without --key the store's own key is used, with a warning")
    func ownKeyWarns() async throws {
        let store = try await AuditStore.make(count: 20, checkpoints: [10])
        defer { store.remove() }
        let run = try AuditRunner.audit(["verify", store.path])
        #expect(run.status == 0)
        #expect(run.stderr.contains("warning: checking signatures with the store's own verifier key"))
    }

    @Test("An imr-style export verifies against the checkpoints the auditor holds")
    func exportVerifies() async throws {
        let store = try await AuditStore.make(count: 300, checkpoints: [100, 300])
        defer { store.remove() }
        let export = store.path + "-export.ndjson"
        var text = Data()
        for bytes in try store.rawEvents() { text.append(contentsOf: bytes + [0x0A]) }
        try text.write(to: URL(fileURLWithPath: export))
        let args = ["verify-export", export, "--key", store.key, "--checkpoint", store.checkpointFiles[100]!,
                    "--checkpoint", store.checkpointFiles[300]!]
        let run = try AuditRunner.audit(args)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasPrefix("verified: 300 events, 2 checkpoints, root "))

        // One changed byte in line 41 is found at position 41, and the checkpoints no longer match.
        var lines = try store.rawEvents()
        let at = lines[41].firstIndex(of: UInt8(ascii: "5"))!
        lines[41][at] = UInt8(ascii: "6")
        try Data(lines.flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: export))
        let bad = try AuditRunner.audit(args)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("position 42: chain-break"))
        #expect(bad.stdout.contains("checkpoint-root"))
        #expect(bad.stdout.contains("NOT verified"))

        // An export cut short of a held checkpoint fails, naming the checkpoint's size.
        try Data(try store.rawEvents().prefix(250).flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: export))
        let short = try AuditRunner.audit(args)
        #expect(short.status == 1)
        #expect(short.stdout.contains("(size 300): checkpoint-beyond-log"))
    }

    @Test("Inclusion proofs round-trip through prove and verify-proof")
    func inclusionRoundTrip() async throws {
        let store = try await AuditStore.make(count: 300, checkpoints: [100, 300])
        defer { store.remove() }
        for (position, size) in [(0, 300), (41, 100), (99, 100), (299, 300), (150, 300)] {
            let proof = try AuditRunner.audit(["prove", "inclusion", store.path, "--position", "\(position)", "--size", "\(size)"])
            #expect(proof.status == 0, "\(proof.stderr)")
            let file = store.path + "-inclusion-\(position).json"
            try proof.stdout.write(toFile: file, atomically: true, encoding: .utf8)
            let check = try AuditRunner.audit(
                ["verify-proof", file, "--checkpoint", store.checkpointFiles[UInt64(size)]!, "--key", store.key])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            #expect(check.stdout.hasPrefix("verified: inclusion of position \(position) "))
        }
        // By event id, with and without the source.
        let byID = try AuditRunner.audit(["prove", "inclusion", store.path, "--event", "evt-7"])
        let bySource = try AuditRunner.audit(["prove", "inclusion", store.path, "--event", "evt-7", "--source", "/agencies/a1/programs/imr"])
        #expect(byID.status == 0 && bySource.status == 0)
        #expect(byID.stdout == bySource.stdout)
        #expect(byID.stdout.contains("\"position\": 7,"))
        // Unknown ids and sizes beyond the log are usage errors.
        #expect(try AuditRunner.audit(["prove", "inclusion", store.path, "--event", "nope"]).status == 64)
        #expect(try AuditRunner.audit(["prove", "inclusion", store.path, "--position", "300"]).status == 64)
        #expect(try AuditRunner.audit(["prove", "inclusion", store.path]).status == 64)
    }

    @Test("Consistency proofs round-trip through prove and verify-proof")
    func consistencyRoundTrip() async throws {
        let store = try await AuditStore.make(count: 300, checkpoints: [100, 300])
        defer { store.remove() }
        let proof = try AuditRunner.audit(
            ["prove", "consistency", store.path, "--from", store.checkpointFiles[100]!, "--key", store.key])
        #expect(proof.status == 0, "\(proof.stderr)")
        let file = store.path + "-consistency.json"
        try proof.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        for held in [100, 300] as [UInt64] {
            let check = try AuditRunner.audit(["verify-proof", file, "--checkpoint", store.checkpointFiles[held]!, "--key", store.key])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            #expect(check.stdout.hasPrefix("verified: consistency from tree size 100 "))
        }
        let toSize = try AuditRunner.audit(
            ["prove", "consistency", store.path, "--from", store.checkpointFiles[100]!, "--to-size", "150", "--key", store.key])
        #expect(toSize.status == 0)
        #expect(toSize.stdout.contains("\"newSize\": 150,"))
        // A --to-size below the checkpoint asks for an impossible proof: usage (64), not a finding (1).
        for size in ["99", "0"] {
            let below = try AuditRunner.audit(
                ["prove", "consistency", store.path, "--from", store.checkpointFiles[100]!, "--to-size", size, "--key", store.key])
            #expect(below.status == 64, "\(size): \(below.stderr)")
        }
        // --checkpoint without --key is a usage error.
        #expect(try AuditRunner.audit(["verify-proof", file, "--checkpoint", store.checkpointFiles[100]!]).status == 64)
        // So is --key without --checkpoint (it would check nothing).
        #expect(try AuditRunner.audit(["verify-proof", file, "--key", store.key]).status == 64)
    }

    @Test("report writes a JSON report and a self-contained HTML page without event data")
    func reportFiles() async throws {
        let store = try await AuditStore.make(count: 120, checkpoints: [100])
        defer { store.remove() }
        let out = store.path + "-report"
        let run = try AuditRunner.audit(["report", store.path, "--key", store.key, "--out", out])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as! [String: Any]
        #expect(json["verified"] as? Bool == true)
        #expect(json["size"] as? Int == 120)
        #expect(json["origin"] as? String == "imr-test/audit")
        #expect((json["checkpoints"] as? [[String: Any]])?.first?["status"] as? String == "verified")
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("<style>") && html.contains("Verified"))
        #expect(!html.contains("<script"))
        for text in [html, try String(contentsOfFile: out + "/report.json", encoding: .utf8)] {
            #expect(!text.contains("breathing exercise"))  // event data never appears
            #expect(!text.contains("sessionId"))
        }
        #expect(try AuditRunner.audit(["report", store.path]).status == 64)
    }

    @Test("A missing store is reported as not found at its path, never with advice to create one, by every command that reads a store")
    func missingStoreIsNotFound() throws {
        let missing = "/nonexistent/imr-store"
        for args in [["verify", missing], ["prove", "inclusion", missing, "--position", "0"],
                     ["report", missing, "--out", FileManager.default.temporaryDirectory.appendingPathComponent("imr-audit-\(UUID().uuidString)").path]] {
            let r = try AuditRunner.audit(args)
            #expect(r.status == 74, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("no IMR store found at \(missing)"), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("init") && !r.stderr.contains("create"), "\(args): an auditor is never told to make a store: \(r.stderr)")
        }
    }

    @Test("A missing store or file is an I/O error (exit 74); bad arguments are usage errors (64)")
    func exitCodes() async throws {
        #expect(try AuditRunner.audit(["verify", "/nonexistent/imr-store"]).status == 74)
        #expect(try AuditRunner.audit(["verify-proof", "/nonexistent/proof.json"]).status == 74)
        #expect(try AuditRunner.audit(["verify", "/tmp", "--key", "not-a-key"]).status == 64)
        #expect(try AuditRunner.audit(["verify-export", "/nonexistent.ndjson"]).status == 64)
        #expect(try AuditRunner.audit(["verify"]).status == 64)
    }
}
