import CLMDB

/// A read or write transaction, reachable only inside ``Environment/read(_:)`` or
/// ``Environment/write(_:)``.
///
/// `Transaction` is `~Copyable` and lent to the closure (`borrowing`), so it cannot be stored,
/// returned or used after the closure ends; the environment aborts or commits it.
///
/// - Important: Buffers passed to the `with…` closures point into the memory map and are valid
///   only inside that closure (lmdb.h `mdb_get`: "valid only until a subsequent update
///   operation, or the end of the transaction"). The `[UInt8]`-returning methods copy.
public struct Transaction: ~Copyable {
    let handle: OpaquePointer
    /// True for write transactions.
    public let isWritable: Bool

    init(handle: OpaquePointer, writable: Bool) {
        self.handle = handle
        self.isWritable = writable
    }

    /// Opens (optionally creating) a named database within this transaction.
    /// - Throws: `MDB_NOTFOUND` when missing and not created; `MDB_DBS_FULL`.
    public func openDatabase(_ name: String?, create: Bool) throws(LMDBError) -> Database {
        var dbi: MDB_dbi = 0
        let flags: UInt32 = create ? UInt32(MDB_CREATE) : 0
        try check(mdb_dbi_open(handle, name, flags, &dbi), "mdb_dbi_open")
        return Database(dbi: dbi, name: name)
    }

    // MARK: Reading

    /// Calls `body` with the value stored at `key`, or nil, without copying it.
    /// - Throws: `LMDBError` other than `MDB_NOTFOUND`, for example `MDB_BAD_VALSIZE` for an empty key.
    public func withValue<R>(
        _ db: Database, key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) throws -> R
    ) throws -> R {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(handle, db.dbi, &k, &v)
        if rc == CLMDB.MDB_NOTFOUND { return try body(nil) }
        try check(rc, "mdb_get")
        return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// The value at `key`, copied out, or nil.
    public func get(_ db: Database, key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { k in try withValue(db, key: k) { v in v.map { Array($0) } } }
    }

    /// The value at the big-endian `UInt64` key, copied out, or nil.
    public func get(_ db: Database, key: UInt64) throws -> [UInt8]? {
        var be = key.bigEndian
        return try withUnsafeBytes(of: &be) { k in try withValue(db, key: k) { v in v.map { Array($0) } } }
    }

    /// Statistics for `db` (`mdb_stat`).
    public func stat(_ db: Database) throws(LMDBError) -> DatabaseStat {
        var s = MDB_stat()
        try check(mdb_stat(handle, db.dbi, &s), "mdb_stat")
        return DatabaseStat(
            entries: s.ms_entries, depth: Int(s.ms_depth), leafPages: s.ms_leaf_pages, pageSize: Int(s.ms_psize))
    }

    /// Runs `body` with a cursor on `db`; the cursor is closed when `body` returns.
    public func withCursor<R>(_ db: Database, _ body: (inout Cursor) throws -> R) throws -> R {
        var c: OpaquePointer?
        try check(mdb_cursor_open(handle, db.dbi, &c), "mdb_cursor_open")
        defer { mdb_cursor_close(c) }
        var cursor = Cursor(handle: c!)
        return try body(&cursor)
    }

    // MARK: Writing

    /// Stores `value` at `key` (`mdb_put`).
    /// - Throws: `MDB_KEYEXIST` (with `.noOverwrite`, or `.append` out of order), `MDB_MAP_FULL`
    ///   (the environment grows the map and retries the whole transaction), `MDB_TXN_FULL`,
    ///   `MDB_BAD_VALSIZE` (empty key or key over 511 bytes), `EACCES` (read-only).
    public func put(
        _ db: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []
    ) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_put(handle, db.dbi, &k, &v, flags.rawValue), "mdb_put")
    }

    /// Stores `value` at `key` unless the key is already present, in one B-tree search
    /// (`mdb_put` with `MDB_NOOVERWRITE`).
    ///
    /// When the key exists nothing is stored, and `existing` is called with the stored value
    /// (lmdb.h: "the data parameter will be set to point to the existing item"); that buffer
    /// points into the map and is valid only during the call.
    ///
    /// ```swift
    /// let previous = try txn.insert(db, key: k, value: v) { Array($0) }   // nil: stored
    /// ```
    /// - Returns: nil when `value` was stored, else what `existing` returned.
    /// - Throws: as ``put(_:key:value:flags:)``, never `MDB_KEYEXIST`.
    public func insert<R>(
        _ db: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
        existing: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_put(handle, db.dbi, &k, &v, UInt32(MDB_NOOVERWRITE))
        if rc == CLMDB.MDB_KEYEXIST { return try existing(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)) }
        try check(rc, "mdb_put")
        return nil
    }

    /// Stores `value` at `key`.
    public func put(_ db: Database, key: [UInt8], value: [UInt8], flags: PutFlags = []) throws {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in try put(db, key: k, value: v, flags: flags) }
        }
    }

    /// Stores `value` at the big-endian `UInt64` key.
    public func put(_ db: Database, key: UInt64, value: UnsafeRawBufferPointer, flags: PutFlags = []) throws {
        var be = key.bigEndian
        try withUnsafeBytes(of: &be) { k in try put(db, key: k, value: value, flags: flags) }
    }

    /// Stores `value` at the big-endian `UInt64` key.
    public func put(_ db: Database, key: UInt64, value: [UInt8], flags: PutFlags = []) throws {
        try value.withUnsafeBytes { v in try put(db, key: key, value: v, flags: flags) }
    }

    /// Deletes `key`; returns false when it was absent.
    @discardableResult
    public func delete(_ db: Database, key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { kb in try delete(db, key: kb) }
    }

    /// Deletes the key held in `key`'s bytes; returns false when it was absent.
    @discardableResult
    public func delete(_ db: Database, key: UnsafeRawBufferPointer) throws -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc = mdb_del(handle, db.dbi, &k, nil)
        if rc == CLMDB.MDB_NOTFOUND { return false }
        try check(rc, "mdb_del")
        return true
    }

    /// Deletes the big-endian `UInt64` key; returns false when it was absent.
    @discardableResult
    public func delete(_ db: Database, key: UInt64) throws -> Bool {
        try delete(db, key: key.bigEndianBytes)
    }

    /// Removes every entry of `db` and keeps the database (`mdb_drop` with del = 0).
    public func empty(_ db: Database) throws(LMDBError) {
        try check(mdb_drop(handle, db.dbi, 0), "mdb_drop")
    }
}

extension UInt64 {
    /// The 8 big-endian bytes of this value: LMDB log keys sort in numeric order.
    @inlinable public var bigEndianBytes: [UInt8] {
        withUnsafeBytes(of: self.bigEndian) { Array($0) }
    }

    /// Reads a big-endian `UInt64` from exactly 8 bytes; nil for any other length.
    @inlinable public init?(bigEndianBytes b: UnsafeRawBufferPointer) {
        guard b.count == 8 else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v = (v << 8) | UInt64(b[i]) }
        self = v
    }

    /// Reads a big-endian `UInt64` from exactly 8 bytes; nil for any other length.
    @inlinable public init?(bigEndianBytes b: [UInt8]) {
        guard let v = b.withUnsafeBytes({ UInt64(bigEndianBytes: $0) }) else { return nil }
        self = v
    }
}
