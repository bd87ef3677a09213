import CLMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error returned by an LMDB call: the result code, the call that failed and LMDB's own text.
///
/// Codes are a `RawRepresentable` struct with lmdb.h's names, so callers can match on them:
///
/// ```swift
/// do { try env.write { txn in try txn.put(db, key: k, value: v, flags: .noOverwrite) } }
/// catch LMDBError.Code.MDB_KEYEXIST { /* already there */ }
/// ```
///
/// The message comes from `mdb_strerror`, which covers both LMDB's reserved band
/// (-30799 … -30780) and system `errno` values such as `ENOSPC` and `EACCES`.
/// It never contains keys or values.
public struct LMDBError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An LMDB or system result code (lmdb.h "Return Codes"; errno values for system errors).
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// key/data pair already exists
        public static let MDB_KEYEXIST = Code(rawValue: CLMDB.MDB_KEYEXIST)
        /// key/data pair not found (EOF)
        public static let MDB_NOTFOUND = Code(rawValue: CLMDB.MDB_NOTFOUND)
        /// Requested page not found - this usually indicates corruption
        public static let MDB_PAGE_NOTFOUND = Code(rawValue: CLMDB.MDB_PAGE_NOTFOUND)
        /// Located page was wrong type
        public static let MDB_CORRUPTED = Code(rawValue: CLMDB.MDB_CORRUPTED)
        /// Update of meta page failed or environment had fatal error
        public static let MDB_PANIC = Code(rawValue: CLMDB.MDB_PANIC)
        /// Environment version mismatch
        public static let MDB_VERSION_MISMATCH = Code(rawValue: CLMDB.MDB_VERSION_MISMATCH)
        /// File is not a valid LMDB file
        public static let MDB_INVALID = Code(rawValue: CLMDB.MDB_INVALID)
        /// Environment mapsize reached
        public static let MDB_MAP_FULL = Code(rawValue: CLMDB.MDB_MAP_FULL)
        /// Environment maxdbs reached
        public static let MDB_DBS_FULL = Code(rawValue: CLMDB.MDB_DBS_FULL)
        /// Environment maxreaders reached
        public static let MDB_READERS_FULL = Code(rawValue: CLMDB.MDB_READERS_FULL)
        /// Txn has too many dirty pages
        public static let MDB_TXN_FULL = Code(rawValue: CLMDB.MDB_TXN_FULL)
        /// Database contents grew beyond environment mapsize (another process grew the map)
        public static let MDB_MAP_RESIZED = Code(rawValue: CLMDB.MDB_MAP_RESIZED)
        /// Operation and DB incompatible, or DB type changed
        public static let MDB_INCOMPATIBLE = Code(rawValue: CLMDB.MDB_INCOMPATIBLE)
        /// Transaction must abort, has a child, or is invalid
        public static let MDB_BAD_TXN = Code(rawValue: CLMDB.MDB_BAD_TXN)
        /// Unsupported size of key/DB name/data, or wrong DUPFIXED size
        public static let MDB_BAD_VALSIZE = Code(rawValue: CLMDB.MDB_BAD_VALSIZE)
        /// The specified DBI was changed unexpectedly
        public static let MDB_BAD_DBI = Code(rawValue: CLMDB.MDB_BAD_DBI)
        /// No space left on device (errno)
        public static let ENOSPC = Code(rawValue: Glibc.ENOSPC)
        /// Permission denied (errno)
        public static let EACCES = Code(rawValue: Glibc.EACCES)
        /// No such file or directory (errno)
        public static let ENOENT = Code(rawValue: Glibc.ENOENT)
        /// Invalid argument (errno)
        public static let EINVAL = Code(rawValue: Glibc.EINVAL)

        public var description: String { String(cString: mdb_strerror(rawValue)) }

        /// Lets `catch LMDBError.Code.MDB_NOTFOUND` match an `LMDBError` with that code.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? LMDBError)?.code == code
        }
    }

    /// The result code.
    public var code: Code
    /// The LMDB function that returned it, e.g. `"mdb_put"`.
    public var operation: String
    /// `mdb_strerror(code)`.
    public var message: String { code.description }

    /// What the wrapper found, when the error is its own finding rather than LMDB's result.
    public var detail: String?

    /// Makes an error for `code` returned by `operation`.
    public init(code: Code, operation: String, detail: String? = nil) {
        self.code = code
        self.operation = operation
        self.detail = detail
    }

    public var description: String {
        "\(operation) failed: \(message) (\(code.rawValue))" + (detail.map { ": \($0)" } ?? "")
    }

    /// True for errors that mean the file on disk is damaged rather than misused.
    public var isCorruption: Bool {
        code == .MDB_CORRUPTED || code == .MDB_PAGE_NOTFOUND || code == .MDB_INVALID || code == .MDB_PANIC
            || code == .MDB_VERSION_MISMATCH
    }
}

/// Throws an `LMDBError` for a non-zero LMDB result.
@inline(__always)
func check(_ rc: Int32, _ operation: StaticString) throws(LMDBError) {
    if rc != 0 { throw LMDBError(code: .init(rawValue: rc), operation: "\(operation)") }
}
