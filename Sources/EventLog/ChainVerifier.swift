import CanonicalJSON
public import MerkleLog

/// One thing found wrong with the stored log, at an exact position.
public struct IntegrityViolation: Sendable, Hashable, CustomStringConvertible {
    /// What kind of violation.
    public enum Kind: String, Sendable, Hashable {
        /// A position is missing, repeated or out of order in the `events` keys.
        case gap
        /// The `position` attribute differs from the event's key.
        case positionMismatch = "position-mismatch"
        /// `predecessorhash` differs from the previous event's leaf hash.
        case chainBreak = "chain-break"
        /// The bytes are not RFC 8785 canonical JSON.
        case notCanonical = "not-canonical"
        /// The bytes do not decode as a stored event.
        case undecodable
        /// A stored Merkle node differs from the one recomputed from the events.
        case merkleMismatch = "merkle-mismatch"
        /// The stored tree's root differs from the recomputed root.
        case rootMismatch = "root-mismatch"
    }

    /// The position of the event at fault; nil for whole-log findings.
    public var position: LogIndex?
    /// The kind.
    public var kind: Kind
    /// What was expected (hashes in hex, positions in decimal).
    public var expected: String
    /// What was found.
    public var found: String

    public var description: String {
        let at = position.map { "position \($0)" } ?? "log"
        return "\(at): \(kind.rawValue): expected \(expected), found \(found)"
    }
}

/// Checks a log event by event, in order: keys gapless from 0, `position` equal to the key,
/// canonical bytes, every `predecessorhash` equal to the previous leaf hash. It also folds
/// every leaf into a compact range, so ``rootHash`` is the RFC 9162 root of what it saw.
///
/// It hashes each event once; the one hash serves the chain and the tree (DESIGN.md §3).
///
/// ```swift
/// var verifier = ChainVerifier()
/// for (position, bytes) in export { verifier.check(position: position, bytes: bytes) }
/// print(verifier.violations.isEmpty ? "verified" : verifier.violations[0].description)
/// ```
public struct ChainVerifier: Sendable {
    /// Violations found so far, in order (at most ``maxViolations``).
    public private(set) var violations: [IntegrityViolation] = []
    /// Events checked.
    public private(set) var count: UInt64 = 0
    /// Leaf hashes folded so far.
    public private(set) var range = CompactRange()
    /// The leaf hash of the last event checked.
    public private(set) var lastLeafHash: Hash = .zero
    /// Stop recording after this many violations.
    public var maxViolations = 100

    /// A verifier for a log that starts at position 0.
    public init() {}

    /// The RFC 9162 root over every event checked.
    public var rootHash: Hash { range.rootHash() }

    mutating func report(_ v: IntegrityViolation) {
        if violations.count < maxViolations { violations.append(v) }
    }

    /// Checks the event stored at key `position` with bytes `bytes`, returning its leaf hash.
    @discardableResult
    public mutating func check(position: LogIndex, bytes: UnsafeRawBufferPointer) -> Hash {
        let expectedPosition = count
        if position != expectedPosition {
            report(.init(position: expectedPosition, kind: .gap, expected: "position \(expectedPosition)", found: "position \(position)"))
        }
        let leaf = RFC6962.leafHash(bytes)
        let array = Array(bytes)
        do {
            let value = try JSONValue(parsing: array)
            if value.canonicalBytes != array {
                report(.init(position: position, kind: .notCanonical, expected: "RFC 8785 canonical JSON", found: "other bytes"))
            }
            let event = try StoredEvent(bytes: array)
            if event.position != position {
                report(.init(position: position, kind: .positionMismatch, expected: String(position), found: String(event.position)))
            }
            if event.predecessorHash != lastLeafHash {
                report(.init(position: position, kind: .chainBreak, expected: lastLeafHash.hex, found: event.predecessorHash.hex))
            }
        } catch let error as EventLogError {
            report(.init(position: position, kind: .undecodable, expected: "a stored CloudEvent", found: error.message))
        } catch {
            report(.init(position: position, kind: .undecodable, expected: "JSON", found: "\(error)"))
        }
        range.append(leaf) { _, _ in }
        lastLeafHash = leaf
        count += 1
        return leaf
    }

    /// Checks one event given as an array.
    @discardableResult
    public mutating func check(position: LogIndex, bytes: [UInt8]) -> Hash {
        bytes.withUnsafeBytes { check(position: position, bytes: $0) }
    }
}
