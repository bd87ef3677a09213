import CanonicalJSON
import LMDBKit
import MerkleLog

/// The named databases of the log environment (docs/FORMAT.md, "Databases").
struct LogDatabases: Sendable {
    /// position (UInt64 BE) → stored event bytes; written with MDB_APPEND.
    let events: Database
    /// position (UInt64 BE) → ``StreamLink`` (32 bytes); written with MDB_APPEND.
    let links: Database
    /// stream id → the stream's key: the position of its first event (UInt64 BE). Written
    /// once, with the stream's first event.
    let streams: Database
    /// stream key (UInt64 BE, from ``streams``) → ``StreamHead``: current version ‖ position of
    /// the last event (UInt64 BE each). Keyed by number, not by id, so a commit's head updates
    /// land on few, densely filled pages: streams created together sit together.
    let heads: Database
    /// source ‖ 0x00 ‖ id → position ‖ stream version (16 bytes, UInt64 BE each).
    let ids: Database
    /// post-order node key (UInt64 BE) → 32-byte node hash; written with MDB_APPEND.
    let merkle: Database
    /// tree size (UInt64 BE) → signed checkpoint text.
    let checkpoints: Database
    /// text key → value: `format`, `origin`, `createdat`.
    let meta: Database

    init(txn: borrowing Transaction, create: Bool) throws {
        events = try txn.openDatabase("events", create: create)
        links = try txn.openDatabase("links", create: create)
        streams = try txn.openDatabase("streams", create: create)
        heads = try txn.openDatabase("heads", create: create)
        ids = try txn.openDatabase("ids", create: create)
        merkle = try txn.openDatabase("merkle", create: create)
        checkpoints = try txn.openDatabase("checkpoints", create: create)
        meta = try txn.openDatabase("meta", create: create)
    }
}

/// An `ids` entry: the key `source ‖ 0x00 ‖ id` and the value position ‖ stream version
/// (UInt64 big-endian each).
struct IDRecord: Sendable, Hashable {
    var position: LogIndex
    var version: StreamVersion

    init(position: LogIndex, version: StreamVersion) {
        self.position = position
        self.version = version
    }

    /// Reads a stored value; nil unless it is exactly 16 bytes.
    init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 16, let p = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: bytes[0..<8])),
            let v = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: bytes[8..<16]))
        else { return nil }
        self.init(position: p, version: v)
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var raw = (position.bigEndian, version.bigEndian)
        return try withUnsafeBytes(of: &raw, body)
    }

    /// The key of the event with CloudEvents `source` and `id`.
    static func key(source: String, id: String) -> [UInt8] {
        var key: [UInt8] = []
        key.appendCanonical(room: source.utf8.count + 1 + id.utf8.count) { writeKey(source: source, id: id, to: &$0) }
        return key
    }

    /// Writes the key of the event with `source` and `id`: `source ‖ 0x00 ‖ id`.
    static func writeKey(source: String, id: String, to out: inout CanonicalOutput) {
        out.raw(source)
        out.byte(0)
        out.raw(id)
    }
}

/// The writer's view of the log's end: size, compact range, last leaf, last recorded-at.
struct WriterState: Sendable {
    var size: UInt64
    var range: CompactRange
    var lastLeaf: Hash
    var lastRecordedAt: Int64

    static let empty = WriterState(size: 0, range: CompactRange(), lastLeaf: .zero, lastRecordedAt: 0)

    /// The number of stored events, from the last key of `events`.
    static func size(txn: borrowing Transaction, dbs: LogDatabases) throws -> UInt64 {
        try txn.withCursor(dbs.events) { cursor in
            guard try cursor.last() else { return 0 }
            return try cursor.withCurrent { k, _ in
                guard let last = UInt64(bigEndianBytes: k) else { throw EventLogError.corrupt(nil, "an events key is not 8 bytes") }
                return last + 1
            }
        }
    }

    static func node(_ node: NodeID, txn: borrowing Transaction, dbs: LogDatabases) throws -> Hash {
        // Checked in place, not copied: a damaged page may claim a value of any length.
        var key = node.postOrderKey.bigEndian
        let found = try withUnsafeBytes(of: &key) { k in
            try txn.withValue(dbs.merkle, key: k) { v in v.flatMap { Hash(bytes: $0) } }
        }
        guard let hash = found else {
            throw EventLogError.corrupt(nil, "Merkle node level \(node.level) index \(node.index) is missing or damaged")
        }
        return hash
    }

    /// The compact range of the first `size` leaves, from the stored Merkle nodes: one perfect
    /// subtree per set bit of `size`, largest first (O(log n) reads).
    static func storedRange(size: UInt64, txn: borrowing Transaction, dbs: LogDatabases) throws -> CompactRange {
        var hashes: [Hash] = []
        var covered: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << level) != 0 {
            hashes.append(try node(NodeID(level: UInt8(level), index: covered >> level), txn: txn, dbs: dbs))
            covered += UInt64(1) << level
        }
        return try CompactRange(size: size, hashes: hashes)
    }

    /// Reads the state of the log as committed in `txn`.
    static func load(txn: borrowing Transaction, dbs: LogDatabases) throws -> WriterState {
        let size = try size(txn: txn, dbs: dbs)
        if size == 0 { return .empty }
        let range = try storedRange(size: size, txn: txn, dbs: dbs)
        let lastLeaf = try node(NodeID(level: 0, index: size - 1), txn: txn, dbs: dbs)
        guard let lastBytes = try txn.get(dbs.events, key: size - 1) else {
            throw EventLogError.corrupt(size - 1, "the last event is missing")
        }
        let last = try StoredEvent(bytes: lastBytes, expectedPosition: size - 1)
        guard let recordedAt = RecordedAtClock.parse(last.recordedAt) else {
            throw EventLogError.corrupt(size - 1, "recordedat is not the store's timestamp form")
        }
        return WriterState(size: size, range: range, lastLeaf: lastLeaf, lastRecordedAt: recordedAt)
    }
}
