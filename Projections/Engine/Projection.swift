public import ClinicalRecord

/// One event of the record as projections see it: decoded, with its place in the log and
/// both of its times.
public struct RecordedEvent: Sendable {
    /// The log position (0-based).
    public var position: UInt64
    /// The CloudEvents id (what amendments reference).
    public var id: String
    /// The stream (CloudEvents `subject`).
    public var stream: String
    /// Occurred-at: clinical time.
    public var occurredAt: Timestamp
    /// Recorded-at: when the store committed it.
    public var recordedAt: Timestamp
    /// The event, in its current schema version, with any amendments applied.
    public var event: any RecordEvent

    public init(position: UInt64, id: String, stream: String, occurredAt: Timestamp, recordedAt: Timestamp, event: any RecordEvent) {
        self.position = position; self.id = id; self.stream = stream
        self.occurredAt = occurredAt; self.recordedAt = recordedAt; self.event = event
    }
}

/// A projection: a pure fold of each stream's events into one record per stream.
///
/// Keeping one record per stream is what makes corrections simple and rebuilds exact: an
/// amendment or an entry marked in error changes one stream's history, so the engine drops
/// that stream's record and folds the corrected history again. Everything that joins streams
/// (a practitioner's caseload, a program's fidelity) happens at query time, over the records.
///
/// `apply` must be deterministic and depend only on the record and the event, so that a
/// rebuild from the log always equals incremental application.
public protocol Projection: Sendable {
    /// The stream's record.
    associatedtype Record: Codable & Sendable & Equatable
    /// A stable name, used for its databases in the views environment (`caseload`).
    static var name: String { get }
    /// The fold's version: a change makes the engine rebuild this projection from the log.
    static var version: Int { get }
    /// The event types ``apply(_:to:)`` reads, or `nil` (the default) for every type.
    ///
    /// The engine decodes only the events some projection reads, and calls `apply` only with
    /// events of the types listed here; a type missing from the list would be silently
    /// ignored, so list every type `apply` switches on (`EntryAmended` and
    /// `EntryMarkedInError` never reach `apply`: the engine folds the stream again instead).
    static var eventTypes: [any RecordEvent.Type]? { get }
    /// Folds one event into its stream's record (`nil` before the stream's first relevant
    /// event). Events a projection does not use leave the record as it is.
    func apply(_ event: RecordedEvent, to record: inout Record?)
    /// Folds `event` into its stream's record in `records`, in place; whether the stream has
    /// a record before or after. The default (the only sensible one) calls ``apply(_:to:)``.
    ///
    /// A requirement, not just a helper, so that each projection's witness is compiled for
    /// its own `Record`: the engine holds tables through an existential, and a generic fold
    /// there would copy records through value witnesses at every event.
    func fold(_ event: RecordedEvent, into records: inout [String: Record]) -> Bool
}

extension Projection {
    /// Every type: the engine hands this projection every record event.
    public static var eventTypes: [any RecordEvent.Type]? { nil }

    public func fold(_ event: RecordedEvent, into records: inout [String: Record]) -> Bool {
        var changed = false
        func fold(_ record: inout Record?) {
            // Matched, not compared with nil: the comparison copies the record.
            var had = true
            if case .none = record { had = false }
            apply(event, to: &record)
            if case .some = record { changed = true } else { changed = had }
        }
        fold(&records[event.stream])
        return changed
    }
}
