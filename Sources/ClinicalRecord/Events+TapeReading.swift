public import CanonicalJSON

/// An event type that reads its canonical `data` object straight from a ``JSONTape``, without
/// `Codable`: the projections decode the most frequent types this way when they rebuild.
///
/// A reader accepts only what the stored form holds: the members in canonical order (RFC 8785
/// sorts them), each of the expected JSON type, and no others. For anything else it returns
/// `nil` and the caller decodes with `Codable`, which accepts or refuses the data exactly as
/// before and names the field in its error. Where a reader succeeds it gives the same value as
/// `Codable` (a test compares the two on whole simulated records).
public protocol TapeReadableEvent: RecordEvent {
    /// The event whose `data` object is the node at `object` of `tape`; `nil` when the data is
    /// not in the form described above.
    init?(tape: JSONTape, object: Int)
}

/// The members of one canonical `data` object, taken in order.
private struct CanonicalMembers {
    let tape: JSONTape
    private var cursor: JSONTape.MemberCursor

    init?(_ tape: JSONTape, _ object: Int) {
        guard let cursor = JSONTape.MemberCursor(tape, object: object) else { return nil }
        self.tape = tape
        self.cursor = cursor
    }

    /// Whether every member was taken (none unknown, none out of order).
    var isComplete: Bool { cursor.isAtEnd }

    /// A required member read with `read`; `nil` when it is absent or `read` fails.
    @inline(__always)
    mutating func required<T>(_ key: JSONTape.Key, _ read: (JSONTape, Int) -> T?) -> T? {
        guard let node = cursor.take(key, in: tape) else { return nil }
        return read(tape, node)
    }

    /// An optional member: `.some(nil)` when absent or `null`, `nil` when `read` fails.
    @inline(__always)
    mutating func optional<T>(_ key: JSONTape.Key, _ read: (JSONTape, Int) -> T?) -> T?? {
        guard let node = cursor.take(key, in: tape), !tape.isNull(at: node) else { return .some(nil) }
        guard let value = read(tape, node) else { return nil }
        return .some(value)
    }

    /// A required array member whose elements are read with `read`.
    @inline(__always)
    mutating func array<T>(_ key: JSONTape.Key, _ read: (JSONTape, Int) -> T?) -> [T]? {
        guard let node = cursor.take(key, in: tape), tape.kind(at: node) == .array else { return nil }
        var out: [T] = []
        out.reserveCapacity(tape.count(at: node))
        // Elements by index (`elements(of:)` would hold a copy of the tape).
        var element = node + 1
        let end = tape.next(after: node)
        while element < end {
            guard let value = read(tape, element) else { return nil }
            out.append(value)
            element = tape.next(after: element)
        }
        return out
    }
}

/// The scalar readers, with `Codable`'s rules for each type.
private enum Read {
    static func string(_ tape: JSONTape, _ node: Int) -> String? { tape.string(at: node) }

    static func bool(_ tape: JSONTape, _ node: Int) -> Bool? { tape.bool(at: node) }

    static func double(_ tape: JSONTape, _ node: Int) -> Double? { tape.double(at: node) }

    /// An integer as the tape decoder reads one: an integral number within `Int`'s range.
    static func int(_ tape: JSONTape, _ node: Int) -> Int? {
        guard let d = tape.double(at: node), d.rounded(.towardZero) == d else { return nil }
        return Int(exactly: d)
    }

    static func id<Kind>(_ tape: JSONTape, _ node: Int) -> Identifier<Kind>? {
        tape.string(at: node).flatMap { Identifier<Kind>($0) }
    }

    static func date(_ tape: JSONTape, _ node: Int) -> LocalDate? {
        if let parsed = tape.withUnescapedUTF8(at: node, { LocalDate(utf8: $0) }) { return parsed }
        return tape.string(at: node).flatMap { LocalDate($0) }
    }

    static func term<V: Vocabulary>(_ tape: JSONTape, _ node: Int) -> V? { tape.string(at: node).flatMap { V(rawValue: $0) } }
}

private typealias Key = JSONTape.Key

