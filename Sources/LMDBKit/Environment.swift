import CLMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An LMDB environment: one memory-mapped file holding named databases.
///
/// `Environment` is `Sendable`: `MDB_env` is thread-safe, and transactions are only ever
/// reached through the synchronous closures of ``read(_:)`` and ``write(_:)``, which cannot
/// leak a transaction or hold it across an `await`.
///
/// ```swift
/// let env = try Environment(path: dir, configuration: .init(maxDatabases: 8))
/// let db = try env.openDatabase("events", create: true)
/// try env.write { txn in try txn.put(db, key: [1], value: [42]) }
/// let v = try env.read { txn in try txn.get(db, key: [1]) }
/// ```
///
/// - Important: lmdb.h: "Do not have open an LMDB database twice in the same process at the
///   same time." Open each path once per process and share the instance.
public final class Environment: @unchecked Sendable {
    /// Environment flags, 1:1 with lmdb.h `MDB_*` environment flags.
    public struct Flags: OptionSet, Sendable {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// `MDB_RDONLY`: open read-only (the lock file must still be writable).
        public static let readOnly = Flags(rawValue: UInt32(MDB_RDONLY))
        /// `MDB_NOSUBDIR`: the path is the data file itself.
        public static let noSubDir = Flags(rawValue: UInt32(MDB_NOSUBDIR))
        /// `MDB_NOTLS`: read transactions are not tied to threads. Always set by this wrapper.
        public static let noTLS = Flags(rawValue: UInt32(MDB_NOTLS))
        /// `MDB_NORDAHEAD`: no read-ahead.
        public static let noReadAhead = Flags(rawValue: UInt32(MDB_NORDAHEAD))
    }

    /// How to open an environment.
    public struct Configuration: Sendable {
        /// Initial map size in bytes; it grows on `MDB_MAP_FULL`.
        public var mapSize: Int
        /// The most named databases (`mdb_env_set_maxdbs`).
        public var maxDatabases: UInt32
        /// The most concurrent readers (`mdb_env_set_maxreaders`).
        public var maxReaders: UInt32
        /// Extra flags. Durability-weakening flags are never accepted.
        public var flags: Flags
        /// Mode of created files.
        public var fileMode: mode_t
        /// The map grows to at least `mapSize * growthFactor` when full.
        public var growthFactor: Int

        public init(
            mapSize: Int = 1 << 30, maxDatabases: UInt32 = 16, maxReaders: UInt32 = 256,
            flags: Flags = [], fileMode: mode_t = 0o600, growthFactor: Int = 2
        ) {
            self.mapSize = mapSize
            self.maxDatabases = maxDatabases
            self.maxReaders = maxReaders
            self.flags = flags
            self.fileMode = fileMode
            self.growthFactor = max(2, growthFactor)
        }
    }

    let handle: OpaquePointer
    /// The path given at open.
    public let path: String
    /// True when opened with `MDB_RDONLY`.
    public let isReadOnly: Bool
    let growthFactor: Int
    /// Held shared by every transaction and exclusively while the map is resized:
    /// `mdb_env_set_mapsize` "may be called ... if no transactions are active in this process".
    private let resizeLock: UnsafeMutablePointer<pthread_rwlock_t>
    /// Number of stale reader slots cleared by `mdb_reader_check` at open.
    public let staleReadersCleared: Int

