import CanonicalJSON
import ClinicalRecord
import RecordCore

// The simulation: a day-by-day walk over every site, keeping its own model of the record so
// that every command it emits passes the record's rules (Decide.swift). Nothing here iterates
// a Dictionary or a Set: their order differs between processes, and the output must not.

/// How practice follows the level (1–5). Each knob names the fidelity item it drives.
enum Knobs {
    /// Share of the roster/sessions showing a practice, for a %-banded item
    /// (<20% → 1, 20–39 → 2, 40–69 → 3, 70–89 → 4, ≥90 → 5).
    static func share(_ level: Double) -> Double {
        Interpolation.linear([(1, 0.08), (2, 0.30), (3, 0.55), (4, 0.80), (5, 0.97)], level)
    }
    /// Per-opportunity probability that makes "at least once in `n` opportunities" happen with
    /// probability `share`.
    static func perOpportunity(_ share: Double, _ n: Double) -> Double { 1 - power(1 - share, 1 / n) }
    /// x^y for x ≥ 0, without Foundation.
    static func power(_ x: Double, _ y: Double) -> Double { x <= 0 ? 0 : naturalExp(y * naturalLog(x)) }
    /// Item 1: the roster of a group (attendance is lower, the maximum over a window higher).
    static func groupRoster(_ level: Double) -> Int {
        Int(Interpolation.linear([(1, 21), (2, 17), (3, 13), (4, 10), (4.4, 8), (5, 7)], level).rounded())
    }
    /// Item 3: how many modules of the edition the program actually teaches.
    static func modulesInUse(_ level: Double, of count: Int) -> Int {
        min(count, max(1, Int(Interpolation.linear([(1, 1), (2, 2.6), (3, 4.6), (4, 6.6), (4.4, 9), (4.7, 11)], level).rounded())))
    }
    /// Item 2: planned length of IMR in months.
    static func planMonths(_ level: Double) -> Double { Interpolation.linear([(1, 3.2), (3, 5.5), (5, 8.5)], level) }
    /// Item 2: attendance at a scheduled session.
    static func attendance(_ level: Double) -> Double { Interpolation.linear([(1, 0.62), (3, 0.78), (5, 0.9)], level) }
    /// Item 2: chance of dropping out at a missed session, and at any session.
    static func dropAfterMiss(_ level: Double) -> Double { Interpolation.linear([(1, 0.2), (5, 0.04)], level) }
    static func dropHazard(_ level: Double) -> Double { Interpolation.linear([(1, 0.03), (5, 0.004)], level) }
    /// Monthly chance that a practitioner leaves.
    static func turnover(_ level: Double) -> Double { Interpolation.linear([(1, 0.05), (3, 0.025), (5, 0.01)], level) }
    /// Share of new consumers offered a group (bigger classes at poor sites).
    static func groupShare(_ level: Double) -> Double { Interpolation.linear([(1, 0.62), (5, 0.32)], level) }
}

// Natural log/exp without Foundation.
func naturalLog(_ x: Double) -> Double {
    // ln(x) = 2·atanh((x−1)/(x+1)) after scaling into [0.5, 1).
    var m = x, e = 0.0
    while m >= 1 { m /= 2; e += 1 }
    while m < 0.5 { m *= 2; e -= 1 }
    let t = (m - 1) / (m + 1), t2 = t * t
    var sum = 0.0, term = t
    for k in stride(from: 1, through: 41, by: 2) { sum += term / Double(k); term *= t2 }
    return 2 * sum + e * 0.693_147_180_559_945_3
}

func naturalExp(_ x: Double) -> Double {
    let n = (x / 0.693_147_180_559_945_3).rounded(.down)
    let r = x - n * 0.693_147_180_559_945_3
    var sum = 1.0, term = 1.0
    for k in 1...20 { term *= r / Double(k); sum += term }
    var result = sum
    if n > 0 { for _ in 0..<Int(n) { result *= 2 } } else if n < 0 { for _ in 0..<Int(-n) { result /= 2 } }
    return result
}

final class Practitioner {
    let id: PractitionerID
    let team: Int
    let isLeader: Bool
    var active = true
    var trainings = 0
    var caseload = 0
    var user: UserID { UserID(id.rawValue)! }
    init(id: PractitionerID, team: Int, isLeader: Bool) { self.id = id; self.team = team; self.isLeader = isLeader }
}

final class Team {
    let id: TeamID
    let leader: Practitioner
    var members: [Practitioner] = []
    var active: [Practitioner] { members.filter(\.active) }
    init(id: TeamID, leader: Practitioner) { self.id = id; self.leader = leader }
}

final class Goal {
    let id: GoalID
    let setDay: Int
    var lastReview: Int
    var rating = 1
    var ratings = 0
    init(id: GoalID, day: Int) { self.id = id; setDay = day; lastReview = day }
}

final class Supporter {
    let id: SupporterID
    let name: String
    let scope: [SupporterPurpose]
    let from: Int
    var until: Int
    init(id: SupporterID, name: String, scope: [SupporterPurpose], from: Int, until: Int) {
        self.id = id; self.name = name; self.scope = scope; self.from = from; self.until = until
    }
}

final class Consumer {
    let id: ConsumerID
    let enrollment: EnrollmentID
    let format: Format
    let startDay: Int
    let weekday: Int
    let planDays: Int
    let onMedication: Bool
    var primary: Practitioner
    var group: Group?
    var waiting: Bool
    var attended = 0, misses = 0, lastIndividual = -1000
    var cursor = 0, inModule = 0, moduleLength = 3
    var taught: [Module] = []
    var reviewed: [Module] = []
    var goals: [Goal] = []
    var goalCount = 0
    var supporters: [Supporter] = []
    var supporterDecided = false
    var lastContact = -1000
    var inventoryDone = false
    var planVersion = 0, planDay = 0, planDecided = false
    var lastOutcome = -1000
    var pendingLate = 0
    var lastNote: (command: String, duration: Int)?
    var requests = 0
    var discharged = false
    init(id: ConsumerID, enrollment: EnrollmentID, format: Format, startDay: Int, weekday: Int, planDays: Int, onMedication: Bool,
         primary: Practitioner) {
        self.id = id; self.enrollment = enrollment; self.format = format; self.startDay = startDay; self.weekday = weekday
        self.planDays = planDays; self.onMedication = onMedication; self.primary = primary; waiting = format != .individual
    }
    func teach(_ modules: [Module]) { for m in modules where !taught.contains(m) { taught.append(m) } }
}

