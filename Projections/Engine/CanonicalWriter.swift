public import ClinicalRecord
import CanonicalJSON

/// A value that writes its own RFC 8785 canonical JSON: the bytes
/// `JSONValueEncoder().encode(value).canonicalBytes` gives, written straight into a buffer
/// with no `Encoder`, no containers and no tree of nodes.
///
/// Projection records conform so that a rebuild, which writes every record, and each flush,
/// which writes the changed ones, spend their time on the records' bytes and not on
/// `Codable`'s machinery. A record type that does not conform is encoded through
/// ``RecordEncoder``'s `Encoder`; the bytes are the same either way.
///
/// A conformance writes every stored property (snake_cased, as `JSONValueEncoder` names
/// them), members in canonical order (their UTF-16 code units compared; for ASCII names, byte
/// order), and leaves `nil` optionals out. Debug builds check the order as it is written;
/// `Tests/ProjectionTests/CanonicalWriterTests.swift` holds every record type's bytes equal to
/// `JSONValueEncoder`'s on simulated programs, with every optional member seen present.
protocol CanonicalWritable {
    /// Appends this value's canonical JSON to `out`.
    func write(to out: inout CanonicalWriter)
}

/// The buffer a ``CanonicalWritable`` value writes into, with the punctuation between values.
struct CanonicalWriter {
    /// The canonical bytes written so far.
    private(set) var bytes: [UInt8] = []
    /// Whether the next value or member needs a comma before it.
    private var needsComma = false
    /// Set when a value has no canonical form `JSONValueEncoder` accepts (an integer beyond
    /// ±(2^53 − 1), a number that is not finite): ``RecordEncoder`` then uses the `Encoder`
    /// path, which reports it as before.
    private(set) var failed = false
    #if DEBUG
    /// The last member name of each open object, to check the canonical order.
    private var lastNames: [[UInt8]] = []
    #endif

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    @inline(__always)
    private mutating func separate() {
        if needsComma { bytes.append(0x2C) }
        needsComma = true
    }

    /// Writes an object whose members `body` writes (with ``member(_:_:)`` and its kin).
    @inline(__always)
    mutating func object(_ body: (inout CanonicalWriter) -> Void) {
        separate()
        bytes.append(0x7B)
        needsComma = false
        #if DEBUG
        lastNames.append([])
        #endif
        body(&self)
        #if DEBUG
        lastNames.removeLast()
        #endif
        bytes.append(0x7D)
        needsComma = true
    }

    /// Writes an array of `items`.
    @inline(__always)
    mutating func array<C: Collection>(_ items: C) where C.Element: CanonicalWritable {
        separate()
        bytes.append(0x5B)
        needsComma = false
        for item in items { item.write(to: &self) }
        bytes.append(0x5D)
        needsComma = true
    }

    /// Writes a member's name and colon; the caller writes its value next. Names must be given
    /// in canonical order, snake_cased, ASCII letters, digits and `_` only (no escaping).
    @inline(__always)
    mutating func name(_ name: StaticString) {
        let text = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        #if DEBUG
        for c in text {
            let lower = c >= 0x61 && c <= 0x7A, digit = c >= 0x30 && c <= 0x39
            precondition(lower || digit || c == 0x5F, "a member name is snake_cased ASCII")
        }
        precondition(lastNames[lastNames.count - 1].lexicographicallyPrecedes(text), "members are written in canonical order: \(name)")
        lastNames[lastNames.count - 1] = Array(text)
        #endif
        if needsComma { bytes.append(0x2C) }
        bytes.append(0x22)
        bytes.append(contentsOf: text)
        bytes.append(0x22)
        bytes.append(0x3A)
        needsComma = false
    }

    /// Writes member `name` with `value`.
    @inline(__always)
    mutating func member<T: CanonicalWritable>(_ name: StaticString, _ value: T) {
        self.name(name)
        value.write(to: &self)
    }

