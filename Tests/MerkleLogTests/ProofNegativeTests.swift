import MerkleLog
import Testing

/// Table-driven negative corpus in the manner of transparency-dev/merkle's
/// `testdata/inclusion` and `testdata/consistency`: each row has a `desc` and the
/// error it must produce (`wantError`, nil for the happy path).
@Suite struct ProofNegativeTests {
    static let leaves = (0..<40).map { RFC6962.leafHash(testLeaf($0)) }
    static let store = MemoryNodes(leafHashes: leaves)

    static func root(_ size: UInt64) -> Hash {
        ReferenceTree.root(leaves[..<Int(size)])
    }

    /// `proof` with bit `bit` (0–255, most significant first) of element `element` flipped.
    static func flipping(_ proof: [Hash], element: Int, bit: Int) -> [Hash] {
        var bytes = proof[element].bytes
        bytes[bit / 8] ^= 0x80 >> UInt8(bit % 8)
        var flipped = proof
        flipped[element] = Hash(bytes)
        return flipped
    }

    struct InclusionProbe {
        var desc: String
        var leafHash: Hash
        var index: UInt64
        var size: UInt64
        var proof: [Hash]
        var root: Hash
        var wantError: ProofError.Code?
    }

    /// The corpus for one happy inclusion case.
    static func inclusionCorpus(index: UInt64, size: UInt64) throws -> [InclusionProbe] {
        let proof = try Proofs.inclusion(index: index, size: size, reader: store)
        let leaf = leaves[Int(index)]
        let root = root(size)
        var rows = [
            InclusionProbe(desc: "happy path", leafHash: leaf, index: index, size: size, proof: proof, root: root, wantError: nil),
            InclusionProbe(desc: "wrong leaf", leafHash: leaves[39], index: index, size: size, proof: proof, root: root, wantError: .rootMismatch),
            InclusionProbe(
                desc: "wrong root", leafHash: leaf, index: index, size: size, proof: proof, root: RFC6962.emptyRoot, wantError: .rootMismatch),
            InclusionProbe(
                desc: "root of another size", leafHash: leaf, index: index, size: size, proof: proof, root: Self.root(size + 1),
                wantError: .rootMismatch),
            InclusionProbe(
                desc: "trailing garbage", leafHash: leaf, index: index, size: size, proof: proof + [leaf], root: root, wantError: .wrongProofSize),
            InclusionProbe(
                desc: "index equal to size", leafHash: leaf, index: size, size: size, proof: proof, root: root, wantError: .indexOutOfRange),
            InclusionProbe(
                desc: "index beyond size", leafHash: leaf, index: size + 5, size: size, proof: proof, root: root, wantError: .indexOutOfRange),
            InclusionProbe(desc: "size zero", leafHash: leaf, index: index, size: 0, proof: proof, root: root, wantError: .indexOutOfRange),
        ]
        if !proof.isEmpty {
            rows.append(
                InclusionProbe(
                    desc: "truncated", leafHash: leaf, index: index, size: size, proof: proof.dropLast(), root: root, wantError: .wrongProofSize))
            rows.append(
                InclusionProbe(desc: "empty proof", leafHash: leaf, index: index, size: size, proof: [], root: root, wantError: .wrongProofSize))
            rows.append(
                InclusionProbe(
                    desc: "proof reversed", leafHash: leaf, index: index, size: size, proof: proof.reversed(), root: root,
                    wantError: proof.count > 1 && proof.first != proof.last ? .rootMismatch : nil))
        }
        // Other indices and sizes with the same proof: a wrong length or a wrong root.
        for wrongIndex in [index ^ 1, index + 1, index &- 1] where wrongIndex != index && wrongIndex < size {
            let wantLength = ReferenceTree.path(Int(wrongIndex), leaves[..<Int(size)]).count
            rows.append(
                InclusionProbe(
                    desc: "wrong index \(wrongIndex)", leafHash: leaf, index: wrongIndex, size: size, proof: proof, root: root,
                    wantError: wantLength == proof.count ? .rootMismatch : .wrongProofSize))
        }
        // Claiming the leaf for another tree (size and its root) with this proof. RFC 9162
        // binds the size only through the shape of the path, so the claim is rightly
        // accepted when the reference path there is this very proof.
        for wrongSize in [size + 1, size - 1, size * 2] where wrongSize != size && wrongSize > index && wrongSize <= 40 {
            let wantPath = ReferenceTree.path(Int(index), leaves[..<Int(wrongSize)])
            rows.append(
                InclusionProbe(
                    desc: "wrong size \(wrongSize)", leafHash: leaf, index: index, size: wrongSize, proof: proof,
                    root: Self.root(wrongSize),
                    wantError: wantPath == proof ? nil : wantPath.count == proof.count ? .rootMismatch : .wrongProofSize))
        }
        // Every bit of every proof hash.
        for element in proof.indices {
            for bit in 0..<256 {
                rows.append(
                    InclusionProbe(
                        desc: "modified proof[\(element)] bit @\(bit)", leafHash: leaf, index: index, size: size,
                        proof: flipping(proof, element: element, bit: bit), root: root, wantError: .rootMismatch))
            }
        }
        return rows
    }

