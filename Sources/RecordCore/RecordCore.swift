import CanonicalJSON
public import ClinicalRecord
public import EventLog
import Foundation

/// Who is recording: an opaque user id and the role they act in.
public struct Actor: Sendable, Hashable {
    public var user: String
    public var role: String
    public init(user: String, role: String) { self.user = user; self.role = role }
}

/// When a clinical entry counts as late: recorded more than ``flagAfterSeconds`` after it
/// occurred. Late entries are allowed (with the recorder's total recall, as CMS guidance
/// puts it) and flagged, never refused.
public struct LateEntryPolicy: Sendable, Hashable {
    /// Seconds between occurred-at and recorded-at after which an entry is late.
    public var flagAfterSeconds: Double
    /// Seconds that occurred-at may lie ahead of the recorder's clock (clock skew).
    public var futureToleranceSeconds: Double

    public init(flagAfterSeconds: Double = 86_400, futureToleranceSeconds: Double = 300) {
        self.flagAfterSeconds = flagAfterSeconds; self.futureToleranceSeconds = futureToleranceSeconds
    }

    /// Whether an event that occurred at `occurredAt` and was recorded at `recordedAt` is late.
    public func isLate(occurredAt: Timestamp, recordedAt: Timestamp) -> Bool {
        recordedAt.seconds(since: occurredAt) > flagAfterSeconds
    }
}

/// What a command did.
public struct CommandResult: Sendable {
    /// The events appended (or found, for a retried command id), in order.
    public var events: [(id: String, type: String, stream: String, position: LogIndex)]
    /// Rules worth attention that did not stop the command.
    public var warnings: [RecordWarning]
    /// Whether the command id had been executed before: nothing new was written.
    public var wasDuplicate: Bool
}

/// The record core: commands in, validated events out, in one atomic append.
///
/// For each command it reads the streams the command's rules depend on, folds them into a
/// ``RecordState``, asks the state to ``RecordState/decide(_:policy:)``, and appends the
/// events with each written stream's expected version set to the version it read; every
/// stream it read but does not write goes into the same append as an empty part expecting the
/// version read. If another writer changed any of them first, it reads again and decides
/// again (a few times at most), so a command is never written on a stale view and two
/// concurrent commands can never both pass a rule that only one of them may pass.
///
/// ```swift
/// let core = RecordCore(log: log, options: .init(source: "/agencies/a1/programs/imr"))
/// let request = try CommandRequest.parse(name: "set-goal", json: json)
/// let result = try await core.execute(request, by: Actor(user: "u-17", role: "practitioner"))
/// ```
public final class RecordCore: Sendable {
    /// Settings of a record core.
    public struct Options: Sendable {
        /// CloudEvents `source` of the events this core writes.
        public var source: String
        public var policy: RecordPolicy
        public var lateEntries: LateEntryPolicy
        /// How often a command is decided again after a concurrent change.
        public var maxAttempts: Int
        public init(source: String = "/imr/records", policy: RecordPolicy = RecordPolicy(),
                    lateEntries: LateEntryPolicy = LateEntryPolicy(), maxAttempts: Int = 5) {
            self.source = source; self.policy = policy; self.lateEntries = lateEntries; self.maxAttempts = maxAttempts
        }
    }

    public let log: any EventLog
    public let options: Options
    public let codec: EventCodec
    private let now: @Sendable () -> Date

    /// A core over `log`. `now` is the clock for late-entry and future-time checks.
    public init(log: any EventLog, options: Options = Options(), codec: EventCodec = EventCodec(),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.log = log; self.options = options; self.codec = codec; self.now = now
    }

    /// Reads `streams` and folds them into a state.
    /// - Returns: the state and each stream's current version.
    public func loadState(_ streams: [String]) async throws -> (RecordState, [String: StreamVersion]) {
        var state = RecordState()
        var versions: [String: StreamVersion] = [:]
        for name in streams {
            let stream = try StreamID(name)
            var version: StreamVersion = 0
            while true {
                let page = try await log.readStream(stream, from: version + 1, limit: 1000)
                for stored in page {
                    // The state keeps the data in the current schema version (upcast), which is
                    // what amendments are checked against.
                    if let event = try codec.decode(stored) { state.apply(event, id: stored.id, data: try codec.encode(event)) }
                    version = stored.streamVersion
                }
                if page.count < 1000 { break }
            }
            versions[name] = version
        }
        return (state, versions)
    }

