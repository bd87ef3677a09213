public import CanonicalJSON

/// What the command rules need to know about the streams a command touches, folded from
/// their events. Pure: ``apply(_:id:)`` never fails and does no I/O; the record core loads
/// the streams a command names, folds them here, and asks ``decide(_:)``.
public struct RecordState: Sendable {
    public struct Program: Sendable {
        public var curriculum: CurriculumEdition
        public var scaleVersion: FidelityScaleVersion
        public var reviews: Set<ReviewID> = []
    }
    public struct Team: Sendable { public var programId: ProgramID }
    public struct Practitioner: Sendable {
        public var programId: ProgramID
        public var teamId: TeamID
        public var trainings: Int = 0
        /// The day they joined the program (this time, when they have come back).
        public var joined: LocalDate? = nil
        /// The day they left the program, when they have.
        public var left: LocalDate? = nil
        /// Earlier times on the staff, when they left and came back.
        public var earlierStints: [ClosedRange<LocalDate>] = []

        /// Whether they are on the program's staff now (have not left).
        public var active: Bool { left == nil }

        /// Whether they were on the program's staff on `date`: joined on or before it, and not
        /// left before it (in this stint or an earlier one).
        public func onStaff(on date: LocalDate) -> Bool {
            (joined.map { $0 <= date } ?? true) && (left.map { date <= $0 } ?? true) || earlierStints.contains { $0.contains(date) }
        }
    }
    public struct Referral: Sendable {
        public var consumerId: ConsumerID
        public var programId: ProgramID
        public var date: LocalDate
        /// `true` accepted, `false` declined, `nil` waiting.
        public var accepted: Bool?
        /// The day of the decision.
        public var decidedOn: LocalDate?
        public var formatOffered: Format?
    }
    public struct Enrollment: Sendable {
        public var id: EnrollmentID
        public var programId: ProgramID
        public var curriculum: CurriculumEdition
        public var format: Format
        public var startDate: LocalDate
        public var primary: PractitionerID?
    }
    public enum GoalStatus: String, Sendable { case open, achieved, withdrawn }
    public struct Goal: Sendable {
        public var status: GoalStatus
        public var lastReview: LocalDate
        /// The day it was set.
        public var setOn: LocalDate
        /// The day it was achieved or withdrawn.
        public var closedOn: LocalDate?
        /// The earliest day of a rating, revision, follow-up or closure: the latest day an
        /// amendment may move the day it was set to.
        public var firstFollowUp: LocalDate?

        mutating func followedUp(on date: LocalDate) {
            lastReview = max(lastReview, date)
            firstFollowUp = min(firstFollowUp ?? date, date)
        }

        mutating func close(_ status: GoalStatus, on date: LocalDate) {
            self.status = status
            closedOn = date
            firstFollowUp = min(firstFollowUp ?? date, date)
        }

        /// Whether it was open on `date`: set by then, and not closed before it (a late entry
        /// about a day before the closure is about an open goal).
        public func wasOpen(on date: LocalDate) -> Bool { date >= setOn && (closedOn.map { date <= $0 } ?? true) }
    }
    public struct Consent: Sendable {
        public var scope: Set<SupporterPurpose>
        public var from: LocalDate
        public var until: LocalDate?

        /// True on the days from its effective date through its expiry or revocation, both
        /// included.
        public func inForce(on date: LocalDate) -> Bool { from <= date && (until.map { date <= $0 } ?? true) }
    }
    public struct Supporter: Sendable {
        public var consents: [Consent] = []

        /// True when a consent covering `purpose` is in force on `date`.
        public func consents(to purpose: SupporterPurpose, on date: LocalDate) -> Bool {
            consents.contains { $0.inForce(on: date) && $0.scope.contains(purpose) }
        }
    }
    public struct AmendmentRequest: Sendable {
        public var date: LocalDate
        public var target: String?
        public var decision: AmendmentDecision?
    }
    public struct Consumer: Sendable {
        public var enrollment: Enrollment?
        public var discharged = false
        public var goals: [GoalID: Goal] = [:]
        public var supporters: [SupporterID: Supporter] = [:]
        public var notes: Set<SessionID> = []
        public var attendance: Set<SessionID> = []
        /// The sessions the consumer attended (a note, or attendance marked attended), with their days.
        public var sessionsAttended: [SessionID: LocalDate] = [:]
        /// The latest day of a session note or attendance record.
        public var lastContact: LocalDate?
        /// The earliest day of a note, an attendance, a goal or a primary practitioner's
        /// assignment or transfer: the latest day an amendment may move the enrollment's start to.
        public var firstEntry: LocalDate?

