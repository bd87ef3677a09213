/// The compact range `[0, size)`: the minimal set of perfect subtrees covering the first `size` leaves.
///
/// This is the "compact range" of transparency-dev/merkle: `size` written in
/// binary names the subtrees, one per set bit, largest (leftmost) first. It holds
/// O(log n) hashes, yet is enough to append the next leaf and to compute the
/// [RFC 9162 §2.1.1](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1) root
/// of the tree so far, so a log keeps one in memory and stores only the nodes
/// that ``append(_:visit:)`` reports.
///
/// ```swift
/// var range = CompactRange()
/// for event in storedEvents {
///     try range.append(RFC6962.leafHash(event)) { node, hash in
///         try merkleTable.append(key: node.postOrderKey, value: hash)
///     }
/// }
/// let root = range.rootHash()
/// ```
public struct CompactRange: Sendable, Hashable {
    /// The number of leaves covered.
    public private(set) var size: UInt64

    /// The hashes of the perfect subtrees, left to right (largest first); `popcount(size)` of them.
    public private(set) var hashes: [Hash]

    /// Makes the empty range, with no leaves.
    ///
    /// ```swift
    /// CompactRange().rootHash() == RFC6962.emptyRoot   // true
    /// ```
    public init() {
        self.size = 0
        self.hashes = []
    }

    /// Restores a range from its size and the hashes of its perfect subtrees.
    ///
    /// Use this to resume appending after a restart: the subtrees of `size` are the
    /// nodes `(l, (size >> l) − 1)` for each set bit `l` of `size`, from the highest
    /// bit down, which a store can read back with a ``NodeReader``.
    ///
    /// ```swift
    /// let restored = try CompactRange(size: range.size, hashes: range.hashes)
    /// ```
    ///
    /// - Parameters:
    ///   - size: The number of leaves covered.
    ///   - hashes: The perfect subtree hashes, left to right (largest first).
    /// - Throws: ``CompactRangeError`` with code `.wrongHashCount` unless
    ///   `hashes.count == popcount(size)`.
    public init(size: UInt64, hashes: [Hash]) throws(CompactRangeError) {
        guard hashes.count == size.nonzeroBitCount else {
            throw .wrongHashCount(got: hashes.count, want: size.nonzeroBitCount)
        }
        self.size = size
        self.hashes = hashes
    }

    /// Restores the range of `size` leaves by reading its perfect subtrees from a store.
    ///
    /// ```swift
    /// var range = try CompactRange(size: treeSize, reader: store)
    /// ```
    ///
    /// - Parameters:
    ///   - size: The number of leaves covered.
    ///   - reader: The store of complete nodes.
    /// - Throws: Whatever `reader` throws for a missing node.
    public init(size: UInt64, reader: some NodeReader) throws {
        var hashes: [Hash] = []
        hashes.reserveCapacity(size.nonzeroBitCount)
        for node in CompactRange.perfectSubtrees(start: 0, end: size) {
            hashes.append(try reader.hash(of: node))
        }
        self.size = size
        self.hashes = hashes
    }

    /// Appends one leaf hash, reporting every node that becomes complete.
    ///
    /// `visit` sees the leaf itself first, as `(level 0, index size)`, then each
    /// parent that the leaf completes, bottom-up: as many as `size` has trailing
    /// one bits before the append. Those are exactly the nodes a store needs to
    /// answer any proof, and their ``NodeID/postOrderKey`` values are consecutive.
    ///
    /// ```swift
    /// try range.append(leafHash) { node, hash in try store.put(node, hash) }
    /// ```
    ///
    /// - Parameters:
    ///   - leafHash: The leaf's `RFC6962.leafHash(_:)`.
    ///   - visit: Called for each newly complete node with its hash.
    /// - Throws: Whatever `visit` throws. The range is then left unchanged.
    public mutating func append(_ leafHash: Hash, visit: (NodeID, Hash) throws -> Void) rethrows {
        var hash = leafHash
        var node = NodeID(level: 0, index: size)
        try visit(node, hash)
        // Each trailing one bit of `size` is a left sibling waiting for this leaf's subtree.
        let merges = (~size).trailingZeroBitCount
        var merged = 0
        while merged < merges {
            hash = RFC6962.nodeHash(hashes[hashes.count - 1 - merged], hash)
            node = NodeID(level: node.level + 1, index: node.index >> 1)
            try visit(node, hash)
            merged += 1
        }
        hashes.removeLast(merges)
        hashes.append(hash)
        size += 1
    }

    /// Appends one leaf hash when the caller keeps no nodes (for example, to recompute a root).
    ///
    /// ```swift
    /// var range = CompactRange()
    /// for event in events { range.append(RFC6962.leafHash(event)) }
    /// ```
    ///
    /// - Parameter leafHash: The leaf's `RFC6962.leafHash(_:)`.
    public mutating func append(_ leafHash: Hash) {
        append(leafHash) { _, _ in }
    }

    /// The RFC 9162 Merkle tree hash (MTH) of the first ``size`` leaves.
    ///
    /// Folds the perfect subtrees from the right:
    /// `nodeHash(h₀, nodeHash(h₁, … nodeHash(hₖ₋₁, hₖ)))`.
    ///
    /// ```swift
    /// let root = range.rootHash()   // RFC6962.emptyRoot when size == 0
    /// ```
    ///
    /// - Returns: The root hash, or ``RFC6962/emptyRoot`` when `size == 0`.
    public func rootHash() -> Hash {
        guard var root = hashes.last else { return RFC6962.emptyRoot }
        for left in hashes.dropLast().reversed() {
            root = RFC6962.nodeHash(left, root)
        }
        return root
    }

    /// The perfect subtrees covering `[start, end)`, largest first, when `start` is aligned.
    ///
    /// - Precondition: `start ≤ end`, and `start` is a multiple of the largest power
    ///   of two not above `end − start` (true for 0 and for the start of any node).
    static func perfectSubtrees(start: UInt64, end: UInt64) -> [NodeID] {
        var nodes: [NodeID] = []
        var position = start
        var remaining = end - start
        while remaining != 0 {
            // The largest subtree left is 2^(bit length − 1) leaves.
            let level = UInt8(UInt64.bitWidth - 1 - remaining.leadingZeroBitCount)
            nodes.append(NodeID(level: level, index: position >> UInt64(level)))
            position += 1 << UInt64(level)
            remaining -= 1 << UInt64(level)
        }
        return nodes
    }
}