    /// Checks and executes a command.
    ///
    /// - Throws: ``RecordError`` when the command is refused (nothing is written);
    ///   `EventLogError` for storage failures; ``RecordCoreError`` for undecodable history.
    public func execute(_ request: CommandRequest, by actor: Actor) async throws -> CommandResult {
        let outcome = try await executeBatch([request], by: actor, mode: .allOrNothing)
        switch outcome.lines[0] {
        case .success(let result): return result
        case .failure(let error): throw error
        }
    }

    /// How a batch treats refused commands.
    public enum BatchMode: Sendable {
        /// Any refused command refuses the whole batch; nothing is written.
        case allOrNothing
        /// Refused commands are reported and skipped; the others are written.
        case commitValid
        /// Every command is decided and reported, and nothing is written (to report every
        /// refusal of an input that will not be written anyway).
        case checkOnly
    }

    /// What happened to each command of a batch.
    public struct BatchOutcome: Sendable {
        /// One entry per request, in order.
        public var lines: [Result<CommandResult, RecordError>]
        /// Whether anything new was written.
        public var wrote: Bool
        public var refused: Int { lines.filter { if case .failure = $0 { true } else { false } }.count }
    }

    /// Checks a sequence of commands, each against the record as the ones before it leave it,
    /// and appends all their events in one atomic commit (``EventLimits/maxEventsPerAppend``
    /// events at most).
    ///
    /// With `.allOrNothing`, one refused command means nothing is written and every line's
    /// outcome is reported (later lines are decided as if the refused one were absent). With
    /// `.commitValid`, the refused commands are skipped and the rest are written.
    public func executeBatch(_ requests: [CommandRequest], by actor: Actor, mode: BatchMode) async throws -> BatchOutcome {
        let clock = Timestamp(microseconds: Int64((now().timeIntervalSince1970 * 1_000_000).rounded()))
        var streams: [String] = []
        var seen = Set<String>()
        for r in requests {
            for s in r.command.streamsToRead where seen.insert(s).inserted { streams.append(s) }
        }
        // A correction is judged by replaying its consumer's history through each entry's rules,
        // which read other streams (the referral, the program, practitioners): those are read
        // too, found from the corrected consumers' own streams, and decided on with the rest
        // (so they are checked unchanged at the append as well).
        let corrections = Self.corrections(in: requests)
        if !corrections.isEmpty {
            let (histories, _) = try await loadState(corrections.map(\.consumer.stream))
            for (consumer, events) in corrections {
                for s in histories.streamsToJudge(events, of: consumer) where seen.insert(s).inserted { streams.append(s) }
            }
        }
        var attempt = 0
        while true {
            attempt += 1
            let (loaded, versions) = try await loadState(streams)
            // Retries are looked up after the state is read: a concurrent run of the same
            // command that committed before that read is found here (a retry), and one that
            // commits after it writes the same events, which the log answers as a retry.
            var previous: [Int: CommandResult] = [:]
            for (i, r) in requests.enumerated() {
                if let id = r.commandId, let p = try await previousResult(of: id, r) { previous[i] = p }
            }
            var state = loaded
            var lines: [Result<CommandResult, RecordError>?] = Array(repeating: nil, count: requests.count)
            var planned: [(line: Int, decision: Decision, ids: [String])] = []
            var commandIDs = Set<String>()
            for (i, request) in requests.enumerated() {
                if let p = previous[i] { lines[i] = .success(p); continue }
                do throws(RecordError) {
                    // Two commands of one batch under one id would store two events under one
                    // event id: the second is refused on its own line.
                    if let id = request.commandId, !commandIDs.insert(id).inserted {
                        throw RecordError(.conflict, [.init(rule: "command.id-reused", field: "command_id",
                                                            message: "an earlier command of this batch has the same command id")])
                    }
                    if request.occurredAt.seconds(since: clock) > options.lateEntries.futureToleranceSeconds {
                        throw RecordError.invalid("time.not-in-future", field: "occurred_at", "must not lie in the future")
                    }
                    var decision = try state.decide(request.command, policy: options.policy)
                    // A clinical day after the day it occurred (one day of slack for time zones:
                    // occurred_at is UTC, the clinical date local).
                    let occurredDay = request.occurredAt.date
                    if decision.events.contains(where: { ($0 as? any ClinicalDated).map { $0.date > occurredDay.adding(days: 1) } ?? false }) {
                        throw RecordError.invalid("date.after-occurred-at", field: "date", "must not be after the day it occurred (occurred_at)")
                    }
                    // So does a date an amendment puts in: a correction cannot date a session in the future.
                    for case let amendment as EntryAmended in decision.events {
                        if case .string(let text)? = amendment.content["date"], let d = LocalDate(text), d > occurredDay.adding(days: 1) {
                            throw RecordError.invalid("date.after-occurred-at", field: "content.date", "must not be after the day the amendment occurred (occurred_at)")
                        }
                    }
                    if options.lateEntries.isLate(occurredAt: request.occurredAt, recordedAt: clock) {
                        decision.warnings.append(RecordWarning(rule: "entry.late", message: "recorded more than the late-entry limit after it occurred"))
                    }
                    // Later commands of the batch see this one's events, under the ids they
                    // will be stored with.
                    let ids = eventIDs(for: request, count: decision.events.count)
                    planned.append((i, decision, ids))
                    for (event, id) in zip(decision.events, ids) {
                        state.apply(event, id: id, data: try? codec.encode(event))
                    }
                    lines[i] = nil
                } catch {
                    lines[i] = .failure(error)
                }
            }
            let refused = lines.contains { if case .failure = $0 { true } else { false } }
            if planned.isEmpty || mode == .checkOnly || (refused && mode == .allOrNothing) {
                return BatchOutcome(lines: lines.enumerated().map { i, l in
                    l ?? .success(CommandResult(events: [], warnings: planned.first { $0.line == i }?.decision.warnings ?? [], wasDuplicate: false))
                }, wrote: false)
            }
            // One append, in command order: a new stream section whenever the stream changes,
            // each expecting the version the stream will be at by then (the version read, plus
            // the events of this batch before it).
            var appends: [StreamAppend] = []
            var running = versions
            var owner: [(line: Int, append: Int, index: Int)] = []
            for (line, decision, ids) in planned {
                let request = requests[line]
                for (event, id) in zip(decision.events, ids) {
                    let draft = EventDraft(
                        id: id, source: options.source, type: type(of: event).eventType, time: request.occurredAt.description,
                        data: try codec.encode(event), recordedBy: actor.user, recordedRole: actor.role)
                    if appends.last?.stream.rawValue != event.stream {
                        appends.append(StreamAppend(stream: try StreamID(event.stream), expected: .exact(running[event.stream] ?? 0), events: []))
                    }
                    running[event.stream, default: 0] += 1
                    owner.append((line, appends.count - 1, appends[appends.count - 1].events.count))
                    appends[appends.count - 1].events.append(draft)
                }
            }
            // Streams the decisions read but do not write must still be as they were read:
            // an empty part expecting the version read (a group formed while its member is
            // discharged would otherwise be written on a stale view). A change means retry.
            let written = Set(appends.map(\.stream.rawValue))
            for stream in streams where !written.contains(stream) {
                appends.append(StreamAppend(stream: try StreamID(stream), expected: .exact(versions[stream] ?? 0), events: []))
            }
            do {
                let results = try await log.append(appends)
                var perLine: [Int: [(id: String, type: String, stream: String, position: LogIndex)]] = [:]
                var duplicate: [Int: Bool] = [:]
                for o in owner {
                    let d = appends[o.append].events[o.index]
                    perLine[o.line, default: []].append((d.id, d.type, appends[o.append].stream.rawValue, results[o.append].positions[o.index]))
                    // A command is a duplicate when every one of its events was already stored
                    // (a concurrent retry of the same command id won the race).
                    duplicate[o.line] = (duplicate[o.line] ?? true) && results[o.append].wasDuplicate
                }
                for (line, decision, _) in planned {
                    let events = (perLine[line] ?? []).sorted { $0.position < $1.position }
                    lines[line] = .success(CommandResult(events: events, warnings: decision.warnings, wasDuplicate: duplicate[line] ?? false))
                }
                return BatchOutcome(lines: lines.map { $0! }, wrote: true)
            } catch let error as EventLogError where error.code == .wrongExpectedVersion {
                if attempt >= options.maxAttempts {
                    throw RecordError(.conflict, [.init(rule: "command.concurrent-change",
                                                        message: "the record kept changing while the command was decided; try again")])
                }
            }
        }
    }

