import CanonicalJSON
import ClinicalRecord
import EventLog
import EventLogTesting
import Foundation
import RecordCore
import Testing

// Given/when/then at the pure level: a state is built by applying events (given), a command
// is decided against it (when), and the decision's events or the exact refusal are checked
// (then). Every event applied gets the id `ev-<n>` and its encoded data, as the record core
// would give it, so amendments can target it.

/// A distinctive free-text value: refusals must never echo it.
let secret = "SECRET-TEXT-123"

/// Dates used by the fixtures (the base history happens in January 2026).
func day(_ text: String) -> LocalDate {
    guard let d = LocalDate(text) else { preconditionFailure("bad date literal") }
    return d
}

/// A history of events applied to a ``RecordState`` in order.
struct History {
    private(set) var state = RecordState()
    private(set) var ids: [String] = []

    init(_ events: [any RecordEvent] = []) { apply(events) }

    /// Applies `events`, giving each the next `ev-<n>` id; returns their ids.
    @discardableResult
    mutating func apply(_ events: [any RecordEvent]) -> [String] {
        var out: [String] = []
        for e in events {
            let id = "ev-\(ids.count + 1)"
            state.apply(e, id: id, data: try? JSONValueEncoder().encode(e))
            ids.append(id)
            out.append(id)
        }
        return out
    }

    /// Applies one event; returns its id.
    @discardableResult
    mutating func apply(_ event: any RecordEvent) -> String { apply([event])[0] }

    /// Decides `command` and, if accepted, applies its events (a step of a history).
    mutating func run(_ command: Command) throws(RecordError) -> Decision {
        let d = try state.decide(command)
        apply(d.events)
        return d
    }
}

/// Decides `command` against `state`.
func when(_ state: RecordState, _ command: Command) -> Result<Decision, RecordError> {
    do { return .success(try state.decide(command)) } catch { return .failure(error) }
}

/// Shorthand for a single-event command.
func when(_ state: RecordState, _ event: any RecordEvent) -> Result<Decision, RecordError> {
    when(state, .record(event))
}

