public import ClinicalRecord

/// Caseloads: who is active with whom, groups and their sizes, waiting referrals, and the
/// seeds' staffing rules (≤ 4 consumers with individual sessions per practitioner in the
/// program's first year,
/// groups ≤ 8, teams ≤ 8 practitioners, weekly group supervision).
public struct CaseloadProjection: Projection {
    public static let name = "caseload"
    /// 3: a group's members are stored as a list (``GroupInfo/Member``), not an object keyed
    /// by consumer id, whose keys were snake_cased.
    public static let version = 3
    public static let eventTypes: [any RecordEvent.Type]? = [
        ProgramEstablished.self, TeamFormed.self, SupervisionHeld.self, PractitionerJoined.self, PractitionerLeft.self,
        ReferralReceived.self, ReferralAccepted.self, ReferralDeclined.self, ConsumerEnrolled.self, PractitionerAssigned.self,
        PractitionerTransferred.self, ConsumerDischarged.self, GroupFormed.self, GroupMembershipChanged.self,
    ]
    public init() {}

    /// A dated interval, open while `to` is nil.
    public struct Span: Codable, Sendable, Equatable {
        public var from: LocalDate
        public var to: LocalDate?
        public func contains(_ d: LocalDate) -> Bool { from <= d && (to.map { d < $0 } ?? true) }
    }

    public struct Assignment: Codable, Sendable, Equatable {
        public var practitioner: PractitionerID
        public var from: LocalDate
    }

    /// One stream's record; the part that matches the stream's kind is set.
    public struct Record: Codable, Sendable, Equatable {
        public var program: ProgramInfo?
        public var team: TeamInfo?
        public var practitioner: PractitionerInfo?
        public var referral: ReferralInfo?
        public var consumer: ConsumerInfo?
        public var group: GroupInfo?
    }

    public struct ProgramInfo: Codable, Sendable, Equatable {
        public var id: ProgramID
        public var name: String
        public var start: LocalDate
    }

    public struct TeamInfo: Codable, Sendable, Equatable {
        public var id: TeamID
        public var program: ProgramID
        public var name: String
        /// Dates of group supervision, in order recorded.
        public var groupSupervision: [LocalDate]
        /// The day the team was formed: before it, the team is not in a report.
        public var formed: LocalDate?
    }

    public struct PractitionerInfo: Codable, Sendable, Equatable {
        public var id: PractitionerID
        public var program: ProgramID
        public var team: TeamID
        public var role: StaffRole
        public var span: Span
    }

    public struct ReferralInfo: Codable, Sendable, Equatable {
        public var id: ReferralID
        public var program: ProgramID
        public var received: LocalDate
        public var decided: LocalDate?
        public var accepted: Bool?
    }

    public struct ConsumerInfo: Codable, Sendable, Equatable {
        public var id: ConsumerID
        public var program: ProgramID
        public var format: Format
        public var span: Span
        public var assignments: [Assignment]

        /// The primary practitioner on `date`.
        public func primary(on date: LocalDate) -> PractitionerID? {
            assignments.last { $0.from <= date }?.practitioner
        }
    }

    public struct GroupInfo: Codable, Sendable, Equatable {
        public var id: GroupID
        public var program: ProgramID
        public var facilitators: [PractitionerID]
        /// Membership intervals per consumer (keyed by the consumer id's text). Stored as a
        /// list of ``Member``s in consumer-id order: an object keyed by ids would have its
        /// keys snake_cased like member names, and an id with a capital letter would not come
        /// back (version 3).
        public var members: [String: [Span]]
        public var start: LocalDate

        /// One consumer's membership intervals, as stored.
        public struct Member: Codable, Sendable, Equatable {
            public var consumer: String
            public var spans: [Span]
        }

        /// The members as stored: one entry per consumer, in consumer-id order.
        public var memberList: [Member] {
            members.map { Member(consumer: $0.key, spans: $0.value) }.sorted { $0.consumer < $1.consumer }
        }

        private enum CodingKeys: String, CodingKey { case id, program, facilitators, members, start }

        public init(id: GroupID, program: ProgramID, facilitators: [PractitionerID], members: [String: [Span]], start: LocalDate) {
            self.id = id; self.program = program; self.facilitators = facilitators; self.members = members; self.start = start
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(GroupID.self, forKey: .id)
            program = try c.decode(ProgramID.self, forKey: .program)
            facilitators = try c.decode([PractitionerID].self, forKey: .facilitators)
            start = try c.decode(LocalDate.self, forKey: .start)
            members = [:]
            for member in try c.decode([Member].self, forKey: .members) {
                guard members.updateValue(member.spans, forKey: member.consumer) == nil else {
                    throw DecodingError.dataCorruptedError(forKey: .members, in: c, debugDescription: "a consumer is listed twice")
                }
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(program, forKey: .program)
            try c.encode(facilitators, forKey: .facilitators)
            try c.encode(memberList, forKey: .members)
            try c.encode(start, forKey: .start)
        }

        /// Members on `date` who are enrolled that day (`enrolled`: the ids of the consumers
        /// enrolled on `date`); a discharged consumer no longer counts.
        public func size(on date: LocalDate, enrolled: Set<String>) -> Int {
            members.filter { enrolled.contains($0.key) && $0.value.contains { $0.contains(date) } }.count
        }
    }

