import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import RecordCore

/// A run of consecutive log positions, decoded for the projections.
///
/// Holds only the events some projection reads (and the corrections, which make the engine
/// fold a stream again); events of other types are counted in ``end`` but not kept.
struct DecodedChunk: Sendable {
    /// The decoded events, in log order.
    var events: [RecordedEvent] = []
    /// Per event, its index in `EventCatalog.all`, or ``correction`` for `EntryAmended` and
    /// `EntryMarkedInError`.
    var kinds: [Int32] = []
    /// The position of the first event this chunk covers.
    let start: UInt64
    /// The position after the last event this chunk covers (read or skipped).
    var end: UInt64

    /// The kind of a correction event.
    static let correction: Int32 = -1

    init(start: UInt64) {
        self.start = start
        end = start
    }
}

/// Decodes stored events into ``RecordedEvent``s for the projections, on the fast path.
///
/// - Reads the stored `type` from the end of the canonical bytes (RFC 8785 puts the `type`
///   attribute last), so events no projection reads are skipped without parsing them.
/// - Parses the others into a ``JSONTape`` once (``StoredEventReader``, which checks the
///   envelope) and decodes `data` straight from the tape into the event's Swift type: with the
///   type's own reader for the most frequent types (``TapeReadableEvent``), else `Codable`; events
///   stored at an older schema version, and anything the fast path cannot decode, go through
///   ``EventCodec`` (upcasters, and the same errors as before).
///
/// One decoder per thread (it reuses its buffers).
struct ProjectionEventDecoder {
    /// What the engine knows about one stored `type` string.
    struct Kind {
        /// Index in `EventCatalog.all`, or ``DecodedChunk/correction``.
        var index: Int32
        var type: any RecordEvent.Type
        var version: Int
        /// Whether some projection reads it (corrections always are).
        var wanted: Bool
        /// The type's reader straight from the tape, when it has one.
        var tapeReader: (any TapeReadableEvent.Type)?
    }

    private let codec: EventCodec
    /// Catalog indices some projection reads; `nil` for every type.
    private let wanted: Set<Int>?
    private var reader = StoredEventReader()
    /// Stored `type` string → kind (`nil`: not a record event type), filled as types are met.
    private var kinds: [String: Kind?] = [:]
    /// The same, by the type's UTF-8 bytes, for the types met first.
    private var byName = KindsByName()

    /// The catalog index of each record event type, by type name.
    static let catalogIndex: [String: Int] = Dictionary(
        uniqueKeysWithValues: EventCatalog.all.enumerated().map { ($0.element.typeName, $0.offset) })

    init(codec: EventCodec, wanted: Set<Int>?) {
        self.codec = codec
        self.wanted = wanted
    }

    /// Looks up (and caches) the kind of a stored type string.
    private mutating func kind(of typeString: String) -> Kind? {
        if let known = kinds[typeString] { return known }
        var kind: Kind?
        if let (name, version) = EventCatalog.parse(eventType: typeString), let type = EventCatalog.byTypeName[name],
            let index = Self.catalogIndex[name]
        {
            let isCorrection = type == EntryAmended.self || type == EntryMarkedInError.self
            kind = Kind(index: isCorrection ? DecodedChunk.correction : Int32(index), type: type, version: version,
                        wanted: isCorrection || wanted?.contains(index) ?? true, tapeReader: type as? any TapeReadableEvent.Type)
        }
        // Integrators may store any number of other types: remember a bounded number.
        if kind != nil || kinds.count < 4096 { kinds[typeString] = kind }
        return kind
    }

    /// Where the stored `type` stands at the end of canonical event bytes, `…,"type":"<type>"}`
    /// (the range of `<type>`); `nil` when the bytes do not end that way (or the type holds an
    /// escape), in which case the caller parses the event.
    static func trailingTypeRange(_ v: UnsafeRawBufferPointer) -> Range<Int>? {
        let n = v.count
        let quote = UInt8(ascii: "\"")
        guard n > 12, v[n - 1] == UInt8(ascii: "}"), v[n - 2] == quote else { return nil }
        var i = n - 3
        while i > 0 && v[i] != quote {
            if v[i] == UInt8(ascii: "\\") { return nil }
            i -= 1
        }
        let marker: StaticString = ",\"type\":"
        let m = marker.utf8CodeUnitCount
        guard i >= m else { return nil }
        let ok = marker.withUTF8Buffer { marker in
            for k in 0..<m where v[i - m + k] != marker[k] { return false }
            return true
        }
        guard ok else { return nil }
        return (i + 1)..<(n - 2)
    }

    /// The kind of the stored type whose UTF-8 bytes are `name`: from ``byName`` without
    /// building a `String` once the type has been met.
    private mutating func kind(ofUTF8 name: UnsafeRawBufferPointer) -> Kind? {
        if let known = byName.find(name) { return known }
        let kind = kind(of: String(decoding: name, as: UTF8.self))
        byName.insert(name, kind)
        return kind
    }

