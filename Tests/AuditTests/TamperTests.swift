import EventLog
import EventLogTesting
import Foundation
import LMDBKit
import MerkleLog
import Testing

@Suite("imr-audit: tampered stores, foreign keys and wrong proofs are caught")
struct TamperTests {
    /// Runs `verify` with the auditor's key and the checkpoints they hold.
    private func verify(_ store: AuditStore, held: [UInt64] = []) throws -> AuditRunner.Output {
        try AuditRunner.audit(
            ["verify", store.path, "--key", store.key] + held.flatMap { ["--checkpoint", store.checkpointFiles[$0]!] })
    }

    @Test("A deleted event is found at its position")
    func deletedEvent() async throws {
        let store = try await AuditStore.make(count: 120, checkpoints: [100])
        defer { store.remove() }
        try store.writeEvents { txn, events in
            let deleted = try txn.delete(events, key: UInt64(57))
            #expect(deleted)
        }
        let run = try verify(store)
        #expect(run.status == 1)
        #expect(run.stdout.contains("position 57: gap: expected position 57, found position 58"))
        #expect(run.stdout.contains("NOT verified"))
    }

    @Test("Two reordered events are found at their positions")
    func reorderedEvents() async throws {
        let store = try await AuditStore.make(count: 120, checkpoints: [100])
        defer { store.remove() }
        let events = try store.rawEvents()
        try store.writeEvents { txn, db in
            try txn.put(db, key: UInt64(30), value: events[31])
            try txn.put(db, key: UInt64(31), value: events[30])
        }
        let run = try verify(store)
        #expect(run.status == 1)
        #expect(run.stdout.contains("position 30: position-mismatch: expected 30, found 31"))
        #expect(run.stdout.contains("position 31: position-mismatch: expected 31, found 30"))
        #expect(run.stdout.contains("position 30: merkle-mismatch: expected node 0/30 "))
    }

    @Test("An inserted event is found at its position")
    func insertedEvent() async throws {
        let store = try await AuditStore.make(count: 120, checkpoints: [100])
        defer { store.remove() }
        let events = try store.rawEvents()
        // Shift 80… up by one and put a forged event (a copy of 79's bytes) at 80.
        try store.writeEvents { txn, db in
            for position in (80..<events.count).reversed() {
                try txn.put(db, key: UInt64(position + 1), value: events[position])
            }
            try txn.put(db, key: UInt64(80), value: events[79])
        }
        let run = try verify(store)
        #expect(run.status == 1)
        #expect(run.stdout.contains("position 80: position-mismatch: expected 80, found 79"))
        #expect(run.stdout.contains("position 80: chain-break"))
        #expect(run.stdout.contains("position 80: merkle-mismatch: expected node 0/80 "))
    }

