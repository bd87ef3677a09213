/// Signs checkpoints as C2SP signed notes and opens them again.
///
/// A signed checkpoint is a ``Checkpoint/body`` signed by a ``NoteSigner``
/// ([c2sp.org/tlog-checkpoint](https://c2sp.org/tlog-checkpoint)). C2SP
/// recommends that the key name equal the origin; they may differ, so
/// ``open(_:verifier:expectedOrigin:)`` checks the origin only when told which one
/// to expect.
///
/// ```swift
/// let note = try SignedCheckpoint.sign(Checkpoint(origin: origin, size: n, rootHash: root), with: signer)
/// let checkpoint = try SignedCheckpoint.open(note, verifier: verifier, expectedOrigin: origin)
/// ```
public enum SignedCheckpoint {
    /// Signs a checkpoint and returns the signed note.
    ///
    /// ```swift
    /// let note = try SignedCheckpoint.sign(checkpoint, with: signer)
    /// ```
    ///
    /// - Parameters:
    ///   - checkpoint: The checkpoint; its ``Checkpoint/body`` must parse back to it.
    ///   - signer: The log's signing key.
    /// - Returns: The checkpoint body, a blank line and the signature line.
    /// - Throws: ``CheckpointError`` from ``Checkpoint/validate()``; ``NoteError`` from signing.
    public static func sign(_ checkpoint: Checkpoint, with signer: NoteSigner) throws -> String {
        try checkpoint.validate()
        return try signer.sign(checkpoint.body)
    }

    /// Verifies a signed checkpoint and parses its body.
    ///
    /// ```swift
    /// let cp = try SignedCheckpoint.open(note, verifier: verifier, expectedOrigin: "imr.example/agency-a1/log")
    /// ```
    ///
    /// - Parameters:
    ///   - note: The signed note.
    ///   - verifier: The trusted key that must have signed it.
    ///   - expectedOrigin: The origin the checkpoint must name, compared byte for byte; `nil` to accept any.
    /// - Returns: The checkpoint.
    /// - Throws: ``NoteError`` when the signature does not check; ``CheckpointError``
    ///   when the body does not parse, or `.originMismatch`.
    public static func open(_ note: String, verifier: NoteVerifier, expectedOrigin: String? = nil) throws -> Checkpoint {
        let checkpoint = try Checkpoint(body: try verifier.verify(note))
        if let expectedOrigin, !checkpoint.origin.utf8.elementsEqual(expectedOrigin.utf8) {
            throw CheckpointError.originMismatch(expected: expectedOrigin, got: checkpoint.origin)
        }
        return checkpoint
    }
}
