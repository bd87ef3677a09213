import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Projections
import RecordCore
import Synchronization

extension RecordServer {
    enum QueryKind: String { case caseload, goals, participation, fidelity }

    /// `GET /v1/caseload|goals|participation|fidelity`: a projection report as JSON.
    ///
    /// `program` limits it to one program (a program-scoped token's own by default); `as-of`
    /// is a log position (the record as it stood after that event) or a recorded-at time or
    /// date; `from`/`to` set the clinical period (`to` is the day statuses are taken on).
    /// Consumer rows (goals, participation) are reads of those consumers' data: each one is
    /// accounted with a `RecordAccessed` event before the answer is sent.
    func query(_ kind: QueryKind, _ request: Request, _ principal: Principal) async throws -> Response {
        let params = QueryParameters(request.uri)
        var program = params["program"]
        if let p = program, ProgramID(p) == nil { throw Problem.parameter("program", "program must be a program identifier") }
        if let scoped = principal.program {
            if let p = program, p != scoped { throw Problem.forbidden("this token is limited to another program") }
            program = scoped
        }
        if kind == .fidelity && program == nil { throw Problem.parameter("program", "fidelity needs a program") }
        let from = try params.date("from")
        let to = try params.date("to")
        let purpose = try purpose(request, params)
        try await catchUpViews()
        var day = to ?? LocalDate(dayNumber: Int(Date().timeIntervalSince1970 / 86_400))
        let answer: ReportCache.Answer
        if let asOf = params["as-of"] {
            let through: UInt64
            if let n = UInt64(asOf) {
                let size = try log.size()
                guard n < size else { throw Problem.parameter("as-of", "as-of position must be less than the log size (\(size) events)") }
                through = n + 1
            } else if let t = Timestamp(asOf) ?? LocalDate(asOf).map({ Timestamp(microseconds: Int64($0.dayNumber + 1) * 86_400_000_000 - 1) }) {
                through = try views.position(recordedAtOrBefore: t)
                day = to ?? t.date
            } else {
                throw Problem.parameter("as-of", "as-of must be a log position, an RFC 3339 UTC time or a date")
            }
            if let from, from > day { throw Problem.parameter("from", "from must not be after to") }
            // A replay folds the log up to `through`: seconds on a large log, so not on the pool.
            answer = try await OffPool.run(on: OffPool.longReads) { [self, day, program] in
                try report(kind, snapshot: try replaySnapshot(through: through), program: program, from: from, day: day)
            }
        } else {
            if let from, from > day { throw Problem.parameter("from", "from must not be after to") }
            // The same question at the same log position has the same answer: reuse it.
            let key = ReportCache.Key(kind: kind.rawValue, program: program, from: from, day: day)
            if let cached = reportCache.answer(for: key, at: views.position) {
                answer = cached
            } else {
                let snapshot = views.snapshot()
                answer = try report(kind, snapshot: snapshot, program: program, from: from, day: day)
                reportCache.store(answer, for: key, at: snapshot.position)
            }
        }
        try await logAccess(principal: principal, consumers: answer.consumers, what: [kind.rawValue], purpose: purpose)
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: answer.body))
    }

    /// The projections as the record stood after `through` events: the last such snapshot
    /// when it is for the same point (an auditor asks several reports as of one moment); else
    /// that snapshot folded on to `through` when it is for an earlier point (an auditor
    /// stepping forward through time reads only the events in between); else a replay of
    /// the log from its start. The log only grows, so a snapshot for a position never changes.
    /// The one snapshot kept is dropped after ``ReplayCache/keepSeconds`` without use, so its
    /// memory (every record, as for the live views) is held only while someone is asking.
    /// Runs on ``OffPool/longReads`` only.
    func replaySnapshot(through: UInt64) throws -> ProjectionSnapshot {
        let kept = replayCache.latest()
        if let kept, kept.through == through {
            metrics.asOfSnapshot("reused")
            return kept.snapshot
        }
        let earlier = kept.flatMap { $0.through < through ? $0.snapshot : nil }
        let snapshot = try views.replay(through: through, from: earlier)
        replayCache.keep(snapshot, through: through)
        metrics.asOfSnapshot(earlier == nil ? "replayed" : "advanced")
        return snapshot
    }

    /// Computes a report from `snapshot`: its canonical JSON (with the snapshot's `position`)
    /// and the consumers whose rows it shows, in order, each once.
    func report(_ kind: QueryKind, snapshot: ProjectionSnapshot, program: String?, from: LocalDate?, day: LocalDate) throws -> ReportCache.Answer {
        let programID = program.flatMap(ProgramID.init)
        if let programID, !snapshot.hasProgram(programID) {
            throw Problem.notFound("the program is not in the record at position \(snapshot.position)")
        }
        let encoder = JSONValueEncoder()
        var report: JSONValue
        var consumers: [String] = []
        switch kind {
        case .caseload:
            report = try encoder.encode(snapshot.caseload(asOf: day, program: programID))
        case .goals:
            let r = snapshot.goals(asOf: day, from: from, program: programID)
            consumers = r.consumers.map(\.consumer) + r.overdue.map(\.consumer)
            report = try encoder.encode(r)
        case .participation:
            let r = snapshot.participation(asOf: day, from: from, program: programID)
            consumers = r.consumers.map(\.consumer)
            report = try encoder.encode(r)
        case .fidelity:
            guard let r = snapshot.fidelity(program: programID!, window: from.map { $0...day }, asOf: day) else {
                throw Problem.notFound("the program is not in the record at position \(snapshot.position)")
            }
            report = try encoder.encode(r)
        }
        var unique = Set<String>()
        consumers = consumers.filter { unique.insert($0).inserted }
        if case .object(var o) = report {
            o["position"] = .number(Double(snapshot.position))
            report = .object(o)
        }
        return ReportCache.Answer(body: ByteBuffer(bytes: report.canonicalBytes), consumers: consumers)
    }

    /// Catches the projections up with the log when they are behind it, so a query answers
    /// from the log as it stands. When they already reflect it (the follower keeps them live)
    /// nothing is done: a catch-up always commits its position to the views, one synced write
    /// per call, which under concurrent queries serialised every request on the disk.
    ///
    /// "Behind" is one cursor read, the log's size (``VerifiableEventLog/size()``); the log's head
    /// would also decode its last event and compute the Merkle root, on every request.
    func catchUpViews() async throws {
        if try log.size() > views.position {
            // Off the pool: after another process appended a great deal, this folds all of it.
            let views = self.views
            _ = try await ProjectionFollower.offPool { try views.catchUp() }
        }
    }

    /// Appends one `RecordAccessed` event per consumer (in one atomic append): who (the
    /// token's user and role), whose record, what, why; the log stamps when.
    ///
    /// The events are checked with the record's rules and encoded with the core's codec, then
    /// appended with no expected version. `RecordAccessed` has no rule that reads the record,
    /// so the access stream's history is not read (through ``RecordCore``, every read loaded
    /// and decoded the whole `access-…` stream, which grows with every read) and concurrent
    /// reads of one consumer do not conflict (with exact expected versions they raced, and
    /// after five lost races the read failed with 503).
    /// - Throws: a 503 ``Problem`` when the accounting cannot be written: then nothing is shown.
    func logAccess(principal: Principal, consumers: [String], what: [String], purpose: String) async throws {
        guard !consumers.isEmpty else { return }
        guard let user = UserID(principal.user) else { throw Problem.forbidden("the token's user id is not an identifier") }
        let now = Timestamp(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down)))
        let events = consumers.compactMap { ConsumerID($0) }.map { consumer in
            RecordAccessed(user: user, role: principal.role.rawValue, consumerId: consumer, purpose: purpose, what: what)
        }
        guard !events.isEmpty else { return }
        do {
            var appends: [StreamAppend] = []
            let rules = RecordState()
            for access in events {
                for event in try rules.decide(.record(access), policy: core.options.policy).events {
                    let draft = EventDraft(id: EventDraft.newID(), source: core.options.source, type: type(of: event).eventType,
                                           time: now.description, data: try core.codec.encode(event),
                                           recordedBy: principal.user, recordedRole: principal.role.rawValue)
                    appends.append(StreamAppend(stream: try StreamID(event.stream), expected: .any, events: [draft]))
                }
            }
            _ = try await log.append(appends)
        } catch {
            logger.error("access accounting failed: \(String(describing: type(of: error)))")
            throw Problem(.serviceUnavailable, "access-accounting-failed", "The read could not be accounted for",
                          detail: "nothing is shown without its access event; try again")
        }
        metrics.accessLogged(events.count, what: what.first ?? "read")
    }

    /// `GET /v1/consumers/{id}/record`: the consumer's stream with amendments applied and
    /// entries in error hidden; with `audit=true` (auditors) every event, originals beside
    /// amended data. The read is accounted before the answer is sent.
    func consumerRecord(_ request: Request, _ context: APIContext, _ principal: Principal) async throws -> Response {
        // The router hands over the segment as sent: `p01%2Dc7` is `p01-c7` (RFC 3986).
        let segment = context.parameters.get("id") ?? ""
        let idText = segment.removingPercentEncoding ?? segment
        guard let consumer = ConsumerID(idText) else {
            throw Problem.badRequest("invalid-consumer-id", field: "id", rule: "field.identifier",
                                     "a consumer id is 1-64 letters, digits, '.', '_' or '-'")
        }
        let params = QueryParameters(request.uri)
        let audit = try params.flag("audit")
        if audit && !principal.role.capabilities.contains(.auditView) {
            throw Problem.forbidden("the audit view is for the auditor role")
        }
        let purpose = try purpose(request, params)
        if let scoped = principal.program, try await scopeResolver().program(ofStream: consumer.stream) != scoped {
            throw Problem.forbidden("this token is limited to another program")
        }
        let stream = try StreamID(consumer.stream)
        var stored: [StoredEvent] = []
        while true {
            let page = try await log.readStream(stream, from: StreamVersion(stored.count + 1), limit: 1000)
            stored += page
            if page.count < 1000 { break }
        }
        guard !stored.isEmpty else { throw Problem.notFound("no record for this consumer") }
        try await logAccess(principal: principal, consumers: [consumer.rawValue],
                            what: audit ? ["consumer-record", "audit-view"] : ["consumer-record"], purpose: purpose)

        // Current-schema data of each event, then the corrections applied in log order.
        var data: [String: JSONValue] = [:]
        var amendedBy: [String: [String]] = [:]
        var inError: [String: String] = [:]
        for e in stored {
            let decoded: (any RecordEvent)? = (try? core.codec.decode(e)) ?? nil
            let current = decoded.flatMap { try? core.codec.encode($0) } ?? e.data
            data[e.id] = current
            if e.type.hasPrefix(EntryAmended.typeName + "."), case .string(let target)? = current["target_event_id"],
               case .object(let changes)? = current["content"], case .object(var fields)? = data[target] {
                for (k, v) in changes { fields[k] = v }
                data[target] = .object(fields)
                amendedBy[target, default: []].append(e.id)
            }
            if e.type.hasPrefix(EntryMarkedInError.typeName + "."), case .string(let target)? = current["target_event_id"] {
                inError[target] = e.id
            }
        }
        var rows: [JSONValue] = []
        for e in stored {
            let isCorrection = e.type.hasPrefix(EntryAmended.typeName + ".") || e.type.hasPrefix(EntryMarkedInError.typeName + ".")
            if !audit && (inError[e.id] != nil || isCorrection) { continue }
            var row: [String: JSONValue] = [
                "id": .string(e.id), "type": .string(e.type), "position": .number(Double(e.position)),
                "stream_version": .number(Double(e.streamVersion)), "time": .string(e.time),
                "recorded_at": .string(e.recordedAt), "recorded_by": .string(e.recordedBy), "recorded_role": .string(e.recordedRole),
                "data": data[e.id] ?? e.data,
                "amended": .bool(amendedBy[e.id] != nil),
                "in_error": .bool(inError[e.id] != nil),
            ]
            if let by = amendedBy[e.id] { row["amended_by"] = .array(by.map(JSONValue.string)) }
            if let by = inError[e.id] { row["marked_in_error_by"] = .string(by) }
            if audit { row["original"] = e.data }
            rows.append(.object(row))
        }
        let body: JSONValue = [
            "consumer": .string(consumer.rawValue),
            "stream": .string(stream.rawValue),
            "stream_version": .number(Double(stored.last!.streamVersion)),
            "audit": .bool(audit),
            "events": .array(rows),
        ]
        return jsonResponse(body)
    }
}

