import CanonicalJSON
import ClinicalRecord
import ProgramSimulator

// A generator of random program histories from a seed. It keeps its own small model of the
// record (independent of RecordState) and only emits commands the model says the rules allow,
// so every step of a generated history must be accepted. A mutation then breaks exactly one
// rule and names the rule it expects.

/// One generated command: its command id (`k<n>`, so event j gets the id `k<n>.<j>`) and day.
struct Step {
    var command: Command
    var day: Int
    var id: String
    /// The clinical date.
    var date: LocalDate { HistoryGenerator.base.adding(days: day) }
    /// Occurred-at: noon UTC of the date.
    var occurredAt: Timestamp { Timestamp("\(date)T12:00:00Z")! }
    func eventID(_ j: Int) -> String { "\(id).\(j)" }
}

/// A mutated command: what it breaks and the rules it may be refused with.
struct Mutation {
    var name: String
    var command: Command
    var rules: Set<String>
}

struct HistoryGenerator {
    static let base = LocalDate(year: 2025, month: 1, day: 6)!

    struct Program {
        var id: ProgramID
        var curriculum: CurriculumEdition
        var team: TeamID
        var practitioners: [PractitionerID]
        var reviews = 0
    }
    struct Referral {
        var id: ReferralID
        var consumer: ConsumerID
        var program: Int
        var decision: Bool?
    }
    struct Consent {
        var scope: Set<SupporterPurpose>
        var from: Int
        var until: Int?
        func covers(_ p: SupporterPurpose, on day: Int) -> Bool { scope.contains(p) && from <= day && (until.map { day <= $0 } ?? true) }
    }
    /// What an amendable entry is, so that marking it in error can be followed in the model.
    enum Amendable { case session(SessionID, topics: Set<Module>), goal(GoalID) }
    struct Consumer {
        var id: ConsumerID
        var program: Int
        var enrollment: EnrollmentID?
        var start = 0
        var discharged = false
        var primary: PractitionerID?
        var openGoals: [GoalID] = []
        var closedGoals: [GoalID] = []
        var supporters: [(id: SupporterID, consents: [Consent])] = []
        var notes: [SessionID] = []
        var attendance: [SessionID] = []
        var taught: Set<Module> = []
        var plans: [(id: PlanID, version: Int)] = []
        var amendable: [(id: String, kind: Amendable)] = []
        var inError: Set<String> = []
        var requests: [(id: RequestID, decision: AmendmentDecision?, target: Int)] = []
        var active: Bool { enrollment != nil && !discharged }
    }
    struct Group {
        var id: GroupID
        var program: Int
        var members: [ConsumerID]
    }

