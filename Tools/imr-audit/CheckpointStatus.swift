import MerkleLog

/// One checkpoint the audit looked at, where it came from, and what was found wrong with it.
///
/// A checkpoint is verified when its signature holds for the auditor's key, its origin is
/// the log's, its size is within the log, its root equals the root recomputed from the
/// event bytes at that size, and the stored tree proves it consistent with its neighbours.
///
/// ```swift
/// var status = CheckpointStatus(source: "cp.txt", storedSize: nil, note: text)
/// status.isVerified   // true until a problem is added
/// ```
struct CheckpointStatus: Sendable, Encodable {
    /// `stored` for a checkpoint kept in the store, else the file it was read from.
    var source: String
    /// The tree size the store keys it under, for stored checkpoints.
    var storedSize: UInt64?
    /// The signed note text.
    let note: String
    /// The checkpoint, once its signature and body have been checked.
    var checkpoint: Checkpoint?
    /// Everything found wrong with it.
    var problems: [AuditViolation] = []

    /// Makes the status of a checkpoint not yet opened.
    init(source: String, storedSize: UInt64?, note: String) {
        self.source = source
        self.storedSize = storedSize
        self.note = note
    }

    /// True when nothing is wrong with it.
    var isVerified: Bool { problems.isEmpty && checkpoint != nil }

    /// A short name for messages: `stored checkpoint 300` or `checkpoint file cp.txt (size 300)`.
    var label: String {
        let size = checkpoint?.size ?? storedSize
        let sized = size.map { " (size \($0))" } ?? ""
        if source == "stored" { return "stored checkpoint" + sized }
        return "checkpoint file \(source)" + sized
    }

    /// Records a problem with this checkpoint.
    mutating func add(kind: String, expected: String, found: String) {
        problems.append(AuditViolation(kind: kind, subject: label, expected: expected, found: found))
    }

    /// Checks the signature with `verifier` and parses the body; the origin must be
    /// `expectedOrigin` when given, and a stored checkpoint's body must name its key's size.
    mutating func open(verifier: NoteVerifier?, expectedOrigin: String?) {
        guard let verifier else {
            add(kind: "checkpoint-signature", expected: "a verifier key to check it with", found: "none usable")
            return
        }
        let opened: Checkpoint
        do {
            opened = try Checkpoint(body: try verifier.verify(note))
        } catch let error as NoteError {
            add(kind: "checkpoint-signature", expected: "a valid signature by \(verifier.verifierKey)", found: error.description)
            return
        } catch {
            add(kind: "checkpoint-malformed", expected: "a C2SP tlog-checkpoint body", found: "\(error)")
            return
        }
        checkpoint = opened
        if let expectedOrigin, !opened.origin.utf8.elementsEqual(expectedOrigin.utf8) {
            add(kind: "checkpoint-origin", expected: "origin \(expectedOrigin)", found: "origin \(opened.origin)")
        }
        if let storedSize, storedSize != opened.size {
            add(kind: "checkpoint-key", expected: "tree size \(storedSize) (its key)", found: "tree size \(opened.size)")
        }
    }

    /// Compares the checkpoint with the log's size and the root recomputed at its size.
    mutating func compare(logSize: UInt64, recomputedRoots: [UInt64: Hash]) {
        guard let checkpoint else { return }
        guard checkpoint.size <= logSize else {
            add(
                kind: "checkpoint-beyond-log",
                expected: "a log of at least \(checkpoint.size) events (the checkpoint's size)",
                found: "\(logSize) events: the log was truncated or rolled back")
            return
        }
        if let root = recomputedRoots[checkpoint.size], root != checkpoint.rootHash {
            add(
                kind: "checkpoint-root", expected: "root \(checkpoint.rootHash.hex) (signed)",
                found: "root \(root.hex) recomputed from the events at size \(checkpoint.size)")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case source, size, root, origin, status, problems
    }

    /// Encodes source, size, root, origin, `verified`/`violation` and the problems (no note text).
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encodeIfPresent(checkpoint?.size ?? storedSize, forKey: .size)
        try c.encodeIfPresent(checkpoint?.rootHash.hex, forKey: .root)
        try c.encodeIfPresent(checkpoint?.origin, forKey: .origin)
        try c.encode(isVerified ? "verified" : "violation", forKey: .status)
        try c.encode(problems, forKey: .problems)
    }
}
