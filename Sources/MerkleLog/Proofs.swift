/// Inclusion and consistency proofs of [RFC 9162 §2.1.3–2.1.4](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3),
/// made from stored nodes and checked against trusted roots.
///
/// The generators read only complete perfect subtree nodes through a
/// ``NodeReader``: a node on the incomplete right border of the tree (an
/// "ephemeral" node) is computed from the perfect subtrees under it, so every
/// proof costs O(log n) reads. The verifiers are pure functions of their
/// arguments and follow the RFC's algorithms step by step, so proofs made here
/// verify with any RFC 9162 verifier and the other way round.
///
/// ```swift
/// let proof = try Proofs.inclusion(index: 5, size: 8, reader: store)
/// try Proofs.verifyInclusion(leafHash: leaf5, index: 5, size: 8, proof: proof, root: root8)
///
/// let consistency = try Proofs.consistency(from: 6, to: 8, reader: store)
/// try Proofs.verifyConsistency(oldSize: 6, newSize: 8, oldRoot: root6, newRoot: root8, proof: consistency)
/// ```
public enum Proofs {
    /// The RFC 9162 §2.1.3.1 inclusion path of leaf `index` in the tree of `size` leaves.
    ///
    /// The path lists sibling hashes from the leaf up to the root. Reads
    /// O(log n) nodes: the sibling on the right border, when incomplete, is
    /// computed from the perfect subtrees under it.
    ///
    /// ```swift
    /// let path = try Proofs.inclusion(index: 0, size: 8, reader: store)   // 3 hashes
    /// ```
    ///
    /// - Parameters:
    ///   - index: The leaf's position, from 0.
    ///   - size: The tree size.
    ///   - reader: The store of complete nodes of a tree of at least `size` leaves.
    /// - Returns: The audit path, bottom-up.
    /// - Precondition: Requires 0 ≤ index < size.
    /// - Throws: ``ProofError`` `.indexOutOfRange` when `index ≥ size`; whatever `reader` throws.
    public static func inclusion(index: UInt64, size: UInt64, reader: some NodeReader) throws -> [Hash] {
        guard index < size else { throw ProofError.indexOutOfRange(index: index, size: size) }
        return try path(from: NodeID(level: 0, index: index), size: size, reader: reader)
    }

    /// The RFC 9162 §2.1.4.1 consistency proof between the trees of `oldSize` and `newSize` leaves.
    ///
    /// The proof is empty when `oldSize == newSize`. RFC 9162 defines no proof
    /// from the empty tree, so `oldSize == 0` is refused.
    ///
    /// ```swift
    /// let proof = try Proofs.consistency(from: 3, to: 7, reader: store)   // 4 hashes
    /// ```
    ///
    /// - Parameters:
    ///   - oldSize: The size of the older tree.
    ///   - newSize: The size of the newer tree.
    ///   - reader: The store of complete nodes of a tree of at least `newSize` leaves.
    /// - Returns: The consistency proof, in RFC 9162 order.
    /// - Precondition: Requires 0 < oldSize ≤ newSize.
    /// - Throws: ``ProofError`` `.sizeOrder` when `oldSize > newSize`, `.emptyOldTree`
    ///   when `oldSize == 0`; whatever `reader` throws.
    public static func consistency(from oldSize: UInt64, to newSize: UInt64, reader: some NodeReader) throws -> [Hash] {
        guard oldSize <= newSize else { throw ProofError.sizeOrder(old: oldSize, new: newSize) }
        guard oldSize > 0 else { throw ProofError.emptyOldTree(new: newSize) }
        if oldSize == newSize { return [] }
        // The old tree's last perfect subtree is the node where the proof starts.
        let shift = UInt8(oldSize.trailingZeroBitCount)
        let start = NodeID(level: shift, index: (oldSize - 1) >> UInt64(shift))
        var proof: [Hash] = []
        if oldSize != 1 << UInt64(shift) {
            // Unless the old tree is itself that subtree, the verifier needs the subtree's hash.
            proof.append(try reader.hash(of: start))
        }
        proof += try path(from: start, size: newSize, reader: reader)
        return proof
    }

    /// The RFC 9162 Merkle tree hash of the first `size` leaves, from O(log n) stored nodes.
    ///
    /// ```swift
    /// let root = try Proofs.rootHash(size: 8, reader: store)
    /// ```
    ///
    /// - Parameters:
    ///   - size: The tree size.
    ///   - reader: The store of complete nodes of a tree of at least `size` leaves.
    /// - Returns: The root hash, or ``RFC6962/emptyRoot`` when `size == 0`.
    /// - Throws: Whatever `reader` throws.
    public static func rootHash(size: UInt64, reader: some NodeReader) throws -> Hash {
        try subtreeHash(start: 0, end: size, reader: reader)
    }

    /// Sibling hashes from `node` up to the root of the tree of `size` leaves.
    ///
    /// Node `(l, k)` of the RFC 9162 tree covers `[k·2^l, min((k+1)·2^l, size))`;
    /// a node whose right half is empty equals its left child, so it contributes
    /// no sibling. `last` tracks the index of the right-border node on each level.
    private static func path(from node: NodeID, size: UInt64, reader: some NodeReader) throws -> [Hash] {
        var proof: [Hash] = []
        var index = node.index
        var level = node.level
        var last = (size - 1) >> UInt64(level)
        while last != 0 {
            let sibling = index ^ 1
            if sibling < last || sibling < index {
                // A left sibling, or a right one ending before the border: a complete node.
                proof.append(try reader.hash(of: NodeID(level: level, index: sibling)))
            } else if sibling == last {
                // The right-border sibling: possibly incomplete, so computed from its perfect subtrees.
                let start = sibling << UInt64(level)
                proof.append(try subtreeHash(start: start, end: size, reader: reader))
            }  // else the sibling lies beyond the tree: this node is promoted unchanged.
            index >>= 1
            last >>= 1
            level += 1
        }
        return proof
    }

    /// The hash of leaves `[start, end)` when `start` is aligned to the largest subtree in the range.
    private static func subtreeHash(start: UInt64, end: UInt64, reader: some NodeReader) throws -> Hash {
        let nodes = CompactRange.perfectSubtrees(start: start, end: end)
        guard var hash = try nodes.last.map({ try reader.hash(of: $0) }) else { return RFC6962.emptyRoot }
        for node in nodes.dropLast().reversed() {
            hash = RFC6962.nodeHash(try reader.hash(of: node), hash)
        }
        return hash
    }
}
