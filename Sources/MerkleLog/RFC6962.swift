import Crypto

/// Merkle tree hashing of [RFC 9162 §2.1](https://www.rfc-editor.org/rfc/rfc9162#section-2.1)
/// (identical to [RFC 6962 §2.1](https://www.rfc-editor.org/rfc/rfc6962#section-2.1)) with SHA-256.
///
/// A leaf is hashed as `SHA-256(0x00 ‖ leaf)` and an interior node as
/// `SHA-256(0x01 ‖ left ‖ right)`. The distinct prefixes give domain separation,
/// so no leaf can be passed off as a node (the second-preimage attack of §2.1).
/// The tree of no leaves has the hash of the empty string as its root.
///
/// ```swift
/// let a = RFC6962.leafHash(Array("a".utf8))
/// let b = RFC6962.leafHash(Array("b".utf8))
/// let root = RFC6962.nodeHash(a, b)   // MTH of the two-leaf tree
/// ```
///
/// Both hash functions feed swift-crypto's `SHA256` straight from raw buffers and
/// copy the digest into an inline ``Hash``; they allocate nothing of their own.
public enum RFC6962 {
    /// The byte prepended to a leaf before hashing (RFC 9162 §2.1.1: `0x00`).
    public static let leafHashPrefix: UInt8 = 0x00

    /// The byte prepended to two child hashes before hashing (RFC 9162 §2.1.1: `0x01`).
    public static let nodeHashPrefix: UInt8 = 0x01

    /// The root of the tree of no leaves: `SHA-256("")`, `e3b0c442…b855` (RFC 9162 §2.1.1).
    ///
    /// ```swift
    /// CompactRange().rootHash() == RFC6962.emptyRoot   // true
    /// ```
    public static let emptyRoot = Hash(SHA256().finalize())

    /// Hashes one leaf: `SHA-256(0x00 ‖ leaf)` (RFC 9162 §2.1.1).
    ///
    /// Contiguous collections (`[UInt8]`, `ArraySlice`, `Data`, `String.UTF8View` of a
    /// native string) are hashed in place; anything else is first copied to an array.
    ///
    /// ```swift
    /// RFC6962.leafHash([UInt8]()).hex   // "6e340b9c…a01d", the empty leaf
    /// ```
    ///
    /// - Parameter leaf: The leaf's bytes, exactly as stored.
    /// - Returns: The leaf hash.
    @inlinable
    public static func leafHash(_ leaf: some Collection<UInt8>) -> Hash {
        if let hash = leaf.withContiguousStorageIfAvailable({ leafHash(UnsafeRawBufferPointer($0)) }) {
            return hash
        }
        return Array(leaf).withUnsafeBytes { leafHash($0) }
    }

    /// Hashes one leaf held in raw memory: `SHA-256(0x00 ‖ leaf)` (RFC 9162 §2.1.1).
    ///
    /// ```swift
    /// let h = bytes.withUnsafeBytes { RFC6962.leafHash($0) }
    /// ```
    ///
    /// - Parameter leaf: The leaf's bytes, exactly as stored.
    /// - Returns: The leaf hash.
    public static func leafHash(_ leaf: UnsafeRawBufferPointer) -> Hash {
        var hasher = SHA256()
        var prefix = leafHashPrefix
        Swift.withUnsafeBytes(of: &prefix) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: leaf)
        return Hash(hasher.finalize())
    }

    /// Hashes two children into their parent: `SHA-256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1).
    ///
    /// ```swift
    /// let parent = RFC6962.nodeHash(leftChild, rightChild)
    /// ```
    ///
    /// - Parameters:
    ///   - left: The hash of the left subtree.
    ///   - right: The hash of the right subtree.
    /// - Returns: The hash of the node whose children they are.
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        // One 65-byte block on the stack, so SHA-256 gets a single update.
        withUnsafeTemporaryAllocation(byteCount: 1 + 2 * Hash.byteCount, alignment: 8) { block in
            block[0] = nodeHashPrefix
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: block[1...]).copyMemory(from: $0) }
            right.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: block[(1 + Hash.byteCount)...]).copyMemory(from: $0)
            }
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(block))
            return Hash(hasher.finalize())
        }
    }
}
