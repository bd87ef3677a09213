import Foundation
import LMDBKit
import Testing

@Suite("LMDBKit: environments, transactions, cursors, errors")
struct LMDBKitTests {
    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.path + "/lmdbkit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Every entry of `db`, walked with a cursor from the first key: big-endian `UInt64` keys
    /// and their values.
    func entries(_ env: Environment, _ db: Database) throws -> [(key: UInt64, value: [UInt8])] {
        try env.read { txn in
            try txn.withCursor(db) { c in
                var out: [(key: UInt64, value: [UInt8])] = []
                var more = try c.first()
                while more {
                    out.append(c.withCurrent { k, v in (UInt64(bigEndianBytes: k)!, Array(v)) })
                    more = try c.next()
                }
                return out
            }
        }
    }

    @Test("Values written in a committed transaction are read back, copied out")
    func roundTrip() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: true)
        try env.write { txn in
            try txn.put(db, key: [1, 2], value: [9, 9, 9])
            try txn.put(db, key: UInt64(7), value: [7])
        }
        let v = try env.read { txn in try txn.get(db, key: [1, 2]) }
        #expect(v == [9, 9, 9])
        #expect(try env.read { txn in try txn.get(db, key: UInt64(7)) } == [7])
        #expect(try env.read { txn in try txn.get(db, key: [3]) } == nil)
        #expect(try env.read { txn in try txn.stat(db).entries } == 2)
    }

    @Test("A data file shorter than its pages (truncated) is refused at open as corruption, not read into a bus error")
    func truncatedFileRefused() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let env = try Environment(path: dir)
            let db = try env.openDatabase("t", create: true)
            try env.write { txn in
                for i in 0..<2000 as Range<UInt64> { try txn.put(db, key: i, value: [UInt8](repeating: 7, count: 100)) }
            }
        }
        let file = dir + "/data.mdb"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        #expect(truncate(file, off_t(size / 2)) == 0)
        #expect {
            _ = try Environment(path: dir)
        } throws: { error in
            guard let e = error as? LMDBError else { return false }
            return e.isCorruption && e.description.contains("data.mdb holds \(size / 2) bytes") && e.description.contains("truncated")
        }
    }

    @Test("insert stores a new key and hands back the stored value of an existing one, unchanged")
    func insertIfAbsent() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: true)
        let key: [UInt8] = [1, 2]
        let first: [UInt8]? = try env.write { txn in
            try key.withUnsafeBytes { k in
                try [UInt8]([5, 6]).withUnsafeBytes { v in try txn.insert(db, key: k, value: v) { Array($0) } }
            }
        }
        #expect(first == nil)
        let second: [UInt8]? = try env.write { txn in
            try key.withUnsafeBytes { k in
                try [UInt8]([7]).withUnsafeBytes { v in try txn.insert(db, key: k, value: v) { Array($0) } }
            }
        }
        #expect(second == [5, 6])
        #expect(try env.read { txn in try txn.get(db, key: key) } == [5, 6])
        #expect(try env.read { txn in try txn.stat(db).entries } == 1)
    }

    @Test("A throwing write transaction is aborted and leaves nothing")
    func abortOnThrow() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: true)
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try env.write { txn in
                try txn.put(db, key: [1], value: [1])
                throw Boom()
            }
        }
        #expect(try env.read { txn in try txn.get(db, key: [1]) } == nil)
    }

    @Test("Errors carry the LMDB code, the call and mdb_strerror's text, and match by code")
    func errorShape() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: true)
        do {
            try env.write { txn in
                try txn.put(db, key: UInt64(5), value: [1], flags: .append)
                try txn.put(db, key: UInt64(4), value: [1], flags: .append)
            }
            Issue.record("out-of-order MDB_APPEND must fail")
        } catch LMDBError.Code.MDB_KEYEXIST {
            // matched by code
        }
        do {
            try env.write { txn in try txn.put(db, key: [], value: [1]) }
        } catch let e as LMDBError {
            #expect(e.code == .MDB_BAD_VALSIZE)
            #expect(e.operation == "mdb_put")
            #expect(e.message.contains("size"))
            #expect(e.description.hasPrefix("mdb_put failed: "))
        }
        #expect(throws: LMDBError.self) { _ = try env.openDatabase("missing", create: false) }
        #expect(throws: LMDBError.self) { _ = try Environment(path: dir + "/does/not/exist") }
    }

    @Test("MDB_MAP_FULL grows the map and retries the transaction")
    func mapGrowth() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir, configuration: .init(mapSize: 32 * 1024))
        let db = try env.openDatabase("t", create: true)
        let before = env.mapSize
        let value = [UInt8](repeating: 0xAB, count: 1000)
        var attempts = 0
        try env.write { txn in
            attempts += 1
            for i in 0..<2000 { try txn.put(db, key: UInt64(i), value: value, flags: .append) }
        }
        #expect(attempts > 1)
        #expect(env.mapSize > before)
        #expect(try env.read { txn in try txn.stat(db).entries } == 2000)
    }

    @Test("Cursors walk keys in big-endian order and seek by range")
    func cursor() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: true)
        try env.write { txn in
            for k: UInt64 in [300, 1, 256, 2] { try txn.put(db, key: k, value: k.bigEndianBytes) }
        }
        #expect(try entries(env, db).map(\.key) == [1, 2, 256, 300])
        let found: UInt64? = try env.read { txn in
            try txn.withCursor(db) { c in try c.seek(atOrAfter: UInt64(3)) ? UInt64(bigEndianBytes: c.current().key) : nil }
        }
        #expect(found == 256)
        let last: UInt64? = try env.read { txn in
            try txn.withCursor(db) { c in try c.last() ? UInt64(bigEndianBytes: c.current().key) : nil }
        }
        #expect(last == 300)
    }

    @Test("replaceNext overwrites the next entry only when its key is the one named, across pages")
    func replaceNext() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: true)
        // 2,000 keys of 16-byte values span several leaf pages.
        let keys = (0..<2000).map { UInt64($0) * 2 }
        try env.write { txn in
            for k in keys { try txn.put(db, key: k, value: k.bigEndianBytes + k.bigEndianBytes) }
        }
        let replaced: [Bool] = try env.write { txn in
            try txn.withCursor(db) { c in
                var out: [Bool] = []
                // A fresh cursor's next entry is the first.
                let one = UInt64(1).bigEndianBytes + UInt64(1).bigEndianBytes
                out.append(try one.withUnsafeBytes { try c.replaceNext(key: 0, value: $0) })
                // Every following key in turn, across page boundaries.
                for k in keys.dropFirst() {
                    let v = (k + 1).bigEndianBytes + (k + 1).bigEndianBytes
                    out.append(try v.withUnsafeBytes { try c.replaceNext(key: k, value: $0) })
                }
                // At the end there is no next entry.
                out.append(try one.withUnsafeBytes { try c.replaceNext(key: 4000, value: $0) })
                // A key that is not the next one (a gap, or one behind) is refused.
                try one.withUnsafeBytes { try c.put(key: 10, value: $0) }
                out.append(try one.withUnsafeBytes { try c.replaceNext(key: 13, value: $0) })
                try one.withUnsafeBytes { try c.put(key: 10, value: $0) }
                out.append(try one.withUnsafeBytes { try c.replaceNext(key: 10, value: $0) })
                return out
            }
        }
        #expect(replaced.prefix(2000).allSatisfy { $0 })
        #expect(replaced.suffix(3) == [false, false, false])
        let stored = try entries(env, db)
        #expect(stored.map(\.key) == keys)
        let expected = keys.map { k -> [UInt8] in
            let v = k == 10 ? 1 : k + 1
            return v.bigEndianBytes + v.bigEndianBytes
        }
        #expect(stored.map(\.value) == expected)
    }

    @Test("A read-only environment refuses writes with EACCES")
    func readOnly() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let env = try Environment(path: dir)
            _ = try env.openDatabase("t", create: true)
        }
        let ro = try Environment(path: dir, configuration: .init(flags: .readOnly))
        let db = try ro.openDatabase("t")
        do {
            try ro.write { txn in try txn.put(db, key: [1], value: [1]) }
            Issue.record("write in a read-only environment must fail")
        } catch let e as LMDBError {
            #expect(e.code == .EACCES)
        }
    }

    @Test("The shared registry returns one environment per path")
    func sharedRegistry() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try Environment.shared(path: dir)
        let b = try Environment.shared(path: dir + "/.")
        #expect(a === b)
    }
}
