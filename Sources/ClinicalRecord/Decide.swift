import CanonicalJSON

extension Command {
    /// The streams whose state the command's rules read (including those it writes).
    public var streamsToRead: [String] {
        var out: [String]
        switch self {
        case .recordGroupSession(let g):
            out = [g.groupId.stream] + g.attendance.map(\.consumerId.stream) + g.notes.map(\.consumerId.stream) + g.facilitators.map(\.stream)
        case .record(let event):
            out = [event.stream]
            switch event {
            case let e as TeamFormed: out.append(e.programId.stream)
            case let e as PractitionerJoined: out += [e.programId.stream, e.teamId.stream]
            case let e as SupervisionHeld: out += [e.leader.stream] + e.practitioners.map(\.stream) + e.casesReviewed.map(\.stream)
            case let e as ReferralReceived: out.append(e.programId.stream)
            case let e as ConsumerEnrolled: out += [e.referralId.stream, e.programId.stream]
            case let e as PractitionerAssigned: out.append(e.practitionerId.stream)
            case let e as PractitionerTransferred: out.append(e.toPractitionerId.stream)
            case let e as GroupFormed: out += [e.programId.stream] + e.members.map(\.stream) + e.facilitators.map(\.stream)
            case let e as SessionRecorded: out += e.practitioners.map(\.stream)
            case let e as GroupMembershipChanged: out += e.added.map(\.stream)
            default: break
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }
}

/// Collects field violations so a command reports every malformed field at once.
struct FieldChecks {
    var violations: [RecordError.Violation] = []

    mutating func require(_ ok: Bool, _ field: String, _ rule: String, _ message: String) {
        if !ok { violations.append(.init(rule: rule, field: field, message: message)) }
    }
    mutating func text(_ s: String?, _ field: String, max: Int = 4000) {
        guard let s else { return }
        // Something visible: spaces, control and format characters (a zero-width space) alone are empty.
        require(s.unicodeScalars.contains { !$0.properties.isWhitespace && $0.properties.generalCategory != .control && $0.properties.generalCategory != .format },
                field, "field.not-empty", "must not be empty")
        require(s.utf8.count <= max, field, "field.max-length", "must be at most \(max) bytes")
    }
    mutating func range(_ v: Int?, _ r: ClosedRange<Int>, _ field: String) {
        guard let v else { return }
        require(r.contains(v), field, "field.range", "must be between \(r.lowerBound) and \(r.upperBound)")
    }
    mutating func nonEmpty<T>(_ a: [T], _ field: String) {
        require(!a.isEmpty, field, "field.not-empty", "must list at least one")
    }
    mutating func unique<T: Hashable>(_ a: [T], _ field: String) {
        require(Set(a).count == a.count, field, "field.unique", "must not repeat an entry")
    }
    func finish() throws(RecordError) {
        if !violations.isEmpty { throw RecordError(.invalid, violations) }
    }
}

/// The record's rules in one place: policy values that programs may tune.
public struct RecordPolicy: Sendable {
    /// Groups above this size are flagged (seeds: "six to eight consumers").
    public var maxGroupSize = 8
    /// A goal with no review for this many days is "progress review due".
    public var goalReviewDays = 30
    /// Days to decide a patient's amendment request, and the one extension (45 CFR 164.526).
    public var amendmentDecisionDays = 60
    public var amendmentExtensionDays = 30
    public init() {}
}

extension RecordState {
    /// Checks `command` against the state and returns the events it becomes.
    ///
    /// - Throws: ``RecordError`` `.invalid` for malformed fields (all of them at once), or
    ///   `.invariant` naming the first broken rule of the record.
    public func decide(_ command: Command, policy: RecordPolicy = RecordPolicy()) throws(RecordError) -> Decision {
        var warnings: [RecordWarning] = []
        switch command {
        case .recordGroupSession(let g):
            return try decideGroupSession(g, policy: policy)
        case .record(let event):
            try validateFields(event)
            try checkInvariants(event, policy: policy, warnings: &warnings)
            return Decision(events: [event], warnings: warnings)
        }
    }

    // MARK: Field rules (shape only, no state)

    func validateFields(_ event: any RecordEvent) throws(RecordError) {
        var c = FieldChecks()
        switch event {
        case let e as ProgramEstablished: c.text(e.name, "name", max: 200)
        case let e as TeamFormed: c.text(e.name, "name", max: 200)
        case let e as TrainingCompleted:
            c.require(e.hours > 0 && e.hours <= 200, "hours", "field.range", "must be more than 0 and at most 200")
        case let e as SupervisionHeld:
            c.nonEmpty(e.practitioners, "practitioners"); c.unique(e.practitioners, "practitioners")
            c.unique(e.casesReviewed, "cases_reviewed")
            c.range(e.durationMinutes, 1...600, "duration_minutes"); c.text(e.consultant, "consultant", max: 200)
        case let e as FidelityReviewCompleted:
            c.nonEmpty(e.raters, "raters"); c.nonEmpty(e.visitDates, "visit_dates")
            c.require(e.items.count == 13, "items", "fidelity.thirteen-items", "must hold exactly 13 items")
            c.require(Set(e.items.map(\.item)) == Set(1...13), "items", "fidelity.items-1-to-13", "must score each item 1–13 once")
            for (i, item) in e.items.enumerated() { c.range(item.score, 1...5, "items[\(i)].score") }
            if !e.items.isEmpty {
                // Summed as doubles: a score out of range (already reported) must not overflow.
                let mean = e.items.reduce(0.0) { $0 + Double($1.score) } / Double(e.items.count)
                c.require(abs(mean - e.total) < 0.005, "total", "fidelity.total-is-mean", "must equal the mean of the item scores")
            }
        case let e as ReferralReceived: c.text(e.reason, "reason"); c.text(e.referrer, "referrer", max: 200)
        case let e as ReferralDeclined: c.text(e.reason, "reason")
        case let e as PractitionerTransferred:
            c.text(e.reason, "reason")
            c.require(e.fromPractitionerId != e.toPractitionerId, "to_practitioner_id", "transfer.different-practitioner",
                      "must differ from from_practitioner_id")
        case let e as ConsumerDischarged: c.unique(e.modulesCompleted, "modules_completed"); c.text(e.boosterReferral, "booster_referral")
        case let e as SessionRecorded:
            c.range(e.durationMinutes, 1...600, "duration_minutes")
            c.nonEmpty(e.practitioners, "practitioners"); c.unique(e.practitioners, "practitioners")
            c.unique(e.topics, "topics"); c.unique(e.motivational, "motivational"); c.unique(e.cbt, "cbt"); c.unique(e.skills, "skills")
            c.unique(e.educationalTechniques, "educational_techniques")
            for (f, v) in [("supporter_present", e.supporterPresent), ("plan_problem", e.planProblem), ("homework", e.homework),
                           ("consumer_view", e.consumerView), ("practitioner_view", e.practitionerView),
                           ("next_session_plan", e.nextSessionPlan), ("consumer_signature_absent_reason", e.consumerSignatureAbsentReason)] {
                c.text(v, f)
            }
            c.require(e.consumerSigned || e.consumerSignatureAbsentReason != nil, "consumer_signature_absent_reason",
                      "session.consumer-signature-or-reason", "a note the consumer did not sign needs the reason")
            c.require(e.format != .group || e.groupId != nil, "group_id", "session.group-needs-group-id", "a group-format note names its group")
        case let e as AttendanceRecorded: c.text(e.reason, "reason")
        case let e as GroupFormed:
            c.nonEmpty(e.facilitators, "facilitators"); c.unique(e.members, "members"); c.unique(e.facilitators, "facilitators")
        case let e as GroupMembershipChanged:
            c.require(!(e.added.isEmpty && e.removed.isEmpty), "added", "field.not-empty", "must add or remove at least one member")
            c.require(Set(e.added).isDisjoint(with: e.removed), "removed", "group.add-and-remove", "must not add and remove the same member")
            c.unique(e.added, "added"); c.unique(e.removed, "removed")
        case let e as GoalSet:
            c.text(e.text, "text"); c.text(e.measurableCriterion, "measurable_criterion"); c.text(e.planProblem, "plan_problem")
            for (i, s) in e.steps.enumerated() { c.text(s, "steps[\(i)]") }
            if let t = e.targetDate { c.require(t >= e.date, "target_date", "goal.target-after-set", "must not be before date") }
        case let e as GoalRevised: c.text(e.change, "change")
        case let e as GoalProgressRated: c.range(e.rating, 1...5, "rating"); c.text(e.note, "note")
        case let e as GoalAchieved: c.text(e.note, "note")
        case let e as GoalWithdrawn: c.text(e.reason, "reason")
        case let e as SupporterRegistered:
            c.text(e.name, "name", max: 200); c.text(e.relationship, "relationship", max: 200); c.text(e.contact, "contact", max: 400)
        case let e as SupporterConsentRecorded:
            c.nonEmpty(e.scope, "scope"); c.unique(e.scope, "scope")
            if let x = e.expiryDate { c.require(x >= e.effectiveDate, "expiry_date", "consent.expiry-after-start", "must not be before effective_date") }
        case let e as SupporterConsentRevoked: c.text(e.reason, "reason")
        case let e as SupporterContactRecorded: c.text(e.note, "note")
        case let e as StrengthsInventoryCompleted:
            c.nonEmpty(e.answers, "answers")
            for (i, a) in e.answers.enumerated() { c.text(a.text, "answers[\(i)].text") }
        case let e as RelapsePreventionPlanRecorded:
            c.range(e.planVersion, 1...10_000, "plan_version")
            c.nonEmpty(e.warningSigns, "warning_signs"); c.nonEmpty(e.actions, "actions")
        case let e as HandoutsProvided: c.nonEmpty(e.handoutIds, "handout_ids"); c.unique(e.handoutIds, "handout_ids")
        case let e as ModuleReviewCompleted: c.range(e.score, 0...100, "score")
        case let e as OutcomeMeasureRecorded:
            c.require(e.itemResponses.count == e.instrument.itemCount, "item_responses", "outcome.item-count",
                      "must hold \(e.instrument.itemCount) responses for this instrument")
            // Each item is scored 1–5 (IMR.md, the IMR Scale). The scoring rule is not in the
            // seeds, so the total is only held to what any rule over 15 such items can give:
            // between 1 (a mean) and 75 (a sum).
            for (i, r) in e.itemResponses.enumerated() { c.range(r, 1...5, "item_responses[\(i)]") }
            c.require(e.total.isFinite && e.total >= 1 && e.total <= 75, "total", "field.range", "must be between 1 and 75")
            c.text(e.instrumentVersion, "instrument_version", max: 40)
        case let e as EntryAmended:
            c.text(e.reason, "reason"); c.text(e.targetEventId, "target_event_id", max: 128)
            if case .object(let m) = e.content { c.require(!m.isEmpty, "content", "amendment.content-not-empty", "must replace at least one field") }
            else { c.require(false, "content", "amendment.content-object", "must be an object of the fields it replaces") }
            c.require(e.kind != .patientRequested || e.requestId != nil, "request_id", "amendment.patient-request-needs-request",
                      "a patient-requested amendment names its request")
        case let e as EntryMarkedInError: c.text(e.reason, "reason"); c.text(e.targetEventId, "target_event_id", max: 128)
        case let e as AmendmentRequested: c.text(e.requestedChange, "requested_change")
        case let e as AmendmentRequestDecided:
            c.text(e.reason, "reason"); c.text(e.statementOfDisagreement, "statement_of_disagreement")
            c.require(e.decision == .accepted || e.reason != nil, "reason", "amendment-request.denial-needs-reason", "a denial needs its reason")
        case let e as RecordAccessed: c.text(e.role, "role", max: 40); c.text(e.purpose, "purpose", max: 400); c.nonEmpty(e.what, "what")
        default: break
        }
        try c.finish()
    }

    // MARK: Record rules (state)

    /// The consumer's state, requiring an active enrollment (or only that they are not
    /// discharged, for corrections).
    func activeConsumer(_ id: ConsumerID, what: String) throws(RecordError) -> (Consumer, Enrollment) {
        let c = consumers[id] ?? Consumer()
        if c.discharged {
            throw .invariant("record.discharged-only-amendments", "the consumer is discharged: only amendments and error marks may be added", field: "consumer_id")
        }
        guard let enrollment = c.enrollment else {
            throw .invariant("\(what).requires-active-enrollment", "the consumer has no active enrollment", field: "consumer_id")
        }
        return (c, enrollment)
    }

    /// The practitioner, who must be in the record and on staff: now, or on `date` for an
    /// entry about that day (a late entry may name someone who has left since).
    func requirePractitioner(_ id: PractitionerID, field: String, on date: LocalDate? = nil) throws(RecordError) -> Practitioner {
        guard let p = practitioners[id] else { throw .invariant("practitioner.unknown", "no such practitioner in the record", field: field) }
        guard date.map(p.onStaff(on:)) ?? p.active else {
            throw .invariant("practitioner.inactive", "the practitioner was not on the program's staff that day (not yet joined, or left)", field: field)
        }
        return p
    }

    func checkTopics(_ topics: [Module], _ curriculum: CurriculumEdition, field: String) throws(RecordError) {
        if let i = topics.firstIndex(where: { !curriculum.contains($0) }) {
            throw .invariant("session.topic-not-in-curriculum", "the module is not part of the consumer's curriculum edition", field: "\(field)[\(i)]")
        }
    }

    func checkGoalsOpen(_ goals: [GoalID], _ c: Consumer, on date: LocalDate, field: String) throws(RecordError) {
        for (i, g) in goals.enumerated() {
            guard let goal = c.goals[g] else { throw .invariant("goal.unknown", "no such goal for this consumer", field: "\(field)[\(i)]") }
            // A late note about a session before the goal's closure follows up an open goal.
            try checkGoalDay(goal, date, dateField: "\(field)[\(i)]", goalField: "\(field)[\(i)]")
        }
    }

    func checkInvariants(_ event: any RecordEvent, policy: RecordPolicy, warnings: inout [RecordWarning]) throws(RecordError) {
        switch event {
        case let e as ProgramEstablished:
            if programs[e.programId] != nil { throw .invariant("program.already-established", "the program is already established", field: "program_id") }
        case let e as TeamFormed:
            guard programs[e.programId] != nil else { throw .invariant("program.unknown", "no such program", field: "program_id") }
            if teams[e.teamId] != nil { throw .invariant("team.already-formed", "the team already exists", field: "team_id") }
        case let e as PractitionerJoined:
            guard programs[e.programId] != nil else { throw .invariant("program.unknown", "no such program", field: "program_id") }
            guard let team = teams[e.teamId] else { throw .invariant("team.unknown", "no such team", field: "team_id") }
            guard team.programId == e.programId else { throw .invariant("team.other-program", "the team belongs to another program", field: "team_id") }
            if practitioners[e.practitionerId]?.active == true {
                throw .invariant("practitioner.already-active", "the practitioner is already on a team", field: "practitioner_id")
            }
        case let e as PractitionerLeft:
            let p = try requirePractitioner(e.practitionerId, field: "practitioner_id")
            if let joined = p.joined, e.date < joined {
                throw .invariant("practitioner.left-before-joined", "must not be before the day they joined", field: "date")
            }
        case let e as TrainingCompleted:
            guard practitioners[e.practitionerId] != nil else { throw .invariant("practitioner.unknown", "no such practitioner in the record", field: "practitioner_id") }
        case let e as SupervisionHeld:
            guard let team = teams[e.teamId] else { throw .invariant("team.unknown", "no such team", field: "team_id") }
            _ = try requirePractitioner(e.leader, field: "leader", on: e.date)
            for (i, p) in e.practitioners.enumerated() { _ = try requirePractitioner(p, field: "practitioners[\(i)]", on: e.date) }
            // The cases are the team's program's consumers: a supervision names no one else.
            for (i, c) in e.casesReviewed.enumerated() where consumers[c]?.enrollment?.programId != team.programId {
                throw .invariant("supervision.case-not-in-program", "not a consumer enrolled in the team's program", field: "cases_reviewed[\(i)]")
            }
        case let e as FidelityReviewCompleted:
            guard let program = programs[e.programId] else { throw .invariant("program.unknown", "no such program", field: "program_id") }
            if program.reviews.contains(e.reviewId) { throw .invariant("fidelity.duplicate-review", "the review is already recorded", field: "review_id") }
        case let e as ReferralReceived:
            guard programs[e.programId] != nil else { throw .invariant("program.unknown", "no such program", field: "program_id") }
            if referrals[e.referralId] != nil { throw .invariant("referral.duplicate", "the referral is already recorded", field: "referral_id") }
        case let e as ReferralAccepted:
            try checkUndecided(e.referralId, decidedOn: e.date)
        case let e as ReferralDeclined:
            try checkUndecided(e.referralId, decidedOn: e.date)
        case let e as ConsumerEnrolled:
            guard let referral = referrals[e.referralId], referral.accepted == true else {
                throw .invariant("enrollment.requires-accepted-referral", "enrollment needs an accepted referral", field: "referral_id")
            }
            guard referral.consumerId == e.consumerId else {
                throw .invariant("enrollment.referral-of-another-consumer", "the referral is for another consumer", field: "referral_id")
            }
            guard referral.programId == e.programId else {
                throw .invariant("enrollment.referral-to-another-program", "the referral is to another program", field: "program_id")
            }
            guard let program = programs[e.programId] else { throw .invariant("program.unknown", "no such program", field: "program_id") }
            guard program.curriculum == e.curriculum else {
                throw .invariant("enrollment.curriculum-of-program", "must be the program's curriculum edition", field: "curriculum")
            }
            guard program.scaleVersion == e.scaleVersion else {
                throw .invariant("enrollment.scale-of-program", "must be the program's fidelity scale version", field: "scale_version")
            }
            let c = consumers[e.consumerId] ?? Consumer()
            if c.discharged { throw .invariant("record.discharged-only-amendments", "the consumer is discharged: only amendments and error marks may be added", field: "consumer_id") }
            if c.enrollment != nil { throw .invariant("enrollment.already-active", "the consumer already has an active enrollment", field: "consumer_id") }
            try checkEnrollmentStart(e.startDate, referral: referral, field: "start_date")
        case let e as PractitionerAssigned:
            let (_, enrollment) = try activeConsumer(e.consumerId, what: "assignment")
            try checkEnrollment(e.enrollmentId, enrollment)
            guard e.effectiveDate >= enrollment.startDate else {
                throw .invariant("assignment.before-enrollment", "must not be before the enrollment's start", field: "effective_date")
            }
            if enrollment.primary != nil {
                throw .invariant("assignment.one-primary", "the enrollment already has a primary practitioner: transfer instead", field: "practitioner_id")
            }
            let p = try requirePractitioner(e.practitionerId, field: "practitioner_id", on: e.effectiveDate)
            if p.trainings == 0 { warnings.append(.init(rule: "practitioner.no-training", message: "no IMR training is recorded for the practitioner")) }
        case let e as PractitionerTransferred:
            let (_, enrollment) = try activeConsumer(e.consumerId, what: "transfer")
            try checkEnrollment(e.enrollmentId, enrollment)
            guard enrollment.primary == e.fromPractitionerId else {
                throw .invariant("transfer.from-current-primary", "must be the enrollment's current primary practitioner", field: "from_practitioner_id")
            }
            guard e.effectiveDate >= enrollment.startDate else {
                throw .invariant("transfer.before-enrollment", "must not be before the enrollment's start", field: "effective_date")
            }
            let p = try requirePractitioner(e.toPractitionerId, field: "to_practitioner_id", on: e.effectiveDate)
            if p.trainings == 0 { warnings.append(.init(rule: "practitioner.no-training", message: "no IMR training is recorded for the practitioner")) }
        case let e as ConsumerDischarged:
            let (c, enrollment) = try activeConsumer(e.consumerId, what: "discharge")
            try checkEnrollment(e.enrollmentId, enrollment)
            guard e.date >= enrollment.startDate else { throw .invariant("discharge.before-enrollment", "must not be before the enrollment's start", field: "date") }
            if let last = c.lastContact, e.date < last {
                throw .invariant("discharge.before-last-session", "must not be before the consumer's last recorded session", field: "date")
            }
            if c.goals.values.contains(where: { $0.status == .open }) {
                throw .invariant("discharge.open-goals", "open goals must be achieved or withdrawn before discharge", field: "consumer_id")
            }
            if c.goals.values.contains(where: { ($0.closedOn.map { $0 > e.date } ?? false) || $0.lastReview > e.date }) {
                throw .invariant("discharge.open-goals", "a goal was still open on that day: it was rated or closed later", field: "date")
            }
            try checkTopics(e.modulesCompleted, enrollment.curriculum, field: "modules_completed")
        case let e as SessionRecorded:
            let (c, enrollment) = try activeConsumer(e.consumerId, what: "session")
            guard e.format != .group else {
                throw .invariant("session.group-through-group-command", "group sessions are recorded with record-group-session", field: "format")
            }
            try checkNote(e, c, enrollment)
        case let e as AttendanceRecorded:
            let (c, enrollment) = try activeConsumer(e.consumerId, what: "attendance")
            if c.attendance.contains(e.sessionId) {
                throw .invariant("attendance.one-status-per-session", "attendance for this session is already recorded", field: "session_id")
            }
            guard e.date >= enrollment.startDate else { throw .invariant("attendance.before-enrollment", "must not be before the enrollment's start", field: "date") }
            if e.status != .attended && c.notes.contains(e.sessionId) {
                throw .invariant("attendance.contradicts-note", "the session has the consumer's progress note: they attended it", field: "status")
            }
        case let e as GroupFormed:
            guard programs[e.programId] != nil else { throw .invariant("program.unknown", "no such program", field: "program_id") }
            if groups[e.groupId] != nil { throw .invariant("group.already-formed", "the group already exists", field: "group_id") }
            try checkKnownPractitioners(e.facilitators, on: e.startDate, field: "facilitators")
            for (i, m) in e.members.enumerated() {
                let (_, enrollment) = try activeConsumer(m, what: "group-membership", field: "members[\(i)]")
                guard enrollment.programId == e.programId else {
                    throw .invariant("group.member-of-another-program", "the consumer is enrolled in another program", field: "members[\(i)]")
                }
            }
            if e.members.count > policy.maxGroupSize {
                warnings.append(.init(rule: "group.over-size", message: "the group has more than \(policy.maxGroupSize) members"))
            }
        case let e as GroupMembershipChanged:
            guard let g = groups[e.groupId] else { throw .invariant("group.unknown", "no such group", field: "group_id") }
            let members = g.members
            for (i, m) in e.added.enumerated() {
                if members.contains(m) { throw .invariant("group.already-member", "already a member of the group", field: "added[\(i)]") }
                let (_, enrollment) = try activeConsumer(m, what: "group-membership", field: "added[\(i)]")
                guard enrollment.programId == g.programId else {
                    throw .invariant("group.member-of-another-program", "the consumer is enrolled in another program", field: "added[\(i)]")
                }
            }
            for (i, m) in e.removed.enumerated() where !members.contains(m) {
                throw .invariant("group.not-a-member", "not a member of the group", field: "removed[\(i)]")
            }
            let size = members.count + e.added.count - e.removed.count
            if size > policy.maxGroupSize { warnings.append(.init(rule: "group.over-size", message: "the group has more than \(policy.maxGroupSize) members")) }
        case let e as GoalSet:
            let (c, enrollment) = try activeConsumer(e.consumerId, what: "goal")
            if c.goals[e.goalId] != nil { throw .invariant("goal.duplicate", "the goal already exists", field: "goal_id") }
            guard e.date >= enrollment.startDate else { throw .invariant("goal.before-enrollment", "must not be before the enrollment's start", field: "date") }
        case let e as GoalRevised: try checkGoalOpen(e.consumerId, e.goalId, on: e.date, lateEntry: true)
        case let e as GoalProgressRated: try checkGoalOpen(e.consumerId, e.goalId, on: e.date, lateEntry: true)
        case let e as GoalAchieved: try checkGoalOpen(e.consumerId, e.goalId, on: e.date)
        case let e as GoalWithdrawn: try checkGoalOpen(e.consumerId, e.goalId, on: e.date)
        case let e as SupporterRegistered:
            let (c, _) = try activeConsumer(e.consumerId, what: "supporter")
            if c.supporters[e.supporterId] != nil { throw .invariant("supporter.duplicate", "the supporter is already registered", field: "supporter_id") }
        case let e as SupporterConsentRecorded:
            let (c, _) = try activeConsumer(e.consumerId, what: "supporter")
            guard c.supporters[e.supporterId] != nil else { throw .invariant("supporter.unknown", "no such supporter for this consumer", field: "supporter_id") }
        case let e as SupporterConsentRevoked:
            let (c, _) = try activeConsumer(e.consumerId, what: "supporter")
            guard let s = c.supporters[e.supporterId] else { throw .invariant("supporter.unknown", "no such supporter for this consumer", field: "supporter_id") }
            guard s.consents.contains(where: { $0.inForce(on: e.effectiveDate) }) else {
                throw .invariant("consent.nothing-to-revoke", "no consent of this supporter is in force on that date", field: "effective_date")
            }
        case let e as SupporterContactRecorded:
            let (c, _) = try activeConsumer(e.consumerId, what: "supporter")
            guard let s = c.supporters[e.supporterId] else { throw .invariant("supporter.unknown", "no such supporter for this consumer", field: "supporter_id") }
            guard s.consents(to: e.purpose, on: e.date) else {
                // A consent in force that does not cover the purpose: the purpose is what is wrong.
                let inForce = s.consents.contains { $0.inForce(on: e.date) }
                throw .invariant("supporter.contact-needs-active-consent",
                                 "no consent covering this purpose was in force on the contact's date", field: inForce ? "purpose" : "date")
            }
        case let e as StrengthsInventoryCompleted:
            let (c, _) = try activeConsumer(e.consumerId, what: "inventory")
            // The inventory's session is the consumer's Nth: one more than the sessions attended
            // before it. A named session already recorded is placed among the others by its day
            // (another session the same day counts as before it); otherwise the inventory's own
            // day places it.
            let number: Int
            if let s = e.sessionId, let day = c.sessionsAttended[s] {
                number = c.sessionsAttended.filter { $0.key != s && $0.value <= day }.count + 1
            } else {
                number = c.sessionsAttended.values.filter { $0 < e.date }.count + 1
            }
            if !(2...3).contains(number) {
                warnings.append(.init(rule: "inventory.not-session-2-or-3", message: "the inventory belongs in the second or third IMR session"))
            }
        case let e as RelapsePreventionPlanRecorded:
            let (c, _) = try activeConsumer(e.consumerId, what: "relapse-plan")
            let expected = (c.planVersions[e.planId] ?? 0) + 1
            guard e.planVersion == expected else {
                throw .invariant("relapse-plan.version-sequence", "must be \(expected), the next version of this plan", field: "plan_version")
            }
            try checkSupporterConsent(e, c)
        case let e as HandoutsProvided:
            let (c, enrollment) = try activeConsumer(e.consumerId, what: "handouts")
            if !enrollment.curriculum.contains(e.module) {
                throw .invariant("handouts.module-not-in-curriculum", "the module is not part of the consumer's curriculum edition", field: "module")
            }
            try checkSupporterConsent(e, c)
        case let e as ModuleReviewCompleted:
            let (c, _) = try activeConsumer(e.consumerId, what: "module-review")
            guard let taught = c.firstTaught[e.module] else {
                throw .invariant("module-review.module-not-taught", "the module has not been taught to this consumer", field: "module")
            }
            guard e.date >= taught else {
                throw .invariant("module-review.before-taught", "must not be before the module was first taught", field: "date")
            }
        case let e as OutcomeMeasureRecorded:
            _ = try activeConsumer(e.consumerId, what: "outcome")
        case let e as EntryAmended:
            let c = consumers[e.consumerId] ?? Consumer()
            try checkTarget(e.targetEventId, c)
            if let type = c.events[e.targetEventId].flatMap({ EventCatalog.byTypeName[$0.typeName] }),
                type == EntryAmended.self || type == EntryMarkedInError.self
            {
                throw .invariant("amendment.target-is-correction",
                                 "a correction is not amended: mark it in error and amend the entry itself", field: "target_event_id")
            }
            if let r = e.requestId {
                guard let request = c.requests[r] else { throw .invariant("amendment-request.unknown", "no such amendment request", field: "request_id") }
                guard request.decision == .accepted else {
                    throw .invariant("amendment.request-not-accepted", "the amendment request has not been accepted", field: "request_id")
                }
                if let target = request.target, target != e.targetEventId {
                    throw .invariant("amendment.request-other-target", "the amendment request concerns another event", field: "target_event_id")
                }
            }
            try checkAmendmentContent(e, c)
            try checkCorrectedHistory(adding: e, consumer: e.consumerId, target: e.targetEventId, policy: policy)
        case let e as EntryMarkedInError:
            let c = consumers[e.consumerId] ?? Consumer()
            try checkTarget(e.targetEventId, c)
            if c.inError.contains(e.targetEventId) { throw .invariant("entry.already-in-error", "the entry is already marked in error", field: "target_event_id") }
            try checkCorrectedHistory(adding: e, consumer: e.consumerId, target: e.targetEventId, policy: policy)
        case let e as AmendmentRequested:
            let c = consumers[e.consumerId] ?? Consumer()
            if c.requests[e.requestId] != nil { throw .invariant("amendment-request.duplicate", "the request is already recorded", field: "request_id") }
            if let t = e.targetEventId { try checkTarget(t, c) }
        case let e as AmendmentRequestDecided:
            let c = consumers[e.consumerId] ?? Consumer()
            guard let r = c.requests[e.requestId] else { throw .invariant("amendment-request.unknown", "no such amendment request", field: "request_id") }
            if r.decision != nil { throw .invariant("amendment-request.already-decided", "the request is already decided", field: "request_id") }
            let limit = policy.amendmentDecisionDays + (e.extended ? policy.amendmentExtensionDays : 0)
            if e.date.days(since: r.date) > limit {
                warnings.append(.init(rule: "amendment-request.decided-late", message: "decided more than \(limit) days after the request"))
            }
        default:
            break
        }
    }

    func activeConsumer(_ id: ConsumerID, what: String, field: String) throws(RecordError) -> (Consumer, Enrollment) {
        do { return try activeConsumer(id, what: what) } catch {
            throw RecordError(error.kind, error.violations.map { var v = $0; v.field = field; return v })
        }
    }

    func checkUndecided(_ id: ReferralID, decidedOn date: LocalDate) throws(RecordError) {
        guard let r = referrals[id] else { throw .invariant("referral.unknown", "no such referral", field: "referral_id") }
        if r.accepted != nil { throw .invariant("referral.one-decision", "the referral is already decided", field: "referral_id") }
        guard date >= r.date else { throw .invariant("referral.decided-before-received", "must not be before the referral was received", field: "date") }
    }

    func checkEnrollment(_ id: EnrollmentID, _ enrollment: Enrollment) throws(RecordError) {
        guard enrollment.id == id else { throw .invariant("enrollment.not-active", "not the consumer's active enrollment", field: "enrollment_id") }
    }

    /// The goal must be open; with `lateEntry` (a revision or rating), open on `date` is enough:
    /// a late entry about a day before the goal's closure does not follow the closure.
    func checkGoalOpen(_ consumer: ConsumerID, _ goal: GoalID, on date: LocalDate, lateEntry: Bool = false) throws(RecordError) {
        let (c, _) = try activeConsumer(consumer, what: "goal")
        guard let g = c.goals[goal] else { throw .invariant("goal.unknown", "no such goal for this consumer", field: "goal_id") }
        if lateEntry { return try checkGoalDay(g, date, dateField: "date", goalField: "goal_id") }
        guard date >= g.setOn else { throw .invariant("goal.before-set", "must not be before the goal was set", field: "date") }
        guard g.status == .open else { throw .invariant("goal.closed", "the goal is closed: nothing may follow its closure", field: "goal_id") }
        try checkClosureDay(g, date, field: "date")
    }

    /// An entry about `goal` on `date` (a rating, revision or follow-up): on or after the day
    /// it was set, and not after its closure.
    func checkGoalDay(_ goal: Goal, _ date: LocalDate, dateField: String, goalField: String) throws(RecordError) {
        guard date >= goal.setOn else { throw .invariant("goal.before-set", "must not be before the goal was set", field: dateField) }
        guard goal.wasOpen(on: date) else { throw .invariant("goal.closed", "the goal is closed: nothing may follow its closure", field: goalField) }
    }

    /// A closure of `goal` on `date`: not before its last rating, revision or follow-up, which
    /// would then be dated after it.
    func checkClosureDay(_ goal: Goal, _ date: LocalDate, field: String) throws(RecordError) {
        if date < goal.lastReview {
            throw .invariant("goal.closed-before-follow-up", "must not be before the goal's last rating, revision or follow-up", field: field)
        }
    }

    func checkTarget(_ id: String, _ c: Consumer) throws(RecordError) {
        guard c.events[id] != nil else {
            throw .invariant("amendment.target-not-found", "no event with this id in the consumer's record", field: "target_event_id")
        }
    }

    /// The amendment's fields must be fields of its target, and the amended target must still
    /// be a valid event of its type.
    func checkAmendmentContent(_ e: EntryAmended, _ c: Consumer) throws(RecordError) {
        guard let target = c.events[e.targetEventId], case .object = target.data,
            case .object(let changes) = e.content, let type = EventCatalog.byTypeName[target.typeName]
        else { return }
        // Identifiers say what the entry is about (whose record, which session or goal); an
        // amendment corrects content, never the identity of what it amends.
        for key in changes.keys.sorted() where key.hasSuffix("_id") {
            throw .invariant("amendment.identifiers-fixed", "an amendment may not change an identifier of its target", field: "content.\(key)")
        }
        let amended: any RecordEvent
        do { amended = try JSONValueDecoder().decode(type, from: EffectiveCorrections.amend(target.data, with: [e.content])) } catch let error as DecodingError {
            throw .invariant("amendment.content-invalid", "the amended event would break its type's rules", field: "content." + error.path)
        } catch {
            throw .invariant("amendment.content-invalid", "the amended event would break its type's rules", field: "content")
        }
        // The amended event must also keep its type's field rules (non-empty text, ranges…).
        do { try validateFields(amended) } catch {
            throw RecordError(.invariant, error.violations.map {
                .init(rule: "amendment.content-invalid", field: "content." + ($0.field ?? ""), message: $0.message + " (\($0.rule))")
            })
        }
        // And a note's fields that the amendment changes keep the record's rules for a note:
        // after the enrollment's start, topics of the consumer's curriculum, goals the consumer has.
        if let note = amended as? SessionRecorded, let enrollment = c.enrollment {
            let prefix = "content."
            if changes["date"] != nil, note.date < enrollment.startDate {
                throw .invariant("session.before-enrollment", "must not be before the enrollment's start", field: prefix + "date")
            }
            if changes["topics"] != nil { try checkTopics(note.topics, enrollment.curriculum, field: prefix + "topics") }
            if changes["goals_followed_up"] != nil {
                for (i, g) in note.goalsFollowedUp.enumerated() where c.goals[g] == nil {
                    throw .invariant("goal.unknown", "no such goal for this consumer", field: prefix + "goals_followed_up[\(i)]")
                }
            }
        }
        if changes["date"] != nil { try checkAmendedDate(amended, c) }
        if changes["start_date"] != nil, let enrolled = amended as? ConsumerEnrolled {
            if let first = c.firstEntry, enrolled.startDate > first {
                throw .invariant("enrollment.start-after-entries",
                                 "must not be after the consumer's first note, attendance, goal or practitioner assignment", field: "content.start_date")
            }
            if let referral = referrals[enrolled.referralId] {
                try checkEnrollmentStart(enrolled.startDate, referral: referral, field: "content.start_date")
            }
        }
        if ["date", "supporter_present", "supporters_involved", "recipient"].contains(where: { changes[$0] != nil }) {
            try checkSupporterConsent(amended, c, field: "content.")
        }
    }

    /// A correction (an amendment, or a mark in error) may not leave the consumer's record in
    /// a state the rules refuse.
    ///
    /// The consumer's history as it would stand with `correction` (every entry with its
    /// amendments' fields, entries in error left out, as the rules and the projections fold it)
    /// is judged entry by entry, in log order, by the rules each entry met when it was
    /// recorded: a note's date after the discharge, a discharge with a goal left open by a mark
    /// in error, a handout's module outside the curriculum, a contact outside its consent all
    /// break it. Other streams (programs, practitioners, referrals, groups) are judged as they
    /// stand; their rules compare days, so a late entry's day still decides. A record that
    /// already breaks a rule without this correction is not judged (a correction may be what
    /// repairs it).
    func checkCorrectedHistory(adding correction: any RecordEvent, consumer id: ConsumerID, target: String,
                               policy: RecordPolicy) throws(RecordError) {
        guard let before = consumers[id], let history = history(of: id, adding: [correction]) else { return }
        guard let (entry, error) = replayBreak(history, consumer: id, target: target, policy: policy) else { return }
        // Judged only when the record stood without this correction.
        if replayBreak(before, consumer: id, target: target, policy: policy) != nil { return }
        let changed: Set<String>
        if let amendment = correction as? EntryAmended, case .object(let m) = amendment.content { changed = Set(m.keys) } else { changed = [] }
        throw RecordError(.invariant, error.violations.map { v in
            // The changed member the violation is about (`modules_completed[0]` is about `modules_completed`).
            let member = v.field.map { String($0.prefix { $0 != "[" && $0 != "." }) }
            let field = entry == target && member.map(changed.contains) == true ? "content." + v.field! : "target_event_id"
            let which = entry == target ? "the corrected entry" : "another entry of the record"
            return .init(rule: "correction.breaks-record", field: field,
                         message: "with this correction \(which) would break its rule (\(v.rule)): \(v.message)")
        })
    }

    /// `id`'s stream with `corrections` appended (under ids no stored event has), as judging
    /// them replays it; nil when the record holds no such consumer.
    private func history(of id: ConsumerID, adding corrections: [any RecordEvent]) -> Consumer? {
        guard var history = consumers[id] else { return nil }
        for (i, correction) in corrections.enumerated() {
            guard let data = try? JSONValueEncoder().encode(correction) else { return nil }
            let pending = "\u{0}correction-\(i)"
            history.recorded[pending] = (Swift.type(of: correction).typeName, data)
            history.order.append(pending)
        }
        return history
    }

    /// The streams whose state judging `corrections` of consumer `id` reads: those the rules
    /// of each of the consumer's entries read, as the entries stand and as the corrections
    /// would leave them (an amendment may name another practitioner). The record core reads
    /// them before deciding; this state needs only the consumer's own stream.
    public func streamsToJudge(_ corrections: [any RecordEvent], of id: ConsumerID) -> [String] {
        guard let before = consumers[id], let after = history(of: id, adding: corrections) else { return [] }
        var out: [String] = []
        var seen = Set<String>()
        for entry in Self.correctedEntries(before) + Self.correctedEntries(after) {
            guard let event = entry.event else { continue }
            for s in Command.record(event).streamsToRead where seen.insert(s).inserted { out.append(s) }
        }
        return out
    }

    /// Rules an entry other than the corrected one may break by naming something an entry in
    /// error recorded (a rating of a goal whose setting was entered in error, a review of a
    /// module taught only in a note in error). Such a reference counts for nothing, as its
    /// target does, and the fold ignores it.
    static let referencesToEntriesInError: Set<String> = [
        "goal.unknown", "supporter.unknown", "module-review.module-not-taught", "module-review.before-taught",
    ]

    /// The first entry of `history` (corrected) that its rules refuse, replayed in order on
    /// this state without the consumer; nil when every entry passes.
    private func replayBreak(_ history: Consumer, consumer id: ConsumerID, target: String, policy: RecordPolicy) -> (String, RecordError)? {
        var replay = self
        replay.consumers[id] = nil
        var warnings: [RecordWarning] = []
        for entry in Self.correctedEntries(history) {
            // Corrections are already in the entries they correct; entries in error count for
            // nothing, but stay in the record (a later request may name them).
            guard let event = entry.event, !(event is EntryAmended || event is EntryMarkedInError) else {
                if entry.inError || entry.event != nil { replay.consumers[id, default: Consumer()].events[entry.id] = (entry.typeName, entry.data) }
                continue
            }
            do {
                if let note = event as? SessionRecorded, note.format == .group {
                    // A group note is written by record-group-session, which checks it as a note.
                    let (c, enrollment) = try replay.activeConsumer(note.consumerId, what: "session")
                    try replay.checkNote(note, c, enrollment)
                } else {
                    try replay.checkInvariants(event, policy: policy, warnings: &warnings)
                }
            } catch {
                let dangling = entry.id != target && error.violations.allSatisfy { Self.referencesToEntriesInError.contains($0.rule) }
                if !dangling { return (entry.id, error) }
            }
            replay.apply(event, id: entry.id, data: entry.data)
        }
        return nil
    }

    /// An enrollment starts on or after its referral's acceptance (for an enrollment, and for an
    /// amendment of its `start_date`).
    func checkEnrollmentStart(_ start: LocalDate, referral: Referral, field: String) throws(RecordError) {
        guard start >= (referral.decidedOn ?? referral.date) else {
            throw .invariant("enrollment.before-referral", "must not start before the referral was accepted", field: field)
        }
    }

    /// The order of clinical dates for an entry whose `date` an amendment changes: what the
    /// same entry would have to keep if it were recorded with that date.
    func checkAmendedDate(_ amended: any RecordEvent, _ c: Consumer) throws(RecordError) {
        let field = "content.date"
        switch amended {
        case let e as GoalProgressRated:
            if let g = c.goals[e.goalId] { try checkGoalDay(g, e.date, dateField: field, goalField: field) }
        case let e as GoalRevised:
            if let g = c.goals[e.goalId] { try checkGoalDay(g, e.date, dateField: field, goalField: field) }
        case let e as GoalAchieved:
            if let g = c.goals[e.goalId] { try checkClosureDay(g, e.date, field: field) }
        case let e as GoalWithdrawn:
            if let g = c.goals[e.goalId] { try checkClosureDay(g, e.date, field: field) }
        case let e as GoalSet:
            if let enrollment = c.enrollment, e.date < enrollment.startDate {
                throw .invariant("goal.before-enrollment", "must not be before the enrollment's start", field: field)
            }
            if let first = c.goals[e.goalId]?.firstFollowUp, e.date > first {
                throw .invariant("goal.before-set", "must not be after the goal's first rating, revision, follow-up or closure", field: field)
            }
        case let e as ConsumerDischarged:
            if let last = c.lastContact, e.date < last {
                throw .invariant("discharge.before-last-session", "must not be before the consumer's last recorded session", field: field)
            }
        case let e as AttendanceRecorded:
            if let enrollment = c.enrollment, e.date < enrollment.startDate {
                throw .invariant("attendance.before-enrollment", "must not be before the enrollment's start", field: field)
            }
        default:
            break
        }
    }


    func checkNote(_ e: SessionRecorded, _ c: Consumer, _ enrollment: Enrollment, field prefix: String = "") throws(RecordError) {
        if c.notes.contains(e.sessionId) {
            throw .invariant("session.one-note-per-attendee", "a note for this consumer and session already exists", field: prefix + "session_id")
        }
        if c.attendance.contains(e.sessionId) && c.sessionsAttended[e.sessionId] == nil {
            throw .invariant("attendance.contradicts-note", "the consumer's attendance for this session says they did not attend it", field: prefix + "session_id")
        }
        guard e.date >= enrollment.startDate else {
            throw .invariant("session.before-enrollment", "must not be before the enrollment's start", field: prefix + "date")
        }
        try checkTopics(e.topics, enrollment.curriculum, field: prefix + "topics")
        try checkGoalsOpen(e.goalsFollowedUp, c, on: e.date, field: prefix + "goals_followed_up")
        if let g = e.goalSet, c.goals[g] == nil { throw .invariant("goal.unknown", "no such goal for this consumer", field: prefix + "goal_set") }
        try checkKnownPractitioners(e.practitioners, on: e.date, field: prefix + "practitioners")
        try checkSupporterConsent(e, c, field: prefix)
    }

    /// A supporter takes part in a consumer's care only "with consumers' permission" (S001):
    /// a supporter present in a session, involved in a relapse prevention plan or given
    /// handouts needs the consumer's consent covering that purpose in force on the entry's
    /// day, as a recorded contact does. A note names the supporter present as text, and a
    /// handout names no supporter, so for those some supporter of the consumer must hold it.
    func checkSupporterConsent(_ event: any RecordEvent, _ c: Consumer, field prefix: String = "") throws(RecordError) {
        func anyConsents(to purpose: SupporterPurpose, on date: LocalDate) -> Bool {
            c.supporters.values.contains { $0.consents(to: purpose, on: date) }
        }
        switch event {
        case let e as SessionRecorded where e.supporterPresent != nil:
            guard anyConsents(to: .sessions, on: e.date) else {
                throw .invariant("supporter.session-needs-active-consent",
                                 "no supporter of this consumer had consent to take part in sessions in force on the session's date",
                                 field: prefix + "supporter_present")
            }
        case let e as RelapsePreventionPlanRecorded:
            for (i, s) in e.supportersInvolved.enumerated() {
                guard let supporter = c.supporters[s] else {
                    throw .invariant("supporter.unknown", "no such supporter for this consumer", field: prefix + "supporters_involved[\(i)]")
                }
                guard supporter.consents(to: .relapsePlan, on: e.date) else {
                    throw .invariant("supporter.plan-needs-active-consent",
                                     "the supporter had no consent covering the relapse plan in force on the plan's date",
                                     field: prefix + "supporters_involved[\(i)]")
                }
            }
        case let e as HandoutsProvided where e.recipient == .supporter:
            guard anyConsents(to: .handouts, on: e.date) else {
                throw .invariant("supporter.handouts-need-active-consent",
                                 "no supporter of this consumer had consent to receive handouts in force on that date",
                                 field: prefix + "recipient")
            }
        default:
            break
        }
    }

    /// Every practitioner named must be in the record and on staff on `date` (one who has
    /// left since still counts: a late note may name them).
    func checkKnownPractitioners(_ ids: [PractitionerID], on date: LocalDate, field: String) throws(RecordError) {
        for (i, p) in ids.enumerated() { _ = try requirePractitioner(p, field: "\(field)[\(i)]", on: date) }
    }

    func decideGroupSession(_ g: GroupSessionRecording, policy: RecordPolicy) throws(RecordError) -> Decision {
        var checks = FieldChecks()
        checks.range(g.durationMinutes, 1...600, "duration_minutes")
        checks.nonEmpty(g.facilitators, "facilitators"); checks.unique(g.facilitators, "facilitators")
        checks.nonEmpty(g.attendance, "attendance"); checks.unique(g.topics, "topics")
        checks.unique(g.attendance.map(\.consumerId), "attendance")
        checks.unique(g.notes.map(\.consumerId), "notes")
        try checks.finish()
        guard let group = groups[g.groupId] else { throw .invariant("group.unknown", "no such group", field: "group_id") }
        if group.sessions.contains(g.sessionId) { throw .invariant("group-session.duplicate", "the session is already recorded", field: "session_id") }
        try checkKnownPractitioners(g.facilitators, on: g.date, field: "facilitators")
        let attended = Set(g.attendance.filter { $0.status == .attended }.map(\.consumerId))
        for (i, a) in g.attendance.enumerated() where !group.wasMember(a.consumerId, on: g.date) {
            throw .invariant("group-session.not-a-member", "not a member of the group", field: "attendance[\(i)].consumer_id")
        }
        for (i, n) in g.notes.enumerated() where !attended.contains(n.consumerId) {
            throw .invariant("group-session.note-only-for-attendees", "a note is only written for a consumer marked attended", field: "notes[\(i)].consumer_id")
        }
        if attended.count != g.notes.count {
            throw .invariant("group-session.one-note-per-attendee", "every attendee needs exactly one note", field: "notes")
        }
        var events: [any RecordEvent] = [GroupSessionHeld(
            sessionId: g.sessionId, groupId: g.groupId, date: g.date, durationMinutes: g.durationMinutes, facilitators: g.facilitators,
            topics: g.topics, attended: attended.count, rosterSize: group.members.count)]
        var warnings: [RecordWarning] = []
        if attended.count > policy.maxGroupSize {
            warnings.append(.init(rule: "group.over-size", message: "more than \(policy.maxGroupSize) consumers attended"))
        }
        let notes = Dictionary(uniqueKeysWithValues: g.notes.enumerated().map { ($1.consumerId, ($0, $1)) })
        for (i, a) in g.attendance.enumerated() {
            let (c, enrollment) = try activeConsumer(a.consumerId, what: "session", field: "attendance[\(i)].consumer_id")
            if c.attendance.contains(g.sessionId) {
                throw .invariant("attendance.one-status-per-session", "attendance for this session is already recorded", field: "attendance[\(i)]")
            }
            guard g.date >= enrollment.startDate else {
                throw .invariant("attendance.before-enrollment", "must not be before the enrollment's start", field: "attendance[\(i)].consumer_id")
            }
            events.append(AttendanceRecorded(sessionId: g.sessionId, consumerId: a.consumerId, groupId: g.groupId, date: g.date,
                                             status: a.status, reason: a.reason))
            guard let (j, n) = notes[a.consumerId] else { continue }
            let note = SessionRecorded(
                sessionId: g.sessionId, consumerId: n.consumerId, format: .group, groupId: g.groupId, date: g.date,
                durationMinutes: g.durationMinutes, practitioners: g.facilitators, supporterPresent: n.supporterPresent,
                planProblem: n.planProblem, goalsFollowedUp: n.goalsFollowedUp ?? [], goalSet: n.goalSet,
                motivational: n.motivational ?? [], topics: g.topics, educationalTechniques: n.educationalTechniques ?? [],
                cbt: n.cbt ?? [], skills: n.skills ?? [], homework: n.homework, consumerView: n.consumerView,
                practitionerView: n.practitionerView, nextSessionPlan: n.nextSessionPlan, handoutsGiven: n.handoutsGiven ?? false,
                practitionerSigned: true, consumerSigned: n.consumerSigned ?? true,
                consumerSignatureAbsentReason: n.consumerSignatureAbsentReason)
            do { try validateFields(note) } catch {
                throw RecordError(error.kind, error.violations.map { var v = $0; v.field = "notes[\(j)]." + ($0.field ?? ""); return v })
            }
            try checkNote(note, c, enrollment, field: "notes[\(j)].")
            events.append(note)
        }
        return Decision(events: events, warnings: warnings)
    }
}

extension DecodingError {
    /// The snake_case field path of the error (`notes[1].topics[0]`).
    public var path: String {
        switch self {
        case .dataCorrupted(let c) where c.debugDescription.hasPrefix("unknown field"):
            // The unknown member's name is the client's text and may hold patient data: it is
            // repeated only when it looks like a field name.
            if let last = c.codingPath.last, last.intValue == nil, !Self.looksLikeFieldName(last.stringValue) {
                (Array(c.codingPath.dropLast()).fieldPath + ".(member not a field name)").trimmingPrefix(".").description
            } else {
                c.codingPath.fieldPath
            }
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): c.codingPath.fieldPath
        case .keyNotFound(let key, let c): (c.codingPath + [key]).fieldPath
        @unknown default: ""
        }
    }

    /// Lower-case letters, digits and underscores, at most 64: the shape of every field name.
    public static func looksLikeFieldName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }

    /// The rule text of the error, never quoting the value.
    public var ruleText: String {
        switch self {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): c.debugDescription
        case .keyNotFound: "required field is missing"
        @unknown default: "invalid"
        }
    }
}
