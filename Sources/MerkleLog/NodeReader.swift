/// Reads the hashes of complete perfect subtree nodes, as an append-only store keeps them.
///
/// A store that saves every node reported by ``CompactRange/append(_:visit:)``
/// can answer any ``Proofs`` request with O(log n) reads. Conformers throw their
/// own error when a node is missing (for example because the tree is smaller
/// than the proof asked for); ``Proofs`` passes that error on unchanged.
///
/// ```swift
/// struct MemoryNodes: NodeReader {
///     var nodes: [NodeID: Hash] = [:]
///     func hash(of node: NodeID) throws -> Hash {
///         guard let hash = nodes[node] else { throw MissingNode(node: node) }
///         return hash
///     }
/// }
/// ```
public protocol NodeReader {
    /// Returns the hash of a complete node.
    ///
    /// - Parameter node: The node's address; every leaf below it has been appended.
    /// - Returns: The node's stored hash.
    /// - Throws: The conformer's error when the node is not stored or cannot be read.
    func hash(of node: NodeID) throws -> Hash
}
