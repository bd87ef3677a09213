import EventLog
import MerkleLog

/// Verifies a store: chain, stored Merkle nodes, root and checkpoints in one read-only pass;
/// strict, also every event's canonical form and the stream and id indexes against the events.
///
/// The pass (EventLog's `verifyChain`, a reader thread hashing while this one folds) reads
/// every event once and compares each Merkle node its leaf completes with the node stored at
/// append time, so every stored node is checked, not only the leaves, and none may lie past
/// the last event. The recomputed root at each checkpoint's size is kept for that checkpoint.
/// After the pass it checks the stored root, every checkpoint (signature, origin, size, root), and a consistency proof made from stored
/// nodes between successive checkpoints and from the last one to the log as it stands.
///
/// ```swift
/// let log = try LMDBEventLog.open(at: store, options: .init(readOnly: true))
/// let result = try StoreAuditor(log: log, verifier: v, verifierKey: key, keySource: "given", held: []).run()
/// ```
struct StoreAuditor {
    /// The store, opened read-only.
    let log: LMDBEventLog
    /// The key checkpoints must be signed with; nil when none is usable.
    let verifier: NoteVerifier?
    /// The key's text, for the report.
    let verifierKey: String
    /// `given` or `store`.
    let keySource: String
    /// Checkpoints the auditor holds.
    let held: [CheckpointStatus]
    /// Also decode every event and check RFC 8785 canonical form, and recompute the stream and
    /// id indexes from the events (slower; the integrity of the events does not need it).
    var strict = false

    /// Runs every check.
    /// - Throws: `EventLogError` when the store cannot be read (I/O, or LMDB finds its own
    ///   pages damaged); findings about the log are returned, not thrown.
    func run() throws -> AuditResult {
        var checkpoints = try log.storedCheckpoints().map { CheckpointStatus(source: "stored", storedSize: $0.treeSize, note: $0.note) }
        checkpoints += held
        for i in checkpoints.indices { checkpoints[i].open(verifier: verifier, expectedOrigin: log.origin) }

        // One pass on two cores (EventLog's verifyChain): chain, every stored Merkle node in
        // step with the leaves, the stored root, and the recomputed root at each checkpoint size.
        let sizes = Set(checkpoints.compactMap { $0.checkpoint?.size })
        let scan = try log.verifyChain(strict: strict, rootsAt: sizes)
        var roots = scan.roots
        if sizes.contains(0) { roots[0] = RFC6962.emptyRoot }

        var result = AuditResult(
            target: log.directory, origin: log.origin, verifierKey: verifierKey, keySource: keySource,
            size: scan.count, root: scan.rootHash, checkpoints: [])
        result.add(scan.violations.map(AuditViolation.init))
        // Strict: also the indexes no hash covers (links, ids, streams, heads), recomputed from the
        // events (a second pass; about twice the time of the first).
        if strict { result.add(try log.verifyIndexes().map(AuditViolation.init)) }

        for i in checkpoints.indices { checkpoints[i].compare(logSize: scan.count, recomputedRoots: roots) }
        try checkConsistency(&checkpoints, logSize: scan.count, logRoot: scan.rootHash)
        result.checkpoints = checkpoints
        result.add(checkpoints.flatMap(\.problems))
        return result
    }

    /// Verifies a consistency proof from stored nodes between successive good checkpoints,
    /// and from the last one to the log's recomputed head.
    private func checkConsistency(_ checkpoints: inout [CheckpointStatus], logSize: UInt64, logRoot: Hash) throws {
        let usable = checkpoints.indices
            .filter { checkpoints[$0].isVerified }
            .sorted { checkpoints[$0].checkpoint!.size < checkpoints[$1].checkpoint!.size }
        var previous: Int?
        let sequence: [Int?] = usable.map { $0 } + [nil]
        for index in sequence {
            defer { previous = index }
            guard let previous, let old = checkpoints[previous].checkpoint else { continue }
            let newSize = index.flatMap { checkpoints[$0].checkpoint?.size } ?? logSize
            let newRoot = index.flatMap { checkpoints[$0].checkpoint?.rootHash } ?? logRoot
            guard old.size > 0, old.size < newSize else { continue }
            let target = index.map { checkpoints[$0].label } ?? "the log at size \(logSize)"
            do {
                let proof = try log.consistencyProof(from: old.size, to: newSize)
                try Proofs.verifyConsistency(
                    oldSize: old.size, newSize: newSize, oldRoot: old.rootHash, newRoot: newRoot, proof: proof)
            } catch let error as ProofError {
                checkpoints[previous].add(
                    kind: "consistency", expected: "a consistency proof to \(target) that verifies", found: error.description)
            } catch let error as EventLogError where error.code == .corruption {
                checkpoints[previous].add(
                    kind: "consistency", expected: "a consistency proof to \(target) from stored nodes", found: error.message)
            }
        }
    }
}
