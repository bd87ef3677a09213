import ArgumentParser
import EventLog
import MerkleLog

/// `imr-audit prove consistency STORE --from CHECKPOINT`: proves the log extends a checkpoint.
struct ProveConsistency: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Prove that the log extends a checkpoint you hold (RFC 9162 consistency proof, JSON).",
        discussion: """
            Verifies the checkpoint's signature (with --key, or the store's own key), re-hashes the \
            events up to the newer size, then prints {"oldSize","newSize","oldRoot","newRoot","proof"}, \
            checked before it is printed. Exits 1 when the log does not extend the checkpoint (its \
            events rewritten, or truncated below its size).
            """)

    @Argument(help: "The store directory.")
    var store: String

    @Option(help: ArgumentHelp("The signed checkpoint to prove consistency from.", valueName: "checkpoint-file"))
    var from: String

    @Option(name: .customLong("to-size"), help: "The newer tree size (default: the log's current size).")
    var toSize: UInt64?

    @Option(help: ArgumentHelp("The verifier key you hold (default: the store's own key).", valueName: "verifier-key"))
    var key: String?

    func validate() throws {
        if let key {
            do { _ = try NoteVerifier(verifierKey: key) } catch { throw ValidationError("--key is not a verifier key: \(error)") }
        }
    }

    func run() throws {
        try AuditExit.run {
            let note = try readText(from, what: "checkpoint file")
            let log = try openStoreReadOnly(store)
            var status = CheckpointStatus(source: from, storedSize: nil, note: note)
            status.open(verifier: resolveVerifier(key: key, log: log).verifier, expectedOrigin: log.origin)
            guard let old = status.checkpoint, status.problems.isEmpty else {
                throw AuditError.violation(status.problems.map(\.description).joined(separator: "; "))
            }
            let logSize = try log.currentHead().treeSize
            let newSize = toSize ?? logSize
            guard newSize <= logSize else { throw AuditError.usage("--to-size \(newSize) exceeds the log size \(logSize)") }
            guard old.size <= newSize else {
                // A --to-size below the checkpoint asks for a proof that cannot exist: a usage
                // error. Without it, the log itself is smaller than the checkpoint: a finding.
                if let toSize {
                    throw AuditError.usage("--to-size \(toSize) is below the checkpoint's size \(old.size): a consistency proof runs from the older tree to a newer one")
                }
                throw AuditError.violation(
                    "\(status.label): the checkpoint's size \(old.size) exceeds the tree size \(newSize) of the log: the log was truncated or rolled back")
            }
            guard old.size > 0 else {
                // Every tree extends the empty one, whose root is fixed (RFC 9162 §2.1.1).
                guard old.rootHash == RFC6962.emptyRoot else {
                    throw AuditError.violation("\(status.label): a checkpoint of the empty tree must carry the empty tree's root \(RFC6962.emptyRoot.hex), not \(old.rootHash.hex)")
                }
                throw AuditError.usage("a checkpoint of the empty tree needs no consistency proof")
            }
            // The proof is made of stored nodes; the events must still give those roots, or a
            // rewritten log would "extend" the checkpoint through its old nodes.
            var scan = ChainScan(checkpointSizes: [old.size, newSize])
            try log.forEachRaw(from: 0, limit: Int(newSize)) { position, bytes in
                scan.add(position: position, bytes: bytes)
                return true
            }
            guard scan.roots[old.size] == old.rootHash else {
                throw AuditError.violation(
                    "the events at size \(old.size) no longer give \(status.label)'s root (recomputed \(scan.roots[old.size]?.hex ?? "none")): the log was rewritten")
            }
            let proof = try log.consistencyProof(from: old.size, to: newSize)
            let newRoot = try log.rootHash(treeSize: newSize)
            guard scan.roots[newSize] == newRoot else {
                throw AuditError.violation(
                    "the stored tree at size \(newSize) (root \(newRoot.hex)) differs from the events' (\(scan.roots[newSize]?.hex ?? "none")): run imr-audit verify")
            }
            do {
                try Proofs.verifyConsistency(
                    oldSize: old.size, newSize: newSize, oldRoot: old.rootHash, newRoot: newRoot, proof: proof)
            } catch {
                throw AuditError.violation("the log at size \(newSize) does not extend \(status.label): \(error)")
            }
            let document = ConsistencyProofDocument(
                oldSize: old.size, newSize: newSize, oldRoot: old.rootHash.hex, newRoot: newRoot.hex, proof: proof.map(\.hex))
            print(try ProofJSON.render(document))
        }
    }
}