    /// Writes member `name` with `value`, or nothing when it is `nil`.
    @inline(__always)
    mutating func member<T: CanonicalWritable>(_ name: StaticString, _ value: T?) {
        if let value { member(name, value) }
    }

    /// Writes a string.
    mutating func string(_ s: String) {
        separate()
        JCS.writeString(s, into: &bytes)
    }

    /// Writes the date `"YYYY-MM-DD"` (a year of four digits).
    @inline(__always)
    mutating func date(year y: Int, month m: Int, day d: Int) {
        separate()
        bytes.append(0x22)
        bytes.append(0x30 + UInt8(truncatingIfNeeded: y / 1000))
        bytes.append(0x30 + UInt8(truncatingIfNeeded: y / 100 % 10))
        bytes.append(0x30 + UInt8(truncatingIfNeeded: y / 10 % 10))
        bytes.append(0x30 + UInt8(truncatingIfNeeded: y % 10))
        bytes.append(0x2D)
        bytes.append(0x30 + UInt8(truncatingIfNeeded: m / 10))
        bytes.append(0x30 + UInt8(truncatingIfNeeded: m % 10))
        bytes.append(0x2D)
        bytes.append(0x30 + UInt8(truncatingIfNeeded: d / 10))
        bytes.append(0x30 + UInt8(truncatingIfNeeded: d % 10))
        bytes.append(0x22)
    }

    /// Writes an integer; one beyond ±(2^53 − 1) fails the write (``failed``).
    mutating func integer(_ i: Int) {
        separate()
        guard i.magnitude <= 9_007_199_254_740_991 else {
            failed = true
            return
        }
        if i < 0 { bytes.append(0x2D) }
        var m = i.magnitude
        if m < 10 {
            bytes.append(0x30 + UInt8(m))
            return
        }
        var digits: (UInt64, UInt64) = (0, 0)  // up to 16 digits, least significant first
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while m > 0 {
                d[n] = 0x30 + UInt8(m % 10)
                m /= 10
                n += 1
            }
            var k = n
            while k > 0 {
                k -= 1
                bytes.append(d[k])
            }
        }
    }

    /// Writes a number (ECMAScript's shortest form); one that is not finite fails the write.
    mutating func number(_ d: Double) {
        separate()
        guard d.isFinite else {
            failed = true
            return
        }
        JCS.writeNumber(d, into: &bytes)
    }

    /// Writes `true` or `false`.
    mutating func bool(_ b: Bool) {
        separate()
        if b { bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
    }
}

// MARK: The scalars records are made of

extension String: CanonicalWritable {
    func write(to out: inout CanonicalWriter) { out.string(self) }
}

extension Int: CanonicalWritable {
    func write(to out: inout CanonicalWriter) { out.integer(self) }
}

extension Bool: CanonicalWritable {
    func write(to out: inout CanonicalWriter) { out.bool(self) }
}

extension Double: CanonicalWritable {
    func write(to out: inout CanonicalWriter) { out.number(self) }
}

extension Array: CanonicalWritable where Element: CanonicalWritable {
    func write(to out: inout CanonicalWriter) { out.array(self) }
}

extension Identifier: CanonicalWritable {
    func write(to out: inout CanonicalWriter) { out.string(rawValue) }
}

extension LocalDate: CanonicalWritable {
    /// `"YYYY-MM-DD"`, as `description` gives it, without building the string.
    func write(to out: inout CanonicalWriter) {
        let (y, m, d) = components
        guard (0...9999).contains(y) else {
            out.string(description)
            return
        }
        out.date(year: y, month: m, day: d)
    }
}

/// Vocabularies travel as their terms.
extension CanonicalWritable where Self: Vocabulary {
    func write(to out: inout CanonicalWriter) { out.string(rawValue) }
}

extension Module: CanonicalWritable {}
extension Format: CanonicalWritable {}
extension StaffRole: CanonicalWritable {}
extension DischargeReason: CanonicalWritable {}
extension CurriculumEdition: CanonicalWritable {}
extension FidelityScaleVersion: CanonicalWritable {}
extension RaterKind: CanonicalWritable {}