    @Test("A data file cut short (its pages truncated) is refused at open: exit 1, NOT verified, no bus error")
    func truncatedFile() async throws {
        let store = try await AuditStore.make(count: 300, checkpoints: [300])
        defer { store.remove() }
        let file = store.path + "/log/data.mdb"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        #expect(truncate(file, off_t(size / 2)) == 0)
        let run = try verify(store, held: [300])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("data.mdb holds \(size / 2) bytes, but its last page ends at byte"), "\(run.stderr)")
        #expect(run.stderr.contains("The store is NOT verified."), "\(run.stderr)")
    }

    @Test("A log truncated after a held checkpoint fails, naming the checkpoint's size")
    func truncatedLog() async throws {
        let store = try await AuditStore.make(count: 300, checkpoints: [100, 300])
        defer { store.remove() }
        try store.writeEvents { txn, db in
            for position in 250..<300 { _ = try txn.delete(db, key: UInt64(position)) }
        }
        let run = try verify(store, held: [300])
        #expect(run.status == 1)
        #expect(run.stdout.contains("checkpoint file \(store.checkpointFiles[300]!) (size 300): checkpoint-beyond-log"))
        #expect(run.stdout.contains("a log of at least 300 events"))
        #expect(run.stdout.contains("position 250, Merkle node (0, 250): truncated"))
        // prove consistency from the held checkpoint fails too.
        let prove = try AuditRunner.audit(
            ["prove", "consistency", store.path, "--from", store.checkpointFiles[300]!, "--key", store.key])
        #expect(prove.status == 1)
        #expect(prove.stderr.contains("size 300 exceeds the tree size 250"))
    }

    @Test("A checkpoint signed with another key is rejected")
    func foreignKey() async throws {
        let store = try await AuditStore.make(count: 120, checkpoints: [100])
        defer { store.remove() }
        let log = try LMDBEventLog.open(at: store.path, options: .init(readOnly: true))
        let head = try log.currentHead()
        let stranger = try NoteSigner(name: "imr-test/audit", privateKey: .init())
        let forged = try SignedCheckpoint.sign(
            Checkpoint(origin: "imr-test/audit", size: head.treeSize, rootHash: head.rootHash), with: stranger)
        let file = store.path + "-forged.txt"
        try forged.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try AuditRunner.audit(["verify", store.path, "--key", store.key, "--checkpoint", file])
        #expect(run.status == 1)
        #expect(run.stdout.contains("checkpoint file \(file): checkpoint-signature"))
        #expect(run.stdout.contains("no signature by key imr-test/audit+"))
        // The stranger's key verifies its own checkpoint but not the store's stored one.
        let other = try AuditRunner.audit(["verify", store.path, "--key", stranger.verifierKey, "--checkpoint", file])
        #expect(other.status == 1)
        #expect(other.stdout.contains("stored checkpoint (size 100): checkpoint-signature"))
        // verify-proof against the forged checkpoint is rejected too.
        let proof = try AuditRunner.audit(["prove", "inclusion", store.path, "--position", "3"])
        let proofFile = store.path + "-p.json"
        try proof.stdout.write(toFile: proofFile, atomically: true, encoding: .utf8)
        #expect(try AuditRunner.audit(["verify-proof", proofFile, "--checkpoint", file, "--key", store.key]).status == 1)
    }

    @Test("A proof for a different event (wrong leaf) is rejected by verify-proof")
    func wrongLeaf() async throws {
        let store = try await AuditStore.make(count: 120, checkpoints: [100])
        defer { store.remove() }
        func prove(_ position: Int) throws -> [String: Any] {
            let run = try AuditRunner.audit(["prove", "inclusion", store.path, "--position", "\(position)", "--size", "100"])
            return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        }
        func check(_ document: [String: Any]) throws -> AuditRunner.Output {
            let file = store.path + "-wrong.json"
            try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: file))
            return try AuditRunner.audit(["verify-proof", file, "--checkpoint", store.checkpointFiles[100]!, "--key", store.key])
        }
        let five = try prove(5)
        let six = try prove(6)
        #expect(try check(five).status == 0)

        var swapped = five  // event 6's text and leaf with event 5's path
        swapped["event"] = six["event"]
        swapped["leafHash"] = six["leafHash"]
        let a = try check(swapped)
        #expect(a.status == 1)
        #expect(a.stderr.contains("position 5: position-mismatch"))

        swapped.removeValue(forKey: "event")  // no text: the path itself must fail
        let b = try check(swapped)
        #expect(b.status == 1)
        #expect(b.stderr.contains("calculated root"))

        var relabelled = five  // the text no longer matches the leaf hash
        relabelled["leafHash"] = six["leafHash"]
        let c = try check(relabelled)
        #expect(c.status == 1)
        #expect(c.stderr.contains("leaf-hash"))

        var otherPath = six  // event 6 claimed at position 5 with its real leaf
        otherPath["position"] = 5
        otherPath.removeValue(forKey: "event")
        #expect(try check(otherPath).status == 1)
    }
}
