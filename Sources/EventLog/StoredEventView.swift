public import CanonicalJSON

/// Reads stored events into ``StoredEventView``s, reusing one ``JSONTape`` and one
/// ``JSONTapeDecoder`` for every event.
///
/// This is the fast path for consumers that go over many events (projection rebuilds): it
/// builds no ``JSONValue`` tree, so reading an event allocates little beyond the strings and
/// values asked for. ``StoredEvent`` remains the complete, checked form.
///
/// ```swift
/// var reader = StoredEventReader()
/// for stored in try await log.read(from: 0, limit: 1_000) {
///     let view = try reader.read(stored.bytes, expectedPosition: stored.position)
///     if view.hasType("org.imr.session.recorded.v2") {
///         let note = try view.decodeData(SessionRecorded.self)
///     }
/// }
/// ```
///
/// Keep one reader per loop (it is not `Sendable`). A view shares the reader's buffers; it stays
/// valid after the next ``read(_:expectedPosition:)``, but keeping views alive makes the next
/// read copy the buffers instead of reusing them.
public struct StoredEventReader {
    private var tape = JSONTape()
    private let decoder: JSONTapeDecoder

    /// Makes a reader. `rejectsUnknownKeys` applies to ``StoredEventView/decodeData(_:)``;
    /// stored data is normally decoded leniently (newer writers may add fields).
    public init(rejectsUnknownKeys: Bool = false) {
        decoder = JSONTapeDecoder(rejectsUnknownKeys: rejectsUnknownKeys)
    }

    /// Parses stored event bytes into a view.
    ///
    /// Checks that the bytes are strict JSON, an object with `specversion` `1.0`, non-negative
    /// integers `position` (equal to `expectedPosition` when given) and `streamversion`, `data`,
    /// and string attributes `subject`, `id`, `source`, `type`, `time`, `recordedat`,
    /// `recordedby`, `recordedrole` and `predecessorhash`. Unlike ``StoredEvent``, it does not
    /// re-validate the subject as a ``StreamID`` or the predecessor hash's hex digits.
    ///
    /// - Throws: `EventLogError` `.corruption` naming the attribute, never its value.
    public mutating func read(_ bytes: some Collection<UInt8>, expectedPosition: LogIndex? = nil) throws(EventLogError)
        -> StoredEventView
    {
        do { try tape.parse(bytes) } catch {
            throw .corrupt(expectedPosition, "not valid JSON (\(error.description))")
        }
        return try StoredEventView(tape: tape, decoder: decoder, expectedPosition: expectedPosition)
    }
}

/// A read-only view of one stored event over a parsed ``JSONTape``.
///
/// Attribute strings are decoded from the tape each time they are read; ``data`` is built only
/// when asked for, and ``decodeData(_:)`` decodes the payload straight from the tape with the
/// semantics of ``JSONValueDecoder``. Made by ``StoredEventReader/read(_:expectedPosition:)``.
public struct StoredEventView {
    private let tape: JSONTape
    private let decoder: JSONTapeDecoder
    /// Extension `position`: the 0-based log position.
    public let position: LogIndex
    private let idNode: Int
    private let sourceNode: Int
    private let typeNode: Int
    private let subjectNode: Int
    private let timeNode: Int
    private let recordedAtNode: Int
    private let recordedByNode: Int
    private let recordedRoleNode: Int
    private let dataNode: Int
    /// Extension `streamversion`: the 1-based version within the stream.
    public let streamVersion: StreamVersion

    private enum Names {
        static let specversion = JSONTape.Key("specversion")
        static let position = JSONTape.Key("position")
        static let id = JSONTape.Key("id")
        static let source = JSONTape.Key("source")
        static let type = JSONTape.Key("type")
        static let subject = JSONTape.Key("subject")
        static let time = JSONTape.Key("time")
        static let recordedAt = JSONTape.Key("recordedat")
        static let recordedBy = JSONTape.Key("recordedby")
        static let recordedRole = JSONTape.Key("recordedrole")
        static let streamVersion = JSONTape.Key("streamversion")
        static let data = JSONTape.Key("data")
        static let dataContentType = JSONTape.Key("datacontenttype")
        static let predecessorHash = JSONTape.Key("predecessorhash")
    }

