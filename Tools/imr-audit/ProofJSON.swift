import Foundation

/// Writes proof documents as JSON with their members in the documented order.
///
/// Foundation's `JSONEncoder` does not keep member order on Linux, so the few members are
/// written here; strings are escaped by `JSONSerialization`, so the event text reads back
/// exactly.
///
/// ```swift
/// print(try ProofJSON.render(document))   // {"position": 5, "treeSize": 300, …}
/// ```
enum ProofJSON {
    /// The inclusion proof: position, treeSize, leafHash, rootHash, proof, event.
    static func render(_ d: InclusionProofDocument) throws -> String {
        var members = [
            ("position", String(d.position)), ("treeSize", String(d.treeSize)),
            ("leafHash", try string(d.leafHash)), ("rootHash", try string(d.rootHash)),
            ("proof", try array(d.proof)),
        ]
        if let event = d.event { members.append(("event", try string(event))) }
        return object(members)
    }

    /// The consistency proof: oldSize, newSize, oldRoot, newRoot, proof.
    static func render(_ d: ConsistencyProofDocument) throws -> String {
        object([
            ("oldSize", String(d.oldSize)), ("newSize", String(d.newSize)),
            ("oldRoot", try string(d.oldRoot)), ("newRoot", try string(d.newRoot)),
            ("proof", try array(d.proof)),
        ])
    }

    private static func object(_ members: [(String, String)]) -> String {
        "{\n" + members.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}"
    }

    private static func array(_ items: [String]) throws -> String {
        if items.isEmpty { return "[]" }
        return "[\n" + (try items.map { "    " + (try string($0)) }).joined(separator: ",\n") + "\n  ]"
    }

    /// A JSON string literal for `text`.
    private static func string(_ text: String) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
