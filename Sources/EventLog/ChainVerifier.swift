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

    /// Also decode every event fully and check that its bytes are RFC 8785 canonical (slower).
    /// When false, only the attributes the chain needs are read, by a byte scan that skips `data`;
    /// anything the scan does not recognise falls back to the full check.
    public var strict = true

    /// Checks the event stored at key `position` with bytes `bytes`, returning its leaf hash.
    @discardableResult
    public mutating func check(position: LogIndex, bytes: UnsafeRawBufferPointer) -> Hash {
        check(position: position, bytes: bytes) { _, _ in }
    }

    /// Checks one event and calls `visit` with every Merkle node its leaf completes (the leaf
    /// first, then each parent, bottom-up), so a caller can compare them with stored nodes.
    @discardableResult
    public mutating func check(position: LogIndex, bytes: UnsafeRawBufferPointer, visit: (NodeID, Hash) -> Void) -> Hash {
        let expectedPosition = count
        if position != expectedPosition {
            report(.init(position: expectedPosition, kind: .gap, expected: "position \(expectedPosition)", found: "position \(position)"))
        }
        let leaf = RFC6962.leafHash(bytes)
        if !strict, let (attrPosition, predecessor) = FastAttributes.scan(bytes) {
            if attrPosition != position {
                report(.init(position: position, kind: .positionMismatch, expected: String(position), found: String(attrPosition)))
            }
            if predecessor != lastLeafHash {
                report(.init(position: position, kind: .chainBreak, expected: lastLeafHash.hex, found: predecessor.hex))
            }
        } else {
            fullCheck(position: position, bytes: bytes)
        }
        range.append(leaf, visit: visit)
        lastLeafHash = leaf
        count += 1
        return leaf
    }

    private mutating func fullCheck(position: LogIndex, bytes: UnsafeRawBufferPointer) {
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
    }

    /// Checks one event given as an array.
    @discardableResult
    public mutating func check(position: LogIndex, bytes: [UInt8]) -> Hash {
        bytes.withUnsafeBytes { check(position: position, bytes: $0) }
    }
}

/// Reads `position` and `predecessorhash` from stored bytes without decoding them.
///
/// A stored event is canonical, so its members come in a fixed order: `data` first (skipped
/// as one JSON value), then `datacontenttype`, `id`, `position`, `predecessorhash`. Returns nil
/// for anything else, and the caller falls back to a full decode.
enum FastAttributes {
    static func scan(_ b: UnsafeRawBufferPointer) -> (LogIndex, Hash)? {
        var i = 0
        let n = b.count
        func expect(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard i + count <= n else { return false }
            let p = literal.utf8Start
            for k in 0..<count where b[i + k] != p[k] { return false }
            i += count
            return true
        }
        func skipString() -> Bool {  // at the opening quote
            guard i < n, b[i] == 0x22 else { return false }
            i += 1
            while i < n {
                let c = b[i]
                if c == 0x5C {
                    i += 2
                } else if c == 0x22 {
                    i += 1
                    return true
                } else {
                    i += 1
                }
            }
            return false
        }
        func skipValue() -> Bool {
            guard i < n else { return false }
            switch b[i] {
            case 0x22:
                return skipString()
            case 0x7B, 0x5B:  // { [
                var depth = 0
                while i < n {
                    let c = b[i]
                    if c == 0x22 {
                        if !skipString() { return false }
                        continue
                    }
                    if c == 0x7B || c == 0x5B {
                        depth += 1
                    } else if c == 0x7D || c == 0x5D {
                        depth -= 1
                        if depth == 0 {
                            i += 1
                            return true
                        }
                    }
                    i += 1
                }
                return false
            default:  // a scalar runs to the next separator
                while i < n, b[i] != 0x2C, b[i] != 0x7D, b[i] != 0x5D { i += 1 }
                return i < n
            }
        }
        guard expect(#"{"data":"#), skipValue(), expect(#","datacontenttype":"#), skipString(), expect(#","id":"#),
            skipString(), expect(#","position":"#)
        else { return nil }
        var position: UInt64 = 0
        var digits = 0
        while i < n, b[i] >= 0x30, b[i] <= 0x39, digits < 19 {
            position = position * 10 + UInt64(b[i] - 0x30)
            i += 1
            digits += 1
        }
        guard digits > 0, expect(#","predecessorhash":""#), i + 64 < n, b[i + 64] == 0x22 else { return nil }
        var raw: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &raw) { out -> Bool in
            for k in 0..<32 {
                guard let hi = hexValue(b[i + 2 * k]), let lo = hexValue(b[i + 2 * k + 1]) else { return false }
                out[k] = hi << 4 | lo
            }
            return true
        }
        guard ok else { return nil }
        return (position, withUnsafeBytes(of: &raw) { Hash($0) })
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