    @Test(
        "Inclusion negative corpus",
        arguments: [
            (UInt64(0), UInt64(1)), (0, 8), (5, 8), (6, 7), (2, 3), (12, 13), (17, 33), (31, 32), (38, 39),
        ])
    func inclusionCorpus(index: UInt64, size: UInt64) throws {
        let rows = try Self.inclusionCorpus(index: index, size: size)
        #expect(rows.count > 8)
        for row in rows {
            do {
                try Proofs.verifyInclusion(leafHash: row.leafHash, index: row.index, size: row.size, proof: row.proof, root: row.root)
                #expect(row.wantError == nil, "\(row.desc): verified, want \(row.wantError.map { "\($0)" } ?? "")")
            } catch {
                #expect(error.code == row.wantError, "\(row.desc): got \(error)")
            }
        }
    }

    struct ConsistencyProbe {
        var desc: String
        var oldSize: UInt64
        var newSize: UInt64
        var oldRoot: Hash
        var newRoot: Hash
        var proof: [Hash]
        var wantError: ProofError.Code?
    }

    static func consistencyCorpus(old: UInt64, new: UInt64) throws -> [ConsistencyProbe] {
        let proof = try Proofs.consistency(from: old, to: new, reader: store)
        let oldRoot = root(old)
        let newRoot = root(new)
        var rows = [
            ConsistencyProbe(desc: "happy path", oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: proof, wantError: nil),
            ConsistencyProbe(
                desc: "wrong old root", oldSize: old, newSize: new, oldRoot: root(old + 1), newRoot: newRoot, proof: proof, wantError: .rootMismatch),
            ConsistencyProbe(
                desc: "wrong new root", oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: RFC6962.emptyRoot, proof: proof,
                wantError: .rootMismatch),
            ConsistencyProbe(
                desc: "roots swapped", oldSize: old, newSize: new, oldRoot: newRoot, newRoot: oldRoot, proof: proof, wantError: .rootMismatch),
            ConsistencyProbe(
                desc: "trailing garbage", oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: proof + [oldRoot],
                wantError: .wrongProofSize),
            ConsistencyProbe(desc: "old > new", oldSize: new, newSize: old, oldRoot: newRoot, newRoot: oldRoot, proof: proof, wantError: .sizeOrder),
            ConsistencyProbe(
                desc: "old == new with non-empty proof", oldSize: new, newSize: new, oldRoot: newRoot, newRoot: newRoot, proof: proof,
                wantError: .wrongProofSize),
            ConsistencyProbe(
                desc: "old == new, roots differ", oldSize: new, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: [], wantError: .rootMismatch),
            ConsistencyProbe(
                desc: "old == 0", oldSize: 0, newSize: new, oldRoot: RFC6962.emptyRoot, newRoot: newRoot, proof: proof, wantError: .emptyOldTree),
        ]
        if !proof.isEmpty {
            rows.append(
                ConsistencyProbe(
                    desc: "truncated", oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: proof.dropLast(),
                    wantError: .wrongProofSize))
            rows.append(
                ConsistencyProbe(
                    desc: "empty proof", oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: [], wantError: .wrongProofSize))
        }
        // Claiming the proof for other sizes (with their true roots): accepted only where the
        // reference proof for those sizes is this very proof.
        for wrongNew in [new + 1, new - 1, new * 2] where wrongNew != new && wrongNew > old && wrongNew <= 40 {
            let wantProof = ReferenceTree.proof(Int(old), leaves[..<Int(wrongNew)])
            rows.append(
                ConsistencyProbe(
                    desc: "wrong new size \(wrongNew)", oldSize: old, newSize: wrongNew, oldRoot: oldRoot, newRoot: root(wrongNew),
                    proof: proof,
                    wantError: wantProof == proof ? nil : wantProof.count == proof.count ? .rootMismatch : .wrongProofSize))
        }
        for wrongOld in [old + 1, old - 1] where wrongOld != old && wrongOld > 0 && wrongOld < new {
            let wantProof = ReferenceTree.proof(Int(wrongOld), leaves[..<Int(new)])
            rows.append(
                ConsistencyProbe(
                    desc: "wrong old size \(wrongOld)", oldSize: wrongOld, newSize: new, oldRoot: root(wrongOld), newRoot: newRoot,
                    proof: proof,
                    wantError: wantProof == proof ? nil : wantProof.count == proof.count ? .rootMismatch : .wrongProofSize))
        }
        // The true roots with a wrong size: the old root cannot come out of the wrong shape.
        for wrongOld in [old + 1, old - 1] where wrongOld != old && wrongOld > 0 && wrongOld < new {
            let wantProof = ReferenceTree.proof(Int(wrongOld), leaves[..<Int(new)])
            rows.append(
                ConsistencyProbe(
                    desc: "old size \(wrongOld) with the root of \(old)", oldSize: wrongOld, newSize: new, oldRoot: oldRoot,
                    newRoot: newRoot, proof: proof,
                    wantError: wantProof.count == proof.count ? .rootMismatch : .wrongProofSize))
        }
        for element in proof.indices {
            for bit in 0..<256 {
                rows.append(
                    ConsistencyProbe(
                        desc: "modified proof[\(element)] bit @\(bit)", oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot,
                        proof: flipping(proof, element: element, bit: bit), wantError: .rootMismatch))
            }
        }
        return rows
    }

