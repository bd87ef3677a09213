import Foundation

/// The JSON form of a consistency proof, as `prove consistency` writes it and `verify-proof` reads it.
///
/// ```json
/// {"oldSize":100,"newSize":300,"oldRoot":"…","newRoot":"…","proof":["…"]}
/// ```
///
/// Hashes are 64 lower-case hex digits; `proof` is the RFC 9162 §2.1.4 consistency proof.
struct ConsistencyProofDocument: Codable {
    /// The older tree's size.
    var oldSize: UInt64
    /// The newer tree's size.
    var newSize: UInt64
    /// The older tree's root, hex.
    var oldRoot: String
    /// The newer tree's root, hex.
    var newRoot: String
    /// The proof, hex, in RFC 9162 order.
    var proof: [String]

    private enum CodingKeys: String, CodingKey {
        case oldSize, newSize, oldRoot, newRoot, proof
    }
}
