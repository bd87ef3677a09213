import LMDBKit

/// The same-run baselines: raw LMDB on the same bytes, one database, no indexes.
struct RawLMDB {
    let env: Environment
    let db: Database

    init(path: String) throws {
        env = try Environment(path: path, configuration: .init(mapSize: 1 << 34, maxDatabases: 2))
        db = try env.openDatabase("events", create: true)
    }

    /// The `events` database of an environment that is already open (a store's log).
    init(env: Environment) throws {
        self.env = env
        db = try env.openDatabase("events")
    }

    /// `mdb_put` with `MDB_APPEND`, `batch` events per commit.
    func append(_ events: [[UInt8]], from start: Int, batch: Int) throws {
        var i = 0
        while i < events.count {
            let end = min(events.count, i + batch)
            try env.write { txn in
                for j in i..<end {
                    try events[j].withUnsafeBytes { v in try txn.put(db, key: UInt64(start + j), value: v, flags: .append) }
                }
            }
            i = end
        }
    }

    /// A raw cursor over every value; returns bytes seen.
    func scan(_ visit: (UnsafeRawBufferPointer) -> Void = { _ in }) throws -> Int {
        try env.read { txn in
            try txn.withCursor(db) { cursor in
                var total = 0
                var more = try cursor.first()
                while more {
                    cursor.withCurrent { _, v in
                        total += v.count
                        visit(v)
                    }
                    more = try cursor.next()
                }
                return total
            }
        }
    }
}