    /// Opens (creating when writable) the environment at `path`, a directory unless `.noSubDir`.
    ///
    /// Clears stale reader slots left by dead processes (`mdb_reader_check`).
    /// - Throws: `LMDBError` from `mdb_env_create`, `mdb_env_open` (e.g. `ENOENT`, `EACCES`,
    ///   `MDB_INVALID`, `MDB_VERSION_MISMATCH`) or `mdb_reader_check`.
    public init(path: String, configuration: Configuration = .init()) throws(LMDBError) {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: .EINVAL, operation: "mdb_env_create") }
        do {
            try check(mdb_env_set_maxdbs(env, MDB_dbi(configuration.maxDatabases)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(env, configuration.maxReaders), "mdb_env_set_maxreaders")
            if !configuration.flags.contains(.readOnly) {
                try check(mdb_env_set_mapsize(env, configuration.mapSize), "mdb_env_set_mapsize")
            }
            let flags = configuration.flags.union(.noTLS).rawValue
            // lmdb.h mdb_env_open: "If this function fails, mdb_env_close() must be called".
            try check(mdb_env_open(env, path, flags, configuration.fileMode), "mdb_env_open")
            try Self.checkFileCoversPages(env, dataFile: configuration.flags.contains(.noSubDir) ? path : path + "/data.mdb")
            var dead: Int32 = 0
            try check(mdb_reader_check(env, &dead), "mdb_reader_check")
            self.staleReadersCleared = Int(dead)
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
        self.isReadOnly = configuration.flags.contains(.readOnly)
        self.growthFactor = configuration.growthFactor
        self.resizeLock = .allocate(capacity: 1)
        pthread_rwlock_init(resizeLock, nil)
    }

    deinit {
        mdb_env_close(handle)
        pthread_rwlock_destroy(resizeLock)
        resizeLock.deallocate()
    }

    /// Refuses a data file shorter than the pages its newest meta page counts (truncated, or
    /// copied partway): LMDB reads pages through the map and trusts the file, so the first
    /// read past its end would stop the process with `SIGBUS` instead of an error.
    private static func checkFileCoversPages(_ env: OpaquePointer, dataFile: String) throws(LMDBError) {
        var info = MDB_envinfo()
        var pages = MDB_stat()
        try check(mdb_env_info(env, &info), "mdb_env_info")
        try check(mdb_env_stat(env, &pages), "mdb_env_stat")
        var file = Glibc.stat()
        guard stat(dataFile, &file) == 0 else { return }
        let needed = (Int(info.me_last_pgno) + 1) * Int(pages.ms_psize)
        if Int(file.st_size) < needed {
            let name = dataFile.split(separator: "/").last.map(String.init) ?? dataFile
            throw LMDBError(
                code: .MDB_CORRUPTED, operation: "mdb_env_open",
                detail: "\(name) holds \(file.st_size) bytes, but its last page ends at byte \(needed): the file was truncated")
        }
    }

    /// The current map size in bytes.
    public var mapSize: Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info.me_mapsize
    }

    /// Flushes buffers to disk (`mdb_env_sync` with force). Commits already sync; this is for
    /// environments opened by other code with weaker settings.
    public func sync() throws(LMDBError) {
        try check(mdb_env_sync(handle, 1), "mdb_env_sync")
    }

    /// Clears reader slots of dead processes; returns how many were cleared.
    @discardableResult
    public func clearStaleReaders() throws(LMDBError) -> Int {
        var dead: Int32 = 0
        try check(mdb_reader_check(handle, &dead), "mdb_reader_check")
        return Int(dead)
    }

    /// Opens a named database (or the main one when `name` is nil).
    ///
    /// - Parameters:
    ///   - name: the database name; nil for the unnamed main database.
    ///   - create: create it when missing (needs a writable environment).
    /// - Throws: `MDB_NOTFOUND` when it does not exist and `create` is false; `MDB_DBS_FULL`.
    public func openDatabase(_ name: String?, create: Bool = false) throws -> Database {
        if create && !isReadOnly {
            return try write { txn in try txn.openDatabase(name, create: true) }
        }
        return try read { txn in try txn.openDatabase(name, create: false) }
    }

    /// Runs `body` in a read-only transaction, released when it returns or throws.
    ///
    /// - Important: Values read inside are valid only inside `body`; copy what you keep.
    @available(*, noasync, message: "LMDB transactions must not span an await")
    public func read<T>(_ body: (borrowing Transaction) throws -> T) throws -> T {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        var txnHandle: OpaquePointer?
        var rc = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txnHandle)
        if rc == CLMDB.MDB_MAP_RESIZED {
            // Another process grew the map: adopt its size (mdb_env_set_mapsize with 0), then retry.
            pthread_rwlock_unlock(resizeLock)
            pthread_rwlock_wrlock(resizeLock)
            _ = mdb_env_set_mapsize(handle, 0)
            pthread_rwlock_unlock(resizeLock)
            pthread_rwlock_rdlock(resizeLock)
            rc = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txnHandle)
        }
        try check(rc, "mdb_txn_begin")
        return try run(txnHandle!, writable: false, body)
    }

    /// Runs `body` in a begun transaction, aborts it when `body` throws and commits it otherwise.
    ///
    /// A read transaction is committed too: that keeps database handles opened in it (lmdb.h
    /// mdb_dbi_open: "If the transaction is aborted the handle will be closed automatically").
    /// `mdb_txn_commit` frees the transaction whether or not it succeeds.
    private func run<T>(_ txnHandle: OpaquePointer, writable: Bool, _ body: (borrowing Transaction) throws -> T) throws -> T {
        let txn = Transaction(handle: txnHandle, writable: writable)
        let result: T
        do {
            result = try body(txn)
        } catch {
            mdb_txn_abort(txnHandle)
            throw error
        }
        try check(mdb_txn_commit(txnHandle), "mdb_txn_commit")
        return result
    }

    /// Runs `body` in a write transaction and commits when it returns; aborts when it throws.
    ///
    /// When the map is full (`MDB_MAP_FULL` from any call inside, or from the commit), the
    /// transaction is aborted, the map grows by the configured factor and `body` runs again
    /// from the start, so `body` must not keep side effects outside the transaction.
    /// - Throws: whatever `body` throws, or `LMDBError` from `mdb_txn_begin`/`mdb_txn_commit`
    ///   (for example `ENOSPC` when the disk is full: nothing is written then).
    @available(*, noasync, message: "LMDB transactions must not span an await")
    public func write<T>(_ body: (borrowing Transaction) throws -> T) throws -> T {
        while true {
            do {
                return try writeOnce(body)
            } catch LMDBError.Code.MDB_MAP_FULL {
                try grow()
            } catch LMDBError.Code.MDB_MAP_RESIZED {
                try adoptMapSize()
            }
        }
    }

    private func writeOnce<T>(_ body: (borrowing Transaction) throws -> T) throws -> T {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        var txnHandle: OpaquePointer?
        try check(mdb_txn_begin(handle, nil, 0, &txnHandle), "mdb_txn_begin")
        return try run(txnHandle!, writable: true, body)
    }

    private func grow() throws(LMDBError) {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        let newSize = mapSize * growthFactor
        try check(mdb_env_set_mapsize(handle, newSize), "mdb_env_set_mapsize")
    }

    private func adoptMapSize() throws(LMDBError) {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        try check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize")
    }
}
