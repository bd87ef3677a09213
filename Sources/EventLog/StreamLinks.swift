import LMDBKit

/// The per-event stream link stored in `links` under the event's position.
///
/// Streams are indexed by links keyed by log position, so every index write of an append is
/// an `MDB_APPEND` at the end of the tree, like the events themselves. Each link names the
/// stream version, the previous event of the stream and a jump pointer (E. W. Myers, "An
/// applicative random-access stack", 1983): the jump of a new node is its parent's jump's jump
/// when the two jumps span equal lengths, else its parent. Any version of a stream is then
/// found from the stream's head in O(log n) link reads.
struct StreamLink: Sendable, Hashable {
    /// Marks "no such event".
    static let none = UInt64.max

    /// The event's stream version (1-based).
    var version: StreamVersion
    /// Position of the stream's previous event (version − 1), or `none`.
    var previous: LogIndex
    /// Position of the jump target, or `none`.
    var jump: LogIndex
    /// Stream version of the jump target (0 when none).
    var jumpVersion: StreamVersion

    static let byteCount = 32

    init(version: StreamVersion, previous: LogIndex, jump: LogIndex, jumpVersion: StreamVersion) {
        self.version = version
        self.previous = previous
        self.jump = jump
        self.jumpVersion = jumpVersion
    }

    init?(bytes b: UnsafeRawBufferPointer) {
        guard b.count == Self.byteCount else { return nil }
        func word(_ i: Int) -> UInt64 { UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: b[(i * 8)..<(i * 8 + 8)]))! }
        self.init(version: word(0), previous: word(1), jump: word(2), jumpVersion: word(3))
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var raw = (version.bigEndian, previous.bigEndian, jump.bigEndian, jumpVersion.bigEndian)
        return try withUnsafeBytes(of: &raw, body)
    }

    /// Reads the link stored for `position`.
    static func read(_ position: LogIndex, txn: borrowing Transaction, dbs: LogDatabases) throws -> StreamLink {
        var be = position.bigEndian
        return try withUnsafeBytes(of: &be) { k in
            try txn.withValue(dbs.links, key: k) { v in
                guard let v, let link = StreamLink(bytes: v) else {
                    throw EventLogError.corrupt(position, "the stream link is missing or damaged")
                }
                return link
            }
        }
    }

    /// The link of the first event of a stream.
    static let first = StreamLink(version: 1, previous: none, jump: none, jumpVersion: 0)

    /// The tail after appending one event behind `parent` (the stream's last event) at `position`
    /// (the new event's position, which it does not store).
    ///
    /// The parent's jump target comes from `parent.jumpTarget` when known, else from `links`.
    /// Half of all new links jump to their parent, and then the new tail knows its jump target.
    static func after(_ parent: StreamTail?, at position: LogIndex, txn: borrowing Transaction, dbs: LogDatabases) throws
        -> StreamTail
    {
        #if DEBUG
        // Debug builds (the tests) check what the tail remembered against the store.
        if let p = parent, p.link.jump != none, let remembered = p.jumpTarget {
            let stored = try read(p.link.jump, txn: txn, dbs: dbs)
            assert(remembered == stored, "a remembered jump target differs from the stored link")
        }
        #endif
        return try after(parent, at: position) { try read($0, txn: txn, dbs: dbs) }
    }

    /// ``after(_:at:txn:dbs:)`` with the parent's jump target, when not remembered, from `link`
    /// (the sequencer reads links it has not yet handed to the writer from memory).
    static func after(_ parent: StreamTail?, at position: LogIndex, link: (LogIndex) throws -> StreamLink) rethrows
        -> StreamTail
    {
        guard let parent else { return StreamTail(position: position, link: first) }
        let p = parent.link
        if p.jump != none {
            let j = try parent.jumpTarget ?? link(p.jump)
            if j.jump != none && p.version - p.jumpVersion == p.jumpVersion - j.jumpVersion {
                return StreamTail(
                    position: position,
                    link: StreamLink(version: p.version + 1, previous: parent.position, jump: j.jump, jumpVersion: j.jumpVersion))
            }
        }
        return StreamTail(
            position: position,
            link: StreamLink(version: p.version + 1, previous: parent.position, jump: parent.position, jumpVersion: p.version),
            jumpTarget: p)
    }

    /// The position of version `target` of a stream whose last event is at `headPosition`.
    /// - Precondition: 1 ≤ `target` ≤ the head's version.
    static func find(version target: StreamVersion, fromHead headPosition: LogIndex, txn: borrowing Transaction, dbs: LogDatabases)
        throws -> (LogIndex, StreamLink)
    {
        var position = headPosition
        var link = try read(position, txn: txn, dbs: dbs)
        while link.version > target {
            let next = (link.jump != none && link.jumpVersion >= target) ? link.jump : link.previous
            guard next != none else { throw EventLogError.corrupt(position, "a stream link chain ends early") }
            position = next
            let nextLink = try read(position, txn: txn, dbs: dbs)
            guard nextLink.version < link.version else { throw EventLogError.corrupt(position, "stream links do not descend") }
            link = nextLink
        }
        return (position, link)
    }
}

