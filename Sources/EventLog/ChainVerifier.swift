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
        /// The stored tree runs past the last event: events were removed from the end.
        case truncated
        /// A stored value is larger than an event may be: it was not read, and it is hashed
        /// as empty, so the chain and the tree flag it too.
        case oversized
        /// An event's `streamversion` is not one more than its stream's previous event's.
        case streamVersion = "stream-version"
        /// A `links` entry differs from the one the events determine, or is missing or extra.
        case linkMismatch = "link-mismatch"
        /// An `ids` entry does not point at its event, or is missing or extra.
        case idIndexMismatch = "id-index-mismatch"
        /// A `streams` entry does not give its stream's first position, or a `heads` entry does
        /// not name its stream's last event; or one is missing or extra.
        case headMismatch = "head-mismatch"
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
    /// Tree sizes at which to keep the recomputed root (for example the sizes of checkpoints).
    public var rootsWanted: Set<UInt64> = []
    /// The recomputed root at each size of ``rootsWanted`` the check has reached.
    public private(set) var roots: [UInt64: Hash] = [:]

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
        let scanned = ScannedEvent(position: position, bytes: bytes, strict: strict)
        apply(scanned, bytes: bytes, visit: visit)
        return scanned.leaf
    }

    /// The second half of ``check(position:bytes:visit:)``, for a scan done elsewhere (another thread).
    /// `bytes` are needed only when the scan could not read the attributes (`scanned.attributes == nil`).
    mutating func apply(_ scanned: ScannedEvent, bytes: UnsafeRawBufferPointer?, visit: (NodeID, Hash) -> Void) {
        let position = scanned.position
        let expectedPosition = count
        if position != expectedPosition {
            report(.init(position: expectedPosition, kind: .gap, expected: "position \(expectedPosition)", found: "position \(position)"))
        }
        if let (attrPosition, predecessor) = scanned.attributes {
            if attrPosition != position {
                report(.init(position: position, kind: .positionMismatch, expected: String(position), found: String(attrPosition)))
            }
            if predecessor != lastLeafHash {
                report(.init(position: position, kind: .chainBreak, expected: lastLeafHash.hex, found: predecessor.hex))
            }
        } else if let bytes {
            fullCheck(position: position, bytes: bytes)
        } else {
            report(.init(position: position, kind: .undecodable, expected: "a stored CloudEvent", found: "bytes unavailable"))
        }
        range.append(scanned.leaf, visit: visit)
        lastLeafHash = scanned.leaf
        count += 1
        if !rootsWanted.isEmpty, rootsWanted.contains(count) { roots[count] = range.rootHash() }
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
/// A stored event is canonical, so its top-level members come in a fixed order and every
/// string value escapes its quotes. The members after `predecessorhash` are strings and one
/// integer, none of which can hold the unescaped text `,"predecessorhash":"`; an occurrence
/// inside `data` comes before the top-level one. So the *last* occurrence is the attribute,
/// found by searching backwards from the end, without walking `data`. `position` is the member
/// just before it. Returns nil for anything else, and the caller falls back to a full decode.
/// (Integrity never rests on this scan: a changed event changes its leaf hash, which the next
/// event's `predecessorhash` and the stored Merkle nodes both catch.)
enum FastAttributes {
    private static let predecessorKey: StaticString = #","predecessorhash":""#
    private static let positionKey: StaticString = #","position":"#

    static func scan(_ b: UnsafeRawBufferPointer) -> (LogIndex, Hash)? {
        let n = b.count
        let key = predecessorKey.utf8Start
        let keyCount = predecessorKey.utf8CodeUnitCount
        guard n > keyCount + 66, b[0] == 0x7B else { return nil }
        // The last occurrence of `,"predecessorhash":"`, searched backwards eight bytes at a
        // time for its third byte `p` (SWAR: a zero byte in x ^ 0x70…70 marks a `p`).
        var start = -1
        let base = b.baseAddress!
        var end = n - keyCount - 64  // the match must leave room for the 64 hex digits
        search: while end > 0 {
            let chunkStart = max(0, end - 8)
            var word: UInt64 = 0
            if end - chunkStart == 8 {
                word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: chunkStart, as: UInt64.self))
                let x = word ^ 0x7070_7070_7070_7070
                if (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 == 0 {
                    end = chunkStart
                    continue
                }
            }
            var j = end - 1
            while j >= chunkStart {
                let i = j - 2  // candidate start of the key, whose byte 2 is `p`
                if b[j] == 0x70, i >= 0, b[i] == 0x2C, b[i + 1] == 0x22 {
                    var k = 3
                    while k < keyCount, b[i + k] == key[k] { k += 1 }
                    if k == keyCount {
                        start = i
                        break search
                    }
                }
                j -= 1
            }
            end = chunkStart
        }
        guard start >= 0, start + keyCount + 64 < n else { return nil }
        guard start >= 0 else { return nil }
        let hexStart = start + keyCount
        guard b[hexStart + 64] == 0x22 else { return nil }
        var raw: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &raw) { out -> Bool in
            for k in 0..<32 {
                guard let hi = hexValue(b[hexStart + 2 * k]), let lo = hexValue(b[hexStart + 2 * k + 1]) else { return false }
                out[k] = hi << 4 | lo
            }
            return true
        }
        guard ok else { return nil }
        // `,"position":<digits>` ends right before the match.
        var d = start - 1
        var position: UInt64 = 0
        var scale: UInt64 = 1
        var digits = 0
        while d >= 0, b[d] >= 0x30, b[d] <= 0x39, digits < 19 {
            position += UInt64(b[d] - 0x30) * scale
            scale = scale &* 10
            d -= 1
            digits += 1
        }
        let pk = positionKey.utf8Start
        let pkCount = positionKey.utf8CodeUnitCount
        guard digits > 0, d - pkCount + 1 >= 0 else { return nil }
        for k in 0..<pkCount where b[d - pkCount + 1 + k] != pk[k] { return nil }
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

/// What the first, parallelisable half of checking an event computes: its leaf hash and, in
/// fast mode, the two attributes the chain needs.
struct ScannedEvent: Sendable {
    var position: LogIndex
    var leaf: Hash
    /// `position` and `predecessorhash` from the fast scan; nil in strict mode or when the scan
    /// did not recognise the bytes (the full check then needs them).
    var attributes: (LogIndex, Hash)?

    init(position: LogIndex, bytes: UnsafeRawBufferPointer, strict: Bool) {
        self.init(position: position, leaf: RFC6962.leafHash(bytes), attributes: strict ? nil : FastAttributes.scan(bytes))
    }

    init(position: LogIndex, leaf: Hash, attributes: (LogIndex, Hash)?) {
        self.position = position
        self.leaf = leaf
        self.attributes = attributes
    }
}