    @Test(
        "Consistency negative corpus",
        arguments: [
            (UInt64(1), UInt64(2)), (1, 8), (4, 8), (6, 8), (2, 5), (3, 7), (7, 8), (13, 33), (16, 39), (31, 32),
        ])
    func consistencyCorpus(old: UInt64, new: UInt64) throws {
        let rows = try Self.consistencyCorpus(old: old, new: new)
        for row in rows {
            do {
                try Proofs.verifyConsistency(
                    oldSize: row.oldSize, newSize: row.newSize, oldRoot: row.oldRoot, newRoot: row.newRoot, proof: row.proof)
                #expect(row.wantError == nil, "\(row.desc): verified, want \(row.wantError.map { "\($0)" } ?? "")")
            } catch {
                #expect(error.code == row.wantError, "\(row.desc): got \(error)")
            }
        }
    }

    @Test("Exact errors for the size checks")
    func exactErrors() throws {
        let proof = try Proofs.inclusion(index: 5, size: 8, reader: Self.store)
        #expect(throws: ProofError.wrongProofSize(got: 2, want: 3)) {
            try Proofs.verifyInclusion(leafHash: Self.leaves[5], index: 5, size: 8, proof: Array(proof.prefix(2)), root: Self.root(8))
        }
        #expect(throws: ProofError.indexOutOfRange(index: 8, size: 8)) {
            try Proofs.verifyInclusion(leafHash: Self.leaves[5], index: 8, size: 8, proof: proof, root: Self.root(8))
        }
        #expect(throws: ProofError.rootMismatch(expected: .zero, calculated: Self.root(8))) {
            try Proofs.verifyInclusion(leafHash: Self.leaves[5], index: 5, size: 8, proof: proof, root: .zero)
        }
        #expect(throws: ProofError.sizeOrder(old: 9, new: 8)) {
            try Proofs.verifyConsistency(oldSize: 9, newSize: 8, oldRoot: .zero, newRoot: .zero, proof: [])
        }
        #expect(throws: ProofError.wrongProofSize(got: 1, want: 0)) {
            try Proofs.verifyConsistency(oldSize: 8, newSize: 8, oldRoot: Self.root(8), newRoot: Self.root(8), proof: [.zero])
        }
        // old == new == 0 with an empty proof and equal roots: nothing to prove, accepted as for any equal sizes.
        try Proofs.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: RFC6962.emptyRoot, newRoot: RFC6962.emptyRoot, proof: [])
        // …but only with the empty tree's root: two empty trees cannot have another.
        #expect(throws: ProofError.rootMismatch(expected: RFC6962.emptyRoot, calculated: .zero)) {
            try Proofs.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: .zero, newRoot: .zero, proof: [])
        }
    }
}