/// Expects the command to be accepted as exactly the event it records; returns the decision.
@discardableResult
func expectAccepted(_ result: Result<Decision, RecordError>, sourceLocation: SourceLocation = #_sourceLocation) -> Decision? {
    switch result {
    case .success(let d): return d
    case .failure(let e):
        Issue.record("expected the command to be accepted, refused with \(e)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Expects a refusal with `rule` (first violation) on `field`, of `kind`, whose text never
/// contains the secret free-text value.
func expectRefused(_ result: Result<Decision, RecordError>, rule: String, field: String?, kind: RecordError.Kind = .invariant,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    switch result {
    case .success(let d):
        Issue.record("expected refusal \(rule), accepted with \(d.events.count) events", sourceLocation: sourceLocation)
    case .failure(let e):
        #expect(e.kind == kind, "kind", sourceLocation: sourceLocation)
        #expect(e.rule == rule, "rule", sourceLocation: sourceLocation)
        #expect(e.violations.first?.field == field, "field", sourceLocation: sourceLocation)
        expectNoSecret(e, sourceLocation: sourceLocation)
    }
}

/// Expects a refusal with any violation of `rule` (for `.invalid`, which lists all violations).
func expectRefusedWith(_ result: Result<Decision, RecordError>, rule: String, field: String?, kind: RecordError.Kind = .invalid,
                       sourceLocation: SourceLocation = #_sourceLocation) {
    switch result {
    case .success:
        Issue.record("expected refusal \(rule), was accepted", sourceLocation: sourceLocation)
    case .failure(let e):
        #expect(e.kind == kind, sourceLocation: sourceLocation)
        #expect(e.violations.contains { $0.rule == rule && $0.field == field },
                "expected \(rule) on \(field ?? "nil"), got \(e)", sourceLocation: sourceLocation)
        expectNoSecret(e, sourceLocation: sourceLocation)
    }
}

func expectNoSecret(_ e: RecordError, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!e.description.contains("SECRET"), "a refusal must not quote free text", sourceLocation: sourceLocation)
    for v in e.violations {
        #expect(!v.message.contains("SECRET") && !(v.field ?? "").contains("SECRET"), sourceLocation: sourceLocation)
    }
}

// MARK: Fixtures

/// The standard cast of a test record.
enum F {
    static let program: ProgramID = "p1"
    static let team: TeamID = "t1"
    static let practitioner: PractitionerID = "pr1"
    static let practitioner2: PractitionerID = "pr2"
    static let user: UserID = "u1"
    static let consumer: ConsumerID = "c1"
    static let other: ConsumerID = "c2"
    static let referral: ReferralID = "r1"
    static let enrollment: EnrollmentID = "e1"

    static let start = day("2026-01-15")

    static func program(_ id: ProgramID = program, curriculum: CurriculumEdition = .kit2009) -> [any RecordEvent] {
        [
            ProgramEstablished(programId: id, name: "Riverside IMR", curriculum: curriculum, fidelityScale: .kit2009, startDate: day("2026-01-05")),
            TeamFormed(teamId: team, programId: id, name: "Team A", date: day("2026-01-05")),
            PractitionerJoined(practitionerId: practitioner, programId: id, teamId: team, role: .practitioner, startDate: day("2026-01-05")),
            TrainingCompleted(practitionerId: practitioner, course: .basic, hours: 16, date: day("2026-01-06")),
        ]
    }

    static func referral(_ r: ReferralID = referral, consumer c: ConsumerID = consumer, program p: ProgramID = program,
                         date: LocalDate = day("2026-01-10")) -> ReferralReceived {
        ReferralReceived(referralId: r, consumerId: c, programId: p, source: .treatmentTeam, referrer: "Dr Q", reason: "recovery goals", date: date)
    }

    static func accept(_ r: ReferralID = referral, date: LocalDate = day("2026-01-12")) -> ReferralAccepted {
        ReferralAccepted(referralId: r, decidedBy: user, formatOffered: .individual, date: date)
    }

    static func decline(_ r: ReferralID = referral, reason: String = "no capacity") -> ReferralDeclined {
        ReferralDeclined(referralId: r, decidedBy: user, reason: reason, date: day("2026-01-12"))
    }

    static func enroll(_ c: ConsumerID = consumer, referral r: ReferralID = referral, enrollment e: EnrollmentID = enrollment,
                       curriculum: CurriculumEdition = .kit2009, start: LocalDate = start) -> ConsumerEnrolled {
        ConsumerEnrolled(enrollmentId: e, consumerId: c, programId: program, referralId: r, format: .individual, startDate: start,
                         curriculum: curriculum, scaleVersion: .kit2009)
    }

    /// A program and one enrolled consumer with a primary practitioner.
    static func enrolled(curriculum: CurriculumEdition = .kit2009) -> [any RecordEvent] {
        program(curriculum: curriculum) + [
            referral(), accept(), enroll(curriculum: curriculum),
            PractitionerAssigned(enrollmentId: enrollment, consumerId: consumer, practitionerId: practitioner, effectiveDate: start),
        ]
    }

    /// `enrolled()` plus a second enrolled consumer `c2` (referral `r2`, enrollment `e2`).
    static func twoEnrolled(curriculum: CurriculumEdition = .kit2009) -> [any RecordEvent] {
        enrolled(curriculum: curriculum) + [
            referral("r2", consumer: other), accept("r2"), enroll(other, referral: "r2", enrollment: "e2", curriculum: curriculum),
        ]
    }

    static func session(_ s: SessionID = "s1", consumer c: ConsumerID = consumer, date: LocalDate = day("2026-01-20"),
                        topics: [Module] = [.recoveryStrategies], goals: [GoalID] = [], homework: String? = "walk daily") -> SessionRecorded {
        SessionRecorded(sessionId: s, consumerId: c, format: .individual, date: date, durationMinutes: 50, practitioners: [practitioner],
                        goalsFollowedUp: goals, motivational: [.promoteHope], topics: topics, cbt: [.reinforcement], homework: homework)
    }

    static func goal(_ g: GoalID = "g1", consumer c: ConsumerID = consumer, text: String = "walk to the park",
                     date: LocalDate = day("2026-01-20")) -> GoalSet {
        GoalSet(goalId: g, consumerId: c, text: text, date: date)
    }

    static func supporter(_ s: SupporterID = "sp1", consumer c: ConsumerID = consumer) -> SupporterRegistered {
        SupporterRegistered(supporterId: s, consumerId: c, name: "A. Sister", relationship: "sister", date: day("2026-01-20"))
    }

    static func consent(_ s: SupporterID = "sp1", scope: [SupporterPurpose] = [.handouts, .homework], from: LocalDate = day("2026-02-01"),
                        until: LocalDate? = day("2026-02-28")) -> SupporterConsentRecorded {
        SupporterConsentRecorded(supporterId: s, consumerId: consumer, scope: scope, effectiveDate: from, expiryDate: until)
    }

    static func contact(_ s: SupporterID = "sp1", on date: LocalDate, purpose: SupporterPurpose = .handouts,
                        note: String? = secret) -> SupporterContactRecorded {
        SupporterContactRecorded(consumerId: consumer, supporterId: s, date: date, mode: .phone, purpose: purpose, note: note)
    }

    static func discharge(_ c: ConsumerID = consumer, enrollment e: EnrollmentID = enrollment, modules: [Module] = [],
                          booster: String? = nil) -> ConsumerDischarged {
        ConsumerDischarged(enrollmentId: e, consumerId: c, date: day("2026-03-01"), reason: .completed, modulesCompleted: modules,
                           boosterReferral: booster)
    }

    static func fidelity(scores: [Int], total: Double? = nil, items: [Int]? = nil, review: ReviewID = "rv1") -> FidelityReviewCompleted {
        let numbers = items ?? Array(1...scores.count)
        let list = zip(numbers, scores).map { FidelityItemScore(item: $0, score: $1, sources: ["chart review"]) }
        let mean = scores.isEmpty ? 0 : scores.reduce(0.0) { $0 + Double($1) } / Double(scores.count)
        return FidelityReviewCompleted(reviewId: review, programId: program, raterKind: .external, raters: [user], scaleVersion: .kit2009,
                                       visitDates: [day("2026-03-01")], items: list, total: total ?? mean)
    }

    static func amend(_ target: String, consumer c: ConsumerID = consumer, content: JSONValue = ["homework": "read handout 2"],
                      kind: AmendmentKind = .correction, request: RequestID? = nil) -> EntryAmended {
        EntryAmended(targetEventId: target, consumerId: c, kind: kind, content: content, reason: secret, author: user, requestId: request)
    }
}

// MARK: Real stores

/// A record core over a fresh LMDB store in a temporary directory.
struct CoreFixture {
    let tmp: TemporaryStore
    let log: LMDBEventLog
    let core: RecordCore
    static let actor = Actor(user: "u-17", role: "practitioner")
    /// The core's clock: 2026-06-01T12:00:00Z, unless a test says otherwise.
    static let defaultNow = Date(timeIntervalSince1970: 1_780_315_200)

    init(now: Date = CoreFixture.defaultNow) throws {
        tmp = try TemporaryStore(prefix: "imr-record-test")
        log = try tmp.create()
        core = RecordCore(log: log, options: .init(source: "/agencies/a1/programs/imr"), now: { now })
    }

    func remove() { tmp.remove() }

    /// The number of events in the log.
    func size() async throws -> UInt64 { try await log.head().treeSize }

    /// Executes a command given as JSON text.
    @discardableResult
    func run(_ name: String, _ json: String) async throws -> CommandResult {
        let value = try JSONValue(parsing: json)
        let request = try CommandRequest.parse(name: name, json: value)
        return try await core.execute(request, by: Self.actor)
    }

    /// Executes a command value at `occurredAt` (default: 10:00 UTC on its clinical date, or
    /// on 2026-01-20 for a command without one).
    @discardableResult
    func run(_ command: Command, at occurredAt: String? = nil, id: String? = nil) async throws -> CommandResult {
        let when = occurredAt.flatMap(Timestamp.init) ?? Self.occurrence(of: command)
        return try await core.execute(CommandRequest(command: command, occurredAt: when, commandId: id), by: Self.actor)
    }

    /// 10:00 UTC on the command's clinical date (2026-01-20 when it has none).
    static func occurrence(of command: Command) -> Timestamp {
        let day: LocalDate? = switch command {
        case .record(let e): (e as? any ClinicalDated)?.date
        case .recordGroupSession(let g): g.date
        }
        return Timestamp("\(day ?? LocalDate("2026-01-20")!)T10:00:00Z")!
    }

    /// Executes every event of `events` as its own command.
    func record(_ events: [any RecordEvent]) async throws {
        for e in events { try await run(.record(e)) }
    }

    /// Runs `body`, expecting a ``RecordError`` with `rule` and that the log did not grow.
    func expectRefusedWritingNothing(rule: String, field: String?, kind: RecordError.Kind? = nil,
                                     sourceLocation: SourceLocation = #_sourceLocation,
                                     _ body: () async throws -> Void) async throws {
        let before = try await log.head()
        do {
            try await body()
            Issue.record("expected refusal \(rule), was accepted", sourceLocation: sourceLocation)
        } catch let e as RecordError {
            #expect(e.rule == rule, "rule: \(e)", sourceLocation: sourceLocation)
            #expect(e.violations.first?.field == field, "field: \(e)", sourceLocation: sourceLocation)
            if let kind { #expect(e.kind == kind, sourceLocation: sourceLocation) }
            expectNoSecret(e, sourceLocation: sourceLocation)
        }
        #expect(try await log.head() == before, "a refused command must write nothing", sourceLocation: sourceLocation)
    }
}
