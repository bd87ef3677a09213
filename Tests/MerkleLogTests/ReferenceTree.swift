import MerkleLog

// The expected hex values in RFC6962Tests and ProofTests were computed once with this
// independent python3 transcription of RFC 9162 §2.1 (hashlib only), run as `python3 ref.py`:
//
//   import hashlib
//   H = lambda b: hashlib.sha256(b).digest()
//   leaf = lambda b: H(b"\x00" + b)
//   node = lambda l, r: H(b"\x01" + l + r)
//   def k_of(n):
//       k = 1
//       while k * 2 < n: k *= 2
//       return k
//   def mth(d):
//       if len(d) == 0: return H(b"")
//       if len(d) == 1: return leaf(d[0])
//       k = k_of(len(d)); return node(mth(d[:k]), mth(d[k:]))
//   def path(m, d):
//       if len(d) == 1: return []
//       k = k_of(len(d))
//       return path(m, d[:k]) + [mth(d[k:])] if m < k else path(m - k, d[k:]) + [mth(d[:k])]
//   def subproof(m, d, b):
//       n = len(d)
//       if m == n: return [] if b else [mth(d)]
//       k = k_of(n)
//       return subproof(m, d[:k], b) + [mth(d[k:])] if m <= k else subproof(m - k, d[k:], False) + [mth(d[:k])]
//   leaves = [bytes.fromhex(x) for x in ["", "00", "10", "2021", "3031", "40414243",
//             "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
//   for n in range(1, 9): print("root", n, mth(leaves[:n]).hex())
//   for m, n in [(0, 8), (5, 8), (2, 3), (6, 7)]: print("path", m, n, [x.hex() for x in path(m, leaves[:n])])
//   for m, n in [(1, 8), (6, 8), (2, 5), (3, 7), (4, 8)]: print("proof", m, n, [x.hex() for x in subproof(m, leaves[:n], True)])

/// A plain recursive transcription of RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and
/// §2.1.4.1 (PROOF / SUBPROOF), over leaf hashes, to check the O(log n) code against.
enum ReferenceTree {
    /// The largest power of two smaller than `n` (RFC 9162 §2.1.1's k), for n > 1.
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH(D[n]) over leaf hashes.
    static func root(_ leaves: ArraySlice<Hash>) -> Hash {
        switch leaves.count {
        case 0: return RFC6962.emptyRoot
        case 1: return leaves.first!
        default:
            let k = split(leaves.count)
            let mid = leaves.startIndex + k
            return RFC6962.nodeHash(root(leaves[..<mid]), root(leaves[mid...]))
        }
    }

    /// PATH(m, D[n]).
    static func path(_ m: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        guard leaves.count > 1 else { return [] }
        let k = split(leaves.count)
        let mid = leaves.startIndex + k
        if m < k {
            return path(m, leaves[..<mid]) + [root(leaves[mid...])]
        }
        return path(m - k, leaves[mid...]) + [root(leaves[..<mid])]
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    static func proof(_ m: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        subproof(m, leaves, true)
    }

    /// SUBPROOF(m, D[n], b).
    static func subproof(_ m: Int, _ leaves: ArraySlice<Hash>, _ b: Bool) -> [Hash] {
        let n = leaves.count
        if m == n { return b ? [] : [root(leaves)] }
        let k = split(n)
        let mid = leaves.startIndex + k
        if m <= k {
            return subproof(m, leaves[..<mid], b) + [root(leaves[mid...])]
        }
        return subproof(m - k, leaves[mid...], false) + [root(leaves[..<mid])]
    }

    /// The eight leaves of the RFC 6962 reference tree used by transparency-dev/merkle
    /// and Certificate Transparency tests: "", 00, 10, 2021, 3031, 40414243,
    /// 5051525354555657, 606162636465666768696a6b6c6d6e6f.
    static let referenceLeaves: [[UInt8]] = [
        [],
        [0x00],
        [0x10],
        [0x20, 0x21],
        [0x30, 0x31],
        [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ]
}

/// The node store of an append-only log, in memory: what `CompactRange.append` reports.
struct MemoryNodes: NodeReader {
    struct MissingNode: Error, Equatable {
        var node: NodeID
    }

    private(set) var nodes: [NodeID: Hash] = [:]
    private(set) var range = CompactRange()
    /// Every node in the order `append` reported it.
    private(set) var visited: [NodeID] = []

    init(leafHashes: some Sequence<Hash> = []) {
        for hash in leafHashes { append(hash) }
    }

    mutating func append(_ leafHash: Hash) {
        range.append(leafHash) { node, hash in
            nodes[node] = hash
            visited.append(node)
        }
    }

    func hash(of node: NodeID) throws -> Hash {
        guard let hash = nodes[node] else { throw MissingNode(node: node) }
        return hash
    }
}

/// Wraps a reader and counts reads.
final class CountingReader<Base: NodeReader>: NodeReader {
    let base: Base
    private(set) var reads = 0

    init(_ base: Base) { self.base = base }

    func hash(of node: NodeID) throws -> Hash {
        reads += 1
        return try base.hash(of: node)
    }
}

extension Hash {
    /// A hash from test hex; traps on a typo.
    init(testHex hex: String) {
        guard let hash = Hash(hex: hex) else { fatalError("bad test hex \(hex)") }
        self = hash
    }
}

/// Deterministic leaf data for the agreement tests.
func testLeaf(_ i: Int) -> [UInt8] {
    Array("leaf \(i)".utf8)
}
