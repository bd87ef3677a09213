import EventLog

/// One thing found wrong, with where it is and what differs.
///
/// `position` is the log position at fault when there is one; `subject` names anything
/// else concerned (a Merkle node, a checkpoint). `expected` and `found` hold hashes in hex,
/// sizes and positions in decimal, or short descriptions, never event data.
///
/// ```swift
/// AuditViolation(position: 5, kind: "chain-break", expected: a.hex, found: b.hex).description
/// // position 5: chain-break: expected 3f…, found 9a…
/// ```
struct AuditViolation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The position of the event at fault, if any.
    var position: UInt64?
    /// A stable kebab-case name, e.g. `chain-break`, `merkle-mismatch`, `checkpoint-root`.
    var kind: String
    /// What else is concerned, e.g. `Merkle node (1, 2)` or `checkpoint file cp.txt (size 300)`.
    var subject: String?
    /// What was expected.
    var expected: String
    /// What was found.
    var found: String

    /// Makes a violation.
    init(position: UInt64? = nil, kind: String, subject: String? = nil, expected: String, found: String) {
        self.position = position
        self.kind = kind
        self.subject = subject
        self.expected = expected
        self.found = found
    }

    /// Converts a violation found by the library's ``ChainVerifier``.
    init(_ violation: IntegrityViolation) {
        self.init(
            position: violation.position, kind: violation.kind.rawValue, expected: violation.expected,
            found: violation.found)
    }

    /// `position P, subject: kind: expected …, found …`.
    var description: String {
        var place: [String] = []
        if let position { place.append("position \(position)") }
        if let subject { place.append(subject) }
        let at = place.isEmpty ? "log" : place.joined(separator: ", ")
        return "\(at): \(kind): expected \(expected), found \(found)"
    }
}