    /// The amendments and marks in error among `requests`, by the consumer they correct, in
    /// the order the consumers first appear.
    static func corrections(in requests: [CommandRequest]) -> [(consumer: ConsumerID, events: [any RecordEvent])] {
        var out: [(consumer: ConsumerID, events: [any RecordEvent])] = []
        for r in requests {
            guard case .record(let event) = r.command else { continue }
            let consumer: ConsumerID
            switch event {
            case let e as EntryAmended: consumer = e.consumerId
            case let e as EntryMarkedInError: consumer = e.consumerId
            default: continue
            }
            if let i = out.firstIndex(where: { $0.consumer == consumer }) { out[i].events.append(event) } else { out.append((consumer, [event])) }
        }
        return out
    }

    /// The ids a request's events get: derived from its command id, or new version 7 UUIDs (made once
    /// per request and attempt, so the state and the drafts agree).
    private func eventIDs(for request: CommandRequest, count: Int) -> [String] {
        if let c = request.commandId { return (0..<count).map { Self.eventID(commandId: c, index: $0) } }
        return (0..<count).map { _ in EventDraft.newID() }
    }

    /// The event id of the `index`th event of a command with id `commandId`.
    public static func eventID(commandId: String, index: Int) -> String { "\(commandId).\(index)" }