/// The `heads` value: the stream's current version and the position of its last event.
struct StreamHead: Sendable, Hashable {
    var version: StreamVersion
    var position: LogIndex

    init(version: StreamVersion, position: LogIndex) {
        self.version = version
        self.position = position
    }

    init?(bytes b: UnsafeRawBufferPointer) {
        guard b.count == 16, let v = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: b[0..<8])),
            let p = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: b[8..<16]))
        else { return nil }
        self.init(version: v, position: p)
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var raw = (version.bigEndian, position.bigEndian)
        return try withUnsafeBytes(of: &raw, body)
    }

    /// The head of `stream`, or nil when it has no events.
    static func read(_ stream: StreamID, txn: borrowing Transaction, dbs: LogDatabases) throws -> StreamHead? {
        guard let key = try streamKey(stream, txn: txn, dbs: dbs) else { return nil }
        return try read(key: key, txn: txn, dbs: dbs)
    }

    /// The head stored under a stream's key (the position of its first event).
    /// - Throws: `.corruption` when it is missing or damaged (every stream key has a head).
    static func read(key: LogIndex, txn: borrowing Transaction, dbs: LogDatabases) throws -> StreamHead {
        var be = key.bigEndian
        return try withUnsafeBytes(of: &be) { k in
            try txn.withValue(dbs.heads, key: k) { v in
                guard let v, let head = StreamHead(bytes: v) else {
                    throw EventLogError.corrupt(key, "the head of the stream that begins here is missing or damaged")
                }
                return head
            }
        }
    }

    /// The key of `stream` in `heads` (the position of its first event), or nil when it has no events.
    static func streamKey(_ stream: StreamID, txn: borrowing Transaction, dbs: LogDatabases) throws -> LogIndex? {
        var id = stream.rawValue
        return try id.withUTF8 { k in
            try txn.withValue(dbs.streams, key: UnsafeRawBufferPointer(k)) { v in
                guard let v else { return nil }
                guard let key = UInt64(bigEndianBytes: v) else { throw EventLogError.corrupt(nil, "a streams entry is damaged") }
                return key
            }
        }
    }

    /// Records `key` as the key of `stream`, a stream whose first event is being written.
    static func writeStreamKey(_ stream: StreamID, _ key: LogIndex, txn: borrowing Transaction, dbs: LogDatabases) throws {
        var id = stream.rawValue
        var be = key.bigEndian
        try id.withUTF8 { k in
            try withUnsafeBytes(of: &be) { v in try txn.put(dbs.streams, key: UnsafeRawBufferPointer(k), value: v) }
        }
    }

    /// Writes the head under `key`.
    func write(key: LogIndex, txn: borrowing Transaction, dbs: LogDatabases) throws {
        try withBytes { v in try txn.put(dbs.heads, key: key, value: v) }
    }
}