        mutating func entered(on date: LocalDate) { firstEntry = min(firstEntry ?? date, date) }
        public var modulesTaught: Set<Module> { Set(firstTaught.keys) }
        /// Each module taught in a note, with the day it was first taught.
        public var firstTaught: [Module: LocalDate] = [:]
        public var planVersions: [PlanID: Int] = [:]
        public var requests: [RequestID: AmendmentRequest] = [:]
        /// Every event of the stream by CloudEvents id: its type name and data (amended data
        /// for an amended event; entries marked in error stay here, so they can be named).
        public var events: [String: (typeName: String, data: JSONValue)] = [:]
        /// Every event of the stream as recorded (before any correction), by id.
        public var recorded: [String: (typeName: String, data: JSONValue)] = [:]
        /// The ids of ``events`` in stream order.
        public var order: [String] = []
        public var inError: Set<String> = []
    }
    public struct Group: Sendable {
        public var programId: ProgramID
        public var sessions: Set<SessionID> = []
        /// Each member's days in the group: from the day they joined until the day they left
        /// (`nil`: still a member).
        public var spans: [ConsumerID: [(from: LocalDate, until: LocalDate?)]] = [:]

        /// The members now: those whose last span is still open.
        public var members: Set<ConsumerID> { Set(spans.compactMap { $0.value.last?.until == nil ? $0.key : nil }) }

        /// Whether `consumer` was a member on `date` (a late group session is judged on its day).
        public func wasMember(_ consumer: ConsumerID, on date: LocalDate) -> Bool {
            spans[consumer]?.contains { $0.from <= date && ($0.until.map { date < $0 } ?? true) } ?? false
        }
    }

    public var programs: [ProgramID: Program] = [:]
    public var teams: [TeamID: Team] = [:]
    public var practitioners: [PractitionerID: Practitioner] = [:]
    public var referrals: [ReferralID: Referral] = [:]
    public var consumers: [ConsumerID: Consumer] = [:]
    public var groups: [GroupID: Group] = [:]

    public init() {}

    /// Folds one event (already validated when it was appended).
    ///
    /// - Parameters:
    ///   - event: the decoded event.
    ///   - id: its CloudEvents id, which amendments reference.
    ///   - data: its stored `data` (encoded from `event` when absent), kept for consumer events so
    ///     corrections can be folded and amendments checked
    ///     against the fields of their target.
    public mutating func apply(_ event: any RecordEvent, id: String, data: JSONValue? = nil) {
        switch event {
        case let e as ProgramEstablished:
            programs[e.programId] = Program(curriculum: e.curriculum, scaleVersion: e.fidelityScale)
        case let e as TeamFormed:
            teams[e.teamId] = Team(programId: e.programId)
        case let e as PractitionerJoined:
            let before = practitioners[e.practitionerId]
            var stints = before?.earlierStints ?? []
            if let b = before, let left = b.left, let joined = b.joined, joined <= left { stints.append(joined...left) }
            practitioners[e.practitionerId] = Practitioner(programId: e.programId, teamId: e.teamId, trainings: before?.trainings ?? 0,
                                                           joined: e.startDate, earlierStints: stints)
        case let e as PractitionerLeft:
            practitioners[e.practitionerId]?.left = e.date
        case let e as TrainingCompleted:
            practitioners[e.practitionerId]?.trainings += 1
        case let e as FidelityReviewCompleted:
            programs[e.programId]?.reviews.insert(e.reviewId)
        case let e as ReferralReceived:
            referrals[e.referralId] = Referral(consumerId: e.consumerId, programId: e.programId, date: e.date)
        case let e as ReferralAccepted:
            referrals[e.referralId]?.accepted = true
            referrals[e.referralId]?.decidedOn = e.date
            referrals[e.referralId]?.formatOffered = e.formatOffered
        case let e as ReferralDeclined:
            referrals[e.referralId]?.accepted = false
        case let e as GroupFormed:
            var group = Group(programId: e.programId)
            for m in e.members { group.spans[m] = [(e.startDate, nil)] }
            groups[e.groupId] = group
        case let e as GroupMembershipChanged:
            if var group = groups[e.groupId] {
                for m in e.added { group.spans[m, default: []].append((e.effectiveDate, nil)) }
                for m in e.removed where group.spans[m]?.isEmpty == false { group.spans[m]![group.spans[m]!.count - 1].until = e.effectiveDate }
                groups[e.groupId] = group
            }
        case let e as GroupSessionHeld:
            groups[e.groupId]?.sessions.insert(e.sessionId)
        default:
            break
        }
        guard let consumer = Self.consumer(of: event) else { return }
        var c = consumers[consumer] ?? Consumer()
        let stored = (type(of: event).typeName, data ?? (try? JSONValueEncoder().encode(event)) ?? .null)
        c.events[id] = stored
        c.recorded[id] = stored
        c.order.append(id)
        if event is EntryMarkedInError || event is EntryAmended {
            c = Self.corrected(c)
        } else {
            Self.fold(event, id: id, into: &c)
        }
        consumers[consumer] = c
    }

