import CanonicalJSON
#if canImport(Glibc)
import Glibc
#endif
import Crypto
import MerkleLog

/// An append's events, validated and rendered into one buffer.
///
/// Each event is rendered into canonical pieces around the store's attributes. The store's four
/// attributes sort between the client's: keys in RFC 8785 order are `data, datacontenttype, id,
/// | position, predecessorhash, recordedat, | recordedby, recordedrole, source, specversion, |
/// streamversion, | subject, time, type`.
///
/// One object per append, not one per event: a class per event with its own piece and id-key
/// arrays cost three allocations per event, freed on another thread, and a reference count
/// taken wherever an event was read (about a sixth of a bulk append's CPU time).
/// Immutable once built (``Builder``).
final class PreparedEvents: Sendable {
    /// Where one event lies in ``bytes``: `head ‖ middle ‖ tail`, then its id key, where
    /// head is `{"data":…,"datacontenttype":…,"id":…,`,
    /// middle is `"recordedby":…,"recordedrole":…,"source":…,"specversion":"1.0",`,
    /// tail is `"subject":…,"time":…,"type":…}`, and the id key is `source ‖ 0x00 ‖ id`.
    struct Slot: Sendable {
        var start: Int
        var headEnd: Int
        var middleEnd: Int
        var end: Int
        var idEnd: Int
    }

    /// Every event's pieces and id key, one after another.
    let bytes: [UInt8]
    /// One per event, in order.
    let slots: [Slot]
    /// Per event, SHA-256 fed with `0x00 ‖ head`: the stored bytes begin with head, so the
    /// leaf hash is finished from here over what follows head.
    let headHashers: [SHA256]
    /// The bytes of all pieces (without id keys).
    let piecesBytes: Int
    private let pool: BufferPool?

    private init(bytes: [UInt8], slots: [Slot], headHashers: [SHA256], piecesBytes: Int, pool: BufferPool?) {
        self.bytes = bytes
        self.slots = slots
        self.headHashers = headHashers
        self.piecesBytes = piecesBytes
        self.pool = pool
    }

    deinit { pool?.give(bytes) }

    /// The number of events.
    var count: Int { slots.count }

    /// Byte buffers of large appends, used again (a fresh megabyte is a fresh `mmap`, each
    /// page faulted in and zeroed).
    static let pool = BufferPool()

    /// Builds a ``PreparedEvents`` one draft at a time.
    struct Builder {
        private var bytes: [UInt8]
        private var slots: [Slot] = []
        private var hashers: [SHA256] = []
        private var piecesBytes = 0
        private let pool: BufferPool?
        /// The last source, type and role found valid (nil: none yet).
        private var checked: (source: String?, type: String?, role: String?) = (nil, nil, nil)

        /// Room for `events` events.
        init(events: Int) {
            let estimate = events * 768
            if estimate >= BufferPool.minCapacity {
                pool = PreparedEvents.pool
                bytes = PreparedEvents.pool.take(capacity: estimate)
            } else {
                pool = nil
                bytes = []
                bytes.reserveCapacity(estimate)
            }
            slots.reserveCapacity(events)
            hashers.reserveCapacity(events)
        }

