import CLMDB

/// A handle to a named database inside an ``Environment`` (an `MDB_dbi`).
///
/// Handles stay valid for the life of the environment and may be shared across threads.
public struct Database: Sendable, Hashable {
    let dbi: MDB_dbi
    /// The name it was opened with; nil for the main database.
    public let name: String?
}

/// Flags for ``Transaction/put(_:key:value:flags:)``, 1:1 with lmdb.h `mdb_put` flags.
public struct PutFlags: OptionSet, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `MDB_NOOVERWRITE`: fail with `MDB_KEYEXIST` when the key exists.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// `MDB_APPEND`: the key sorts after every existing key. lmdb.h: "Loading unsorted keys
    /// with this flag will cause a MDB_KEYEXIST error."
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}

/// Statistics of one database (`mdb_stat`).
public struct DatabaseStat: Sendable, Hashable {
    /// Number of entries.
    public var entries: Int
    /// B-tree depth.
    public var depth: Int
    /// Leaf pages.
    public var leafPages: Int
    /// Page size in bytes.
    public var pageSize: Int
}
