import CanonicalJSON
import ClinicalRecord
import Crypto

/// The records of one projection, with the streams changed since the last flush.
protocol AnyProjectionTable: AnyObject, Sendable {
    var name: String { get }
    var version: Int { get }
    func apply(_ event: RecordedEvent)
    func reset(stream: String)
    func takeDirty() -> [(key: String, value: [UInt8]?)]
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

    init(_ projection: P) { self.projection = projection }

    var name: String { P.name }
    var version: Int { P.version }
    var count: Int { records.count }

    func apply(_ event: RecordedEvent) {
        let before = records[event.stream]
        var record = before
        projection.apply(event, to: &record)
        if record != before {
            records[event.stream] = record
            dirty.insert(event.stream)
        }
    }

    func reset(stream: String) {
        if records.removeValue(forKey: stream) != nil { dirty.insert(stream) }
    }

    func takeDirty() -> [(key: String, value: [UInt8]?)] {
        defer { dirty.removeAll(keepingCapacity: true) }
        return dirty.sorted().map { key in
            (key, records[key].map { (try? JSONValueEncoder().encode($0).canonicalBytes) ?? [] })
        }
    }

    func load(key: String, value: [UInt8]) throws {
        records[key] = try JSONValueDecoder(rejectsUnknownKeys: false).decode(P.Record.self, from: try JSONValue(parsing: value))
    }

    /// SHA-256 over every record in key order: key, 0x00, canonical record bytes, 0x00.
    func digest() throws -> String {
        var hasher = SHA256()
        for key in records.keys.sorted() {
            hasher.update(data: Array(key.utf8) + [0])
            hasher.update(data: try JSONValueEncoder().encode(records[key]!).canonicalBytes + [0])
        }
        return hex(Array(hasher.finalize()))
    }

    func copy() -> any AnyProjectionTable {
        let t = ProjectionTable(projection)
        t.records = records
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
