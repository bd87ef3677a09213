public import ClinicalRecord

/// Goal progress: every consumer's goals, their status and follow-ups, monthly follow-up
/// compliance ("documented and assessed at least once a month") and the overdue list.
public struct GoalsProjection: Projection {
    public static let name = "goals"
    public static let version = 2
    public static let eventTypes: [any RecordEvent.Type]? = [
        ConsumerEnrolled.self, ConsumerDischarged.self, GoalSet.self, GoalRevised.self, GoalProgressRated.self, GoalAchieved.self,
        GoalWithdrawn.self, SessionRecorded.self,
    ]
    public init() {}

    public enum Status: String, Codable, Sendable { case open, achieved, withdrawn }

    public struct Goal: Codable, Sendable, Equatable {
        public var id: GoalID
        public var eventId: String
        public var set: LocalDate
        public var status: Status
        public var closed: LocalDate?
        /// Reviews: ratings, revisions and follow-ups in session notes, by date.
        public var reviews: [LocalDate]
        public var lastRating: Int?
        public var measurable: Bool
        public var inConsumersWords: Bool
        public var linkedToPlan: Bool

        /// The status on `date`.
        public func status(on date: LocalDate) -> Status? {
            guard set <= date else { return nil }
            if let closed, closed <= date { return status }
            return .open
        }

        /// The last review (or the setting) on or before `date`.
        public func lastFollowUp(on date: LocalDate) -> LocalDate { reviews.filter { $0 <= date }.max() ?? set }
    }

    public struct Record: Codable, Sendable, Equatable {
        public var consumer: ConsumerID
        public var program: ProgramID?
        /// The enrollment's start: before it the consumer has no row.
        public var enrolled: LocalDate?
        /// The discharge's day: from it on, goals still open are no longer open, overdue or
        /// followed up (the rules close goals before a discharge; a closure marked in error
        /// afterwards must not reopen them in the report).
        public var discharged: LocalDate?
        public var goals: [Goal]
    }

    public func apply(_ e: RecordedEvent, to record: inout Record?) {
        func update(_ consumer: ConsumerID, _ id: GoalID, _ body: (inout Goal) -> Void) {
            // In place: no copy of the record's goals.
            guard let i = record?.goals.firstIndex(where: { $0.id == id }) else { return }
            body(&record!.goals[i])
        }
        // Cases in order of frequency.
        switch e.event {
        case let x as SessionRecorded:
            for g in x.goalsFollowedUp { update(x.consumerId, g) { $0.reviews.append(x.date) } }
        case let x as GoalProgressRated: update(x.consumerId, x.goalId) { $0.reviews.append(x.date); $0.lastRating = x.rating }
        case let x as GoalSet:
            if case .none = record { record = Record(consumer: x.consumerId, goals: []) }
            record!.goals.append(Goal(id: x.goalId, eventId: e.id, set: x.date, status: .open, reviews: [], measurable: x.measurableCriterion != nil,
                                inConsumersWords: x.inConsumersWords, linkedToPlan: x.planProblem != nil))
        case let x as ConsumerEnrolled:
            if case .none = record { record = Record(consumer: x.consumerId, goals: []) }
            record!.program = x.programId
            record!.enrolled = x.startDate
        case let x as ConsumerDischarged:
            record?.discharged = x.date
        case let x as GoalRevised: update(x.consumerId, x.goalId) { $0.reviews.append(x.date) }
        case let x as GoalAchieved: update(x.consumerId, x.goalId) { $0.status = .achieved; $0.closed = x.date; $0.reviews.append(x.date) }
        case let x as GoalWithdrawn: update(x.consumerId, x.goalId) { $0.status = .withdrawn; $0.closed = x.date }
        default:
            return
        }
    }
}

/// Goal progress on a date, per consumer and rolled up per program.
public struct GoalsReport: Codable, Sendable, Equatable {
    public struct ConsumerRow: Codable, Sendable, Equatable {
        public var consumer: String
        public var program: String
        public var open: Int
        public var achieved: Int
        public var withdrawn: Int
        public var lastFollowUp: LocalDate?
        /// Goal-months in the period with at least one review, and all goal-months.
        public var monthsFollowedUp: Int
        public var monthsOpen: Int
    }
    public struct Overdue: Codable, Sendable, Equatable {
        public var consumer: String
        public var goal: String
        public var lastFollowUp: LocalDate
        public var daysSince: Int
    }
    public struct ProgramRow: Codable, Sendable, Equatable {
        public var program: String
        public var open: Int
        public var achieved: Int
        public var withdrawn: Int
        public var overdue: Int
        /// Percentage of goal-months followed up, nil when no goal was open.
        public var monthlyCompliance: Double?
    }
    public var asOf: LocalDate
    public var from: LocalDate
    public var programs: [ProgramRow]
    public var consumers: [ConsumerRow]
    public var overdue: [Overdue]
}