    /// The consumer folded again from its stream's events with every correction applied, as
    /// the projections do (docs/PROJECTIONS.md): an entry marked in error counts for nothing
    /// (a discharge in error leaves the consumer enrolled, an achievement in error leaves the
    /// goal open), and an amended entry counts with its amendments' fields over its own.
    static func corrected(_ history: Consumer) -> Consumer {
        var c = Consumer()
        c.order = history.order
        c.recorded = history.recorded
        for entry in correctedEntries(history) {
            c.events[entry.id] = (entry.typeName, entry.data)
            if let event = entry.event { fold(event, id: entry.id, into: &c) }
        }
        return c
    }

    /// One entry of a consumer's stream as its corrections leave it.
    struct CorrectedEntry {
        var id: String
        var typeName: String
        /// The data with the amendments that count put over it (the original when in error, or
        /// when the amended data no longer decodes).
        var data: JSONValue
        /// The event that data decodes to; nil when the entry is in error or does not decode.
        var event: (any RecordEvent)?
        var inError: Bool
    }

    /// The entries of `history` in stream order, each with the corrections that count applied
    /// (``EffectiveCorrections``): what the rules fold, and what a correction is judged on.
    static func correctedEntries(_ history: Consumer) -> [CorrectedEntry] {
        let decoder = JSONValueDecoder(rejectsUnknownKeys: false)
        var corrections: [(id: String, event: any RecordEvent)] = []
        for id in history.order {
            guard let (typeName, data) = history.recorded[id], let type = EventCatalog.byTypeName[typeName],
                type == EntryMarkedInError.self || type == EntryAmended.self, let e = try? decoder.decode(type, from: data)
            else { continue }
            corrections.append((id, e))
        }
        let effective = EffectiveCorrections(corrections)
        return history.order.compactMap { id -> CorrectedEntry? in
            guard let (typeName, before) = history.recorded[id] else { return nil }
            let inError = effective.inError.contains(id)
            var data = before
            if !inError, let changes = effective.amendments[id] { data = EffectiveCorrections.amend(before, with: changes) }
            guard !inError, let type = EventCatalog.byTypeName[typeName] else {
                return CorrectedEntry(id: id, typeName: typeName, data: data, event: nil, inError: inError)
            }
            // An amendment that no longer decodes (the rules check each one, so only after a
            // schema change) leaves the entry as it was, as the projections do.
            if let event = try? decoder.decode(type, from: data) {
                return CorrectedEntry(id: id, typeName: typeName, data: data, event: event, inError: false)
            }
            return CorrectedEntry(id: id, typeName: typeName, data: before, event: try? decoder.decode(type, from: before), inError: false)
        }
    }

    /// Folds one consumer-stream event into `c`.
    private static func fold(_ event: any RecordEvent, id: String, into c: inout Consumer) {
        switch event {
        case let e as ConsumerEnrolled:
            c.enrollment = Enrollment(id: e.enrollmentId, programId: e.programId, curriculum: e.curriculum, format: e.format, startDate: e.startDate)
        case let e as PractitionerAssigned:
            c.enrollment?.primary = e.practitionerId
            c.entered(on: e.effectiveDate)
        case let e as PractitionerTransferred:
            c.enrollment?.primary = e.toPractitionerId
            c.entered(on: e.effectiveDate)
        case is ConsumerDischarged:
            c.discharged = true
        case let e as SessionRecorded:
            c.notes.insert(e.sessionId)
            c.sessionsAttended[e.sessionId] = e.date
            for m in e.topics where c.firstTaught[m].map({ $0 > e.date }) ?? true { c.firstTaught[m] = e.date }
            c.lastContact = max(c.lastContact ?? e.date, e.date)
            c.entered(on: e.date)
            for g in e.goalsFollowedUp where c.goals[g] != nil { c.goals[g]!.followedUp(on: e.date) }
        case let e as AttendanceRecorded:
            c.attendance.insert(e.sessionId)
            c.entered(on: e.date)
            // A no-show or a cancelled session is not contact: a discharge may precede it.
            if e.status == .attended {
                c.sessionsAttended[e.sessionId] = e.date
                c.lastContact = max(c.lastContact ?? e.date, e.date)
            }
        case let e as GoalSet:
            c.goals[e.goalId] = Goal(status: .open, lastReview: e.date, setOn: e.date)
            c.entered(on: e.date)
        case let e as GoalRevised:
            c.goals[e.goalId]?.followedUp(on: e.date)
        case let e as GoalProgressRated:
            c.goals[e.goalId]?.followedUp(on: e.date)
        case let e as GoalAchieved:
            c.goals[e.goalId]?.close(.achieved, on: e.date)
        case let e as GoalWithdrawn:
            c.goals[e.goalId]?.close(.withdrawn, on: e.date)
        case let e as SupporterRegistered:
            c.supporters[e.supporterId] = c.supporters[e.supporterId] ?? Supporter()
        case let e as SupporterConsentRecorded:
            c.supporters[e.supporterId]?.consents.append(Consent(scope: Set(e.scope), from: e.effectiveDate, until: e.expiryDate))
        case let e as SupporterConsentRevoked:
            // A revocation ends every consent of that supporter the day before it takes effect.
            if var s = c.supporters[e.supporterId] {
                for i in s.consents.indices {
                    let last = e.effectiveDate.adding(days: -1)
                    if s.consents[i].until.map({ $0 > last }) ?? true { s.consents[i].until = last }
                }
                c.supporters[e.supporterId] = s
            }
        case let e as RelapsePreventionPlanRecorded:
            c.planVersions[e.planId] = e.planVersion
        case let e as AmendmentRequested:
            c.requests[e.requestId] = AmendmentRequest(date: e.date, target: e.targetEventId)
        case let e as AmendmentRequestDecided:
            c.requests[e.requestId]?.decision = e.decision
        case let e as EntryMarkedInError:
            c.inError.insert(e.targetEventId)
        default:
            break
        }
    }