    /// Decodes the event stored at `position` into `chunk` if some projection reads it (or
    /// it is a correction); other events only move `chunk.end`.
    mutating func decode(_ bytes: UnsafeRawBufferPointer, at position: UInt64, into chunk: inout DecodedChunk) throws {
        guard position == chunk.end else {
            throw EventLogError.corrupt(position, "events are not at consecutive positions (expected \(chunk.end))")
        }
        chunk.end = position + 1
        guard let range = Self.trailingTypeRange(bytes) else {
            let view = try reader.read(bytes, expectedPosition: position)
            let actual = kind(of: view.type)
            try decodeParsed(view, kind: actual, into: &chunk)
            return
        }
        let name = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard let kind = kind(ofUTF8: name), kind.wanted else { return }
        let view = try reader.read(bytes, expectedPosition: position)
        // Bytes that end in `,"type":"X"}` hold type X; the parse has the last word anyway.
        // The kind in a local first: a mutating lookup inside the call's arguments would make
        // the call work on a copy of this decoder.
        let actual = view.hasType(utf8: name) ? kind : self.kind(of: view.type)
        try decodeParsed(view, kind: actual, into: &chunk)
    }

    /// The event at `position` decoded if it is a correction (`EntryAmended`,
    /// `EntryMarkedInError`); `nil` for every other event, which is not parsed when its bytes
    /// are canonical.
    mutating func correction(_ bytes: UnsafeRawBufferPointer, at position: UInt64) throws -> RecordedEvent? {
        if let range = Self.trailingTypeRange(bytes),
            kind(ofUTF8: UnsafeRawBufferPointer(rebasing: bytes[range]))?.index != DecodedChunk.correction
        {
            return nil
        }
        var chunk = DecodedChunk(start: position)
        try decode(bytes, at: position, into: &chunk)
        guard chunk.kinds.first == DecodedChunk.correction else { return nil }
        return chunk.events.first
    }

    /// Decodes a parsed event of `kind` (skipping unwanted or unknown kinds) into `chunk`.
    private func decodeParsed(_ view: StoredEventView, kind: Kind?, into chunk: inout DecodedChunk) throws {
        guard let kind, kind.wanted else { return }
        let event = try decodeData(view, kind)
        let times = view.withTimesUTF8 { (Timestamp(utf8: $0), Timestamp(utf8: $1)) }
        guard let occurred = times?.0 ?? Timestamp(view.time), let recorded = times?.1 ?? Timestamp(view.recordedAt) else {
            throw EventLogError.corrupt(view.position, "time or recordedat is not an RFC 3339 UTC time")
        }
        chunk.events.append(RecordedEvent(position: view.position, id: view.id, stream: view.subject,
                                          occurredAt: occurred, recordedAt: recorded, event: event))
        chunk.kinds.append(kind.index)
    }

    /// The event's payload as its current Swift type: straight from the tape when stored at
    /// the current version, through ``EventCodec`` otherwise (and whenever the tape decode
    /// fails, so that errors are the codec's).
    private func decodeData(_ view: StoredEventView, _ kind: Kind) throws -> any RecordEvent {
        if kind.version == kind.type.version {
            if let tapeReader = kind.tapeReader, let event = view.readData({ tapeReader.init(tape: $0, object: $1) }) { return event }
            func direct<T: RecordEvent>(_ type: T.Type) throws -> any RecordEvent { try view.decodeData(type) }
            if let event = try? direct(kind.type) { return event }
        }
        return try codec.decode(type: kind.type, version: kind.version, data: view.data, position: view.position)
    }
}

/// Kinds by the UTF-8 bytes of their stored type: open addressing over an FNV-1a hash, so that
/// finding a type met before builds no `String` and hashes no more than its bytes. Holds the
/// first ``capacity`` / 2 types met; others are looked up by `String`.
private struct KindsByName {
    typealias Kind = ProjectionEventDecoder.Kind
    private static let capacity = 128
    private var slots: [(hash: UInt64, name: [UInt8], kind: Kind?)?] = Array(repeating: nil, count: capacity)
    private var count = 0

    private static func hash(_ name: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// `.some(kind)` for a type met before (`.some(nil)`: not a record event type); `nil` when unknown here.
    func find(_ name: UnsafeRawBufferPointer) -> Kind?? {
        let h = Self.hash(name)
        var i = Int(truncatingIfNeeded: h) & (Self.capacity - 1)
        while let slot = slots[i] {
            if slot.hash == h && slot.name.count == name.count
                && (name.isEmpty || slot.name.withUnsafeBytes({ memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 }))
            {
                return .some(slot.kind)
            }
            i = (i + 1) & (Self.capacity - 1)
        }
        return nil
    }

    mutating func insert(_ name: UnsafeRawBufferPointer, _ kind: Kind?) {
        guard count < Self.capacity / 2, find(name) == nil else { return }
        let h = Self.hash(name)
        var i = Int(truncatingIfNeeded: h) & (Self.capacity - 1)
        while slots[i] != nil { i = (i + 1) & (Self.capacity - 1) }
        slots[i] = (h, Array(name), kind)
        count += 1
    }
}
