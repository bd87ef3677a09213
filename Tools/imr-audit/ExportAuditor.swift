import EventLog
import MerkleLog

/// Verifies an NDJSON export (`imr export`) with no store: each line is one stored event's
/// exact bytes, line `n` (from 0) the event at position `n`.
///
/// The chain is checked as for a store, the RFC 9162 root is recomputed from the lines, and
/// each checkpoint the auditor holds must be signed by the given key, lie within the export
/// and carry the root recomputed at its size. All roots come from the one recomputed tree, so
/// the checkpoints are consistent with each other whenever each root matches.
///
/// ```swift
/// let result = try ExportAuditor(path: "log.ndjson", verifier: v, verifierKey: key, held: held).run()
/// ```
struct ExportAuditor {
    /// The export file.
    let path: String
    /// The key checkpoints must be signed with.
    let verifier: NoteVerifier
    /// The key's text, for the report.
    let verifierKey: String
    /// Checkpoints the auditor holds.
    let held: [CheckpointStatus]

    /// Runs every check.
    /// - Throws: ``AuditError`` `.io` when the file cannot be read.
    func run() throws -> AuditResult {
        var checkpoints = held
        // The key's name is the log's origin (docs/INTEGRITY.md): a checkpoint naming another
        // log is not this log's, however well it is signed.
        for i in checkpoints.indices { checkpoints[i].open(verifier: verifier, expectedOrigin: verifier.name) }
        let origins = Set(checkpoints.compactMap { $0.checkpoint?.origin })
        if origins.count > 1 {
            for i in checkpoints.indices where checkpoints[i].checkpoint != nil {
                checkpoints[i].add(
                    kind: "checkpoint-origin", expected: "one origin for every checkpoint",
                    found: "origins \(origins.sorted().joined(separator: ", "))")
            }
        }

        var scan = ChainScan(checkpointSizes: Set(checkpoints.compactMap { $0.checkpoint?.size }))
        try LineReader(path: path).forEachLine { number, bytes in
            scan.add(position: number, bytes: bytes)
        }
        for i in checkpoints.indices { checkpoints[i].compare(logSize: scan.count, recomputedRoots: scan.roots) }

        var result = AuditResult(
            target: path, origin: origins.sorted().first, verifierKey: verifierKey, keySource: "given",
            size: scan.count, root: scan.rootHash, checkpoints: checkpoints)
        result.add(scan.violations)
        result.add(checkpoints.flatMap(\.problems))
        return result
    }
}
