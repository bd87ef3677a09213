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

    @Test("An id index naming another event's position makes prove inclusion --event fail instead of proving the other event")
    func idIndexPointsElsewhere() async throws {
        let store = try await AuditStore.make(count: 20, checkpoints: [20])
        defer { store.remove() }
        let events = try LMDBEventLog.open(at: store.path, options: .init(readOnly: true)).readEvents(from: 0, limit: 20)
        let (asked, other) = (events[3], events[5])
        try store.write(database: "ids") { txn, ids in
            let value = try #require(try txn.get(ids, key: Array(other.source.utf8) + [0] + Array(other.id.utf8)))
            try txn.put(ids, key: Array(asked.source.utf8) + [0] + Array(asked.id.utf8), value: value)
        }
        let run = try AuditRunner.audit(["prove", "inclusion", store.path, "--event", asked.id, "--source", asked.source])
        #expect(run.status != 0 && run.stdout.isEmpty, "\(run.stdout)")
        #expect(run.stderr.contains("the id index names this position for another event"), "\(run.stderr)")
    }

    @Test("Merkle nodes left past the last event are truncation, for imr-audit and imr verify-chain")
    func nodesPastTheEnd() async throws {
        let store = try await AuditStore.make(count: 8, checkpoints: [7], batch: 1)
        defer { store.remove() }
        // Event 7 and its leaf (key 11) go; nodes 12, 13 and 14 (the root of 8) stay.
        try store.writeEvents { txn, events in _ = try txn.delete(events, key: UInt64(7)) }
        try store.write(database: "merkle") { txn, merkle in _ = try txn.delete(merkle, key: UInt64(11)) }
        let run = try verify(store)
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.stdout.contains("position 7: truncated"), "\(run.stdout)")
        let chain = try AuditRunner.imr(["verify-chain", store.path])
        #expect(chain.status != 0, "\(chain.stdout)")
        #expect((chain.stdout + chain.stderr).contains("truncated"), "\(chain.stdout)\(chain.stderr)")
    }

    @Test("prove consistency re-hashes the events: a rewritten event under its old stored nodes is not 'extended'")
    func consistencyOverRewrittenEvents() async throws {
        let store = try await AuditStore.make(count: 30, checkpoints: [20])
        defer { store.remove() }
        let first = try store.rawEvents()[0]
        try store.writeEvents { txn, events in
            var changed = first
            let i = try #require(changed.firstIndex(of: UInt8(ascii: "a")))
            changed[i] = UInt8(ascii: "b")
            try changed.withUnsafeBytes { try txn.put(events, key: UInt64(0), value: $0) }
        }
        let run = try AuditRunner.audit(["prove", "consistency", store.path, "--from", store.checkpointFiles[20]!, "--key", store.key])
        #expect(run.status == 1 && run.stdout.isEmpty, "\(run.stdout)")
        #expect(run.stderr.contains("the log was rewritten"), "\(run.stderr)")
    }

    @Test("A log smaller than a tree it has signed is not signed again, smaller")
    func noSmallerCheckpoint() async throws {
        let store = try await AuditStore.make(count: 8, checkpoints: [8], batch: 1)
        defer { store.remove() }
        try store.writeEvents { txn, events in _ = try txn.delete(events, key: UInt64(7)) }
        try store.write(database: "merkle") { txn, merkle in
            for key in UInt64(11)...14 { _ = try txn.delete(merkle, key: key) }
        }
        let run = try AuditRunner.imr(["checkpoint", store.path])
        #expect(run.status != 0 && run.stdout.isEmpty, "\(run.stdout)")
        #expect(run.stderr.contains("has signed a checkpoint of 8"), "\(run.stderr)")
    }

    @Test("A log rolled back and appended to again is not signed: the checkpoint that shows the rollback is kept")
    func noCheckpointAfterRollback() async throws {
        let store = try await AuditStore.make(count: 8, checkpoints: [8], batch: 1)
        defer { store.remove() }
        try store.writeEvents { txn, events in _ = try txn.delete(events, key: UInt64(7)) }
        try store.write(database: "links") { txn, links in _ = try txn.delete(links, key: UInt64(7)) }
        try store.write(database: "merkle") { txn, merkle in
            for key in UInt64(11)...14 { _ = try txn.delete(merkle, key: key) }
        }
        let held = try #require(try LMDBEventLog.open(at: store.path).latestCheckpoint())
        // Another event where the eighth was: the log is 8 events long again, with another root.
        do {
            let log = try LMDBEventLog.open(at: store.path)
            _ = try await log.append([EventDraft(id: "rollback-1", source: "/tests", type: "com.example.other.v1", time: "2026-01-01T00:00:00Z",
                                                 data: ["k": 1], recordedBy: "u-t", recordedRole: "integrator")],
                                     to: try StreamID("s-rollback"), expecting: .any)
        }
        let run = try AuditRunner.imr(["checkpoint", store.path])
        #expect(run.status != 0 && run.stdout.isEmpty, "\(run.stdout)")
        #expect(run.stderr.contains("not the tree it signed at 8"), "\(run.stderr)")
        let kept = try #require(try LMDBEventLog.open(at: store.path).latestCheckpoint())
        #expect(kept.treeSize == held.treeSize && kept.note == held.note)
    }

    @Test("A signed checkpoint of the empty tree with a root other than the empty tree's is a violation for prove consistency")
    func emptyTreeWithAnotherRoot() async throws {
        let store = try await AuditStore.make(count: 5, checkpoints: [5])
        defer { store.remove() }
        let log = try LMDBEventLog.open(at: store.path)
        let bogus = try SignedCheckpoint.sign(Checkpoint(origin: log.origin, size: 0, rootHash: Hash([UInt8](repeating: 0x11, count: 32))), with: try log.loadSigner())
        let file = store.path + "-cp0.txt"
        try bogus.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try AuditRunner.audit(["prove", "consistency", store.path, "--from", file, "--key", store.key])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("must carry the empty tree's root"), "\(run.stderr)")
        let good = try SignedCheckpoint.sign(Checkpoint(origin: log.origin, size: 0, rootHash: RFC6962.emptyRoot), with: try log.loadSigner())
        try good.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try AuditRunner.audit(["prove", "consistency", store.path, "--from", file, "--key", store.key]).status == 64)
    }

    @Test("verify-export and verify-proof refuse a checkpoint of another origin signed with the log's key")
    func checkpointOfAnotherOrigin() async throws {
        let store = try await AuditStore.make(count: 10, checkpoints: [10])
        defer { store.remove() }
        let log = try LMDBEventLog.open(at: store.path)
        let head = try log.currentHead()
        let foreign = try SignedCheckpoint.sign(Checkpoint(origin: "example.org/other", size: head.treeSize, rootHash: head.rootHash),
                                                with: try log.loadSigner())
        let file = store.path + "-other.txt"
        try foreign.write(toFile: file, atomically: true, encoding: .utf8)
        let export = store.path + "-log.ndjson"
        _ = FileManager.default.createFile(atPath: export, contents: nil)
        #expect(try ToolProcess.run("imr", ["export", store.path], outputFile: export).status == 0)
        let proof = try AuditRunner.audit(["prove", "inclusion", store.path, "--position", "2"])
        try proof.stdout.write(toFile: store.path + "-inc.json", atomically: true, encoding: .utf8)
        let exported = try AuditRunner.audit(["verify-export", export, "--key", store.key, "--checkpoint", file])
        #expect(exported.status == 1, "\(exported.stdout)")
        #expect(exported.stdout.contains("checkpoint-origin"), "\(exported.stdout)")
        let verified = try AuditRunner.audit(["verify-proof", store.path + "-inc.json", "--checkpoint", file, "--key", store.key])
        #expect(verified.status == 1, "\(verified.stdout)\(verified.stderr)")
    }

    @Test("A stored value larger than an event may be is reported as oversized, with its size")
    func oversizedValue() async throws {
        let store = try await AuditStore.make(count: 10, checkpoints: [10])
        defer { store.remove() }
        try store.writeEvents { txn, events in
            let big = [UInt8](repeating: UInt8(ascii: "a"), count: 70_000)
            try big.withUnsafeBytes { try txn.put(events, key: UInt64(3), value: $0) }
        }
        let run = try verify(store)
        #expect(run.status == 1)
        #expect(run.stdout.contains("position 3: oversized: expected at most"), "\(run.stdout)")
        #expect(run.stdout.contains("found 70000 bytes"), "\(run.stdout)")
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
        #expect(run.stdout.contains("position 250: truncated"), "\(run.stdout)")
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
