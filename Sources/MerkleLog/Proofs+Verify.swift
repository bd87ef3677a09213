extension Proofs {
    /// Checks an RFC 9162 §2.1.3.2 inclusion proof of a leaf against a trusted root.
    ///
    /// The proof length is checked first: its inner part has one hash per level
    /// below the point where the paths to `index` and to `size − 1` meet, and its
    /// border part one per set bit of `index` above that point.
    ///
    /// ```swift
    /// try Proofs.verifyInclusion(leafHash: RFC6962.leafHash(eventBytes), index: 5, size: 8,
    ///                            proof: proof, root: checkpoint.rootHash)
    /// ```
    ///
    /// - Parameters:
    ///   - leafHash: The leaf's hash, `RFC6962.leafHash(bytes)`.
    ///   - index: The leaf's position, from 0.
    ///   - size: The tree size the proof is for.
    ///   - proof: The audit path, bottom-up.
    ///   - root: The trusted root of the tree of `size` leaves.
    /// - Precondition: Requires 0 ≤ index < size.
    /// - Throws: ``ProofError`` `.indexOutOfRange` (`index ≥ size`), `.wrongProofSize`
    ///   (got, want) or `.rootMismatch` (expected, calculated).
    public static func verifyInclusion(
        leafHash: Hash, index: UInt64, size: UInt64, proof: [Hash], root: Hash
    ) throws(ProofError) {
        guard index < size else { throw .indexOutOfRange(index: index, size: size) }
        let want = inclusionProofSize(index: index, size: size)
        guard proof.count == want else { throw .wrongProofSize(got: proof.count, want: want) }

        // RFC 9162 §2.1.3.2, steps 2–5.
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            if fn & 1 == 1 || fn == sn {
                r = RFC6962.nodeHash(p, r)
                // Skip the levels where this node has no sibling (it is promoted unchanged).
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = RFC6962.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        // With the length checked above, sn is 0 here.
        guard r == root else { throw .rootMismatch(expected: root, calculated: r) }
    }

    /// Checks an RFC 9162 §2.1.4.2 consistency proof between two trusted roots.
    ///
    /// When `oldSize == newSize` the proof must be empty and the roots equal (for size 0, the
    /// empty tree's root). RFC
    /// 9162 defines no proof from the empty tree, so `oldSize == 0` is refused.
    ///
    /// ```swift
    /// try Proofs.verifyConsistency(oldSize: held.size, newSize: latest.size,
    ///                              oldRoot: held.rootHash, newRoot: latest.rootHash, proof: proof)
    /// ```
    ///
    /// - Parameters:
    ///   - oldSize: The size of the older tree.
    ///   - newSize: The size of the newer tree.
    ///   - oldRoot: The trusted root of the older tree.
    ///   - newRoot: The trusted root of the newer tree.
    ///   - proof: The consistency proof, in RFC 9162 order.
    /// - Precondition: Requires 0 < oldSize ≤ newSize.
    /// - Throws: ``ProofError`` `.sizeOrder` (`oldSize > newSize`), `.emptyOldTree`,
    ///   `.wrongProofSize` (got, want) or `.rootMismatch` (expected, calculated) for
    ///   whichever root fails first, the old one or the new one.
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: Hash, newRoot: Hash, proof: [Hash]
    ) throws(ProofError) {
        guard oldSize <= newSize else { throw .sizeOrder(old: oldSize, new: newSize) }
        if oldSize == newSize {
            guard proof.isEmpty else { throw .wrongProofSize(got: proof.count, want: 0) }
            guard oldRoot == newRoot else { throw .rootMismatch(expected: newRoot, calculated: oldRoot) }
            // Two empty trees have the empty tree's root, whatever a proof file claims.
            if oldSize == 0 && oldRoot != RFC6962.emptyRoot { throw .rootMismatch(expected: RFC6962.emptyRoot, calculated: oldRoot) }
            return
        }
        guard oldSize > 0 else { throw .emptyOldTree(new: newSize) }
        let want = consistencyProofSize(oldSize: oldSize, newSize: newSize)
        guard proof.count == want else { throw .wrongProofSize(got: proof.count, want: want) }

        // RFC 9162 §2.1.4.2, steps 2–7.
        var path = proof[...]
        let seed: Hash
        if oldSize.nonzeroBitCount == 1 {
            seed = oldRoot  // step 2: first is a power of two, so first_hash is prepended
        } else {
            seed = path.removeFirst()
        }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = seed
        var sr = seed
        for c in path {
            if fn & 1 == 1 || fn == sn {
                fr = RFC6962.nodeHash(c, fr)
                sr = RFC6962.nodeHash(c, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = RFC6962.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard fr == oldRoot else { throw .rootMismatch(expected: oldRoot, calculated: fr) }
        guard sr == newRoot else { throw .rootMismatch(expected: newRoot, calculated: sr) }
    }

    /// The length of the inclusion proof of leaf `index` in a tree of `size` leaves.
    ///
    /// - Precondition: Requires 0 ≤ index < size.
    static func inclusionProofSize(index: UInt64, size: UInt64) -> Int {
        // Inner proof size = bit length of index XOR (size − 1): the height where the
        // paths to `index` and to the last leaf meet.
        let inner = UInt64.bitWidth - (index ^ (size - 1)).leadingZeroBitCount
        // Border proof size = left siblings above that height, one per set bit.
        let border = (index >> UInt64(inner)).nonzeroBitCount
        return inner + border
    }

    /// The length of the consistency proof from `oldSize` to `newSize` leaves.
    ///
    /// - Precondition: Requires 0 < oldSize < newSize.
    static func consistencyProofSize(oldSize: UInt64, newSize: UInt64) -> Int {
        // The inclusion proof of the old tree's last leaf, less the levels inside the old
        // tree's last perfect subtree (its trailing zero bits), plus that subtree's own
        // hash unless the old tree is a single perfect subtree.
        let shift = oldSize.trailingZeroBitCount
        let seed = oldSize.nonzeroBitCount == 1 ? 0 : 1
        return inclusionProofSize(index: oldSize - 1, size: newSize) - shift + seed
    }
}