    var rng: SplitMix64
    var today = 0
    var counter = 0
    var steps: [Step] = []
    var programs: [Program] = []
    var referrals: [Referral] = []
    var consumers: [Consumer] = []
    var groups: [Group] = []
    var maxConsumers = 6

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    // MARK: Helpers

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }
    mutating func pick<T>(_ a: [T]) -> T { a[Int.random(in: 0..<a.count, using: &rng)] }
    mutating func subset<T>(_ a: [T], min: Int = 0, max: Int? = nil) -> [T] {
        let n = int(Swift.min(min, a.count)...Swift.min(max ?? a.count, a.count))
        return Array(a.shuffled(using: &rng).prefix(n))
    }
    mutating func newID(_ prefix: String) -> String { counter += 1; return "\(prefix)\(counter)" }
    var date: LocalDate { Self.base.adding(days: today) }
    var nextStepID: String { "k\(steps.count)" }

    /// Appends a step; returns its index.
    @discardableResult
    mutating func emit(_ command: Command) -> Int {
        steps.append(Step(command: command, day: today, id: nextStepID))
        return steps.count - 1
    }
    @discardableResult
    mutating func emit(_ event: any RecordEvent) -> Int { emit(.record(event)) }

    func index(of c: ConsumerID) -> Int { consumers.firstIndex { $0.id == c }! }
    var active: [Int] { consumers.indices.filter { consumers[$0].active } }
    func curriculum(_ c: Int) -> CurriculumEdition { programs[consumers[c].program].curriculum }

    // MARK: Valid histories

    /// Programs, teams and practitioners, then `count` random valid commands.
    mutating func generate(steps count: Int) {
        for _ in 0..<int(1...2) {
            let p = ProgramID(newID("p"))!, t = TeamID(newID("t"))!
            let a = PractitionerID(newID("pr"))!, b = PractitionerID(newID("pr"))!
            let curriculum = pick(CurriculumEdition.allCases)
            emit(ProgramEstablished(programId: p, name: "Program", curriculum: curriculum, fidelityScale: .kit2009, startDate: date))
            emit(TeamFormed(teamId: t, programId: p, name: "Team", date: date))
            emit(PractitionerJoined(practitionerId: a, programId: p, teamId: t, role: .imrLeader, startDate: date))
            emit(PractitionerJoined(practitionerId: b, programId: p, teamId: t, role: .practitioner, startDate: date))
            emit(TrainingCompleted(practitionerId: a, course: .basic, hours: 16, date: date))
            programs.append(Program(id: p, curriculum: curriculum, team: t, practitioners: [a, b]))
        }
        for _ in 0..<count {
            today += int(0...2)
            step()
        }
    }

    enum Action: CaseIterable {
        case referral, decide, enroll, assign, transfer, setGoal, rateGoal, reviseGoal, closeGoal, session, attendance
        case registerSupporter, consent, contact, revoke, plan, handouts, moduleReview, outcome, inventory
        case formGroup, addMember, groupSession, wrapUp, amend, markInError, requestAmendment, decideRequest, patientAmend
        case fidelity, supervision, access
    }

    func applicable(_ a: Action) -> Bool {
        let act = active
        switch a {
        case .referral: return consumers.count < maxConsumers
        case .decide: return referrals.contains { $0.decision == nil }
        case .enroll: return candidatesToEnroll.count > 0
        case .assign: return act.contains { consumers[$0].primary == nil }
        case .transfer: return act.contains { consumers[$0].primary != nil }
        case .setGoal, .session, .attendance, .registerSupporter, .plan, .handouts, .outcome, .inventory, .wrapUp: return !act.isEmpty
        case .rateGoal, .reviseGoal, .closeGoal: return act.contains { !consumers[$0].openGoals.isEmpty }
        case .consent: return act.contains { !consumers[$0].supporters.isEmpty }
        case .contact: return !contactOptions.isEmpty
        case .revoke: return !revokeOptions.isEmpty
        case .moduleReview: return act.contains { !consumers[$0].taught.isEmpty }
        case .formGroup: return groups.count < 3 && !act.isEmpty
        case .addMember: return !addMemberOptions.isEmpty
        case .groupSession: return groups.contains { g in g.members.contains { consumers[index(of: $0)].active } }
        case .amend, .requestAmendment: return consumers.contains { !$0.amendable.isEmpty }
        case .markInError: return consumers.contains { c in c.amendable.contains { !c.inError.contains($0.id) } }
        case .decideRequest: return consumers.contains { c in c.requests.contains { $0.decision == nil } }
        case .patientAmend: return consumers.contains { c in c.requests.contains { $0.decision == .accepted } && !c.amendable.isEmpty }
        case .fidelity, .supervision, .access: return true
        }
    }

    var candidatesToEnroll: [Int] {
        consumers.indices.filter { i in
            consumers[i].enrollment == nil && referrals.contains { $0.consumer == consumers[i].id && $0.decision == true }
        }
    }
    var contactOptions: [(Int, SupporterID, SupporterPurpose)] {
        var out: [(Int, SupporterID, SupporterPurpose)] = []
        for i in active {
            for s in consumers[i].supporters {
                for p in SupporterPurpose.allCases where s.consents.contains(where: { $0.covers(p, on: today) }) { out.append((i, s.id, p)) }
            }
        }
        return out
    }
    var revokeOptions: [(Int, Int)] {
        var out: [(Int, Int)] = []
        for i in active {
            for (j, s) in consumers[i].supporters.enumerated() where s.consents.contains(where: { $0.until.map { $0 >= today } ?? true }) {
                out.append((i, j))
            }
        }
        return out
    }
    var addMemberOptions: [(Int, Int)] {
        var out: [(Int, Int)] = []
        for (g, group) in groups.enumerated() {
            for i in active where consumers[i].program == group.program && !group.members.contains(consumers[i].id) { out.append((g, i)) }
        }
        return out
    }

    mutating func step() {
        let options = Action.allCases.filter(applicable)
        perform(pick(options))
    }

    mutating func perform(_ action: Action) {
        switch action {
        case .referral:
            let c = ConsumerID(newID("c"))!, r = ReferralID(newID("r"))!
            let p = int(0...(programs.count - 1))
            emit(ReferralReceived(referralId: r, consumerId: c, programId: programs[p].id, source: pick(ReferralSource.allCases),
                                  reason: "reason text", date: date))
            referrals.append(Referral(id: r, consumer: c, program: p))
            consumers.append(Consumer(id: c, program: p))
        case .decide:
            let r = pick(referrals.indices.filter { referrals[$0].decision == nil })
            if chance(0.8) {
                emit(ReferralAccepted(referralId: referrals[r].id, decidedBy: "u1", formatOffered: pick(Format.allCases), date: date))
                referrals[r].decision = true
            } else {
                emit(ReferralDeclined(referralId: referrals[r].id, decidedBy: "u1", reason: "declined", date: date))
                referrals[r].decision = false
            }
        case .enroll:
            let i = pick(candidatesToEnroll)
            let referral = referrals.first { $0.consumer == consumers[i].id }!
            let e = EnrollmentID(newID("e"))!
            emit(ConsumerEnrolled(enrollmentId: e, consumerId: consumers[i].id, programId: programs[referral.program].id, referralId: referral.id,
                                  format: .individual, startDate: date, curriculum: curriculum(i), scaleVersion: .kit2009))
            consumers[i].enrollment = e
            consumers[i].start = today
        case .assign:
            let i = pick(active.filter { consumers[$0].primary == nil })
            let p = pick(programs[consumers[i].program].practitioners)
            emit(PractitionerAssigned(enrollmentId: consumers[i].enrollment!, consumerId: consumers[i].id, practitionerId: p, effectiveDate: date))
            consumers[i].primary = p
        case .transfer:
            let i = pick(active.filter { consumers[$0].primary != nil })
            let from = consumers[i].primary!
            let to = programs[consumers[i].program].practitioners.first { $0 != from }!
            emit(PractitionerTransferred(enrollmentId: consumers[i].enrollment!, consumerId: consumers[i].id, fromPractitionerId: from,
                                         toPractitionerId: to, effectiveDate: date, reason: "caseload"))
            consumers[i].primary = to
        case .setGoal:
            let i = pick(active)
            let g = GoalID(newID("g"))!
            let k = emit(GoalSet(goalId: g, consumerId: consumers[i].id, text: "a goal", steps: ["one step"], targetDate: date.adding(days: 30), date: date))
            consumers[i].openGoals.append(g)
            consumers[i].amendable.append((steps[k].eventID(0), .goal(g)))
        case .rateGoal, .reviseGoal:
            let i = pick(active.filter { !consumers[$0].openGoals.isEmpty })
            let g = pick(consumers[i].openGoals)
            if action == .rateGoal {
                emit(GoalProgressRated(goalId: g, consumerId: consumers[i].id, rating: int(1...5), ratedBy: "u1", date: date))
            } else {
                emit(GoalRevised(goalId: g, consumerId: consumers[i].id, change: "smaller steps", date: date))
            }
        case .closeGoal:
            let i = pick(active.filter { !consumers[$0].openGoals.isEmpty })
            closeGoal(i)
        case .session:
            let i = pick(active)
            let s = SessionID(newID("s"))!
            let topics = subset(curriculum(i).modules, max: 3)
            let goals = subset(consumers[i].openGoals, max: 2)
            // A supporter may be present only with consent to sessions in force today.
            let consented = consumers[i].supporters.contains { $0.consents.contains { $0.covers(.sessions, on: today) } }
            let k = emit(SessionRecorded(sessionId: s, consumerId: consumers[i].id, format: pick([.individual, .combined]), date: date,
                                         durationMinutes: int(15...90), practitioners: [programs[consumers[i].program].practitioners[0]],
                                         supporterPresent: consented && chance(0.5) ? "a supporter" : nil,
                                         goalsFollowedUp: goals, motivational: subset(MotivationalStrategy.allCases, max: 2), topics: topics,
                                         educationalTechniques: subset(EducationalTechnique.allCases, max: 2), cbt: subset(CBTTechnique.allCases, max: 2),
                                         skills: subset(Skill.allCases, max: 1), homework: "homework", handoutsGiven: chance(0.5)))
            consumers[i].notes.append(s)
            consumers[i].taught.formUnion(topics)
            consumers[i].amendable.append((steps[k].eventID(0), .session(s, topics: Set(topics))))
        case .attendance:
            let i = pick(active)
            let s = SessionID(newID("a"))!
            emit(AttendanceRecorded(sessionId: s, consumerId: consumers[i].id, date: date, status: pick(AttendanceStatus.allCases)))
            consumers[i].attendance.append(s)
        case .registerSupporter:
            let i = pick(active)
            let s = SupporterID(newID("sp"))!
            emit(SupporterRegistered(supporterId: s, consumerId: consumers[i].id, name: "supporter", relationship: "friend", date: date))
            consumers[i].supporters.append((s, []))
        case .consent:
            let i = pick(active.filter { !consumers[$0].supporters.isEmpty })
            let j = int(0...(consumers[i].supporters.count - 1))
            let scope = subset(SupporterPurpose.allCases, min: 1)
            let until: Int? = chance(0.5) ? nil : today + int(0...20)
            emit(SupporterConsentRecorded(supporterId: consumers[i].supporters[j].id, consumerId: consumers[i].id,
                                          scope: SupporterPurpose.allCases.filter(scope.contains), effectiveDate: date,
                                          expiryDate: until.map { Self.base.adding(days: $0) }))
            consumers[i].supporters[j].consents.append(Consent(scope: Set(scope), from: today, until: until))
        case .contact:
            let (i, s, p) = pick(contactOptions)
            emit(SupporterContactRecorded(consumerId: consumers[i].id, supporterId: s, date: date, mode: pick(ContactMode.allCases), purpose: p))
        case .revoke:
            let (i, j) = pick(revokeOptions)
            emit(SupporterConsentRevoked(supporterId: consumers[i].supporters[j].id, consumerId: consumers[i].id, effectiveDate: date))
            for k in consumers[i].supporters[j].consents.indices where consumers[i].supporters[j].consents[k].until.map({ $0 > today - 1 }) ?? true {
                consumers[i].supporters[j].consents[k].until = today - 1
            }
        case .plan:
            let i = pick(active)
            let existing = consumers[i].plans.indices
            if existing.isEmpty || chance(0.5) {
                let p = PlanID(newID("pl"))!
                emit(RelapsePreventionPlanRecorded(planId: p, planVersion: 1, consumerId: consumers[i].id, triggers: ["stress"],
                                                   warningSigns: ["poor sleep"], actions: ["call"], date: date))
                consumers[i].plans.append((p, 1))
            } else {
                let k = pick(Array(existing))
                consumers[i].plans[k].version += 1
                // Only supporters with consent to the relapse plan in force today may be involved.
                let supporters = subset(consumers[i].supporters.filter { $0.consents.contains { $0.covers(.relapsePlan, on: today) } }.map(\.id), max: 1)
                emit(RelapsePreventionPlanRecorded(planId: consumers[i].plans[k].id, planVersion: consumers[i].plans[k].version,
                                                   consumerId: consumers[i].id, triggers: [], warningSigns: ["isolation"], actions: ["walk"],
                                                   supportersInvolved: supporters, date: date))
            }
        case .handouts:
            let i = pick(active)
            emit(HandoutsProvided(consumerId: consumers[i].id, module: pick(curriculum(i).modules), handoutIds: ["h1", "h2"],
                                  recipient: consumers[i].supporters.contains { $0.consents.contains { $0.covers(.handouts, on: today) } }
                                      ? pick(HandoutRecipient.allCases) : .consumer, date: date))
        case .moduleReview:
            let i = pick(active.filter { !consumers[$0].taught.isEmpty })
            let m = pick(Module.allCases.filter(consumers[i].taught.contains))
            emit(ModuleReviewCompleted(consumerId: consumers[i].id, module: m, score: int(0...100), date: date))
        case .outcome:
            let i = pick(active)
            let responses = (0..<15).map { _ in int(1...5) }
            emit(OutcomeMeasureRecorded(consumerId: consumers[i].id, instrument: pick(Instrument.allCases), instrumentVersion: "2009",
                                        itemResponses: responses, total: Double(responses.reduce(0, +)) / 15, date: date))
        case .inventory:
            let i = pick(active)
            emit(StrengthsInventoryCompleted(consumerId: consumers[i].id, date: date, answers: [.init(section: pick(InventorySection.allCases), text: "answer")]))
        case .formGroup:
            let p = consumers[pick(active)].program
            let candidates = active.filter { consumers[$0].program == p }.map { consumers[$0].id }
            let members = subset(candidates, min: 1, max: 4)
            let g = GroupID(newID("gr"))!
            emit(GroupFormed(groupId: g, programId: programs[p].id, facilitators: [programs[p].practitioners[0]], members: members, startDate: date))
            groups.append(Group(id: g, program: p, members: members))
        case .addMember:
            let (g, i) = pick(addMemberOptions)
            emit(GroupMembershipChanged(groupId: groups[g].id, added: [consumers[i].id], removed: [], effectiveDate: date))
            groups[g].members.append(consumers[i].id)
        case .groupSession:
            let g = pick(groups.indices.filter { g in groups[g].members.contains { consumers[index(of: $0)].active } })
            let roster = subset(groups[g].members.filter { consumers[index(of: $0)].active }, min: 1)
            let s = SessionID(newID("gs"))!
            let topics = subset(programs[groups[g].program].curriculum.modules, max: 2)
            var attendance: [AttendanceEntry] = [], notes: [GroupNote] = []
            var eventIndex = 1, noteIDs: [(ConsumerID, Int)] = []
            for c in roster {
                let attended = chance(0.7)
                attendance.append(.init(consumerId: c, status: attended ? .attended : pick([.noShow, .cancelledByConsumer, .cancelledByProgram])))
                eventIndex += 1
                if attended {
                    let i = index(of: c)
                    notes.append(GroupNote(consumerId: c, goalsFollowedUp: subset(consumers[i].openGoals, max: 1), homework: "group homework"))
                    noteIDs.append((c, eventIndex))
                    eventIndex += 1
                }
            }
            let k = emit(.recordGroupSession(GroupSessionRecording(
                sessionId: s, groupId: groups[g].id, date: date, durationMinutes: 90, facilitators: [programs[groups[g].program].practitioners[0]],
                topics: topics, attendance: attendance, notes: notes.shuffled(using: &rng))))
            for c in roster {
                let i = index(of: c)
                consumers[i].attendance.append(s)
                if let (_, j) = noteIDs.first(where: { $0.0 == c }) {
                    consumers[i].notes.append(s)
                    consumers[i].taught.formUnion(topics)
                    consumers[i].amendable.append((steps[k].eventID(j), .session(s, topics: Set(topics))))
                }
            }
        case .wrapUp:
            let i = pick(active)
            if consumers[i].openGoals.isEmpty {
                let modules = subset(curriculum(i).modules, max: 3)
                emit(ConsumerDischarged(enrollmentId: consumers[i].enrollment!, consumerId: consumers[i].id, date: date,
                                        reason: pick(DischargeReason.allCases), modulesCompleted: modules))
                consumers[i].discharged = true
            } else {
                closeGoal(i)
            }
        case .amend:
            let i = pick(consumers.indices.filter { !consumers[$0].amendable.isEmpty })
            let (target, kind) = pick(consumers[i].amendable)
            emit(EntryAmended(targetEventId: target, consumerId: consumers[i].id, kind: pick([.addendum, .correction, .lateEntry]),
                              content: Self.content(kind), reason: "clarify", author: "u1"))
        case .markInError:
            let i = pick(consumers.indices.filter { c in consumers[c].amendable.contains { !consumers[c].inError.contains($0.id) } })
            let target = pick(consumers[i].amendable.map(\.id).filter { !consumers[i].inError.contains($0) })
            emit(EntryMarkedInError(targetEventId: target, consumerId: consumers[i].id, reason: "wrong chart", author: "u1"))
            consumers[i].inError.insert(target)
            // An entry in error counts for nothing: its goal is gone, its note slot is free
            // and its topics count as taught only if another note taught them.
            switch consumers[i].amendable.first(where: { $0.id == target })!.kind {
            case .goal(let g):
                consumers[i].openGoals.removeAll { $0 == g }
                consumers[i].closedGoals.removeAll { $0 == g }
            case .session(let s, _):
                consumers[i].notes.removeAll { $0 == s }
                var taught = Set<Module>()
                for entry in consumers[i].amendable where !consumers[i].inError.contains(entry.id) {
                    if case .session(_, let topics) = entry.kind { taught.formUnion(topics) }
                }
                consumers[i].taught = taught
            }
        case .requestAmendment:
            let i = pick(consumers.indices.filter { !consumers[$0].amendable.isEmpty })
            let r = RequestID(newID("rq"))!
            let t = pick(Array(consumers[i].amendable.indices))
            emit(AmendmentRequested(requestId: r, consumerId: consumers[i].id, targetEventId: consumers[i].amendable[t].id,
                                    requestedChange: "change it", date: date))
            consumers[i].requests.append((r, nil, t))
        case .decideRequest:
            let i = pick(consumers.indices.filter { consumers[$0].requests.contains { $0.decision == nil } })
            let j = pick(consumers[i].requests.indices.filter { consumers[i].requests[$0].decision == nil })
            let decision: AmendmentDecision = chance(0.7) ? .accepted : .denied
            emit(AmendmentRequestDecided(requestId: consumers[i].requests[j].id, consumerId: consumers[i].id, decision: decision,
                                         reason: decision == .denied ? "accurate" : nil, date: date))
            consumers[i].requests[j].decision = decision
        case .patientAmend:
            let i = pick(consumers.indices.filter { c in consumers[c].requests.contains { $0.decision == .accepted } && !consumers[c].amendable.isEmpty })
            // A patient-requested amendment changes the event the request was about.
            let request = pick(consumers[i].requests.filter { $0.decision == .accepted })
            let r = request.id
            let (target, kind) = consumers[i].amendable[request.target]
            emit(EntryAmended(targetEventId: target, consumerId: consumers[i].id, kind: .patientRequested, content: Self.content(kind),
                              reason: "patient asked", author: "u1", requestId: r))
        case .fidelity:
            let p = int(0...(programs.count - 1))
            programs[p].reviews += 1
            emit(fidelityReview(p, id: ReviewID(newID("rv"))!, items: 13))
        case .supervision:
            let p = pick(programs)
            // The cases are consumers enrolled in the team's program.
            let cases = subset(consumers.filter { programs[$0.program].id == p.id && $0.enrollment != nil }.map(\.id), max: 3)
            emit(SupervisionHeld(teamId: p.team, kind: pick(SupervisionKind.allCases), leader: p.practitioners[0], practitioners: p.practitioners,
                                 date: date, durationMinutes: 60, casesReviewed: cases))
        case .access:
            if consumers.isEmpty { return perform(.supervision) }
            emit(RecordAccessed(user: "u1", role: "practitioner", consumerId: pick(consumers).id, purpose: "treatment", what: ["notes"]))
        }
    }

    mutating func closeGoal(_ i: Int) {
        let g = consumers[i].openGoals.remove(at: int(0...(consumers[i].openGoals.count - 1)))
        if chance(0.5) {
            emit(GoalAchieved(goalId: g, consumerId: consumers[i].id, date: date))
        } else {
            emit(GoalWithdrawn(goalId: g, consumerId: consumers[i].id, reason: "changed priorities", date: date))
        }
        consumers[i].closedGoals.append(g)
    }

    static func content(_ kind: Amendable) -> JSONValue {
        switch kind {
        case .session: ["homework": "amended homework"]
        case .goal: ["text": "amended goal text"]
        }
    }

    mutating func fidelityReview(_ p: Int, id: ReviewID, items: Int, totalOffset: Double = 0) -> FidelityReviewCompleted {
        let scores = (0..<items).map { _ in int(1...5) }
        let list = scores.enumerated().map { FidelityItemScore(item: $0 + 1, score: $1, sources: ["chart review"]) }
        return FidelityReviewCompleted(reviewId: id, programId: programs[p].id, raterKind: pick(RaterKind.allCases), raters: ["u1"],
                                       scaleVersion: .kit2009, visitDates: [date], items: list,
                                       total: Double(scores.reduce(0, +)) / Double(items) + totalOffset)
    }

    // MARK: Mutations: break exactly one rule

    /// A command that breaks one rule, chosen at random among those the history allows.
    mutating func mutation() -> Mutation {
        today += 1
        var options: [Mutation] = []
        let act = active
        let ghost = ConsumerID(newID("ghost"))!
        options.append(Mutation(name: "session without enrollment", command: .record(SessionRecorded(
            sessionId: "s-x", consumerId: ghost, format: .individual, date: date, durationMinutes: 50, practitioners: [programs[0].practitioners[0]])),
            rules: ["session.requires-active-enrollment"]))
        let unaccepted = referrals.filter { $0.decision != true }
        let r = unaccepted.isEmpty ? ReferralID(newID("r-none"))! : pick(unaccepted).id
        let rc = unaccepted.first { $0.id == r }?.consumer ?? ghost
        options.append(Mutation(name: "enrollment without accepted referral", command: .record(ConsumerEnrolled(
            enrollmentId: "e-x", consumerId: rc, programId: programs[0].id, referralId: r, format: .group, startDate: date,
            curriculum: programs[0].curriculum, scaleVersion: .kit2009)), rules: ["enrollment.requires-accepted-referral"]))
        if let decided = referrals.filter({ $0.decision != nil }).first {
            options.append(Mutation(name: "second referral decision", command: .record(ReferralAccepted(
                referralId: decided.id, decidedBy: "u2", formatOffered: .group, date: date)), rules: ["referral.one-decision"]))
        }
        options.append(Mutation(name: "fidelity review with 12 items", command: .record(fidelityReview(0, id: "rv-x", items: 12)),
                                rules: ["fidelity.thirteen-items"]))
        options.append(Mutation(name: "fidelity total not the mean", command: .record(fidelityReview(0, id: "rv-y", items: 13, totalOffset: 0.25)),
                                rules: ["fidelity.total-is-mean"]))
        if let i = act.first.map({ _ in pick(act) }) {
            let c = consumers[i]
            options.append(Mutation(name: "unknown goal", command: .record(GoalAchieved(goalId: "g-none", consumerId: c.id, date: date)),
                                    rules: ["goal.unknown"]))
            options.append(Mutation(name: "empty goal text", command: .record(GoalSet(goalId: "g-new", consumerId: c.id, text: "  ", date: date)),
                                    rules: ["field.not-empty"]))
            options.append(Mutation(name: "relapse plan version skipped", command: .record(RelapsePreventionPlanRecorded(
                planId: c.plans.first?.id ?? "pl-x", planVersion: (c.plans.first?.version ?? 0) + 2, consumerId: c.id, triggers: [],
                warningSigns: ["x"], actions: ["y"], date: date)), rules: ["relapse-plan.version-sequence"]))
            options.append(Mutation(name: "amendment of a missing event", command: .record(EntryAmended(
                targetEventId: "k999.0", consumerId: c.id, kind: .correction, content: ["homework": "x"], reason: "r", author: "u1")),
                rules: ["amendment.target-not-found"]))
            if let g = c.closedGoals.first {
                options.append(Mutation(name: "rating a closed goal", command: .record(GoalProgressRated(
                    goalId: g, consumerId: c.id, rating: 3, ratedBy: "u1", date: date)), rules: ["goal.closed"]))
            }
            if let g = c.openGoals.first.map({ _ in pick(c.openGoals) }) {
                options.append(Mutation(name: "duplicate goal", command: .record(GoalSet(goalId: g, consumerId: c.id, text: "again", date: date)),
                                        rules: ["goal.duplicate"]))
                options.append(Mutation(name: "discharge with open goals", command: .record(ConsumerDischarged(
                    enrollmentId: c.enrollment!, consumerId: c.id, date: date, reason: .completed, modulesCompleted: [])), rules: ["discharge.open-goals"]))
            }
            if let s = c.supporters.first.map({ _ in pick(c.supporters) }) {
                let earliest = s.consents.map(\.from).min() ?? today
                options.append(Mutation(name: "contact before any consent", command: .record(SupporterContactRecorded(
                    consumerId: c.id, supporterId: s.id, date: Self.base.adding(days: earliest - 1), mode: .phone, purpose: pick(SupporterPurpose.allCases))),
                    rules: ["supporter.contact-needs-active-consent"]))
                if let p = SupporterPurpose.allCases.first(where: { p in !s.consents.contains { $0.covers(p, on: today) } }) {
                    options.append(Mutation(name: "contact outside consent scope or period", command: .record(SupporterContactRecorded(
                        consumerId: c.id, supporterId: s.id, date: date, mode: .video, purpose: p)), rules: ["supporter.contact-needs-active-consent"]))
                }
            }
            if !c.supporters.contains(where: { $0.consents.contains { $0.covers(.sessions, on: today) } }) {
                options.append(Mutation(name: "supporter present without consent to sessions", command: .record(SessionRecorded(
                    sessionId: "s-z", consumerId: c.id, format: .individual, date: date, durationMinutes: 50,
                    practitioners: [programs[c.program].practitioners[0]], supporterPresent: "someone")),
                    rules: ["supporter.session-needs-active-consent"]))
            }
            if programs[c.program].curriculum != .thirdEdition {
                options.append(Mutation(name: "topic outside the curriculum", command: .record(SessionRecorded(
                    sessionId: "s-y", consumerId: c.id, format: .individual, date: date, durationMinutes: 50,
                    practitioners: [programs[c.program].practitioners[0]], topics: [.healthyLifestyle])), rules: ["session.topic-not-in-curriculum"]))
            }
            if let s = c.notes.first.map({ _ in pick(c.notes) }) {
                options.append(Mutation(name: "second note for a session", command: .record(SessionRecorded(
                    sessionId: s, consumerId: c.id, format: .individual, date: date, durationMinutes: 50,
                    practitioners: [programs[c.program].practitioners[0]])), rules: ["session.one-note-per-attendee"]))
            }
            if let s = c.attendance.first.map({ _ in pick(c.attendance) }) {
                options.append(Mutation(name: "second attendance status", command: .record(AttendanceRecorded(
                    sessionId: s, consumerId: c.id, date: date, status: .attended)), rules: ["attendance.one-status-per-session"]))
            }
            if let m = curriculum(i).modules.first(where: { !c.taught.contains($0) }) {
                options.append(Mutation(name: "review of an untaught module", command: .record(ModuleReviewCompleted(
                    consumerId: c.id, module: m, date: date)), rules: ["module-review.module-not-taught"]))
            }
        }
        if let c = consumers.first(where: \.discharged) {
            options.append(Mutation(name: "session after discharge", command: .record(SessionRecorded(
                sessionId: "s-z", consumerId: c.id, format: .individual, date: date, durationMinutes: 50, practitioners: [programs[c.program].practitioners[0]])),
                rules: ["record.discharged-only-amendments"]))
            options.append(Mutation(name: "goal after discharge", command: .record(GoalSet(goalId: "g-z", consumerId: c.id, text: "new", date: date)),
                                    rules: ["record.discharged-only-amendments"]))
            if let g = groups.first(where: { $0.members.contains(c.id) }) {
                options.append(Mutation(name: "group session with a discharged attendee", command: .recordGroupSession(GroupSessionRecording(
                    sessionId: "gs-x", groupId: g.id, date: date, durationMinutes: 60, facilitators: [programs[g.program].practitioners[0]], topics: [],
                    attendance: [.init(consumerId: c.id, status: .noShow)], notes: [])), rules: ["record.discharged-only-amendments"]))
            }
        }
        let withEvents = consumers.filter { !$0.amendable.isEmpty }
        if let owner = withEvents.first.map({ _ in pick(withEvents) }) {
            let target = pick(owner.amendable)
            if let other = consumers.first(where: { $0.id != owner.id }) {
                options.append(Mutation(name: "amendment of another consumer's event", command: .record(EntryAmended(
                    targetEventId: target.id, consumerId: other.id, kind: .addendum, content: Self.content(target.kind), reason: "r", author: "u1")),
                    rules: ["amendment.target-not-found"]))
            }
            options.append(Mutation(name: "amendment content not of the target type", command: .record(EntryAmended(
                targetEventId: target.id, consumerId: owner.id, kind: .correction, content: ["no_such_field": "x"], reason: "r", author: "u1")),
                rules: ["amendment.content-invalid"]))
            let request = owner.requests.first { $0.decision != .accepted }
            options.append(Mutation(name: "patient-requested amendment without an accepted request", command: .record(EntryAmended(
                targetEventId: target.id, consumerId: owner.id, kind: .patientRequested, content: Self.content(target.kind), reason: "r",
                author: "u1", requestId: request?.id ?? "rq-none")), rules: ["amendment.request-not-accepted", "amendment-request.unknown"]))
        }
        return pick(options)
    }
}