    init(tape: JSONTape, decoder: JSONTapeDecoder, expectedPosition: LogIndex?) throws(EventLogError) {
        let root = tape.root
        guard var cursor = JSONTape.MemberCursor(tape, object: root) else { throw .corrupt(expectedPosition, "not a JSON object") }
        // The attributes in canonical order (how the store writes them), each found with one
        // comparison; any other order or extra attribute falls back to a search by name.
        func find(_ key: JSONTape.Key) -> Int? { cursor.take(key, in: tape) ?? tape.member(key, in: root) }
        let data = find(Names.data)
        _ = cursor.take(Names.dataContentType, in: tape)
        let id = find(Names.id), positionNode = find(Names.position), predecessorHash = find(Names.predecessorHash)
        let recordedAt = find(Names.recordedAt), recordedBy = find(Names.recordedBy), recordedRole = find(Names.recordedRole)
        let source = find(Names.source), specversion = find(Names.specversion), streamVersion = find(Names.streamVersion)
        let subject = find(Names.subject), time = find(Names.time), type = find(Names.type)

        func string(_ node: Int?, _ key: JSONTape.Key) throws(EventLogError) -> Int {
            guard let node, tape.kind(at: node) == .string else {
                throw .corrupt(expectedPosition, "attribute \(key.string) missing or not a string")
            }
            return node
        }
        guard tape.stringEquals(at: try string(specversion, Names.specversion), utf8: "1.0".utf8) else {
            throw .corrupt(expectedPosition, "specversion is not 1.0")
        }
        let position = try Self.integer(tape, positionNode, Names.position, expectedPosition)
        if let expectedPosition, position != expectedPosition {
            throw .corrupt(expectedPosition, "attribute position says \(position)")
        }
        guard let data else { throw .corrupt(expectedPosition, "attribute data missing") }
        self.subjectNode = try string(subject, Names.subject)
        self.idNode = try string(id, Names.id)
        self.sourceNode = try string(source, Names.source)
        self.typeNode = try string(type, Names.type)
        self.timeNode = try string(time, Names.time)
        self.recordedAtNode = try string(recordedAt, Names.recordedAt)
        self.recordedByNode = try string(recordedBy, Names.recordedBy)
        self.recordedRoleNode = try string(recordedRole, Names.recordedRole)
        _ = try string(predecessorHash, Names.predecessorHash)
        self.streamVersion = try Self.integer(tape, streamVersion, Names.streamVersion, expectedPosition)
        self.tape = tape
        self.decoder = decoder
        self.position = position
        self.dataNode = data
    }

    private static func integer(_ tape: JSONTape, _ node: Int?, _ key: JSONTape.Key, _ expectedPosition: LogIndex?)
        throws(EventLogError) -> UInt64
    {
        guard let node, let d = tape.double(at: node), d >= 0,
            d <= 9_007_199_254_740_991, d.rounded() == d
        else {
            throw .corrupt(expectedPosition, "attribute \(key.string) missing or not a non-negative integer")
        }
        return UInt64(d)
    }

    /// CloudEvents `id`.
    public var id: String { tape.string(at: idNode)! }
    /// CloudEvents `source`.
    public var source: String { tape.string(at: sourceNode)! }
    /// CloudEvents `type`.
    public var type: String { tape.string(at: typeNode)! }
    /// CloudEvents `subject`: the stream id, as stored (not re-validated as a ``StreamID``).
    public var subject: String { tape.string(at: subjectNode)! }
    /// CloudEvents `time`: occurred-at (clinical time).
    public var time: String { tape.string(at: timeNode)! }
    /// Extension `recordedat`: when the store committed it.
    public var recordedAt: String { tape.string(at: recordedAtNode)! }

    /// Calls `body` with the UTF-8 bytes of `time` and of `recordedat` as stored, for parsers
    /// that need no `String`; `nil` (without calling it) when either holds an escape.
    public func withTimesUTF8<R>(_ body: (_ time: UnsafeBufferPointer<UInt8>, _ recordedAt: UnsafeBufferPointer<UInt8>) -> R) -> R? {
        tape.withUnescapedUTF8(at: timeNode) { time in
            tape.withUnescapedUTF8(at: recordedAtNode) { recordedAt in body(time, recordedAt) }
        } ?? nil
    }

    /// Whether CloudEvents `type` is exactly the UTF-8 bytes `type`, compared without building a `String`.
    public func hasType(utf8 type: UnsafeRawBufferPointer) -> Bool {
        tape.stringEquals(at: typeNode, utf8: type.assumingMemoryBound(to: UInt8.self))
    }

    /// Whether CloudEvents `type` is exactly `type`, compared without building a `String`.
    public func hasType(_ type: String) -> Bool {
        tape.stringEquals(at: typeNode, utf8: type.utf8)
    }

    /// Extension `recordedby`.
    public var recordedBy: String { tape.string(at: recordedByNode)! }
    /// Extension `recordedrole`.
    public var recordedRole: String { tape.string(at: recordedRoleNode)! }

    /// CloudEvents `data` as a ``JSONValue`` tree, built on each access.
    public var data: JSONValue { JSONValue(tape: tape, at: dataNode) }

    /// Reads `data` straight from the parsed event: `read` gets the tape and the index of the
    /// `data` node (valid only during the call), for readers faster than ``decodeData(_:)``.
    public func readData<R>(_ read: (JSONTape, Int) throws -> R) rethrows -> R {
        try read(tape, dataNode)
    }

    /// Decodes `data` as a `T` with ``JSONTapeDecoder`` (the semantics of ``JSONValueDecoder``).
    /// - Throws: `DecodingError`, whose coding path names the field; no values are quoted.
    public func decodeData<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.decode(type, from: tape, at: dataNode)
    }
}