/// Query answers at one projection position (their rendered JSON and the consumers they
/// show), reused until the projections move on: the same question at the same log position
/// has the same answer, so a busy server computes each report once per position instead of
/// once per request. Reads of consumer rows are still accounted on every request.
final class ReportCache: Sendable {
    /// A question: the report, the program, the clinical period.
    struct Key: Hashable, Sendable {
        var kind: String
        var program: String?
        var from: LocalDate?
        var day: LocalDate
    }

    /// An answer: the response body and the consumers whose rows it shows.
    struct Answer: Sendable {
        var body: ByteBuffer
        var consumers: [String]
    }

    /// Most answers kept for one position.
    static let capacity = 256

    private let state = Mutex<(position: UInt64, answers: [Key: Answer])>((0, [:]))

    /// The answer to `key` computed at `position`, if there is one.
    func answer(for key: Key, at position: UInt64) -> Answer? {
        state.withLock { $0.position == position ? $0.answers[key] : nil }
    }

    /// Keeps `answer`; answers of any other position are dropped.
    func store(_ answer: Answer, for key: Key, at position: UInt64) {
        state.withLock { s in
            if s.position != position { s = (position, [:]) }
            if s.answers.count >= Self.capacity { s.answers.removeAll(keepingCapacity: true) }
            s.answers[key] = answer
        }
    }
}