final class Group {
    let id: GroupID
    var facilitators: [Practitioner]
    var members: [Consumer]
    let weekday: Int
    let formedDay: Int
    var cursor = 0, inModule = 0, moduleLength = 3
    init(id: GroupID, facilitators: [Practitioner], members: [Consumer], weekday: Int, formedDay: Int) {
        self.id = id; self.facilitators = facilitators; self.members = members; self.weekday = weekday; self.formedDay = formedDay
    }
}

struct PendingReferral {
    let n: Int
    let id: ReferralID
    let consumer: ConsumerID
    let received: Int
}

enum Action {
    case receiveReferral
    case decideReferral(PendingReferral)
    case enroll(PendingReferral, Format)
    case hire(team: Int)
    case late(SessionRecorded, Timestamp, Consumer)
    case decideRequest(consumer: ConsumerID, request: RequestID, target: String)
}

final class Site {
    let index: Int
    let id: ProgramID
    let tag: String
    let profile: SiteProfile
    var rng: SeededRandom
    let modules: [Module]
    var teams: [Team] = []
    var practitioners: [Practitioner] = []
    var consumers: [Consumer] = []
    var groups: [Group] = []
    var waitlist: [Consumer] = []
    var pipeline = 0
    var agenda: [Int: [Action]] = [:]
    var counters: [String: Int] = [:]
    var level = 3.0
    var share = 0.5
    var groupMaxima: [(day: Int, attended: Int)] = []
    var reviewCount = 0
    let offset: Double

    init(index: Int, tag: String, profile: SiteProfile, seed: UInt64) {
        self.index = index; self.tag = tag; self.profile = profile
        id = ProgramID(tag)!
        rng = SeededRandom(seed: seed, stream: UInt64(index + 1))
        modules = profile.curriculum.modules
        offset = (rng.unit() - 0.5) * 0.3
    }

    func next(_ kind: String) -> Int { let n = (counters[kind] ?? 0) + 1; counters[kind] = n; return n }
    func schedule(_ day: Int, _ action: Action) { agenda[day, default: []].append(action) }
    var activePractitioners: [Practitioner] { practitioners.filter { $0.active && !$0.isLeader } }
    var inUse: [Module] { Array(modules.prefix(Knobs.modulesInUse(level, of: modules.count))) }

    /// The least-loaded active practitioner (a leader only when nobody else is left).
    func leastLoaded(excluding: Practitioner? = nil) -> Practitioner {
        let pool = activePractitioners.filter { $0 !== excluding }
        if let best = pool.min(by: { $0.caseload < $1.caseload }) { return best }
        return teams[0].leader
    }
}

