import Foundation
import MerkleLog

/// The JSON form of an inclusion proof, as `prove inclusion` writes it and `verify-proof` reads it.
///
/// ```json
/// {"position":5,"treeSize":300,"leafHash":"…","rootHash":"…","proof":["…"],"event":"{\"data\":…}"}
/// ```
///
/// Hashes are 64 lower-case hex digits; `proof` is the RFC 9162 §2.1.3 audit path, bottom-up;
/// `event` is the stored event's exact text (optional when reading), whose leaf hash is
/// SHA-256(0x00 ‖ its UTF-8 bytes).
struct InclusionProofDocument: Codable {
    /// The leaf index: the event's log position.
    var position: UInt64
    /// The tree size the proof is for.
    var treeSize: UInt64
    /// The leaf hash, hex.
    var leafHash: String
    /// The root of the tree of `treeSize` leaves, hex.
    var rootHash: String
    /// The audit path, hex, bottom-up.
    var proof: [String]
    /// The stored event text.
    var event: String?

    private enum CodingKeys: String, CodingKey {
        case position, treeSize, leafHash, rootHash, proof, event
    }
}
