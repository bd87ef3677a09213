import CanonicalJSON
import ClinicalRecord
import Crypto
import Foundation

/// The records of one projection, with the streams changed since the last flush.
protocol AnyProjectionTable: AnyObject, Sendable {
    var name: String { get }
    var version: Int { get }
    /// Per `EventCatalog.all` index, whether the projection reads that type; `nil`: all.
    var reads: [Bool]? { get }
    /// Whether changed streams are remembered for ``takeDirty()`` (off while rebuilding,
    /// where every record is written).
    var tracksDirty: Bool { get set }
    func apply(_ event: RecordedEvent)
    func reset(stream: String)
    func takeDirty() -> [(key: String, value: [UInt8]?)]
    /// Marks `keys` changed again (their records were taken by ``takeDirty()`` but not written).
    func restoreDirty(_ keys: [String])
    /// Every record, in key order, canonical JSON; clears the changed streams.
    func takeAll() -> [(key: String, value: [UInt8])]

    func load(key: String, value: [UInt8]) throws
    func digest() throws -> String
    func copy() -> any AnyProjectionTable
    var count: Int { get }
}

/// The typed table behind ``AnyProjectionTable``.
final class ProjectionTable<P: Projection>: AnyProjectionTable, @unchecked Sendable {
    let projection: P
    var records: [String: P.Record] = [:]
    var dirty: Set<String> = []

    let reads: [Bool]?
    var tracksDirty = true

    init(_ projection: P) {
        self.projection = projection
        self.reads = P.eventTypes.map { types in
            let names = Set(types.map { $0.typeName })
            return EventCatalog.all.map { names.contains($0.typeName) }
        }
    }

    var name: String { P.name }
    var version: Int { P.version }
    var count: Int { records.count }

    /// Folds `event` into its stream's record in place (no copy of the record, no
    /// comparison): a stream whose record exists before or after is counted as changed.
    func apply(_ event: RecordedEvent) {
        let changed = projection.fold(event, into: &records)
        if changed && tracksDirty { dirty.insert(event.stream) }
    }

    func reset(stream: String) {
        if records.removeValue(forKey: stream) != nil { dirty.insert(stream) }
    }

    func takeDirty() -> [(key: String, value: [UInt8]?)] {
        defer { dirty.removeAll(keepingCapacity: true) }
        return dirty.sorted().map { key in
            (key, records[key].map { RecordEncoder.canonicalBytes($0) })
        }
    }

    func restoreDirty(_ keys: [String]) {
        if tracksDirty { dirty.formUnion(keys) }
    }

    /// Encodes on every core: the records are values, read-only here.
    func takeAll() -> [(key: String, value: [UInt8])] {
        dirty.removeAll(keepingCapacity: true)
        let keys = records.keys.sorted()
        let records = self.records
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, keys.count / 256))
        var values = [[UInt8]](repeating: [], count: keys.count)
        values.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for i in stride(from: part, to: keys.count, by: parts) {
                    out[i] = RecordEncoder.canonicalBytes(records[keys[i]]!)
                }
            }
        }
        return Array(zip(keys, values))
    }

    func load(key: String, value: [UInt8]) throws {
        records[key] = try JSONValueDecoder(rejectsUnknownKeys: false).decode(P.Record.self, from: try JSONValue(parsing: value))
    }

    /// SHA-256 over every record in key order: key, 0x00, canonical record bytes, 0x00.
    func digest() throws -> String {
        var hasher = SHA256()
        for key in records.keys.sorted() {
            hasher.update(data: Array(key.utf8) + [0])
            // Where no path can encode a record, JSONValueEncoder's error as before.
            hasher.update(data: try RecordEncoder.bytes(records[key]!) + [0])
        }
        return hex(Array(hasher.finalize()))
    }

    func copy() -> any AnyProjectionTable {
        let t = ProjectionTable(projection)
        t.records = records
        t.tracksDirty = tracksDirty
        return t
    }
}

/// Lower-case hex of `bytes`.
func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}