    /// The result of an earlier execution of the same command id, if there was one.
    ///
    /// The id is the idempotency key: a retry returns the original events. A command id that
    /// was used for a different command (another type, or another payload for a single-event
    /// command) is refused.
    func previousResult(of commandId: String, _ request: CommandRequest) async throws -> CommandResult? {
        guard let first = try await log.position(ofEventID: Self.eventID(commandId: commandId, index: 0), source: options.source) else {
            return nil
        }
        var events: [(id: String, type: String, stream: String, position: LogIndex)] = []
        var index = 0
        var position: LogIndex? = first
        while let p = position {
            guard let stored = try await log.read(from: p, limit: 1).first else { break }
            if index == 0 {
                let sameCommand: Bool
                switch request.command {
                case .record(let event):
                    let encoded = try codec.encode(event)
                    sameCommand = stored.type == type(of: event).eventType && stored.data == encoded
                case .recordGroupSession(let g):
                    sameCommand = stored.type == GroupSessionHeld.eventType
                        && stored.data["session_id"] == .string(g.sessionId.rawValue)
                        && stored.data["group_id"] == .string(g.groupId.rawValue)
                }
                // The clinical time is part of the command: a retry that moves it is another command.
                guard sameCommand, stored.time == request.occurredAt.description else {
                    throw RecordError(.conflict, [.init(rule: "command.id-reused", field: "command_id",
                                                        message: "this command id was already used for a different command (another type, payload or occurred_at)")])
                }
            }
            events.append((stored.id, stored.type, stored.stream.rawValue, p))
            index += 1
            position = try await log.position(ofEventID: Self.eventID(commandId: commandId, index: index), source: options.source)
        }
        return CommandResult(events: events, warnings: [], wasDuplicate: true)
    }
}