    public func apply(_ e: RecordedEvent, to record: inout Record?) {
        // Take the record out so that `r` is its only owner and grows in place (matched, not
        // compared with nil: the comparison copies the record). Cases in order of frequency.
        var had = true
        if case .none = record { had = false }
        var r = record.take() ?? Record()
        switch e.event {
        case let x as ReferralReceived:
            r.referral = ReferralInfo(id: x.referralId, program: x.programId, received: x.date)
        case let x as ReferralAccepted:
            r.referral?.decided = x.date; r.referral?.accepted = true
        case let x as PractitionerAssigned:
            r.consumer?.assignments.append(Assignment(practitioner: x.practitionerId, from: x.effectiveDate))
        case let x as ConsumerEnrolled:
            r.consumer = ConsumerInfo(id: x.consumerId, program: x.programId, format: x.format, span: Span(from: x.startDate, to: nil), assignments: [])
        case let x as GroupMembershipChanged:
            for c in x.added { r.group?.members[c.rawValue, default: []].append(Span(from: x.effectiveDate, to: nil)) }
            for c in x.removed {
                if var spans = r.group?.members[c.rawValue], !spans.isEmpty {
                    spans[spans.count - 1].to = x.effectiveDate
                    r.group?.members[c.rawValue] = spans
                }
            }
        case let x as ConsumerDischarged:
            r.consumer?.span.to = x.date
        case let x as SupervisionHeld where x.kind == .group:
            r.team?.groupSupervision.append(x.date)
        case let x as ProgramEstablished:
            r.program = ProgramInfo(id: x.programId, name: x.name, start: x.startDate)
        case let x as TeamFormed:
            r.team = TeamInfo(id: x.teamId, program: x.programId, name: x.name, groupSupervision: [], formed: x.date)
        case let x as PractitionerJoined:
            r.practitioner = PractitionerInfo(id: x.practitionerId, program: x.programId, team: x.teamId, role: x.role,
                                              span: Span(from: x.startDate, to: nil))
        case let x as PractitionerLeft:
            r.practitioner?.span.to = x.date
        case let x as ReferralDeclined:
            r.referral?.decided = x.date; r.referral?.accepted = false
        case let x as PractitionerTransferred:
            r.consumer?.assignments.append(Assignment(practitioner: x.toPractitionerId, from: x.effectiveDate))
        case let x as GroupFormed:
            r.group = GroupInfo(id: x.groupId, program: x.programId, facilitators: x.facilitators,
                                members: Dictionary(uniqueKeysWithValues: x.members.map { ($0.rawValue, [Span(from: x.startDate, to: nil)]) }),
                                start: x.startDate)
        default:
            if had { record = r }
            return
        }
        record = r
    }
}

/// Caseloads on a date, per practitioner, team and program, with the staffing rules.
public struct CaseloadReport: Codable, Sendable, Equatable {
    public struct PractitionerRow: Codable, Sendable, Equatable {
        public var practitioner: String
        public var program: String
        public var team: String
        public var role: String
        public var individual: Int
        public var group: Int
        public var combined: Int
        /// The day falls in the first year of the practitioner's program (S001's first year of
        /// implementation).
        public var firstYear: Bool
        /// More than 4 consumers with individual sessions (individual and combined formats) in
        /// the program's first year.
        public var overFirstYearLimit: Bool
    }
    public struct TeamRow: Codable, Sendable, Equatable {
        public var team: String
        public var program: String
        /// Members in the practitioner role (the team's IMR leader is not counted).
        public var practitioners: Int
        public var activeConsumers: Int
        /// More than 8 practitioners.
        public var overTeamLimit: Bool
        /// Weeks (of the 4 before the date) without group supervision.
        public var weeksWithoutGroupSupervision: Int
        public var lastGroupSupervision: LocalDate?
    }
    public struct GroupRow: Codable, Sendable, Equatable {
        public var group: String
        public var program: String
        public var members: Int
        public var overGroupLimit: Bool
    }
    public struct ProgramRow: Codable, Sendable, Equatable {
        public var program: String
        public var name: String
        public var individual: Int
        public var group: Int
        public var combined: Int
        public var waitingReferrals: Int
        public var oldestWaitingDays: Int?
        public var groups: Int
    }
    public struct WaitingReferral: Codable, Sendable, Equatable {
        public var referral: String
        public var program: String
        public var received: LocalDate
        public var waitingDays: Int
    }
    public var asOf: LocalDate
    public var programs: [ProgramRow]
    public var teams: [TeamRow]
    public var practitioners: [PractitionerRow]
    public var groups: [GroupRow]
    public var waiting: [WaitingReferral]
}

extension ProjectionSnapshot {
    /// Whether the record holds the program (it was established at or before this snapshot's
    /// position): a report for a program it does not hold is refused rather than empty.
    public func hasProgram(_ id: ProgramID) -> Bool {
        records(CaseloadProjection.self)[id.stream]?.program != nil
    }

