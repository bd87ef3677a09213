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

    /// Per `EventCatalog.all` index, the tables that read that type (an index past the
    /// catalog, none).
    private let readers: [[any AnyProjectionTable]]

    init(tables: [any AnyProjectionTable], position: UInt64 = 0, codec: EventCodec = EventCodec()) {
        self.tables = tables
        self.position = position
        self.codec = codec
        self.readers = EventCatalog.all.indices.map { k in tables.filter { $0.reads?[k] ?? true } }
    }

    func copy() -> ProjectionSet {
        ProjectionSet(tables: tables.map { $0.copy() }, position: position, codec: codec)
    }

    func table(named name: String) -> (any AnyProjectionTable)? { tables.first { $0.name == name } }

    /// Catalog indices (`EventCatalog.all`) some projection reads; `nil` when one of them
    /// reads every type.
    var wantedKinds: Set<Int>? {
        var all = Set<Int>()
        for t in tables {
            guard let reads = t.reads else { return nil }
            for (i, r) in reads.enumerated() where r { all.insert(i) }
        }
        return all
    }

    /// The log's corrections, known before a fold from position 0 (``Corrections``); while set,
    /// events are folded already corrected and correction events fold nothing again.
    var corrections: Corrections?

    /// Applies a decoded chunk, which must start at ``position``.
    ///
    /// A correction (`EntryAmended`, `EntryMarkedInError`) makes every projection fold its
    /// stream again from the log, with the corrections up to this event applied: amended
    /// fields replace the original's, entries in error are left out. The originals stay in
    /// the log; only what the projections show changes.
    func apply(_ chunk: DecodedChunk, log: any VerifiableEventLog) throws {
        let corrected = corrections.map { !$0.last.isEmpty } ?? false
        for i in chunk.events.indices {
            let kind = chunk.kinds[i]
            let at = chunk.events[i].position
            precondition(at >= position, "events must be applied in log order")
            position = at
            if kind == DecodedChunk.correction, corrections != nil {
                // Already applied to the events it corrects.
            } else if kind == DecodedChunk.correction {
                try refold(stream: try StreamID(chunk.events[i].stream), through: at, log: log)
            } else if corrected, let corrections, let last = corrections.last[chunk.events[i].stream], at <= last {
                var event = chunk.events[i]
                let key = Corrections.key(event.stream, event.id)
                if corrections.inError.contains(key) {
                    position = at + 1
                    continue
                }
                if let changes = corrections.amendments[key] {
                    event.event = try amend(event.event, with: changes, position: at)
                }
                for t in readers[Int(kind)] { t.apply(event) }
            } else {
                for t in readers[Int(kind)] { t.apply(chunk.events[i]) }
            }
            position = at + 1
        }
        precondition(chunk.end >= position, "events must be applied in log order")
        position = chunk.end
    }

    static func recorded(_ stored: StoredEvent, _ event: any RecordEvent) throws -> RecordedEvent {
        guard let occurred = Timestamp(stored.time), let recorded = Timestamp(stored.recordedAt) else {
            throw EventLogError.corrupt(stored.position, "time or recordedat is not an RFC 3339 UTC time")
        }
        return RecordedEvent(position: stored.position, id: stored.id, stream: stored.stream.rawValue,
                             occurredAt: occurred, recordedAt: recorded, event: event)
    }

    /// `event` with the fields of each amendment's content put over its own, in order.
    func amend(_ event: any RecordEvent, with changes: [JSONValue], position: UInt64) throws -> any RecordEvent {
        let data = EffectiveCorrections.amend(try codec.encode(event), with: changes)
        let type = Swift.type(of: event)
        // An amendment that no longer decodes (impossible through the record core, which
        // checks it) leaves the original in place.
        return (try? codec.decode(type: type, version: type.version, data: data, position: position)) ?? event
    }

    /// Drops `stream`'s records and folds its history through `last` again, corrected.
    func refold(stream: StreamID, through last: UInt64, log: any VerifiableEventLog) throws {
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
        let effective = EffectiveCorrections(history.filter { $0.1 is EntryAmended || $0.1 is EntryMarkedInError }.map { ($0.0.id, $0.1) })
        let inError = effective.inError, amendments = effective.amendments
        for (s, e) in history where !(e is EntryAmended || e is EntryMarkedInError) && !inError.contains(s.id) {
            var event = e
            if let changes = amendments[s.id] { event = try amend(e, with: changes, position: s.position) }
            let recorded = try Self.recorded(s, event)
            for t in tables { t.apply(recorded) }
        }
    }
}

/// Every correction of the log up to some position, gathered before a fold from position 0
/// so that the fold can apply them to the events they correct as it meets them, instead of
/// folding a stream's history again at each correction.
///
/// The result is the same: at its last correction, the engine folds a stream's history
/// through that point with every correction so far applied, and later events of the stream
/// are folded as they are. So an event at or before its stream's last correction is folded
/// corrected (left out when marked in error, with the amendments' fields put over its own),
/// and an event after it as it is.
struct Corrections: Sendable {
    /// Stream and event id of the entries marked in error (by marks that count).
    private(set) var inError = Set<String>()
    /// Stream and event id → the contents of the amendments that count, in log order.
    private(set) var amendments: [String: [JSONValue]] = [:]
    /// The position of each corrected stream's last correction.
    private(set) var last: [String: UInt64] = [:]
    /// Each stream's corrections as added, until ``settle()``.
    private var pending: [String: [(id: String, event: any RecordEvent)]] = [:]

    static func key(_ stream: String, _ id: String) -> String { stream + "\u{0}" + id }

    /// Takes in one correction event (in log order).
    mutating func add(_ correction: RecordedEvent) {
        guard correction.event is EntryMarkedInError || correction.event is EntryAmended else { return }
        pending[correction.stream, default: []].append((correction.id, correction.event))
        last[correction.stream] = correction.position
    }

    /// Works out which corrections count, stream by stream (``EffectiveCorrections``: a
    /// correction marked in error counts for nothing); call once all are added.
    mutating func settle() {
        for (stream, list) in pending {
            let effective = EffectiveCorrections(list)
            for id in effective.inError { inError.insert(Self.key(stream, id)) }
            for (id, contents) in effective.amendments { amendments[Self.key(stream, id)] = contents }
        }
        pending = [:]
    }
}
