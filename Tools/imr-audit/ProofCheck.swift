import Foundation
import MerkleLog

/// The checks of `verify-proof`, each throwing ``AuditError`` `.violation` naming what differs.
///
/// ```swift
/// let line = try ProofCheck.inclusion(document, checkpoint: nil)   // "inclusion of position 5 …"
/// ```
enum ProofCheck {
    /// Checks an inclusion proof: event text → leaf hash → path → root → checkpoint.
    /// - Returns: A one-line description of what was verified.
    static func inclusion(_ document: InclusionProofDocument, checkpoint: CheckpointStatus?) throws -> String {
        let leaf = try hash(document.leafHash, "leafHash")
        let root = try hash(document.rootHash, "rootHash")
        let path = try document.proof.enumerated().map { try hash($1, "proof[\($0)]") }
        if let event = document.event {
            let computed = RFC6962.leafHash(Array(event.utf8))
            guard computed == leaf else {
                throw AuditError.violation(
                    "position \(document.position): leaf-hash: the event text hashes to \(computed.hex), the proof says \(leaf.hex)")
            }
            let claimed = eventPosition(event)
            guard claimed == document.position else {
                throw AuditError.violation(
                    "position \(document.position): position-mismatch: the event text says position "
                        + (claimed.map(String.init) ?? "(none)"))
            }
        }
        do {
            try Proofs.verifyInclusion(leafHash: leaf, index: document.position, size: document.treeSize, proof: path, root: root)
        } catch {
            throw AuditError.violation("position \(document.position): inclusion proof at size \(document.treeSize): \(error)")
        }
        var line = "inclusion of position \(document.position) (leaf \(leaf.hex)) in tree size \(document.treeSize), root \(root.hex)"
        if let checkpoint {
            try match(checkpoint, size: document.treeSize, root: root)
            line += ", matching \(checkpoint.label)"
        }
        return line
    }

    /// Checks a consistency proof between its two roots, then against the checkpoint.
    /// - Returns: A one-line description of what was verified.
    static func consistency(_ document: ConsistencyProofDocument, checkpoint: CheckpointStatus?) throws -> String {
        let oldRoot = try hash(document.oldRoot, "oldRoot")
        let newRoot = try hash(document.newRoot, "newRoot")
        let path = try document.proof.enumerated().map { try hash($1, "proof[\($0)]") }
        do {
            try Proofs.verifyConsistency(
                oldSize: document.oldSize, newSize: document.newSize, oldRoot: oldRoot, newRoot: newRoot, proof: path)
        } catch {
            throw AuditError.violation("consistency proof from size \(document.oldSize) to \(document.newSize): \(error)")
        }
        var line = "consistency from tree size \(document.oldSize) (root \(oldRoot.hex)) to \(document.newSize) (root \(newRoot.hex))"
        if let checkpoint {
            let size = checkpoint.checkpoint?.size
            try match(checkpoint, size: size == document.newSize ? document.newSize : document.oldSize,
                      root: size == document.newSize ? newRoot : oldRoot)
            line += ", matching \(checkpoint.label)"
        }
        return line
    }

    /// The checkpoint's signature must hold, and it must be of `size` with root `root`.
    private static func match(_ checkpoint: CheckpointStatus, size: UInt64, root: Hash) throws {
        guard let opened = checkpoint.checkpoint, checkpoint.problems.isEmpty else {
            throw AuditError.violation(checkpoint.problems.map(\.description).joined(separator: "; "))
        }
        guard opened.size == size else {
            throw AuditError.violation(
                "\(checkpoint.label): checkpoint-size: expected tree size \(size) (the proof's), found \(opened.size)")
        }
        guard opened.rootHash == root else {
            throw AuditError.violation(
                "\(checkpoint.label): checkpoint-root: expected \(opened.rootHash.hex) (signed), found \(root.hex) (the proof's)")
        }
    }

    /// Parses 64 hex digits or throws a violation naming the member.
    private static func hash(_ hex: String, _ member: String) throws -> Hash {
        guard let hash = Hash(hex: hex) else { throw AuditError.violation("\(member) is not 64 hex digits") }
        return hash
    }

    /// The event text's top-level `position` attribute, if it has one.
    private static func eventPosition(_ event: String) -> UInt64? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any],
            let number = object["position"] as? NSNumber
        else { return nil }
        return number.uint64Value
    }
}
