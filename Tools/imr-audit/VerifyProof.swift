import ArgumentParser
import Foundation
import MerkleLog

/// `imr-audit verify-proof PROOF.json`: checks an inclusion or consistency proof with no store.
struct VerifyProof: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-proof",
        abstract: "Verify an inclusion or consistency proof (JSON from imr-audit prove), optionally against a checkpoint.",
        discussion: """
            Inclusion: the embedded event text, when present, must hash to leafHash (and carry the \
            proof's position), and the path must lead to rootHash. Consistency: the proof must lead \
            from oldRoot to newRoot. With --checkpoint (and --key), the checkpoint's signature must \
            hold and its root must equal the proof's root at the checkpoint's size.
            """)

    @Argument(help: ArgumentHelp("The proof file.", valueName: "proof.json"))
    var proofFile: String

    @Option(help: ArgumentHelp("A signed checkpoint the proof's root must match.", valueName: "file"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("The verifier key the checkpoint must be signed with.", valueName: "verifier-key"))
    var key: String?

    func validate() throws {
        if checkpoint != nil, key == nil { throw ValidationError("--checkpoint needs --key: the verifier key you hold") }
        if key != nil, checkpoint == nil { throw ValidationError("--key checks a --checkpoint's signature; give the checkpoint too") }
        if let key {
            do { _ = try NoteVerifier(verifierKey: key) } catch { throw ValidationError("--key is not a verifier key: \(error)") }
        }
    }

    /// The kind of proof a file holds, told apart by its members.
    private struct Probe: Decodable {
        var position: UInt64?
        var oldSize: UInt64?
    }

    func run() throws {
        try AuditExit.run {
            guard let data = FileManager.default.contents(atPath: proofFile) else {
                throw AuditError.io("cannot read proof file \(proofFile)")
            }
            let held = try heldCheckpoint()
            let decoder = JSONDecoder()
            let probe = try? decoder.decode(Probe.self, from: data)
            let verified: String
            if probe?.position != nil, let proof = try? decoder.decode(InclusionProofDocument.self, from: data) {
                verified = try ProofCheck.inclusion(proof, checkpoint: held)
            } else if probe?.oldSize != nil, let proof = try? decoder.decode(ConsistencyProofDocument.self, from: data) {
                verified = try ProofCheck.consistency(proof, checkpoint: held)
            } else {
                throw AuditError.violation("\(proofFile) is not an inclusion or consistency proof document")
            }
            print("verified: \(verified)")
        }
    }

    /// The `--checkpoint`, opened with `--key`, or nil.
    private func heldCheckpoint() throws -> CheckpointStatus? {
        guard let checkpoint, let key else { return nil }
        var status = CheckpointStatus(source: checkpoint, storedSize: nil, note: try readText(checkpoint, what: "checkpoint file"))
        let verifier = try? NoteVerifier(verifierKey: key)
        // The key's name is the log's origin: a checkpoint of another log proves nothing here.
        status.open(verifier: verifier, expectedOrigin: verifier?.name)
        return status
    }
}