/// The last as-of snapshot (``RecordServer/replaySnapshot(through:)``), dropped after
/// ``keepSeconds`` without use.
final class ReplayCache: Sendable {
    /// How long an unused snapshot is kept.
    static let keepSeconds = 60.0

    private struct Kept {
        var through: UInt64
        var snapshot: ProjectionSnapshot
        var used: ContinuousClock.Instant
        /// Which ``keep(_:through:)`` put it there: a drop check scheduled for an earlier one ends.
        var serial: Int
    }
    private let state = Mutex<(kept: Kept?, serial: Int)>((nil, 0))

    /// The snapshot kept, with the point it was asked for (marked used).
    func latest() -> (through: UInt64, snapshot: ProjectionSnapshot)? {
        state.withLock { s in
            guard let k = s.kept else { return nil }
            s.kept?.used = .now
            return (k.through, k.snapshot)
        }
    }

    func keep(_ snapshot: ProjectionSnapshot, through: UInt64) {
        let serial = state.withLock { s in
            s.serial += 1
            s.kept = Kept(through: through, snapshot: snapshot, used: .now, serial: s.serial)
            return s.serial
        }
        scheduleDrop(serial)
    }

    /// Drops the snapshot `serial` once it has gone unused for ``keepSeconds``.
    private func scheduleDrop(_ serial: Int) {
        OffPool.longReads.asyncAfter(deadline: .now() + Self.keepSeconds) { [weak self] in
            guard let self else { return }
            let again = self.state.withLock { s -> Bool in
                guard let k = s.kept, k.serial == serial else { return false }
                if ContinuousClock.now - k.used >= .seconds(Self.keepSeconds) {
                    s.kept = nil
                    return false
                }
                return true
            }
            if again { self.scheduleDrop(serial) }
        }
    }
}