        /// Validates `draft` for `stream` and renders it after the events before it. `index` is
        /// its place in the append, named in errors (nil for an append of one event).
        /// - Throws: `EventLogError` `.invalidEvent` naming the field and rule, or
        ///   `.eventTooLarge`; the builder is then unchanged but for unused bytes.
        mutating func add(_ draft: borrowing EventDraft, stream: StreamID, index: Int?) throws(EventLogError) {
            func fail(_ field: String, _ rule: String) -> EventLogError {
                EventLogError.invalid(field: field, rule: rule, eventIndex: index)
            }
            if let rule = Validation.eventID(draft.id) { throw fail("id", rule) }
            // The events of an append mostly share source, type and role: each distinct value
            // is checked once (a string equal to the last one checked passes).
            if draft.source != checked.source {
                if let rule = Validation.source(draft.source) { throw fail("source", rule) }
                checked.source = draft.source
            }
            if draft.type != checked.type {
                if let rule = Validation.type(draft.type) { throw fail("type", rule) }
                checked.type = draft.type
            }
            if let rule = Validation.timestamp(draft.time) { throw fail("time", rule) }
            if draft.dataContentType != "application/json" {
                throw fail("datacontenttype", "must be application/json")
            }
            guard case .object = draft.data else { throw fail("data", "must be a JSON object") }
            if let rule = Validation.userID(draft.recordedBy) { throw fail("recordedby", rule) }
            if draft.recordedRole != checked.role {
                if let rule = Validation.role(draft.recordedRole) { throw fail("recordedrole", rule) }
                checked.role = draft.recordedRole
            }

            // One pass through room the buffer has reserved (retried with more room if the
            // data outgrows it): head, middle, tail, then the id key. Writing stops at the most
            // an event within the limit can take with its id key: larger data is not written
            // in full only to be refused.
            let start = bytes.count
            var marks = (headEnd: 0, middleEnd: 0, end: 0)
            let rendered = bytes.appendCanonical(room: 1024, limit: Self.renderLimit) { out in
                out.literal(#"{"data":"#)
                out.value(draft.data)
                out.literal(#","datacontenttype":"#)
                out.string(draft.dataContentType)
                out.literal(#","id":"#)
                out.string(draft.id)
                out.byte(UInt8(ascii: ","))
                marks.headEnd = start + out.count

                out.literal(#""recordedby":"#)
                out.string(draft.recordedBy)
                out.literal(#","recordedrole":"#)
                out.string(draft.recordedRole)
                out.literal(#","source":"#)
                out.string(draft.source)
                out.literal(#","specversion":"1.0","#)
                marks.middleEnd = start + out.count

                out.literal(#""subject":"#)
                out.string(stream.rawValue)
                out.literal(#","time":"#)
                out.string(draft.time)
                out.literal(#","type":"#)
                out.string(draft.type)
                out.byte(UInt8(ascii: "}"))
                marks.end = start + out.count

                IDRecord.writeKey(source: draft.source, id: draft.id, to: &out)
            }
            let (headEnd, middleEnd, end) = marks

            let size = end - start + EventLimits.storeAttributesBound
            if !rendered || size > EventLimits.maxEventBytes {
                let estimate = rendered ? "up to \(size) bytes" : "over \(EventLimits.maxEventBytes) bytes"
                var e = EventLogError(
                    code: .eventTooLarge,
                    message: (index.map { "event \($0): " } ?? "")
                        + "the event would be \(estimate) stored (with the store's attributes at their largest); the limit is \(EventLimits.maxEventBytes) bytes")
                e.field = "data"
                e.eventIndex = index
                throw e
            }

            var hasher = SHA256()
            bytes.withUnsafeBytes { all in
                var prefix = RFC6962.leafHashPrefix
                withUnsafeBytes(of: &prefix) { hasher.update(bufferPointer: $0) }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: all[start..<headEnd]))
            }
            hashers.append(hasher)
            slots.append(Slot(start: start, headEnd: headEnd, middleEnd: middleEnd, end: end, idEnd: bytes.count))
            piecesBytes += end - start
        }

        /// The most bytes one event and its id key are rendered into: an event within
        /// ``EventLimits/maxEventBytes`` (its store attributes at their largest) and the longest
        /// id key (the longest source, 0x00, the longest id). Output beyond it is an event over
        /// the limit.
        static let renderLimit = EventLimits.maxEventBytes - EventLimits.storeAttributesBound
            + Validation.maxSourceBytes + 1 + Validation.maxIDBytes

        /// The events added so far.
        consuming func finish() -> PreparedEvents {
            PreparedEvents(bytes: bytes, slots: slots, headHashers: hashers, piecesBytes: piecesBytes, pool: pool)
        }
    }

    /// Calls `body` with event `i`'s id key, `source ‖ 0x00 ‖ id`.
    @inline(__always)
    func withIDKey<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let slot = slots[i]
        return try bytes.withUnsafeBytes { all in try body(UnsafeRawBufferPointer(rebasing: all[slot.end..<slot.idEnd])) }
    }

    /// The index of the first event whose id key an earlier event has too, looking at the
    /// first `count` events; nil when they are all different.
    func firstRepeatedID(among count: Int) -> Int? {
        bytes.withUnsafeBytes { all in
            func key(_ i: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: all[slots[i].end..<slots[i].idEnd]) }
            // Keys that strictly ascend are all different: the store's own ids ascend
            // (``EventDraft/newID()``), so most appends need no set of their keys.
            var i = 1
            while i < count && Self.sortsBefore(key(i - 1), key(i)) { i += 1 }
            if i >= count { return nil }
            var seen = Set<IDKey>(minimumCapacity: count)
            for i in 0..<count where !seen.insert(IDKey(bytes: key(i))).inserted {
                return i
            }
            return nil
        }
    }

    /// Whether `a` sorts before `b` in LMDB's default key order (bytes, then length).
    @inline(__always)
    static func sortsBefore(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = min(a.count, b.count)
        let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
        return c < 0 || (c == 0 && a.count < b.count)
    }

    /// An id key in place, hashed as one run of bytes; valid only inside `bytes.withUnsafeBytes`.
    private struct IDKey: Hashable {
        let bytes: UnsafeRawBufferPointer
        static func == (a: IDKey, b: IDKey) -> Bool { a.bytes.elementsEqual(b.bytes) }
        func hash(into hasher: inout Hasher) { hasher.combine(bytes: bytes) }
    }

    /// True when `stored` is event `i` with some store attributes: the same content, so
    /// appending it again is a safe retry. Compares bytes, rendering this event with the
    /// stored event's own position, version, recorded-at and predecessor hash.
    func isSameContent(_ i: Int, as stored: StoredEvent) -> Bool {
        var out: [UInt8] = []
        out.reserveCapacity(stored.bytes.count)
        appendRendered(
            i, position: stored.position, version: stored.streamVersion, recordedAt: stored.recordedAt,
            predecessor: stored.predecessorHash, to: &out)
        return out == stored.bytes
    }

    /// Appends event `i`'s stored bytes, with the store's attributes filled in, to `out` and
    /// returns their leaf hash (the sequencer renders each event straight into its append's
    /// buffer).
    func append(_ i: Int, position: LogIndex, version: StreamVersion, recordedAt: String, predecessor: Hash, to out: inout [UInt8]) -> Hash {
        let start = out.count
        appendRendered(i, position: position, version: version, recordedAt: recordedAt, predecessor: predecessor, to: &out)
        return out.withUnsafeBytes { all in leafHash(i, rendered: UnsafeRawBufferPointer(rebasing: all[start...])) }
    }

    /// `SHA-256(0x00 ‖ rendered)`, continuing event `i`'s head hasher over what follows head.
    private func leafHash(_ i: Int, rendered: UnsafeRawBufferPointer) -> Hash {
        var hasher = headHashers[i]
        let headLength = slots[i].headEnd - slots[i].start
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: rendered[headLength...]))
        return Hash(hasher.finalize())
    }

    private func appendRendered(
        _ i: Int, position: LogIndex, version: StreamVersion, recordedAt: String, predecessor: Hash, to out: inout [UInt8]
    ) {
        let slot = slots[i]
        bytes.withUnsafeBufferPointer { p in
            out.append(contentsOf: UnsafeBufferPointer(rebasing: p[slot.start..<slot.headEnd]))
            appendStoreAttributes(position: position, version: version, recordedAt: recordedAt, predecessor: predecessor, to: &out)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: p[slot.headEnd..<slot.middleEnd]))
            appendLiteral(#""streamversion":"#, to: &out)
            appendDecimal(version, to: &out)
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: UnsafeBufferPointer(rebasing: p[slot.middleEnd..<slot.end]))
        }
    }

    /// `"position":…,"predecessorhash":…,"recordedat":…,`
    @inline(__always)
    private func appendStoreAttributes(position: LogIndex, version: StreamVersion, recordedAt: String, predecessor: Hash, to out: inout [UInt8]) {
        appendLiteral(#""position":"#, to: &out)
        appendDecimal(position, to: &out)
        appendLiteral(#","predecessorhash":""#, to: &out)
        appendHex(predecessor, to: &out)
        appendLiteral(#"","recordedat":""#, to: &out)
        appendUTF8(recordedAt, to: &out)
        appendLiteral(#"","#, to: &out)
    }
}

@inline(__always)
func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
    if value == 0 {
        out.append(UInt8(ascii: "0"))
        return
    }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = value
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buf in
        while n > 0 {
            buf[19 - count] = UInt8(ascii: "0") + UInt8(n % 10)
            n /= 10
            count += 1
        }
        out.append(contentsOf: buf[(20 - count)...])
    }
}

/// Appends a literal's bytes with one copy (a `String.UTF8View` goes through the generic path,
/// which cost a tenth of the sequencer's time).
@inline(__always)
func appendLiteral(_ literal: StaticString, to out: inout [UInt8]) {
    literal.withUTF8Buffer { out.append(contentsOf: $0) }
}

/// Appends a string's UTF-8 bytes with one copy.
@inline(__always)
func appendUTF8(_ s: String, to out: inout [UInt8]) {
    let done: Void? = s.utf8.withContiguousStorageIfAvailable { out.append(contentsOf: $0) }
    if done == nil { out.append(contentsOf: s.utf8) }
}

/// Appends the lower-case hex of a hash: 64 digits made on the stack, then one copy.
@inline(__always)
func appendHex(_ hash: Hash, to out: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { digits in
        hash.withUnsafeBytes { bytes in
            for (i, b) in bytes.enumerated() {
                digits[2 &* i] = JCS.hexDigit(b >> 4)
                digits[2 &* i &+ 1] = JCS.hexDigit(b & 0x0F)
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(digits))
    }
}
