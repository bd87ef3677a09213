import EventLog
import EventLogTesting
import Foundation
import LMDBKit
import MerkleLog

/// A store built for audit tests: `count` session notes over a few streams, checkpoints at
/// the sizes asked for (each also written to a file the "auditor" holds), and raw LMDB access
/// for tampering.
struct AuditStore: Sendable {
    /// The temporary directory holding the store.
    let tmp: TemporaryStore
    /// The store directory.
    var path: String { tmp.path }
    /// The verifier key, as an auditor would hold it.
    let key: String
    /// Checkpoint note files by tree size.
    let checkpointFiles: [UInt64: String]
    /// Events appended.
    let count: Int

    /// Builds the store, appending in batches of `batch` and checkpointing at `checkpoints`.
    static func make(count: Int, checkpoints: [Int], batch: Int = 100) async throws -> AuditStore {
        let tmp = try TemporaryStore(prefix: "imr-audit")
        let options = LMDBEventLog.Options(checkpointEveryEvents: nil, checkpointInterval: nil)
        var files: [UInt64: String] = [:]
        let key: String
        do {
            let log = try tmp.create(origin: "imr-test/audit", options: options)
            key = log.verifierKey
            let signer = try log.loadSigner()
            var appended = 0
            while appended < count {
                let stop = min(count, appended + batch, checkpoints.first { $0 > appended } ?? count)
                let appends = (appended..<stop).map { n in
                    StreamAppend(stream: Fixtures.consumerStream(n % 7), events: [Fixtures.sessionNote(n)])
                }
                _ = try await log.append(appends)
                appended = stop
                if checkpoints.contains(appended) {
                    let (_, note) = try log.makeCheckpoint(signer: signer)
                    let file = tmp.path + "-cp\(appended).txt"
                    try note.write(toFile: file, atomically: true, encoding: .utf8)
                    files[UInt64(appended)] = file
                }
            }
        }
        return AuditStore(tmp: tmp, key: key, checkpointFiles: files, count: count)
    }

    /// Deletes everything.
    func remove() { tmp.remove() }

    /// The log's LMDB data file.
    var dataFile: String { LMDBEventLog.logDirectory(of: path) + "/data.mdb" }

    /// Runs `body` in a raw write transaction on the log's `events` database.
    func writeEvents(_ body: (borrowing Transaction, Database) throws -> Void) throws {
        try write(database: "events", body)
    }

    /// Runs `body` in a raw write transaction on one of the log's databases (`ids`, `merkle`, …).
    func write(database name: String, _ body: (borrowing Transaction, Database) throws -> Void) throws {
        let env = try Environment.shared(path: LMDBEventLog.logDirectory(of: path))
        let db = try env.openDatabase(name)
        try env.write { txn in try body(txn, db) }
    }

    /// The stored bytes of every event, read raw.
    func rawEvents() throws -> [[UInt8]] {
        let log = try LMDBEventLog.open(at: path, options: .init(readOnly: true))
        return try log.readRaw(from: 0, limit: .max).map(\.bytes)
    }

    /// Copies the whole store directory (with its key) to a new path.
    func copy(to destination: String) throws {
        try FileManager.default.copyItem(atPath: path, toPath: destination)
    }
}
