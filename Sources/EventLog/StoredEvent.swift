public import CanonicalJSON
public import MerkleLog

/// One event as stored: its exact bytes and the attributes decoded from them.
///
/// `bytes` are what was hashed and what integrators receive; every other property is read
/// from them. ``leafHash`` is SHA-256(0x00 ‖ bytes) (RFC 9162 §2.1.1), the next event's
/// `predecessorhash`.
public struct StoredEvent: Sendable, Hashable {
    /// The exact stored bytes (RFC 8785 canonical CloudEvents JSON).
    public let bytes: [UInt8]
    /// Extension `position`: the 0-based log position, equal to the Merkle leaf index.
    public let position: LogIndex
    /// Extension `streamversion`: the 1-based version within the stream.
    public let streamVersion: StreamVersion
    /// CloudEvents `subject`: the stream.
    public let stream: StreamID
    /// CloudEvents `id`.
    public let id: String
    /// CloudEvents `source`.
    public let source: String
    /// CloudEvents `type`.
    public let type: String
    /// CloudEvents `time`: occurred-at (clinical time).
    public let time: String
    /// Extension `recordedat`: when the store committed it.
    public let recordedAt: String
    /// Extension `recordedby`.
    public let recordedBy: String
    /// Extension `recordedrole`.
    public let recordedRole: String
    /// Extension `predecessorhash`: the previous event's leaf hash; zeros at position 0.
    public let predecessorHash: Hash
    /// CloudEvents `data`.
    public let data: JSONValue

    /// RFC 9162 leaf hash of ``bytes``.
    public var leafHash: Hash { RFC6962.leafHash(bytes) }

    /// Decodes stored bytes, checking every attribute of the stored format.
    /// - Throws: `EventLogError` `.corruption` naming the attribute that is missing or wrong.
    public init(bytes: [UInt8], expectedPosition: LogIndex? = nil) throws(EventLogError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch {
            throw .corrupt(expectedPosition, "not valid JSON (\(error.description))")
        }
        guard case .object(let o) = value else { throw .corrupt(expectedPosition, "not a JSON object") }
        func string(_ k: String) throws(EventLogError) -> String {
            guard case .string(let s)? = o[k] else { throw .corrupt(expectedPosition, "attribute \(k) missing or not a string") }
            return s
        }
        func integer(_ k: String) throws(EventLogError) -> UInt64 {
            guard case .number(let d)? = o[k], d >= 0, d <= 9_007_199_254_740_991, d.rounded() == d else {
                throw .corrupt(expectedPosition, "attribute \(k) missing or not a non-negative integer")
            }
            return UInt64(d)
        }
        guard try string("specversion") == "1.0" else { throw .corrupt(expectedPosition, "specversion is not 1.0") }
        let position = try integer("position")
        if let expectedPosition, position != expectedPosition {
            throw .corrupt(expectedPosition, "attribute position says \(position)")
        }
        guard let pred = Hash(hex: try string("predecessorhash")) else {
            throw .corrupt(expectedPosition, "predecessorhash is not 64 hex digits")
        }
        guard let data = o["data"] else { throw .corrupt(expectedPosition, "attribute data missing") }
        let subject = try string("subject")
        guard StreamID.violation(subject) == nil, let stream = try? StreamID(subject) else {
            throw .corrupt(expectedPosition, "subject is not a valid stream id")
        }
        self.bytes = bytes
        self.position = position
        self.streamVersion = try integer("streamversion")
        self.stream = stream
        self.id = try string("id")
        self.source = try string("source")
        self.type = try string("type")
        self.time = try string("time")
        self.recordedAt = try string("recordedat")
        self.recordedBy = try string("recordedby")
        self.recordedRole = try string("recordedrole")
        self.predecessorHash = pred
        self.data = data
    }
}

/// The head of the log: its size and the hash that the next event will carry.
public struct LogHead: Sendable, Hashable {
    /// Number of events stored (the next position).
    public var treeSize: UInt64
    /// Leaf hash of the last event; ``MerkleLog/Hash/zero`` when empty.
    public var lastLeafHash: Hash
    /// RFC 9162 root hash over all events.
    public var rootHash: Hash
}
