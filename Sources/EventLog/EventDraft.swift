public import CanonicalJSON
import Synchronization

/// An event as a client proposes it, before the store assigns position, stream version,
/// recorded-at time and predecessor hash.
///
/// Becomes one CloudEvents 1.0 structured-mode JSON object in RFC 8785 canonical form
/// (docs/FORMAT.md). The stream (the CloudEvents `subject`) is given by the append.
///
/// ```swift
/// let draft = EventDraft(
///     source: "/agencies/a1/programs/imr",
///     type: "org.imr.session.recorded.v1",
///     time: "2026-03-02T15:00:00Z",
///     data: try JSONValue(parsing: #"{"sessionId":"s-1","minutes":50}"#),
///     recordedBy: "user-17", recordedRole: "practitioner")
/// ```
public struct EventDraft: Sendable, Hashable {
    /// CloudEvents `id`: unique within `source`; the idempotency key. 1–128 printable ASCII bytes.
    public var id: String
    /// CloudEvents `source`: the program, e.g. `/agencies/a1/programs/imr`. 1–256 bytes, a URI-reference.
    public var source: String
    /// CloudEvents `type`: reverse-DNS and versioned, e.g. `org.imr.session.recorded.v1`.
    public var type: String
    /// CloudEvents `time`: when it happened (clinical time), RFC 3339 UTC with `Z`, at most microseconds.
    public var time: String
    /// CloudEvents `data`: the payload, a JSON object.
    public var data: JSONValue
    /// CloudEvents `datacontenttype`; only `application/json` is accepted.
    public var dataContentType: String
    /// Extension `recordedby`: the user who recorded it (an opaque user id).
    public var recordedBy: String
    /// Extension `recordedrole`: that user's role, lower-case letters (e.g. `practitioner`).
    public var recordedRole: String

    /// Makes a draft; `id` defaults to a new time-ordered UUID (``newID()``).
    public init(
        id: String = EventDraft.newID(), source: String, type: String, time: String,
        data: JSONValue, dataContentType: String = "application/json", recordedBy: String, recordedRole: String
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.data = data
        self.dataContentType = dataContentType
        self.recordedBy = recordedBy
        self.recordedRole = recordedRole
    }
}

/// Events for one stream within an append, with the version the stream is expected to be at.
public struct StreamAppend: Sendable, Hashable {
    /// The stream.
    public var stream: StreamID
    /// The version the stream must be at before these events.
    public var expected: ExpectedVersion
    /// The events, in order.
    public var events: [EventDraft]

    /// Groups `events` for `stream`, expecting `expected`.
    public init(stream: StreamID, expected: ExpectedVersion = .any, events: [EventDraft]) {
        self.stream = stream
        self.expected = expected
        self.events = events
    }
}

/// What one ``StreamAppend`` became.
public struct AppendResult: Sendable, Hashable {
    /// The stream.
    public var stream: StreamID
    /// True when every event was already stored with the same content (a safe retry).
    public var wasDuplicate: Bool
    private var storage: PartOutcome

    /// The results of `positions` and `versions`, in order.
    public init(stream: StreamID, positions: [LogIndex], versions: [StreamVersion], wasDuplicate: Bool) {
        self.init(stream: stream, outcome: .listed(positions: positions, versions: versions), wasDuplicate: wasDuplicate)
    }

    /// The result kept as the writer gave it: a run is expanded only when asked for (a bulk
    /// append of one event per stream made two arrays per stream that its caller mostly
    /// never reads).
    init(stream: StreamID, outcome: PartOutcome, wasDuplicate: Bool) {
        self.stream = stream
        self.wasDuplicate = wasDuplicate
        self.storage = outcome
    }

    /// The log position of each event, in order.
    public var positions: [LogIndex] {
        get {
            switch storage {
            case .run(let first, _, let count): return (0..<UInt64(count)).map { first + $0 }
            case .listed(let positions, _): return positions
            }
        }
        set { storage = .listed(positions: newValue, versions: versions) }
    }

    /// The stream version of each event, in order.
    public var versions: [StreamVersion] {
        get {
            switch storage {
            case .run(_, let firstVersion, let count): return (0..<UInt64(count)).map { firstVersion + $0 }
            case .listed(_, let versions): return versions
            }
        }
        set { storage = .listed(positions: positions, versions: newValue) }
    }