extension ProjectionSnapshot {
    /// Goal progress on `date`; compliance counts the calendar months from `from` (default:
    /// 12 months before `date`) to `date`. A goal is overdue when open and without a review
    /// for more than `reviewDays` days.
    public func goals(asOf date: LocalDate, from: LocalDate? = nil, program: ProgramID? = nil, reviewDays: Int = 30) -> GoalsReport {
        let start = from ?? date.adding(days: -365)
        var rows: [GoalsReport.ConsumerRow] = []
        var overdue: [GoalsReport.Overdue] = []
        for r in records(GoalsProjection.self).values {
            guard let p = r.program, program == nil || program == p else { continue }
            // Nobody before their enrollment; a consumer discharged before the period has no row.
            guard r.enrolled.map({ $0 <= date }) ?? true, r.discharged.map({ $0 >= start }) ?? true else { continue }
            // After a discharge nothing is open: the report runs to the discharge at the latest.
            let end = min(date, r.discharged ?? date)
            let discharged = r.discharged.map { $0 <= date } ?? false
            var row = GoalsReport.ConsumerRow(consumer: r.consumer.rawValue, program: p.rawValue, open: 0, achieved: 0, withdrawn: 0,
                                              monthsFollowedUp: 0, monthsOpen: 0)
            var last: LocalDate?
            for g in r.goals {
                guard let status = g.status(on: date) else { continue }
                switch status {
                case .open: if !discharged { row.open += 1 }
                case .achieved: row.achieved += 1
                case .withdrawn: row.withdrawn += 1
                }
                let f = g.lastFollowUp(on: date)
                last = max(last ?? f, f)
                if status == .open, !discharged, date.days(since: f) > reviewDays {
                    overdue.append(.init(consumer: r.consumer.rawValue, goal: g.id.rawValue, lastFollowUp: f, daysSince: date.days(since: f)))
                }
                // Calendar months of the period (up to a discharge) during which the goal was
                // open at some point; each is followed up when a review (or the setting) falls
                // inside it.
                var month = max(start, g.set).monthStart
                while month <= end {
                    let next = month.adding(days: 32).monthStart
                    let monthEnd = min(next.adding(days: -1), end)
                    if g.set <= monthEnd, g.closed.map({ $0 >= month }) ?? true {
                        row.monthsOpen += 1
                        if g.set >= month || g.reviews.contains(where: { $0 >= month && $0 <= monthEnd }) { row.monthsFollowedUp += 1 }
                    }
                    month = next
                }
            }
            row.lastFollowUp = last
            rows.append(row)
        }
        rows.sort { $0.consumer < $1.consumer }
        overdue.sort { ($0.daysSince, $0.consumer, $0.goal) > ($1.daysSince, $1.consumer, $1.goal) }
        var programs: [String: GoalsReport.ProgramRow] = [:]
        var months: [String: (Int, Int)] = [:]
        for r in rows {
            var p = programs[r.program] ?? .init(program: r.program, open: 0, achieved: 0, withdrawn: 0, overdue: 0)
            p.open += r.open; p.achieved += r.achieved; p.withdrawn += r.withdrawn
            programs[r.program] = p
            months[r.program, default: (0, 0)].0 += r.monthsFollowedUp
            months[r.program, default: (0, 0)].1 += r.monthsOpen
        }
        for o in overdue { if let program = rows.first(where: { $0.consumer == o.consumer })?.program { programs[program]?.overdue += 1 } }
        for (k, m) in months where m.1 > 0 { programs[k]?.monthlyCompliance = (Double(m.0) / Double(m.1) * 1000).rounded() / 10 }
        return GoalsReport(asOf: date, from: start, programs: programs.values.sorted { $0.program < $1.program }, consumers: rows, overdue: overdue)
    }
}