extension AttendanceRecorded: TapeReadableEvent {
    private static let keys = (consumerId: Key("consumer_id"), date: Key("date"), groupId: Key("group_id"),
                               reason: Key("reason"), sessionId: Key("session_id"), status: Key("status"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let groupId: GroupID? = m.optional(k.groupId, Read.id),
            let reason = m.optional(k.reason, Read.string),
            let sessionId: SessionID = m.required(k.sessionId, Read.id),
            let status: AttendanceStatus = m.required(k.status, Read.term),
            m.isComplete
        else { return nil }
        self.init(sessionId: sessionId, consumerId: consumerId, groupId: groupId, date: date, status: status, reason: reason)
    }
}

extension SessionRecorded: TapeReadableEvent {
    private static let keys = (
        cbt: Key("cbt"), consumerId: Key("consumer_id"), absentReason: Key("consumer_signature_absent_reason"),
        consumerSigned: Key("consumer_signed"), consumerView: Key("consumer_view"), date: Key("date"),
        durationMinutes: Key("duration_minutes"), educationalTechniques: Key("educational_techniques"), format: Key("format"),
        goalSet: Key("goal_set"), goalsFollowedUp: Key("goals_followed_up"), groupId: Key("group_id"),
        handoutsGiven: Key("handouts_given"), homework: Key("homework"), motivational: Key("motivational"),
        nextSessionPlan: Key("next_session_plan"), planProblem: Key("plan_problem"),
        practitionerSigned: Key("practitioner_signed"), practitionerView: Key("practitioner_view"),
        practitioners: Key("practitioners"), sessionId: Key("session_id"), skills: Key("skills"),
        supporterPresent: Key("supporter_present"), topics: Key("topics"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let cbt: [CBTTechnique] = m.array(k.cbt, Read.term),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let absentReason = m.optional(k.absentReason, Read.string),
            let consumerSigned = m.required(k.consumerSigned, Read.bool),
            let consumerView = m.optional(k.consumerView, Read.string),
            let date = m.required(k.date, Read.date),
            let durationMinutes = m.required(k.durationMinutes, Read.int),
            let techniques: [EducationalTechnique] = m.array(k.educationalTechniques, Read.term),
            let format: Format = m.required(k.format, Read.term),
            let goalSet: GoalID? = m.optional(k.goalSet, Read.id),
            let followedUp: [GoalID] = m.array(k.goalsFollowedUp, Read.id),
            let groupId: GroupID? = m.optional(k.groupId, Read.id),
            let handoutsGiven = m.required(k.handoutsGiven, Read.bool),
            let homework = m.optional(k.homework, Read.string),
            let motivational: [MotivationalStrategy] = m.array(k.motivational, Read.term),
            let nextSessionPlan = m.optional(k.nextSessionPlan, Read.string),
            let planProblem = m.optional(k.planProblem, Read.string),
            let practitionerSigned = m.required(k.practitionerSigned, Read.bool),
            let practitionerView = m.optional(k.practitionerView, Read.string),
            let practitioners: [PractitionerID] = m.array(k.practitioners, Read.id),
            let sessionId: SessionID = m.required(k.sessionId, Read.id),
            let skills: [Skill] = m.array(k.skills, Read.term),
            let supporterPresent = m.optional(k.supporterPresent, Read.string),
            let topics: [Module] = m.array(k.topics, Read.term),
            m.isComplete
        else { return nil }
        self.init(sessionId: sessionId, consumerId: consumerId, format: format, groupId: groupId, date: date,
                  durationMinutes: durationMinutes, practitioners: practitioners, supporterPresent: supporterPresent,
                  planProblem: planProblem, goalsFollowedUp: followedUp, goalSet: goalSet, motivational: motivational,
                  topics: topics, educationalTechniques: techniques, cbt: cbt, skills: skills, homework: homework,
                  consumerView: consumerView, practitionerView: practitionerView, nextSessionPlan: nextSessionPlan,
                  handoutsGiven: handoutsGiven, practitionerSigned: practitionerSigned, consumerSigned: consumerSigned,
                  consumerSignatureAbsentReason: absentReason)
    }
}

extension GroupSessionHeld: TapeReadableEvent {
    private static let keys = (attended: Key("attended"), date: Key("date"), durationMinutes: Key("duration_minutes"),
                               facilitators: Key("facilitators"), groupId: Key("group_id"), rosterSize: Key("roster_size"),
                               sessionId: Key("session_id"), topics: Key("topics"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let attended = m.required(k.attended, Read.int),
            let date = m.required(k.date, Read.date),
            let durationMinutes = m.required(k.durationMinutes, Read.int),
            let facilitators: [PractitionerID] = m.array(k.facilitators, Read.id),
            let groupId: GroupID = m.required(k.groupId, Read.id),
            let rosterSize = m.required(k.rosterSize, Read.int),
            let sessionId: SessionID = m.required(k.sessionId, Read.id),
            let topics: [Module] = m.array(k.topics, Read.term),
            m.isComplete
        else { return nil }
        self.init(sessionId: sessionId, groupId: groupId, date: date, durationMinutes: durationMinutes,
                  facilitators: facilitators, topics: topics, attended: attended, rosterSize: rosterSize)
    }
}

extension OutcomeMeasureRecorded: TapeReadableEvent {
    private static let keys = (consumerId: Key("consumer_id"), date: Key("date"), instrument: Key("instrument"),
                               instrumentVersion: Key("instrument_version"), itemResponses: Key("item_responses"),
                               total: Key("total"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let instrument: Instrument = m.required(k.instrument, Read.term),
            let instrumentVersion = m.required(k.instrumentVersion, Read.string),
            let itemResponses = m.array(k.itemResponses, Read.int),
            let total = m.required(k.total, Read.double),
            m.isComplete
        else { return nil }
        self.init(consumerId: consumerId, instrument: instrument, instrumentVersion: instrumentVersion,
                  itemResponses: itemResponses, total: total, date: date)
    }
}

extension HandoutsProvided: TapeReadableEvent {
    private static let keys = (consumerId: Key("consumer_id"), date: Key("date"), handoutIds: Key("handout_ids"),
                               module: Key("module"), recipient: Key("recipient"), sessionId: Key("session_id"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let handoutIds = m.array(k.handoutIds, Read.string),
            let module: Module = m.required(k.module, Read.term),
            let recipient: HandoutRecipient = m.required(k.recipient, Read.term),
            let sessionId: SessionID? = m.optional(k.sessionId, Read.id),
            m.isComplete
        else { return nil }
        self.init(consumerId: consumerId, module: module, handoutIds: handoutIds, recipient: recipient,
                  sessionId: sessionId, date: date)
    }
}

extension ModuleReviewCompleted: TapeReadableEvent {
    private static let keys = (answers: Key("answers"), consumerId: Key("consumer_id"), date: Key("date"),
                               module: Key("module"), score: Key("score"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let answers = m.array(k.answers, Read.string),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let module: Module = m.required(k.module, Read.term),
            let score = m.optional(k.score, Read.int),
            m.isComplete
        else { return nil }
        self.init(consumerId: consumerId, module: module, score: score, answers: answers, date: date)
    }
}

extension GoalProgressRated: TapeReadableEvent {
    private static let keys = (collaborative: Key("collaborative"), consumerId: Key("consumer_id"), date: Key("date"),
                               goalId: Key("goal_id"), note: Key("note"), ratedBy: Key("rated_by"), rating: Key("rating"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let collaborative = m.required(k.collaborative, Read.bool),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let goalId: GoalID = m.required(k.goalId, Read.id),
            let note = m.optional(k.note, Read.string),
            let ratedBy: UserID = m.required(k.ratedBy, Read.id),
            let rating = m.required(k.rating, Read.int),
            m.isComplete
        else { return nil }
        self.init(goalId: goalId, consumerId: consumerId, rating: rating, note: note, ratedBy: ratedBy,
                  collaborative: collaborative, date: date)
    }
}

extension SupporterContactRecorded: TapeReadableEvent {
    private static let keys = (consumerId: Key("consumer_id"), date: Key("date"), mode: Key("mode"), note: Key("note"),
                               purpose: Key("purpose"), supporterId: Key("supporter_id"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let mode: ContactMode = m.required(k.mode, Read.term),
            let note = m.optional(k.note, Read.string),
            let purpose: SupporterPurpose = m.required(k.purpose, Read.term),
            let supporterId: SupporterID = m.required(k.supporterId, Read.id),
            m.isComplete
        else { return nil }
        self.init(consumerId: consumerId, supporterId: supporterId, date: date, mode: mode, purpose: purpose, note: note)
    }
}

extension GoalSet: TapeReadableEvent {
    private static let keys = (consumerId: Key("consumer_id"), date: Key("date"), goalId: Key("goal_id"),
                               inConsumersWords: Key("in_consumers_words"), criterion: Key("measurable_criterion"),
                               planProblem: Key("plan_problem"), sessionId: Key("session_id"), steps: Key("steps"),
                               targetDate: Key("target_date"), text: Key("text"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let goalId: GoalID = m.required(k.goalId, Read.id),
            let inConsumersWords = m.required(k.inConsumersWords, Read.bool),
            let criterion = m.optional(k.criterion, Read.string),
            let planProblem = m.optional(k.planProblem, Read.string),
            let sessionId: SessionID? = m.optional(k.sessionId, Read.id),
            let steps = m.array(k.steps, Read.string),
            let targetDate = m.optional(k.targetDate, Read.date),
            let text = m.required(k.text, Read.string),
            m.isComplete
        else { return nil }
        self.init(goalId: goalId, consumerId: consumerId, text: text, inConsumersWords: inConsumersWords,
                  measurableCriterion: criterion, steps: steps, targetDate: targetDate, planProblem: planProblem,
                  sessionId: sessionId, date: date)
    }
}

extension ReferralReceived: TapeReadableEvent {
    private static let keys = (consumerId: Key("consumer_id"), date: Key("date"), programId: Key("program_id"), reason: Key("reason"),
                               referralId: Key("referral_id"), referrer: Key("referrer"), source: Key("source"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let programId: ProgramID = m.required(k.programId, Read.id),
            let reason = m.required(k.reason, Read.string),
            let referralId: ReferralID = m.required(k.referralId, Read.id),
            let referrer = m.optional(k.referrer, Read.string),
            let source: ReferralSource = m.required(k.source, Read.term),
            m.isComplete
        else { return nil }
        self.init(referralId: referralId, consumerId: consumerId, programId: programId, source: source, referrer: referrer,
                  reason: reason, date: date)
    }
}

extension ReferralAccepted: TapeReadableEvent {
    private static let keys = (date: Key("date"), decidedBy: Key("decided_by"), formatOffered: Key("format_offered"),
                               referralId: Key("referral_id"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let date = m.required(k.date, Read.date),
            let decidedBy: UserID = m.required(k.decidedBy, Read.id),
            let formatOffered: Format = m.required(k.formatOffered, Read.term),
            let referralId: ReferralID = m.required(k.referralId, Read.id),
            m.isComplete
        else { return nil }
        self.init(referralId: referralId, decidedBy: decidedBy, formatOffered: formatOffered, date: date)
    }
}

extension ConsumerEnrolled: TapeReadableEvent {
    private static let keys = (consumerId: Key("consumer_id"), curriculum: Key("curriculum"), enrollmentId: Key("enrollment_id"),
                               format: Key("format"), programId: Key("program_id"), referralId: Key("referral_id"),
                               scaleVersion: Key("scale_version"), startDate: Key("start_date"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let curriculum: CurriculumEdition = m.required(k.curriculum, Read.term),
            let enrollmentId: EnrollmentID = m.required(k.enrollmentId, Read.id),
            let format: Format = m.required(k.format, Read.term),
            let programId: ProgramID = m.required(k.programId, Read.id),
            let referralId: ReferralID = m.required(k.referralId, Read.id),
            let scaleVersion: FidelityScaleVersion = m.required(k.scaleVersion, Read.term),
            let startDate = m.required(k.startDate, Read.date),
            m.isComplete
        else { return nil }
        self.init(enrollmentId: enrollmentId, consumerId: consumerId, programId: programId, referralId: referralId, format: format,
                  startDate: startDate, curriculum: curriculum, scaleVersion: scaleVersion)
    }
}

extension PractitionerAssigned: TapeReadableEvent {
    private static let keys = (consumerId: Key("consumer_id"), effectiveDate: Key("effective_date"), enrollmentId: Key("enrollment_id"),
                               practitionerId: Key("practitioner_id"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let effectiveDate = m.required(k.effectiveDate, Read.date),
            let enrollmentId: EnrollmentID = m.required(k.enrollmentId, Read.id),
            let practitionerId: PractitionerID = m.required(k.practitionerId, Read.id),
            m.isComplete
        else { return nil }
        self.init(enrollmentId: enrollmentId, consumerId: consumerId, practitionerId: practitionerId, effectiveDate: effectiveDate)
    }
}

extension ConsumerDischarged: TapeReadableEvent {
    private static let keys = (boosterReferral: Key("booster_referral"), consumerId: Key("consumer_id"), date: Key("date"),
                               enrollmentId: Key("enrollment_id"), modulesCompleted: Key("modules_completed"), reason: Key("reason"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let boosterReferral = m.optional(k.boosterReferral, Read.string),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let enrollmentId: EnrollmentID = m.required(k.enrollmentId, Read.id),
            let modulesCompleted: [Module] = m.array(k.modulesCompleted, Read.term),
            let reason: DischargeReason = m.required(k.reason, Read.term),
            m.isComplete
        else { return nil }
        self.init(enrollmentId: enrollmentId, consumerId: consumerId, date: date, reason: reason, modulesCompleted: modulesCompleted,
                  boosterReferral: boosterReferral)
    }
}

extension GroupMembershipChanged: TapeReadableEvent {
    private static let keys = (added: Key("added"), effectiveDate: Key("effective_date"), groupId: Key("group_id"), removed: Key("removed"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let added: [ConsumerID] = m.array(k.added, Read.id),
            let effectiveDate = m.required(k.effectiveDate, Read.date),
            let groupId: GroupID = m.required(k.groupId, Read.id),
            let removed: [ConsumerID] = m.array(k.removed, Read.id),
            m.isComplete
        else { return nil }
        self.init(groupId: groupId, added: added, removed: removed, effectiveDate: effectiveDate)
    }
}

extension GoalAchieved: TapeReadableEvent {
    private static let keys = (consumerId: Key("consumer_id"), date: Key("date"), goalId: Key("goal_id"), note: Key("note"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let goalId: GoalID = m.required(k.goalId, Read.id),
            let note = m.optional(k.note, Read.string),
            m.isComplete
        else { return nil }
        self.init(goalId: goalId, consumerId: consumerId, note: note, date: date)
    }
}

extension GoalWithdrawn: TapeReadableEvent {
    private static let keys = (consumerId: Key("consumer_id"), date: Key("date"), goalId: Key("goal_id"), reason: Key("reason"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let consumerId: ConsumerID = m.required(k.consumerId, Read.id),
            let date = m.required(k.date, Read.date),
            let goalId: GoalID = m.required(k.goalId, Read.id),
            let reason = m.required(k.reason, Read.string),
            m.isComplete
        else { return nil }
        self.init(goalId: goalId, consumerId: consumerId, reason: reason, date: date)
    }
}

extension SupervisionHeld: TapeReadableEvent {
    private static let keys = (casesReviewed: Key("cases_reviewed"), consultant: Key("consultant"), date: Key("date"),
                               durationMinutes: Key("duration_minutes"), kind: Key("kind"), leader: Key("leader"),
                               practitioners: Key("practitioners"), teamId: Key("team_id"))

    public init?(tape: JSONTape, object: Int) {
        let k = Self.keys
        guard var m = CanonicalMembers(tape, object),
            let casesReviewed: [ConsumerID] = m.array(k.casesReviewed, Read.id),
            let consultant = m.optional(k.consultant, Read.string),
            let date = m.required(k.date, Read.date),
            let durationMinutes = m.required(k.durationMinutes, Read.int),
            let kind: SupervisionKind = m.required(k.kind, Read.term),
            let leader: PractitionerID = m.required(k.leader, Read.id),
            let practitioners: [PractitionerID] = m.array(k.practitioners, Read.id),
            let teamId: TeamID = m.required(k.teamId, Read.id),
            m.isComplete
        else { return nil }
        self.init(teamId: teamId, kind: kind, leader: leader, practitioners: practitioners, consultant: consultant, date: date,
                  durationMinutes: durationMinutes, casesReviewed: casesReviewed)
    }
}
