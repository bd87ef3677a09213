import MerkleLog
import Testing

@Suite struct CompactRangeTests {
    @Test("The root equals the reference MTH at every size up to 130")
    func rootsAgree() {
        var range = CompactRange()
        var leaves: [Hash] = []
        #expect(range.rootHash() == ReferenceTree.root([]))
        for i in 0..<130 {
            let leaf = RFC6962.leafHash(testLeaf(i))
            leaves.append(leaf)
            range.append(leaf)
            #expect(range.size == UInt64(i + 1))
            #expect(range.hashes.count == (i + 1).nonzeroBitCount)
            #expect(range.rootHash() == ReferenceTree.root(leaves[...]), "size \(i + 1)")
        }
    }

    @Test("Append reports the leaf first, then each parent it completes, bottom-up")
    func visitOrder() {
        var range = CompactRange()
        for i in 0..<7 { range.append(RFC6962.leafHash(testLeaf(i))) }
        var seen: [NodeID] = []
        let leaf7 = RFC6962.leafHash(testLeaf(7))
        var hashes: [Hash] = []
        range.append(leaf7) { node, hash in
            seen.append(node)
            hashes.append(hash)
        }
        #expect(
            seen == [
                NodeID(level: 0, index: 7), NodeID(level: 1, index: 3),
                NodeID(level: 2, index: 1), NodeID(level: 3, index: 0),
            ])
        #expect(hashes.first == leaf7)
        #expect(hashes.last == range.rootHash())
        #expect(range.hashes == [range.rootHash()])
    }

    @Test("Every reported node hash is the reference MTH of the leaves it covers")
    func visitedHashesAreSubtreeRoots() {
        let leaves = (0..<100).map { RFC6962.leafHash(testLeaf($0)) }
        let store = MemoryNodes(leafHashes: leaves)
        for (node, hash) in store.nodes {
            let start = Int(node.index) << Int(node.level)
            let end = start + 1 << Int(node.level)
            #expect(hash == ReferenceTree.root(leaves[start..<end]), "\(node)")
        }
        #expect(store.nodes.count == store.visited.count)
    }

    @Test("A failing visit leaves the range unchanged")
    func throwingVisit() {
        struct Stop: Error {}
        var range = CompactRange()
        for i in 0..<3 { range.append(RFC6962.leafHash(testLeaf(i))) }
        let before = range
        var calls = 0
        #expect(throws: Stop.self) {
            try range.append(RFC6962.leafHash(testLeaf(3))) { node, _ in
                calls += 1
                if node.level == 2 { throw Stop() }
            }
        }
        #expect(calls == 3)
        #expect(range == before)
    }

    @Test("Restoring from size and hashes, or from stored nodes, continues identically")
    func restore() throws {
        let leaves = (0..<77).map { RFC6962.leafHash(testLeaf($0)) }
        var store = MemoryNodes(leafHashes: leaves[..<45])
        var restored = try CompactRange(size: store.range.size, hashes: store.range.hashes)
        var reread = try CompactRange(size: 45, reader: store)
        #expect(restored == store.range)
        #expect(reread == store.range)
        for leaf in leaves[45...] {
            store.append(leaf)
            restored.append(leaf)
            reread.append(leaf)
        }
        #expect(restored.rootHash() == ReferenceTree.root(leaves[...]))
        #expect(reread == store.range)
        #expect(try CompactRange(size: 0, hashes: []) == CompactRange())
    }

    @Test("A hash count other than popcount(size) is refused")
    func wrongHashCount() {
        let h = RFC6962.leafHash([UInt8]())
        #expect(throws: CompactRangeError.wrongHashCount(got: 1, want: 2)) { try CompactRange(size: 3, hashes: [h]) }
        #expect(throws: CompactRangeError.wrongHashCount(got: 1, want: 0)) { try CompactRange(size: 0, hashes: [h]) }
        #expect(throws: CompactRangeError.wrongHashCount(got: 0, want: 1)) { try CompactRange(size: 1 << 40, hashes: []) }
        #expect(CompactRangeError.wrongHashCount(got: 1, want: 2).description == "wrong number of subtree hashes 1, want 2")
    }
}

@Suite struct NodeIDTests {
    @Test("postOrderKey equals the position in the append sequence over 10,000 appends")
    func postOrderKeys() {
        let store = MemoryNodes(leafHashes: (0..<10_000).map { RFC6962.leafHash(testLeaf($0)) })
        var previous: UInt64? = nil
        var mismatches = 0
        for (position, node) in store.visited.enumerated() {
            if node.postOrderKey != UInt64(position) { mismatches += 1 }
            if let previous, node.postOrderKey <= previous { mismatches += 1 }
            previous = node.postOrderKey
        }
        #expect(mismatches == 0)
        // Complete nodes among n leaves: 2n − popcount(n).
        #expect(store.visited.count == 2 * 10_000 - 10_000.nonzeroBitCount)
    }

    @Test("postOrderKey known values")
    func postOrderKnownValues() {
        // Append order: leaf 0, leaf 1, (1,0), leaf 2, leaf 3, (1,1), (2,0), leaf 4 …
        #expect(NodeID(level: 0, index: 0).postOrderKey == 0)
        #expect(NodeID(level: 1, index: 0).postOrderKey == 2)
        #expect(NodeID(level: 0, index: 2).postOrderKey == 3)
        #expect(NodeID(level: 2, index: 0).postOrderKey == 6)
        #expect(NodeID(level: 0, index: 4).postOrderKey == 7)
        #expect(NodeID(level: 2, index: 1).postOrderKey == 13)
        // A leaf far out: 2·i − popcount(i).
        let i: UInt64 = 1 << 40 + 12345
        #expect(NodeID(level: 0, index: i).postOrderKey == 2 * i - UInt64(i.nonzeroBitCount))
    }
}
