import EventLog
import MerkleLog

/// Everything the log's integrity rests on, read through the library: every event's stored
/// bytes, every stored checkpoint and every stored Merkle node.
///
/// A byte flip the auditor does not report must leave this unchanged: then the flipped byte
/// lay in a region the log does not use (a free page, the slack of a page, an index).
struct StoreSnapshot: Equatable, Sendable {
    var events: [[UInt8]] = []
    var checkpoints: [String] = []
    var nodes: [Hash?] = []

    /// Reads the store at `path` read-only.
    init(path: String) throws {
        let log = try LMDBEventLog.open(at: path, options: .init(readOnly: true))
        try log.forEachRaw(from: 0) { position, bytes in
            events.append(Array(bytes))
            return true
        }
        checkpoints = try log.storedCheckpoints().map { "\($0.treeSize) \($0.note)" }
        // Every complete node: leaf i, then each parent it completes.
        let size = UInt64(events.count)
        for i in 0..<size {
            var node = NodeID(level: 0, index: i)
            nodes.append(try? log.merkleNode(node))
            for _ in 0..<(~i).trailingZeroBitCount {
                node = NodeID(level: node.level + 1, index: node.index >> 1)
                nodes.append(try? log.merkleNode(node))
            }
        }
        nodes.append(try? log.merkleNode(NodeID(level: 0, index: size)))  // nothing past the end
    }
}