    /// The caseload report on `date`, for one program or all.
    public func caseload(asOf date: LocalDate, program: ProgramID? = nil) -> CaseloadReport {
        let records = self.records(CaseloadProjection.self).values
        func inProgram(_ p: ProgramID) -> Bool { program == nil || program == p }
        let consumers = records.compactMap(\.consumer).filter { inProgram($0.program) && $0.span.contains(date) }
        let practitioners = records.compactMap(\.practitioner).filter { inProgram($0.program) && $0.span.contains(date) }
        // Programs and teams from the day they were established and formed.
        let teams = records.compactMap(\.team).filter { inProgram($0.program) && ($0.formed.map { $0 <= date } ?? true) }
        let groups = records.compactMap(\.group).filter { inProgram($0.program) && $0.start <= date }
        let waiting = records.compactMap(\.referral).filter {
            inProgram($0.program) && $0.received <= date && ($0.decided.map { $0 > date } ?? true)
        }
        var byPractitioner: [PractitionerID: [Format: Int]] = [:]
        for c in consumers { if let p = c.primary(on: date) { byPractitioner[p, default: [:]][c.format, default: 0] += 1 } }
        // S001: "no more than four consumers per practitioner (for individual sessions) in the
        // first year" of implementation: the program's first year, counting every consumer who
        // has individual sessions (individual and combined formats).
        var programStart: [ProgramID: LocalDate] = [:]
        for r in records { if let p = r.program { programStart[p.id] = p.start } }
        let practitionerRows = practitioners.map { p -> CaseloadReport.PractitionerRow in
            let counts = byPractitioner[p.id] ?? [:]
            let firstYear = programStart[p.program].map { date >= $0 && date.days(since: $0) < 365 } ?? false
            let individualSessions = (counts[.individual] ?? 0) + (counts[.combined] ?? 0)
            return .init(practitioner: p.id.rawValue, program: p.program.rawValue, team: p.team.rawValue, role: p.role.rawValue,
                         individual: counts[.individual] ?? 0, group: counts[.group] ?? 0, combined: counts[.combined] ?? 0,
                         firstYear: firstYear, overFirstYearLimit: firstYear && individualSessions > 4)
        }.sorted { $0.practitioner < $1.practitioner }
        let teamRows = teams.map { t -> CaseloadReport.TeamRow in
            let members = practitioners.filter { $0.team == t.id }
            let memberIDs = Set(members.map(\.id))
            // The limit of eight is for practitioners; the team's IMR leader supervises them.
            let practitionerCount = members.filter { $0.role == .practitioner }.count
            let active = consumers.filter { c in c.primary(on: date).map { memberIDs.contains($0) } ?? false }.count
            var missing = 0
            // Of the last four weeks, those the team existed for in full.
            for week in 0..<4 {
                let end = date.adding(days: -7 * week), start = end.adding(days: -6)
                if let formed = t.formed, start < formed { continue }
                if !t.groupSupervision.contains(where: { $0 >= start && $0 <= end }) { missing += 1 }
            }
            return .init(team: t.id.rawValue, program: t.program.rawValue, practitioners: practitionerCount, activeConsumers: active,
                         overTeamLimit: practitionerCount > 8, weeksWithoutGroupSupervision: missing,
                         lastGroupSupervision: t.groupSupervision.filter { $0 <= date }.max())
        }.sorted { $0.team < $1.team }
        let enrolled = Set(consumers.map(\.id.rawValue))
        let groupRows = groups.map { g in
            let size = g.size(on: date, enrolled: enrolled)
            return CaseloadReport.GroupRow(group: g.id.rawValue, program: g.program.rawValue, members: size, overGroupLimit: size > 8)
        }.sorted { $0.group < $1.group }
        let waitingRows = waiting.map {
            CaseloadReport.WaitingReferral(referral: $0.id.rawValue, program: $0.program.rawValue, received: $0.received, waitingDays: date.days(since: $0.received))
        }.sorted { ($0.waitingDays, $0.referral) > ($1.waitingDays, $1.referral) }
        let programRows = records.compactMap(\.program).filter { inProgram($0.id) && $0.start <= date }.map { p -> CaseloadReport.ProgramRow in
            let mine = consumers.filter { $0.program == p.id }
            let w = waitingRows.filter { $0.program == p.id.rawValue }
            return .init(program: p.id.rawValue, name: p.name, individual: mine.filter { $0.format == .individual }.count,
                         group: mine.filter { $0.format == .group }.count, combined: mine.filter { $0.format == .combined }.count,
                         waitingReferrals: w.count, oldestWaitingDays: w.map(\.waitingDays).max(),
                         groups: groupRows.filter { $0.program == p.id.rawValue }.count)
        }.sorted { $0.program < $1.program }
        return CaseloadReport(asOf: date, programs: programRows, teams: teamRows, practitioners: practitionerRows, groups: groupRows, waiting: waitingRows)
    }
}
