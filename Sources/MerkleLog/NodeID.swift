/// The address of a perfect subtree node of the Merkle tree.
///
/// Level 0 holds the leaves; node `(level, index)` covers the leaves
/// `[index·2^level, (index+1)·2^level)`. Such a node is *complete* once its last
/// leaf is appended and never changes after that, which is why an append-only
/// store can keep it (see ``CompactRange/append(_:visit:)``). Incomplete nodes on
/// the right border of a tree are never addressed by a `NodeID`: ``Proofs``
/// computes them from complete ones.
///
/// ```swift
/// let leaf = NodeID(level: 0, index: 5)       // leaf 5
/// let node = NodeID(level: 2, index: 1)       // leaves 4..<8
/// node.postOrderKey                           // 13
/// ```
public struct NodeID: Sendable, Hashable, CustomStringConvertible {
    /// The height above the leaves: 0 for a leaf.
    public var level: UInt8

    /// The position among the nodes of this level, counted from the left from 0.
    public var index: UInt64

    /// Makes the address of node `index` on `level`.
    ///
    /// ```swift
    /// NodeID(level: 1, index: 0)   // the parent of leaves 0 and 1
    /// ```
    ///
    /// - Parameters:
    ///   - level: The height above the leaves, 0 for a leaf; at most 63.
    ///   - index: The position on that level, from 0.
    public init(level: UInt8, index: UInt64) {
        self.level = level
        self.index = index
    }

    /// The post-order storage key: the number of nodes completed before this one in an append-only tree.
    ///
    /// Appending leaves completes the leaf, then each parent it finishes, bottom-up
    /// (post-order). Every node completed later gets a strictly larger key, so a
    /// key-value store can write nodes with an append-only cursor (LMDB's
    /// `MDB_APPEND`) when the key is this number in big-endian order.
    ///
    /// For leaf `i` the key is `2·i − popcount(i)`: the complete subtrees among the
    /// first `i` leaves number `Σ_l ⌊i / 2^l⌋`, which is that sum. Node `(l, k)` is
    /// completed `l` steps after its last leaf `(k+1)·2^l − 1`.
    ///
    /// ```swift
    /// NodeID(level: 0, index: 2).postOrderKey   // 3: after leaf 0, leaf 1, node (1, 0)
    /// NodeID(level: 1, index: 1).postOrderKey   // 5: right after leaf 3 (key 4)
    /// ```
    ///
    /// - Precondition: The node lies within a tree of fewer than 2^63 leaves.
    public var postOrderKey: UInt64 {
        let lastLeaf = ((index + 1) << UInt64(level)) - 1
        // Nodes completed by the first `lastLeaf` leaves: 2·i − popcount(i).
        return 2 * lastLeaf - UInt64(lastLeaf.nonzeroBitCount) + UInt64(level)
    }

    /// `(level, index)`, for messages and debugging.
    public var description: String { "(\(level), \(index))" }
}
