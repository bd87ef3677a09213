import CanonicalJSON
import ClinicalRecord
import EventLog
import RecordCore

/// Every projection's records at one log position, and the fold that moves them forward.
///
/// Not thread-safe: ``ProjectionStore`` serialises access.
final class ProjectionSet: @unchecked Sendable {
    private(set) var tables: [any AnyProjectionTable]
    /// The number of events applied: the next position to apply.
    private(set) var position: UInt64
    let codec: EventCodec

    init(tables: [any AnyProjectionTable], position: UInt64 = 0, codec: EventCodec = EventCodec()) {
        self.tables = tables
        self.position = position
        self.codec = codec
    }

    func copy() -> ProjectionSet {
        ProjectionSet(tables: tables.map { $0.copy() }, position: position, codec: codec)
    }

    func table(named name: String) -> (any AnyProjectionTable)? { tables.first { $0.name == name } }

    /// Applies the stored event at ``position``.
    ///
    /// A correction (`EntryAmended`, `EntryMarkedInError`) makes every projection fold its
    /// stream again from the log, with the corrections up to this event applied: amended
    /// fields replace the original's, entries in error are left out. The originals stay in
    /// the log; only what the projections show changes.
    func apply(_ stored: StoredEvent, log: LMDBEventLog) throws {
        precondition(stored.position == position, "events must be applied in log order")
        defer { position = stored.position + 1 }
        guard let event = try codec.decode(stored) else { return }
        if event is EntryAmended || event is EntryMarkedInError {
            try refold(stream: stored.stream, through: stored.position, log: log)
            return
        }
        let recorded = try Self.recorded(stored, event)
        for t in tables { t.apply(recorded) }
    }

    static func recorded(_ stored: StoredEvent, _ event: any RecordEvent) throws -> RecordedEvent {
        guard let occurred = Timestamp(stored.time), let recorded = Timestamp(stored.recordedAt) else {
            throw EventLogError.corrupt(stored.position, "time or recordedat is not an RFC 3339 UTC time")
        }
        return RecordedEvent(position: stored.position, id: stored.id, stream: stored.stream.rawValue,
                             occurredAt: occurred, recordedAt: recorded, event: event)
    }

    /// Drops `stream`'s records and folds its history through `last` again, corrected.
    func refold(stream: StreamID, through last: UInt64, log: LMDBEventLog) throws {
        for t in tables { t.reset(stream: stream.rawValue) }
        var history: [(StoredEvent, any RecordEvent)] = []
        var version: StreamVersion = 1
        while true {
            let page = try log.readStreamEvents(stream, from: version, limit: 1000)
            for s in page where s.position <= last {
                if let e = try codec.decode(s) { history.append((s, e)) }
            }
            if page.count < 1000 || (page.last?.position ?? 0) > last { break }
            version += 1000
        }
        var inError = Set<String>()
        var amendments: [String: [JSONValue]] = [:]
        for (_, e) in history {
            if let m = e as? EntryMarkedInError { inError.insert(m.targetEventId) }
            if let a = e as? EntryAmended { amendments[a.targetEventId, default: []].append(a.content) }
        }
        for (s, e) in history where !(e is EntryAmended || e is EntryMarkedInError) && !inError.contains(s.id) {
            var event = e
            if let changes = amendments[s.id] {
                var data = try codec.encode(e)
                for change in changes {
                    if case .object(var m) = data, case .object(let c) = change {
                        for (k, v) in c { m[k] = v }
                        data = .object(m)
                    }
                }
                let type = Swift.type(of: e)
                // An amendment that no longer decodes (impossible through the record core,
                // which checks it) leaves the original in place.
                if let amended = try? codec.decode(type: type, version: type.version, data: data, position: s.position) { event = amended }
            }
            let recorded = try Self.recorded(s, event)
            for t in tables { t.apply(recorded) }
        }
    }
}
