import MerkleLog
import Testing

@Suite struct ProofTests {
    /// The RFC 6962 reference tree of 8 leaves, in a node store.
    static let referenceStore = MemoryNodes(leafHashes: ReferenceTree.referenceLeaves.map { RFC6962.leafHash($0) })

    static func hashes(_ hex: [String]) -> [Hash] { hex.map { Hash(testHex: $0) } }

    static func referenceRoot(_ size: UInt64) throws -> Hash {
        try Proofs.rootHash(size: size, reader: referenceStore)
    }

    struct KnownInclusion: Sendable, CustomTestStringConvertible {
        var index: UInt64
        var size: UInt64
        var path: [String]
        var testDescription: String { "leaf \(index) of \(size)" }
    }

    // Computed with the python3 script at the top of ReferenceTree.swift (python3, hashlib; recursive RFC 9162 §2.1.3.1 PATH)
    // over the 8 reference leaves; they match transparency-dev/merkle's inclusion testdata.
    static let knownInclusions: [KnownInclusion] = [
        KnownInclusion(
            index: 0, size: 8,
            path: [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        KnownInclusion(
            index: 5, size: 8,
            path: [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        KnownInclusion(
            index: 2, size: 3,
            path: [
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
            ]),
        KnownInclusion(
            index: 6, size: 7,
            path: [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        KnownInclusion(index: 0, size: 1, path: []),
    ]

    @Test("Inclusion paths of the reference tree", arguments: knownInclusions)
    func knownInclusion(known: KnownInclusion) throws {
        let proof = try Proofs.inclusion(index: known.index, size: known.size, reader: Self.referenceStore)
        #expect(proof == Self.hashes(known.path))
        let leaf = RFC6962.leafHash(ReferenceTree.referenceLeaves[Int(known.index)])
        try Proofs.verifyInclusion(
            leafHash: leaf, index: known.index, size: known.size, proof: proof, root: try Self.referenceRoot(known.size))
    }

    struct KnownConsistency: Sendable, CustomTestStringConvertible {
        var old: UInt64
        var new: UInt64
        var proof: [String]
        var testDescription: String { "\(old) → \(new)" }
    }

    // Computed with the python3 script at the top of ReferenceTree.swift (python3, hashlib; recursive RFC 9162 §2.1.4.1 SUBPROOF);
    // they match transparency-dev/merkle's consistency testdata for the same tree.
    static let knownConsistencies: [KnownConsistency] = [
        KnownConsistency(
            old: 1, new: 8,
            proof: [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        KnownConsistency(
            old: 6, new: 8,
            proof: [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        KnownConsistency(
            old: 2, new: 5,
            proof: [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]),
        KnownConsistency(
            old: 3, new: 7,
            proof: [
                "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
                "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e",
            ]),
        KnownConsistency(
            old: 4, new: 8,
            proof: [
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
            ]),
        KnownConsistency(old: 8, new: 8, proof: []),
    ]

    @Test("Consistency proofs of the reference tree", arguments: knownConsistencies)
    func knownConsistency(known: KnownConsistency) throws {
        let proof = try Proofs.consistency(from: known.old, to: known.new, reader: Self.referenceStore)
        #expect(proof == Self.hashes(known.proof))
        try Proofs.verifyConsistency(
            oldSize: known.old, newSize: known.new,
            oldRoot: try Self.referenceRoot(known.old), newRoot: try Self.referenceRoot(known.new), proof: proof)
    }

    @Test("Stored-node proofs equal the recursive reference and verify, for every size up to 64")
    func agreement() throws {
        let leaves = (0..<64).map { RFC6962.leafHash(testLeaf($0)) }
        var store = MemoryNodes()
        var roots: [Hash] = [RFC6962.emptyRoot]
        var snapshots: [MemoryNodes] = [store]
        for leaf in leaves {
            store.append(leaf)
            snapshots.append(store)  // the store exactly as it stood at each size
            roots.append(store.range.rootHash())
        }
        for size in 1...64 {
            // Each proof reads only nodes complete at `size`: the snapshot has no others.
            let reader = CountingReader(snapshots[size])
            let prefix = leaves[..<size]
            #expect(try Proofs.rootHash(size: UInt64(size), reader: reader) == ReferenceTree.root(prefix))
            #expect(roots[size] == ReferenceTree.root(prefix))
            for index in 0..<size {
                let before = reader.reads
                let proof = try Proofs.inclusion(index: UInt64(index), size: UInt64(size), reader: reader)
                #expect(proof == ReferenceTree.path(index, prefix), "leaf \(index) of \(size)")
                // O(log n) reads: at most two per level.
                #expect(reader.reads - before <= 2 * (Int.bitWidth - size.leadingZeroBitCount))
                try Proofs.verifyInclusion(
                    leafHash: leaves[index], index: UInt64(index), size: UInt64(size), proof: proof, root: roots[size])
            }
            for old in 1...size {
                let proof = try Proofs.consistency(from: UInt64(old), to: UInt64(size), reader: reader)
                #expect(proof == ReferenceTree.proof(old, prefix), "\(old) → \(size)")
                try Proofs.verifyConsistency(
                    oldSize: UInt64(old), newSize: UInt64(size), oldRoot: roots[old], newRoot: roots[size], proof: proof)
            }
        }
    }

    @Test("Generation refuses bad requests")
    func badRequests() throws {
        let store = Self.referenceStore
        #expect(throws: ProofError.indexOutOfRange(index: 8, size: 8)) {
            try Proofs.inclusion(index: 8, size: 8, reader: store)
        }
        #expect(throws: ProofError.indexOutOfRange(index: 0, size: 0)) {
            try Proofs.inclusion(index: 0, size: 0, reader: store)
        }
        #expect(throws: ProofError.sizeOrder(old: 5, new: 4)) {
            try Proofs.consistency(from: 5, to: 4, reader: store)
        }
        #expect(throws: ProofError.emptyOldTree(new: 4)) {
            try Proofs.consistency(from: 0, to: 4, reader: store)
        }
        // A tree larger than the store: the reader's own error comes through.
        #expect(throws: MemoryNodes.MissingNode.self) {
            try Proofs.inclusion(index: 0, size: 9, reader: store)
        }
        #expect(try Proofs.rootHash(size: 0, reader: store) == RFC6962.emptyRoot)
    }

    @Test("Error messages carry both values")
    func messages() {
        #expect(ProofError.wrongProofSize(got: 3, want: 4).description == "wrong proof size 3, want 4")
        #expect(ProofError.indexOutOfRange(index: 9, size: 8).description == "index is beyond size: 9 >= 8")
        #expect(ProofError.sizeOrder(old: 5, new: 4).description == "old size 5 > new size 4")
        let mismatch = ProofError.rootMismatch(expected: .zero, calculated: RFC6962.emptyRoot)
        #expect(mismatch.description.contains(Hash.zero.hex))
        #expect(mismatch.description.contains(RFC6962.emptyRoot.hex))
        #expect(mismatch.code == .rootMismatch)
        #expect(mismatch.code.description == "rootMismatch")
    }
}