    /// The stream's version after the append.
    public var streamVersion: StreamVersion {
        switch storage {
        case .run(_, let firstVersion, let count): return count == 0 ? 0 : firstVersion + UInt64(count) - 1
        case .listed(_, let versions): return versions.last ?? 0
        }
    }

    public static func == (a: AppendResult, b: AppendResult) -> Bool {
        a.stream == b.stream && a.wasDuplicate == b.wasDuplicate && a.positions == b.positions && a.versions == b.versions
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(stream)
        hasher.combine(wasDuplicate)
        hasher.combine(positions)
        hasher.combine(versions)
    }
}

/// Size limits of stored events, documented in docs/FORMAT.md.
public enum EventLimits {
    /// The largest stored event, in bytes of its canonical JSON (64 KiB).
    public static let maxEventBytes = 65_536
    /// The most events in one append call.
    public static let maxEventsPerAppend = 10_000
    /// The largest position: extension integers must fit CloudEvents' 32-bit Integer.
    public static let maxPosition: LogIndex = LogIndex(Int32.max)
    /// The most bytes the store's attributes add to a draft, with their keys, quotes and
    /// commas: `"position":` and 10 digits (22), `"predecessorhash":"…",` (85),
    /// `"recordedat":"…",` with its 27 characters (43), `"streamversion":` and 10 digits (27).
    static let storeAttributesBound = 177
}

extension EventDraft {
    /// Checks every rule of the stored format for this draft in `stream`, without a store.
    /// - Throws: `EventLogError` `.invalidEvent` (naming the field and rule) or `.eventTooLarge`.
    public func validate(for stream: StreamID) throws(EventLogError) {
        var builder = PreparedEvents.Builder(events: 1)
        try builder.add(self, stream: stream, index: nil)
    }
}

/// The millisecond and counter of the last id ``EventDraft/newID()`` made in this process.
private let idClock = Mutex<(millis: UInt64, counter: UInt16)>((0, 0))

extension EventDraft {
    /// A new event id: a version 7 UUID (RFC 9562, section 5.7) in lower-case text.
    ///
    /// The first 48 bits are the Unix time in milliseconds; the next 12 bits count the ids made
    /// in that millisecond in this process (RFC 9562 section 6.2, method 1), and the last 62
    /// bits are random. So the ids one process makes ascend: the appends of one commit insert
    /// their ids at the end of the `ids` index, on full pages (random version 4 ids made every
    /// commit write a page per event; docs/PERFORMANCE.md). When a millisecond's 4,096 ids are
    /// used up, or the clock steps back, the timestamp moves on from the last one used, as the
    /// RFC allows. Nothing relies on the order: ids from different processes interleave, and an
    /// id given by a client is kept as it is.
    public static func newID() -> String {
        let (millis, counter) = idClock.withLock { last in
            let now = UInt64(max(0, RecordedAtClock.nowMicros() / 1000))
            if now > last.millis {
                last = (now, 0)
            } else if last.counter < 0xFFF {
                last.counter += 1
            } else {
                last = (last.millis + 1, 0)
            }
            return last
        }
        var g = SystemRandomNumberGenerator()
        return versionSevenID(millis: millis, counter: counter, random: g.next())
    }

    /// The text of the version 7 UUID (RFC 9562) with Unix time `millis` (48 bits), `counter`
    /// in the 12 bits after the version, and the low 62 bits of `random` after the variant.
    /// ``newID()`` makes ids with it; a benchmark or test can make deterministic ones.
    ///
    /// ```swift
    /// EventDraft.versionSevenID(millis: 1_772_323_200_000, counter: 1, random: 0)
    /// // "019ca6b1-dc00-7001-8000-000000000000"
    /// ```
    public static func versionSevenID(millis: UInt64, counter: UInt16, random: UInt64) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> (40 - 8 * UInt64(i))) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: counter >> 8 & 0x0F)
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: random & 0x3F)
        for i in 9..<16 { bytes[i] = UInt8(truncatingIfNeeded: random >> (8 * UInt64(i - 8))) }
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { text.append(0x2D) }
            text.append(JCS.hexDigit(b >> 4))
            text.append(JCS.hexDigit(b & 0x0F))
        }
        return String(decoding: text, as: UTF8.self)
    }
}
