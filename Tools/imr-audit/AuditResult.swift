import Foundation
import MerkleLog

/// What a verification of a store or an export found: the report's content.
///
/// ```swift
/// let result = try StoreAuditor(log: log, verifier: verifier, keySource: "given", held: held).run()
/// print(result.summary)   // verified: 300 events, 2 checkpoints, root 5c…
/// ```
struct AuditResult: Sendable, Encodable {
    /// The most violations kept; the rest are only counted.
    static let maxViolations = 200

    /// The store directory or export file verified.
    var target: String
    /// The log's origin (from the store, or from the first checkpoint of an export).
    var origin: String?
    /// The verifier key used for signatures.
    var verifierKey: String?
    /// `given` (`--key`) or `store` (the store's own key, which proves less).
    var keySource: String
    /// Events verified.
    var size: UInt64
    /// The root recomputed from the event bytes.
    var root: Hash
    /// Every checkpoint looked at, stored ones first.
    var checkpoints: [CheckpointStatus]
    /// Violations, at most ``maxViolations``.
    private(set) var violations: [AuditViolation] = []
    /// Violations found beyond ``maxViolations``.
    private(set) var violationsOmitted = 0

    /// Makes a result with no violations yet.
    init(
        target: String, origin: String?, verifierKey: String?, keySource: String, size: UInt64, root: Hash,
        checkpoints: [CheckpointStatus]
    ) {
        self.target = target
        self.origin = origin
        self.verifierKey = verifierKey
        self.keySource = keySource
        self.size = size
        self.root = root
        self.checkpoints = checkpoints
    }

    /// True when nothing was found wrong.
    var isVerified: Bool { violations.isEmpty && violationsOmitted == 0 }

    /// Checkpoints whose every check held.
    var verifiedCheckpoints: Int { checkpoints.filter(\.isVerified).count }

    /// Adds violations, keeping at most ``maxViolations``.
    mutating func add(_ found: [AuditViolation]) {
        for violation in found {
            if violations.count < Self.maxViolations {
                violations.append(violation)
            } else {
                violationsOmitted += 1
            }
        }
    }

    /// The last line of the output: `verified: …` or `NOT verified: …`.
    var summary: String {
        if isVerified {
            return "verified: \(size) events, \(checkpoints.count) checkpoints, root \(root.hex)"
        }
        let total = violations.count + violationsOmitted
        let first = violations.compactMap(\.position).min().map { ", first at position \($0)" } ?? ""
        return "NOT verified: \(total) violation\(total == 1 ? "" : "s") in \(size) events\(first); "
            + "\(verifiedCheckpoints) of \(checkpoints.count) checkpoints verified"
    }

    /// Prints one line per violation, then the summary.
    func printLines() {
        for violation in violations { print(violation.description) }
        if violationsOmitted > 0 { print("… and \(violationsOmitted) more violations") }
        print(summary)
    }

    private enum CodingKeys: String, CodingKey {
        case tool, generatedAt, target, origin, verifierKey, keySource, size, root, verified
        case checkpoints, violations, violationsOmitted
    }

    /// Encodes the report's JSON form.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("imr-audit", forKey: .tool)
        try c.encode(ISO8601DateFormatter().string(from: Date()), forKey: .generatedAt)
        try c.encode(target, forKey: .target)
        try c.encodeIfPresent(origin, forKey: .origin)
        try c.encodeIfPresent(verifierKey, forKey: .verifierKey)
        try c.encode(keySource, forKey: .keySource)
        try c.encode(size, forKey: .size)
        try c.encode(root.hex, forKey: .root)
        try c.encode(isVerified, forKey: .verified)
        try c.encode(checkpoints, forKey: .checkpoints)
        try c.encode(violations, forKey: .violations)
        try c.encode(violationsOmitted, forKey: .violationsOmitted)
    }
}