func pad(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

/// The generator behind ``ProgramSimulator``'s sequence: produces one day's commands at a time.
final class Engine {
    let config: SimulationConfig
    var sites: [Site] = []
    let startDay: Int
    let totalDays: Int
    var day = 0
    var buffer: [CommandRequest] = []
    var commandCount = 0
    var slot = 0
    let reviewDays: [Int]

    init(config: SimulationConfig) {
        self.config = config
        startDay = config.start.dayNumber
        totalDays = max(1, config.end.dayNumber - config.start.dayNumber)
        let width = max(2, String(max(1, config.sites)).count)
        for i in 0..<max(0, config.sites) {
            sites.append(Site(index: i, tag: "p" + pad(i + 1, width), profile: config.profile(ofSite: i), seed: config.seed))
        }
        // Baseline two weeks in, then every six months (S003: "at baseline and every six months").
        var r: [Int] = [14]
        var m = 6
        while true {
            let d = Self.monthStart(config.start, m).dayNumber - config.start.dayNumber
            if d >= totalDays - 3 { break }
            r.append(d); m += 6
        }
        reviewDays = r
    }

    static func monthStart(_ start: LocalDate, _ months: Int) -> LocalDate {
        let c = start.components
        let m = c.month - 1 + months
        return LocalDate(year: c.year + m / 12, month: m % 12 + 1, day: min(c.day, 28))!
    }

    /// Fills `buffer` with the next day's commands; `false` when the history is over.
    func advance() -> Bool {
        while day < totalDays {
            slot = 0
            for site in sites { simulate(site, day) }
            day += 1
            if !buffer.isEmpty { return true }
        }
        return false
    }

    // MARK: Emitting

    func date(_ d: Int) -> LocalDate { LocalDate(dayNumber: startDay + d) }

    func time(_ d: Int) -> Timestamp {
        slot += 1
        let micros = Int64(min(8 * 3600 + slot * 12, 86_399)) * 1_000_000
        return Timestamp(microseconds: Int64(startDay + d) * 86_400_000_000 + micros)
    }

    func request(_ command: Command, _ d: Int, at: Timestamp? = nil) -> CommandRequest {
        commandCount += 1
        return CommandRequest(command: command, occurredAt: at ?? time(d), commandId: "\(config.commandIdPrefix)-\(commandCount)")
    }

    @discardableResult
    func emit(_ event: any RecordEvent, _ d: Int) -> String {
        let r = request(.record(event), d)
        buffer.append(r)
        return r.commandId!
    }

    // MARK: One site, one day

    func simulate(_ s: Site, _ d: Int) {
        let month = Double(d) / 30.44
        s.level = min(5, max(1, s.profile.level(atMonth: month) + s.offset))
        s.share = Knobs.share(s.level)
        let today = date(d)
        let weekday = (today.dayNumber + 3) % 7  // 0 = Monday
        if d == 0 { establish(s, d) }
        if let actions = s.agenda.removeValue(forKey: d) {
            for a in actions { perform(a, s, d) }
        }
        if weekday < 5 {
            for g in s.groups where g.weekday == weekday { groupSession(g, s, d) }
            for c in s.consumers where c.weekday == weekday && c.format != .group {
                guard !c.discharged else { continue }
                if c.format == .combined && d - c.lastIndividual < 13 { continue }
                individualSession(c, s, d)
            }
        }
        if weekday == 0 { weekly(s, d) }
        if weekday == 1 { supervision(s, d) }
        if today.components.day == 1 && d > 0 { monthly(s, d) }
        if reviewDays.contains(d) { fidelityReview(s, d) }
    }

    func perform(_ a: Action, _ s: Site, _ d: Int) {
        switch a {
        case .receiveReferral: receiveReferral(s, d)
        case .decideReferral(let r): decideReferral(r, s, d)
        case .enroll(let r, let f): enroll(r, f, s, d)
        case .hire(let t): hire(t, s, d)
        case .late(let note, let at, let c):
            let r = request(.record(note), d, at: at)
            buffer.append(r)
            c.pendingLate -= 1
            c.teach(note.topics)
            c.lastNote = (r.commandId!, note.durationMinutes)
        case .decideRequest(let c, let rid, let target):
            let accepted = s.rng.chance(0.7)
            emit(AmendmentRequestDecided(requestId: rid, consumerId: c, decision: accepted ? .accepted : .denied,
                                         reason: accepted ? nil : "The note reflects the session as it was observed.",
                                         statementOfDisagreement: accepted ? nil : "I do not agree with how the session was described.",
                                         date: date(d)), d)
            if accepted {
                emit(EntryAmended(targetEventId: target, consumerId: c, kind: .patientRequested,
                                  content: ["consumer_view": .string("Consumer's own words: the session helped me plan my week.")],
                                  reason: "Amended at the consumer's request (45 CFR 164.526).", author: "records-officer", requestId: rid), d)
            }
        }
    }

    // MARK: Set-up, staff

    func establish(_ s: Site, _ d: Int) {
        let today = date(d)
        emit(ProgramEstablished(programId: s.id, name: "IMR program \(s.tag.uppercased())", curriculum: s.profile.curriculum,
                                fidelityScale: s.profile.fidelityScale, startDate: today), d)
        let n = max(1, config.practitionersPerSite)
        let teamCount = (n + 7) / 8
        for t in 0..<teamCount {
            let tid = TeamID("\(s.tag)-t\(t + 1)")!
            emit(TeamFormed(teamId: tid, programId: s.id, name: "IMR team \(t + 1)", date: today), d)
            let leader = Practitioner(id: PractitionerID("\(s.tag)-pr\(pad(s.next("pr"), 3))")!, team: t, isLeader: true)
            s.practitioners.append(leader)
            s.teams.append(Team(id: tid, leader: leader))
            emit(PractitionerJoined(practitionerId: leader.id, programId: s.id, teamId: tid, role: .imrLeader, startDate: today), d)
            train(leader, s, d, course: .intensive)
        }
        for i in 0..<n { join(team: i % teamCount, s, d, initial: true) }
    }

    func join(team t: Int, _ s: Site, _ d: Int, initial: Bool) {
        let p = Practitioner(id: PractitionerID("\(s.tag)-pr\(pad(s.next("pr"), 3))")!, team: t, isLeader: false)
        s.practitioners.append(p)
        s.teams[t].members.append(p)
        emit(PractitionerJoined(practitionerId: p.id, programId: s.id, teamId: s.teams[t].id, role: .practitioner, startDate: date(d)), d)
        // "Training for most practitioners": four half-days (S001) or two full days (S004).
        if s.rng.chance(initial ? 0.55 + 0.45 * s.share : s.share) { train(p, s, d, course: .basic) }
    }

    func train(_ p: Practitioner, _ s: Site, _ d: Int, course: TrainingCourse) {
        let hours: Double = switch course {
        case .basic: s.rng.chance(0.5) ? 14 : 12
        case .intensive: 21
        case .booster: 3
        case .siteVisit: 6
        }
        emit(TrainingCompleted(practitionerId: p.id, course: course, hours: hours, date: date(d)), d)
        p.trainings += 1
    }

    func hire(_ t: Int, _ s: Site, _ d: Int) { join(team: t, s, d, initial: false) }

    func monthly(_ s: Site, _ d: Int) {
        // Training catches up with the untrained; good sites keep boosters going.
        for p in s.activePractitioners {
            if p.trainings == 0 { if s.rng.chance(0.5 * s.share) { train(p, s, d, course: .basic) } }
            else if s.rng.chance(0.12 * s.share) { train(p, s, d, course: s.rng.chance(0.5) ? .booster : .siteVisit) }
        }
        // Turnover: the leaver's consumers are transferred, a replacement is hired weeks later.
        let month = Double(d) / 30.44
        var hazard = Knobs.turnover(s.level)
        if s.profile.trajectory == .risingThenFalling && month > 11 && month < 19 { hazard += 0.09 }
        for p in s.activePractitioners where s.rng.chance(hazard) {
            let team = s.teams[p.team]
            guard team.active.count > 1 || s.activePractitioners.count > 1 else { continue }
            p.active = false
            for c in s.consumers where c.primary === p {
                let to = s.leastLoaded(excluding: p)
                emit(PractitionerTransferred(enrollmentId: c.enrollment, consumerId: c.id, fromPractitionerId: p.id, toPractitionerId: to.id,
                                             effectiveDate: date(d), reason: "Primary practitioner left the program."), d)
                c.primary = to; to.caseload += 1
            }
            p.caseload = 0
            for g in s.groups {
                if let i = g.facilitators.firstIndex(where: { $0 === p }) {
                    let replacement = s.activePractitioners.first { q in !g.facilitators.contains { $0 === q } } ?? team.leader
                    if g.facilitators.contains(where: { $0 === replacement }) { g.facilitators.remove(at: i) } else { g.facilitators[i] = replacement }
                }
            }
            emit(PractitionerLeft(practitionerId: p.id, date: date(d)), d)
            s.schedule(d + s.rng.int(14...49), .hire(team: p.team))
        }
        // Supporter consent: a few revocations; expiring consents are renewed at good sites.
        for c in s.consumers {
            for sup in c.supporters where sup.until > d {
                if s.rng.chance(0.01) {
                    emit(SupporterConsentRevoked(supporterId: sup.id, consumerId: c.id, effectiveDate: date(d), reason: "Consumer asked to stop involving this supporter."), d)
                    sup.until = d - 1
                } else if sup.until - d < 31 && s.rng.chance(s.share) {
                    emit(SupporterConsentRecorded(supporterId: sup.id, consumerId: c.id, scope: sup.scope, effectiveDate: date(d),
                                                  expiryDate: date(d + 365)), d)
                    sup.until = d + 365
                }
            }
        }
    }

    func supervision(_ s: Site, _ d: Int) {
        // Weekly group supervision that "should review all consumers" (S001); sparse at poor sites.
        for team in s.teams {
            let present = team.active
            guard !present.isEmpty, s.rng.chance(Interpolation.linear([(1, 0.2), (3, 0.6), (4, 0.85), (5, 0.97)], s.level)) else { continue }
            let cases = s.consumers.filter { c in present.contains { $0 === c.primary } || c.primary === team.leader }
            let reviewed = s.rng.chance(s.share) ? cases : s.rng.sample(cases, cases.count / 3)
            let consultant = d < 365 && s.rng.chance(0.25) ? "IMR consultant" : nil
            emit(SupervisionHeld(teamId: team.id, kind: .group, leader: team.leader.id, practitioners: present.map(\.id), consultant: consultant,
                                 date: date(d), durationMinutes: s.rng.int(45...90), casesReviewed: reviewed.map(\.id)), d)
            if s.rng.chance(0.15), let p = s.rng.pick(present) {
                emit(SupervisionHeld(teamId: team.id, kind: s.rng.chance(0.5) ? .individual : .sideBySide, leader: team.leader.id,
                                     practitioners: [p.id], date: date(d), durationMinutes: s.rng.int(30...60),
                                     casesReviewed: s.consumers.filter { $0.primary === p }.map(\.id)), d)
            }
        }
    }

    // MARK: Referrals and enrollment

    func weekly(_ s: Site, _ d: Int) {
        let census = s.consumers.count + s.pipeline
        let deficit = config.consumersPerSite - census
        var n = deficit > 0 ? s.rng.int(0...min(deficit, 3)) + (deficit > 8 ? deficit / 6 : 0) : (s.rng.chance(0.35) ? 1 : 0)
        n = min(n, 12)
        for _ in 0..<n { s.schedule(d + s.rng.int(0...4), .receiveReferral) }
        formGroups(s, d)
    }

    func receiveReferral(_ s: Site, _ d: Int) {
        let n = s.next("c")
        let r = PendingReferral(n: n, id: ReferralID("\(s.tag)-r\(pad(n, 5))")!, consumer: ConsumerID("\(s.tag)-c\(pad(n, 5))")!, received: d)
        let source: ReferralSource = s.rng.pick([.treatmentTeam, .treatmentTeam, .internal, .external, .self])!
        emit(ReferralReceived(referralId: r.id, consumerId: r.consumer, programId: s.id, source: source,
                              referrer: source == .self ? nil : s.rng.pick(Phrases.referrers)!, reason: s.rng.pick(Phrases.referralReasons)!,
                              date: date(d)), d)
        s.pipeline += 1
        s.schedule(d + s.rng.int(2...10), .decideReferral(r))
    }

    func decideReferral(_ r: PendingReferral, _ s: Site, _ d: Int) {
        let leader = s.teams[0].leader.user
        let full = s.consumers.count >= config.consumersPerSite + 4
        if s.rng.chance(full ? 0.6 : 0.1) {
            emit(ReferralDeclined(referralId: r.id, decidedBy: leader, reason: s.rng.pick(Phrases.declineReasons)!, date: date(d)), d)
            s.pipeline -= 1
            return
        }
        let u = s.rng.unit(), g = Knobs.groupShare(s.level)
        let format: Format = u < g ? .group : u < g + 0.18 ? .combined : .individual
        emit(ReferralAccepted(referralId: r.id, decidedBy: leader, formatOffered: format, date: date(d)), d)
        s.schedule(d + s.rng.int(3...14), .enroll(r, format))
    }

    func enroll(_ r: PendingReferral, _ format: Format, _ s: Site, _ d: Int) {
        s.pipeline -= 1
        let eid = EnrollmentID("\(s.tag)-e\(pad(r.n, 5))")!
        let p = s.leastLoaded()
        let months = Knobs.planMonths(s.level) + s.rng.unit() * 2.5 - 1
        let c = Consumer(id: r.consumer, enrollment: eid, format: format, startDay: d, weekday: s.rng.int(0...4),
                         planDays: Int(months * 30.44), onMedication: s.rng.chance(0.85), primary: p)
        c.moduleLength = s.rng.int(2...4)
        emit(ConsumerEnrolled(enrollmentId: eid, consumerId: c.id, programId: s.id, referralId: r.id, format: format, startDate: date(d),
                              curriculum: s.profile.curriculum, scaleVersion: s.profile.fidelityScale), d)
        emit(PractitionerAssigned(enrollmentId: eid, consumerId: c.id, practitionerId: p.id, effectiveDate: date(d)), d)
        p.caseload += 1
        s.consumers.append(c)
        if format != .individual { s.waitlist.append(c) }
        if format == .combined { c.waiting = false }
    }

    // MARK: Groups

    func formGroups(_ s: Site, _ d: Int) {
        let target = Knobs.groupRoster(s.level)
        // Split groups far above today's target (a site that improves breaks up its big classes).
        for g in s.groups where g.members.count > target + 3 {
            let moving = Array(g.members.suffix(g.members.count - target))
            emit(GroupMembershipChanged(groupId: g.id, added: [], removed: moving.map(\.id), effectiveDate: date(d)), d)
            g.members.removeAll { m in moving.contains { $0 === m } }
            for m in moving { m.group = nil; m.waiting = m.format == .group }
            s.waitlist.insert(contentsOf: moving, at: 0)
        }
        // Rolling admission into groups below target.
        for g in s.groups where g.members.count < target && !s.waitlist.isEmpty {
            let adding = Array(s.waitlist.prefix(target - g.members.count))
            s.waitlist.removeFirst(adding.count)
            emit(GroupMembershipChanged(groupId: g.id, added: adding.map(\.id), removed: [], effectiveDate: date(d)), d)
            for m in adding { m.group = g; m.waiting = false }
            g.members += adding
        }
        // New groups when enough people wait ("six to eight consumers"), or some wait long.
        while !s.waitlist.isEmpty {
            let oldest = s.waitlist.map(\.startDay).min()!
            guard s.waitlist.count >= min(6, target) || (d - oldest > 28 && s.waitlist.count >= 3) else { break }
            let members = Array(s.waitlist.prefix(target))
            s.waitlist.removeFirst(members.count)
            let pool = s.activePractitioners.sorted { a, b in
                s.groups.filter { g in g.facilitators.contains { $0 === a } }.count < s.groups.filter { g in g.facilitators.contains { $0 === b } }.count
            }
            var facilitators = Array(pool.prefix(2))
            if facilitators.isEmpty { facilitators = [s.teams[0].leader] }
            let g = Group(id: GroupID("\(s.tag)-g\(pad(s.next("g"), 3))")!, facilitators: facilitators, members: members,
                          weekday: s.rng.int(0...4), formedDay: d)
            g.moduleLength = s.rng.int(2...4)
            emit(GroupFormed(groupId: g.id, programId: s.id, facilitators: facilitators.map(\.id), members: members.map(\.id), startDate: date(d)), d)
            for m in members { m.group = g; m.waiting = false }
            s.groups.append(g)
        }
    }

    func groupSession(_ g: Group, _ s: Site, _ d: Int) {
        guard !g.members.isEmpty, d > g.formedDay else { return }
        let inUse = s.inUse
        let module = inUse[g.cursor % inUse.count]
        var topics = [module]
        if g.inModule == 0, g.cursor > 0, s.rng.chance(0.3) {
            let previous = inUse[(g.cursor - 1) % inUse.count]
            if previous != module { topics.append(previous) }
        }
        let cancelled = s.rng.chance(0.02)
        let pAttend = min(0.95, Knobs.attendance(s.level) + 0.03)
        var attendance: [AttendanceEntry] = []
        var present: [Consumer] = []
        for c in g.members {
            if cancelled { attendance.append(.init(consumerId: c.id, status: .cancelledByProgram, reason: "Facilitator unavailable.")); continue }
            if s.rng.chance(pAttend) { attendance.append(.init(consumerId: c.id, status: .attended)); present.append(c) }
            else if s.rng.chance(0.5) { attendance.append(.init(consumerId: c.id, status: .noShow, reason: s.rng.pick(Phrases.noShowReasons))) }
            else { attendance.append(.init(consumerId: c.id, status: .cancelledByConsumer, reason: "Called to cancel.")) }
        }
        let sessionId = SessionID("\(s.tag)-s\(pad(s.next("s"), 7))")!
        var notes: [GroupNote] = []
        let duration = s.level >= 3.5 ? s.rng.int(60...90) : s.rng.int(40...60)
        for c in present {
            let goalSet = maybeSetGoal(c, s, d, session: sessionId)
            let n = note(for: c, s, topic: module, session: sessionId, goalSet: goalSet)
            notes.append(GroupNote(consumerId: c.id, supporterPresent: n.supporterPresent, planProblem: n.planProblem,
                                   goalsFollowedUp: n.goalsFollowedUp, goalSet: n.goalSet, motivational: n.motivational,
                                   educationalTechniques: n.educationalTechniques, cbt: n.cbt, skills: n.skills, homework: n.homework,
                                   consumerView: n.consumerView, practitionerView: n.practitionerView, nextSessionPlan: n.nextSessionPlan,
                                   handoutsGiven: n.handoutsGiven, consumerSigned: n.consumerSigned,
                                   consumerSignatureAbsentReason: n.consumerSignatureAbsentReason))
        }
        let recording = GroupSessionRecording(sessionId: sessionId, groupId: g.id, date: date(d), durationMinutes: duration,
                                              facilitators: g.facilitators.map(\.id), topics: topics, attendance: attendance, notes: notes)
        buffer.append(request(.recordGroupSession(recording), d))
        s.groupMaxima.append((d, present.count))
        if !cancelled {
            g.inModule += 1
            if g.inModule >= g.moduleLength { g.cursor += 1; g.inModule = 0; g.moduleLength = s.rng.int(2...4) }
        }
        for (c, n) in zip(present, notes) {
            c.attended += 1; c.misses = 0
            c.teach(topics)
            afterSession(c, s, d, session: sessionId, module: module, handouts: n.handoutsGiven ?? false, moduleDone: g.inModule == 0)
        }
        for c in g.members where !present.contains(where: { $0 === c }) && !cancelled {
            c.misses += 1
            if s.rng.chance(Knobs.dropAfterMiss(s.level) * Double(min(c.misses, 3)) / 2) { discharge(c, s, d, reason: .droppedOut) }
        }
    }

    // MARK: Individual sessions

    func individualSession(_ c: Consumer, _ s: Site, _ d: Int) {
        guard d > c.startDay else { return }
        let sessionId = SessionID("\(s.tag)-s\(pad(s.next("s"), 7))")!
        c.lastIndividual = d
        if !s.rng.chance(Knobs.attendance(s.level)) {
            let status: AttendanceStatus = s.rng.pick([.noShow, .noShow, .cancelledByConsumer, .cancelledByProgram])!
            emit(AttendanceRecorded(sessionId: sessionId, consumerId: c.id, date: date(d), status: status,
                                    reason: status == .noShow ? s.rng.pick(Phrases.noShowReasons) : "Rescheduled."), d)
            if status != .cancelledByProgram {
                c.misses += 1
                if s.rng.chance(Knobs.dropAfterMiss(s.level) * Double(min(c.misses, 3)) / 2) { discharge(c, s, d, reason: .droppedOut) }
            }
            return
        }
        let inUse = s.inUse
        let module = c.group.map { g in inUse[g.cursor % inUse.count] } ?? inUse[c.cursor % inUse.count]
        let late = s.rng.chance(config.lateNoteRate)
        let goalSet = late ? nil : maybeSetGoal(c, s, d, session: sessionId)
        let n = note(for: c, s, topic: module, session: sessionId, goalSet: goalSet)
        let noteEvent = SessionRecorded(
            sessionId: sessionId, consumerId: c.id, format: .individual, date: date(d),
            durationMinutes: s.level >= 3.5 ? s.rng.int(45...60) : (s.rng.chance(0.3) ? s.rng.int(20...30) : s.rng.int(30...50)),
            practitioners: [c.primary.id], supporterPresent: n.supporterPresent, planProblem: n.planProblem,
            goalsFollowedUp: late ? [] : (n.goalsFollowedUp ?? []), goalSet: goalSet, motivational: n.motivational ?? [], topics: [module],
            educationalTechniques: n.educationalTechniques ?? [], cbt: n.cbt ?? [], skills: n.skills ?? [], homework: n.homework,
            consumerView: n.consumerView, practitionerView: n.practitionerView, nextSessionPlan: n.nextSessionPlan,
            handoutsGiven: n.handoutsGiven ?? false, consumerSigned: n.consumerSigned ?? true,
            consumerSignatureAbsentReason: n.consumerSignatureAbsentReason)
        emit(AttendanceRecorded(sessionId: sessionId, consumerId: c.id, date: date(d), status: .attended), d)
        c.attended += 1; c.misses = 0
        if late {
            // Written up days later: the command carries the session's own time.
            c.pendingLate += 1
            s.schedule(d + s.rng.int(2...6), .late(noteEvent, Timestamp(microseconds: Int64(startDay + d) * 86_400_000_000 + 61_200_000_000), c))
        } else {
            let id = emit(noteEvent, d)
            c.teach([module])
            if let (prev, duration) = c.lastNote, s.rng.chance(config.amendmentRate * 2) {
                amend(c, s, d, target: prev, duration: duration)
            }
            c.lastNote = (id, noteEvent.durationMinutes)
            if s.rng.chance(config.amendmentRate / 6) {
                let rid = RequestID("\(c.id.rawValue)-ar\(c.requests + 1)")!
                c.requests += 1
                emit(AmendmentRequested(requestId: rid, consumerId: c.id, targetEventId: "\(id).0",
                                        requestedChange: "The note should say the session helped me plan my week.", date: date(d)), d)
                s.schedule(d + s.rng.int(5...50), .decideRequest(consumer: c.id, request: rid, target: "\(id).0"))
            }
        }
        if c.group == nil {
            c.inModule += 1
            if c.inModule >= c.moduleLength { c.cursor += 1; c.inModule = 0; c.moduleLength = s.rng.int(2...4) }
        }
        afterSession(c, s, d, session: sessionId, module: module, handouts: noteEvent.handoutsGiven,
                     moduleDone: c.group == nil && c.inModule == 0)
    }

    func amend(_ c: Consumer, _ s: Site, _ d: Int, target: String, duration: Int) {
        let author = c.primary.user
        if s.rng.chance(0.7) {
            let corrected = duration + (s.rng.chance(0.5) ? 15 : -10)
            emit(EntryAmended(targetEventId: "\(target).0", consumerId: c.id, kind: .correction,
                              content: ["duration_minutes": .number(Double(max(15, corrected)))],
                              reason: "Session length was entered incorrectly.", author: author), d)
        } else {
            emit(EntryAmended(targetEventId: "\(target).0", consumerId: c.id, kind: .addendum,
                              content: ["practitioner_view": .string("Addendum: consumer called after the session and reported using the coping strategy.")],
                              reason: "Information received after the note was signed.", author: author), d)
        }
    }

    /// The clinical content of a progress note, shaped by the site's practice level.
    func note(for c: Consumer, _ s: Site, topic: Module, session: SessionID, goalSet: GoalID?) -> GroupNote {
        let q = s.share
        var r = s.rng
        defer { s.rng = r }
        let motivational: [MotivationalStrategy] = r.chance(q) ? r.sample(MotivationalStrategy.allCases, r.int(1...2)) : []
        let educational: [EducationalTechnique] = r.chance(q) ? r.sample(EducationalTechnique.allCases, r.int(1...3)) : []
        let cbt: [CBTTechnique] = r.chance(q) ? r.sample(CBTTechnique.allCases, r.int(1...2)) : []
        var skills: [Skill] = []
        if r.chance(Knobs.perOpportunity(q, 3)) { skills.append(.copingWithSymptoms) }
        let pastRelapses = c.taught.contains(.reducingRelapses) || topic == .reducingRelapses
        if pastRelapses && r.chance(q * 0.6) { skills.append(.relapsePrevention) }
        let medication = c.taught.contains(.usingMedication) || topic == .usingMedication
        if c.onMedication && medication && r.chance(q * 0.5) { skills.append(.behavioralTailoring) }
        let open = c.goals.map(\.id)
        let followed = !open.isEmpty && r.chance(q) ? open : []
        let supporter = c.supporters.first { $0.scope.contains(.sessions) && $0.until > day }
        let handoutChance = c.taught.contains(topic) ? Knobs.perOpportunity(q, 10) * 0.5 : max(Knobs.perOpportunity(q, 4), q > 0.85 ? 0.9 : 0)
        let signed = r.chance(0.95)
        return GroupNote(
            consumerId: c.id, supporterPresent: supporter != nil && r.chance(0.15) ? supporter!.name : nil,
            planProblem: r.chance(q) ? r.pick(Phrases.planProblems) : nil, goalsFollowedUp: followed, goalSet: goalSet,
            motivational: motivational, educationalTechniques: educational, cbt: cbt, skills: skills,
            homework: r.chance(0.45 + 0.5 * q) ? r.pick(Phrases.homework) : nil,
            consumerView: r.chance(0.5 + 0.45 * q) ? r.pick(Phrases.consumerViews) : nil,
            practitionerView: r.chance(0.6 + 0.4 * q) ? r.pick(Phrases.practitionerViews) : nil,
            nextSessionPlan: r.chance(0.4 + 0.55 * q) ? r.pick(Phrases.nextPlans) : nil,
            handoutsGiven: r.chance(handoutChance), consumerSigned: signed,
            consumerSignatureAbsentReason: signed ? nil : r.pick(Phrases.absentSignature))
    }

    // MARK: Goals, supporters, plans, measures

    func maybeSetGoal(_ c: Consumer, _ s: Site, _ d: Int, session: SessionID) -> GoalID? {
        guard c.goals.isEmpty, c.attended <= 3 || s.rng.chance(0.25) else { return nil }
        guard s.rng.chance(0.35 + 0.6 * s.share) else { return nil }
        c.goalCount += 1
        let gid = GoalID("\(c.id.rawValue)-g\(c.goalCount)")!
        let quality = s.rng.chance(min(1, s.share / (0.35 + 0.6 * s.share)))
        let i = s.rng.int(0...(Phrases.goalTexts.count - 1))
        emit(GoalSet(goalId: gid, consumerId: c.id, text: quality ? Phrases.goalTexts[i] : s.rng.pick(Phrases.goalTextsClinical)!,
                     inConsumersWords: quality, measurableCriterion: quality ? Phrases.criteria[i] : nil,
                     steps: quality ? s.rng.sample(Phrases.steps, s.rng.int(1...3)) : [],
                     targetDate: quality ? date(d + s.rng.int(60...180)) : nil,
                     planProblem: quality ? s.rng.pick(Phrases.planProblems) : nil, sessionId: session, date: date(d)), d)
        c.goals.append(Goal(id: gid, day: d))
        return gid
    }

    /// Everything that follows an attended session: handouts, the inventory, goal reviews,
    /// supporter contacts, relapse plans, module reviews, outcome measures and discharge.
    func afterSession(_ c: Consumer, _ s: Site, _ d: Int, session: SessionID, module: Module, handouts: Bool, moduleDone: Bool) {
        let q = s.share
        if handouts {
            emit(HandoutsProvided(consumerId: c.id, module: module, handoutIds: ["\(module.rawValue)-handout", "\(module.rawValue)-worksheet"],
                                  recipient: .consumer, sessionId: session, date: date(d)), d)
            if let sup = c.supporters.first(where: { $0.scope.contains(.handouts) && $0.until > d }), s.rng.chance(0.3) {
                emit(HandoutsProvided(consumerId: c.id, module: module, handoutIds: ["\(module.rawValue)-handout"], recipient: .supporter,
                                      sessionId: session, date: date(d)), d)
                _ = sup
            }
        }
        // Strengths and Knowledge Inventory "in the second or third IMR session".
        if !c.inventoryDone && c.attended >= 2 {
            // The rule counts attended sessions before the inventory: 2 here is "session 2".
            let onTime = c.attended == 2
            if s.rng.chance(onTime ? 0.2 + 0.78 * q : 0.15 * q) {
                let sections = s.rng.sample(InventorySection.allCases, s.rng.int(5...9))
                emit(StrengthsInventoryCompleted(consumerId: c.id, sessionId: session, date: date(d),
                                                 answers: sections.map { InventoryAnswer(section: $0, text: s.rng.pick(Phrases.inventory[$0]!)!) }), d)
                c.inventoryDone = true
            }
        }
        // Goal follow-up, "at least once a month" at good sites.
        for g in c.goals where d - g.lastReview >= 21 && s.rng.chance(Knobs.perOpportunity(q, 2)) {
            g.rating = min(5, g.rating + (s.rng.chance(0.6) ? 1 : 0))
            g.ratings += 1; g.lastReview = d
            emit(GoalProgressRated(goalId: g.id, consumerId: c.id, rating: g.rating, note: s.rng.pick(Phrases.practitionerViews),
                                   ratedBy: c.primary.user, collaborative: s.rng.chance(0.5 + 0.5 * q), date: date(d)), d)
            if s.rng.chance(0.08) {
                emit(GoalRevised(goalId: g.id, consumerId: c.id, change: "Smaller first step agreed: " + s.rng.pick(Phrases.steps)!, date: date(d)), d)
            }
        }
        if let g = c.goals.first, c.pendingLate == 0 {
            if g.rating >= 5 || (g.rating >= 4 && s.rng.chance(0.2)) {
                emit(GoalAchieved(goalId: g.id, consumerId: c.id, note: "Consumer met the goal.", date: date(d)), d)
                c.goals.removeFirst()
            } else if d - g.setDay > 150 && s.rng.chance(0.1) {
                emit(GoalWithdrawn(goalId: g.id, consumerId: c.id, reason: "Consumer chose a different goal.", date: date(d)), d)
                c.goals.removeFirst()
            }
        }
        // Supporters, "with consumers' permission" (S001).
        if !c.supporterDecided && c.attended >= 3 {
            c.supporterDecided = true
            if s.rng.chance(0.05 + 0.93 * q) {
                let sid = SupporterID("\(c.id.rawValue)-sp1")!
                let sup = Supporter(id: sid, name: s.rng.pick(Phrases.supporterNames)!, scope: scope(s), from: d, until: d + 365)
                emit(SupporterRegistered(supporterId: sid, consumerId: c.id, name: sup.name, relationship: s.rng.pick(Phrases.relationships)!,
                                         contact: "phone on file", date: date(d)), d)
                emit(SupporterConsentRecorded(supporterId: sid, consumerId: c.id, scope: sup.scope, effectiveDate: date(d),
                                              expiryDate: date(sup.until)), d)
                c.supporters.append(sup)
            }
        }
        if d - c.lastContact >= 21, let sup = c.supporters.first(where: { $0.from <= d && $0.until >= d }),
            s.rng.chance(Interpolation.linear([(1, 0.1), (3, 0.5), (5, 0.9)], s.level)) {
            let purpose = s.rng.pick(sup.scope)!
            let contact = SupporterContactRecorded(consumerId: c.id, supporterId: sup.id, date: date(d), mode: s.rng.pick(ContactMode.allCases)!,
                                                   purpose: purpose, note: s.rng.pick(Phrases.contactNotes))
            emit(contact, d)
            c.lastContact = d
            if s.rng.chance(0.03) {
                // Entered twice by mistake; the duplicate is marked in error.
                let dup = emit(contact, d)
                emit(EntryMarkedInError(targetEventId: "\(dup).0", consumerId: c.id, reason: "Duplicate entry of the same contact.",
                                        author: c.primary.user), d)
            }
        }
        // Relapse prevention plans after the Reducing-relapses module.
        if c.taught.contains(.reducingRelapses) && !c.planDecided {
            c.planDecided = true
            if s.rng.chance(q) { recordPlan(c, s, d) }
        } else if c.planVersion > 0 && d - c.planDay > 100 && s.rng.chance(0.05) {
            recordPlan(c, s, d)
        }
        // Module review questions "at the end of each" topic area (S000).
        if moduleDone, c.taught.contains(module), !c.reviewed.contains(module), s.rng.chance(q) {
            emit(ModuleReviewCompleted(consumerId: c.id, module: module, score: s.rng.int(40...100),
                                       answers: s.rng.sample(Phrases.moduleReviewAnswers, 2), date: date(d)), d)
            c.reviewed.append(module)
        }
        // IMR Scale at the start and every three months.
        if d - c.lastOutcome >= 90 { outcome(c, s, d) }
        // Discharge: completed when the planned length is reached and the material covered.
        let inUse = s.inUse.count
        let covered = c.group.map { $0.cursor >= inUse } ?? (c.cursor >= inUse)
        let length = d - c.startDay
        if c.pendingLate == 0 && length >= c.planDays && (covered || s.level < 3.5 || length > c.planDays + 120) {
            discharge(c, s, d, reason: .completed)
        } else if s.rng.chance(Knobs.dropHazard(s.level)) {
            discharge(c, s, d, reason: s.rng.chance(0.8) ? .droppedOut : s.rng.pick([.moved, .declinedFurtherServices, .other])!)
        }
    }

    func scope(_ s: Site) -> [SupporterPurpose] {
        let all = SupporterPurpose.allCases
        return s.rng.chance(0.5) ? all : s.rng.sample(all, s.rng.int(2...4))
    }

    func recordPlan(_ c: Consumer, _ s: Site, _ d: Int) {
        c.planVersion += 1; c.planDay = d
        emit(RelapsePreventionPlanRecorded(planId: PlanID("\(c.id.rawValue)-rpp")!, planVersion: c.planVersion, consumerId: c.id,
                                           triggers: s.rng.sample(Phrases.triggers, s.rng.int(1...3)),
                                           warningSigns: s.rng.sample(Phrases.warningSigns, s.rng.int(2...4)),
                                           actions: s.rng.sample(Phrases.actions, s.rng.int(2...4)),
                                           supportersInvolved: c.supporters.filter { $0.scope.contains(.relapsePlan) && $0.from <= d && $0.until >= d }.map(\.id),
                                           sharedWith: s.rng.sample(Phrases.sharedWith, s.rng.int(1...2)), date: date(d)), d)
    }

    func outcome(_ c: Consumer, _ s: Site, _ d: Int) {
        c.lastOutcome = d
        let progress = min(1.2, Double(d - c.startDay) / 240)
        for instrument in [Instrument.imrsClient, .imrsClinician] {
            let items = (0..<15).map { _ in min(5, max(1, Int((2.4 + progress * (0.4 + s.share) + s.rng.unit() * 1.6 - 0.8).rounded()))) }
            let total = (Double(items.reduce(0, +)) / 15 * 100).rounded() / 100
            emit(OutcomeMeasureRecorded(consumerId: c.id, instrument: instrument, instrumentVersion: "imrs-2004", itemResponses: items,
                                        total: total, date: date(d)), d)
        }
    }

    func discharge(_ c: Consumer, _ s: Site, _ d: Int, reason: DischargeReason) {
        guard c.pendingLate == 0, !c.discharged else { return }
        for g in c.goals {
            if reason == .completed && g.rating >= 3 {
                emit(GoalAchieved(goalId: g.id, consumerId: c.id, note: "Achieved by the end of IMR.", date: date(d)), d)
            } else {
                emit(GoalWithdrawn(goalId: g.id, consumerId: c.id, reason: reason == .completed ? "IMR completed; goal carried into the treatment plan."
                                   : "Consumer stopped attending.", date: date(d)), d)
            }
        }
        c.goals = []
        if let g = c.group {
            emit(GroupMembershipChanged(groupId: g.id, added: [], removed: [c.id], effectiveDate: date(d)), d)
            g.members.removeAll { $0 === c }
            if g.members.isEmpty { s.groups.removeAll { $0 === g } }
            c.group = nil
        }
        if reason == .completed { outcome(c, s, d) }
        let completed = s.modules.filter { c.taught.contains($0) }
        emit(ConsumerDischarged(enrollmentId: c.enrollment, consumerId: c.id, date: date(d), reason: reason, modulesCompleted: completed,
                                boosterReferral: reason == .completed && s.rng.chance(0.4) ? s.rng.pick(Phrases.boosterReferrals) : nil), d)
        c.primary.caseload -= 1
        c.discharged = true
        s.consumers.removeAll { $0 === c }
        s.waitlist.removeAll { $0 === c }
    }

    // MARK: Fidelity reviews

    func fidelityReview(_ s: Site, _ d: Int) {
        s.reviewCount += 1
        let recent = s.groupMaxima.filter { d - $0.day <= 92 }.map(\.attended).max() ?? 0
        s.groupMaxima.removeAll { d - $0.day > 92 }
        let item1 = recent > 15 ? 1 : recent >= 13 ? 2 : recent >= 11 ? 3 : recent >= 9 ? 4 : 5
        var items = [FidelityItemScore(item: 1, score: item1, sources: ["chart review", "observation"])]
        for i in 2...13 {
            let score = min(5, max(1, Int((s.level + (s.rng.unit() - 0.5) * 1.4).rounded())))
            items.append(FidelityItemScore(item: i, score: score, sources: i == 6 || i == 12 ? ["chart review"] : ["chart review", "interview"],
                                           rationale: score <= 2 ? "Practice seen in few charts or sessions." : nil))
        }
        let total = Double(items.map(\.score).reduce(0, +)) / Double(items.count)
        emit(FidelityReviewCompleted(reviewId: ReviewID("\(s.tag)-fr\(s.reviewCount)")!, programId: s.id, raterKind: .external,
                                     raters: ["rater-ext-01", "rater-ext-02"], scaleVersion: s.profile.fidelityScale,
                                     visitDates: [date(d), date(d + 1)], items: items, total: total), d)
    }
}