    /// The consumer whose stream holds `event`, if it is a consumer-stream event.
    public static func consumer(of event: any RecordEvent) -> ConsumerID? {
        switch event {
        case let e as ConsumerEnrolled: e.consumerId
        case let e as PractitionerAssigned: e.consumerId
        case let e as PractitionerTransferred: e.consumerId
        case let e as ConsumerDischarged: e.consumerId
        case let e as SessionRecorded: e.consumerId
        case let e as AttendanceRecorded: e.consumerId
        case let e as GoalSet: e.consumerId
        case let e as GoalRevised: e.consumerId
        case let e as GoalProgressRated: e.consumerId
        case let e as GoalAchieved: e.consumerId
        case let e as GoalWithdrawn: e.consumerId
        case let e as SupporterRegistered: e.consumerId
        case let e as SupporterConsentRecorded: e.consumerId
        case let e as SupporterConsentRevoked: e.consumerId
        case let e as SupporterContactRecorded: e.consumerId
        case let e as StrengthsInventoryCompleted: e.consumerId
        case let e as RelapsePreventionPlanRecorded: e.consumerId
        case let e as HandoutsProvided: e.consumerId
        case let e as ModuleReviewCompleted: e.consumerId
        case let e as OutcomeMeasureRecorded: e.consumerId
        case let e as EntryAmended: e.consumerId
        case let e as EntryMarkedInError: e.consumerId
        case let e as AmendmentRequested: e.consumerId
        case let e as AmendmentRequestDecided: e.consumerId
        default: nil
        }
    }
}

/// The corrections of one stream that count, in the rules and in the projections alike.
///
/// A correction marked in error counts for nothing, like any entry: an amendment marked in
/// error changes nothing, and a mark marked in error puts its target back. Marks only name
/// earlier events, so walking the stream backwards settles every chain: a mark counts unless
/// a later mark that counts names it.
public struct EffectiveCorrections: Sendable {
    /// Ids of the entries that count for nothing.
    public private(set) var inError: Set<String> = []
    /// Id of an amended entry → the contents of the amendments that count, in stream order.
    public private(set) var amendments: [String: [JSONValue]] = [:]

    /// From a stream's corrections (`EntryAmended`, `EntryMarkedInError`; other events are
    /// ignored) with their event ids, in stream order.
    public init(_ corrections: [(id: String, event: any RecordEvent)]) {
        for (id, event) in corrections.reversed() where !inError.contains(id) {
            if let mark = event as? EntryMarkedInError { inError.insert(mark.targetEventId) }
        }
        for (id, event) in corrections where !inError.contains(id) {
            if let amendment = event as? EntryAmended { amendments[amendment.targetEventId, default: []].append(amendment.content) }
        }
    }
}

extension EffectiveCorrections {
    /// `data` with each amendment's fields put over its own, in order: what an amended entry
    /// says. Data or contents that are not objects are left as they are.
    public static func amend(_ data: JSONValue, with contents: [JSONValue]) -> JSONValue {
        guard case .object(var fields) = data else { return data }
        for case .object(let change) in contents { for (k, v) in change { fields[k] = v } }
        return .object(fields)
    }
}
