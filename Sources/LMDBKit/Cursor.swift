import CLMDB

/// A cursor over one database, lent to ``Transaction/withCursor(_:_:)``.
///
/// Positioning methods return `false` at the end instead of throwing `MDB_NOTFOUND`.
/// The current entry is read with ``withCurrent(_:)`` (no copy) or ``current()`` (copied).
public struct Cursor: ~Copyable {
    let handle: OpaquePointer
    private var key = MDB_val()
    private var value = MDB_val()

    init(handle: OpaquePointer) { self.handle = handle }

    private mutating func move(_ op: MDB_cursor_op, _ name: StaticString) throws(LMDBError) -> Bool {
        let rc = mdb_cursor_get(handle, &key, &value, op)
        if rc == CLMDB.MDB_NOTFOUND { return false }
        try check(rc, name)
        return true
    }

    /// Moves to the first entry; false when the database is empty.
    public mutating func first() throws(LMDBError) -> Bool { try move(MDB_FIRST, "mdb_cursor_get(MDB_FIRST)") }
    /// Moves to the last entry; false when the database is empty.
    public mutating func last() throws(LMDBError) -> Bool { try move(MDB_LAST, "mdb_cursor_get(MDB_LAST)") }
    /// Moves to the next entry; false at the end.
    public mutating func next() throws(LMDBError) -> Bool { try move(MDB_NEXT, "mdb_cursor_get(MDB_NEXT)") }
    /// Moves to the previous entry; false at the start.
    public mutating func previous() throws(LMDBError) -> Bool { try move(MDB_PREV, "mdb_cursor_get(MDB_PREV)") }

    /// Moves to the first entry whose key is ≥ `key` (`MDB_SET_RANGE`); false when none.
    public mutating func seek(atOrAfter key: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        self.key = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        return try move(MDB_SET_RANGE, "mdb_cursor_get(MDB_SET_RANGE)")
    }

    /// Moves to the first entry whose key is ≥ `key`; false when none.
    public mutating func seek(atOrAfter key: [UInt8]) throws -> Bool {
        var copy = key
        return try copy.withUnsafeMutableBytes { k in try seek(atOrAfter: UnsafeRawBufferPointer(k)) }
    }

    /// Moves to the first entry whose big-endian `UInt64` key is ≥ `key`; false when none.
    public mutating func seek(atOrAfter key: UInt64) throws -> Bool {
        var be = key.bigEndian
        return try withUnsafeBytes(of: &be) { k in try seek(atOrAfter: k) }
    }

    /// Calls `body` with the current key and value, without copying.
    /// - Important: The buffers are valid only inside `body`.
    public func withCurrent<R>(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(
            UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
            UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }

    /// The current key and value, copied out.
    public func current() -> (key: [UInt8], value: [UInt8]) {
        withCurrent { k, v in (Array(k), Array(v)) }
    }

    /// Stores `value` at `key` through the cursor (`mdb_cursor_put`); see ``Transaction/put(_:key:value:flags:)``.
    public mutating func put(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = [])
        throws(LMDBError)
    {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_cursor_put(handle, &k, &v, flags.rawValue), "mdb_cursor_put")
    }

    /// Stores `value` at the big-endian `UInt64` key through the cursor.
    ///
    /// With `.append`, a cursor left at the end by the previous append goes straight to the
    /// last page, where `mdb_put` would search the tree from its root for every key.
    public mutating func put(key: UInt64, value: UnsafeRawBufferPointer, flags: PutFlags = []) throws(LMDBError) {
        var be = key.bigEndian
        // The key's address is valid only inside this closure (a pointer made from `&be` in
        // `MDB_val`'s initializer would not outlive the initializer).
        try withUnsafeMutableBytes(of: &be) { (k: UnsafeMutableRawBufferPointer) throws(LMDBError) in
            var kv = MDB_val(mv_size: 8, mv_data: k.baseAddress)
            var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
            try check(mdb_cursor_put(handle, &kv, &v, flags.rawValue), "mdb_cursor_put")
        }
    }

    /// Overwrites the value of the entry after the cursor's when that entry's big-endian
    /// `UInt64` key is `key` (`MDB_NEXT`, then `mdb_cursor_put` with `MDB_CURRENT`).
    ///
    /// Keys updated in ascending order are often neighbours: this spares LMDB the search of a
    /// ``put(key:value:flags:)``, a dozen key comparisons on the way down the page.
    /// For a database without sorted duplicates (`MDB_DUPSORT`), where `MDB_CURRENT` replaces
    /// the one value of the key.
    /// - Returns: false, having written nothing, when the next entry has another key or there
    ///   is none; the cursor has then moved, and a ``put(key:value:flags:)`` places it again.
    public mutating func replaceNext(key: UInt64, value: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        guard try next(), withCurrent({ k, _ in UInt64(bigEndianBytes: k) }) == key else { return false }
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_cursor_put(handle, &self.key, &v, UInt32(MDB_CURRENT)), "mdb_cursor_put(MDB_CURRENT)")
        return true
    }

    /// Stores `value` at `key` unless the key is present (`MDB_NOOVERWRITE`), as
    /// ``Transaction/insert(_:key:value:existing:)`` does.
    ///
    /// Through a cursor, keys put in ascending order cost less than with `mdb_put`: when the
    /// key falls within the leaf page the cursor is on, LMDB skips the search from the root.
    /// - Returns: nil when `value` was stored, else what `existing` returned for the stored value.
    public mutating func insert<R>(
        key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, existing: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_cursor_put(handle, &k, &v, UInt32(MDB_NOOVERWRITE))
        if rc == CLMDB.MDB_KEYEXIST { return try existing(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)) }
        try check(rc, "mdb_cursor_put")
        return nil
    }

    /// Stores `value` at `key` if `key` sorts after every key in the database (`MDB_APPEND`).
    ///
    /// LMDB then neither searches the tree nor splits a full page in half: the new key starts
    /// a page of its own, so keys that arrive in ascending order fill their pages. Usable as
    /// the first try of an insert: a key that sorts after every key cannot be present.
    /// - Returns: false, having written nothing, when some key sorts at or after `key`.
    public mutating func append(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_cursor_put(handle, &k, &v, UInt32(MDB_APPEND))
        if rc == CLMDB.MDB_KEYEXIST { return false }
        try check(rc, "mdb_cursor_put(MDB_APPEND)")
        return true
    }

    /// Deletes the current entry (`mdb_cursor_del`).
    public mutating func deleteCurrent() throws(LMDBError) {
        try check(mdb_cursor_del(handle, 0), "mdb_cursor_del")
    }
}
