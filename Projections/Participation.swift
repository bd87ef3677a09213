public import ClinicalRecord

/// Participation: who was enrolled, active, completed or dropped; sessions and hours per
/// consumer; modules completed; time from referral to first session.
public struct ParticipationProjection: Projection {
    public static let name = "participation"
    public static let version = 2
    public static let eventTypes: [any RecordEvent.Type]? = [
        ReferralReceived.self, ReferralAccepted.self, ReferralDeclined.self, ConsumerEnrolled.self, ConsumerDischarged.self,
        SessionRecorded.self, AttendanceRecorded.self, ModuleReviewCompleted.self,
    ]
    public init() {}

    public struct Session: Codable, Sendable, Equatable {
        public var date: LocalDate
        public var minutes: Int
        public var format: Format
        public var topics: [Module] = []
    }

    /// A module completed (a module review, or listed at discharge) and on which day.
    public struct Completion: Codable, Sendable, Equatable {
        public var module: Module
        public var date: LocalDate
    }

    public struct Record: Codable, Sendable, Equatable {
        // A referral stream.
        public var referral: ReferralID?
        public var received: LocalDate?
        public var accepted: Bool?
        // A consumer stream.
        public var consumer: ConsumerID?
        public var program: ProgramID?
        public var referredBy: ReferralID?
        public var enrolled: LocalDate?
        public var discharged: LocalDate?
        public var dischargeReason: DischargeReason?
        public var sessions: [Session] = []
        public var missed: Int = 0
        public var modulesCompleted: [Completion] = []
    }

    public func apply(_ e: RecordedEvent, to record: inout Record?) {
        // Take the record out so that `r` is its only owner and grows in place (matched, not
        // compared with nil: the comparison copies the record). Cases in order of frequency.
        var had = true
        if case .none = record { had = false }
        var r = record.take() ?? Record()
        switch e.event {
        case let x as AttendanceRecorded where x.status != .attended:
            r.missed += 1
        case let x as SessionRecorded:
            r.sessions.append(Session(date: x.date, minutes: x.durationMinutes, format: x.format, topics: x.topics))
        case let x as ModuleReviewCompleted:
            r.modulesCompleted.append(Completion(module: x.module, date: x.date))
        case let x as ReferralReceived:
            r.referral = x.referralId; r.received = x.date; r.program = x.programId; r.consumer = x.consumerId
        case is ReferralAccepted: r.accepted = true
        case is ReferralDeclined: r.accepted = false
        case let x as ConsumerEnrolled:
            r.consumer = x.consumerId; r.program = x.programId; r.referredBy = x.referralId; r.enrolled = x.startDate
        case let x as ConsumerDischarged:
            r.discharged = x.date; r.dischargeReason = x.reason
            for m in x.modulesCompleted { r.modulesCompleted.append(Completion(module: m, date: x.date)) }
        default:
            if had { record = r }
            return
        }
        record = r
    }
}

/// Participation on a date, with sessions counted in a clinical period.
public struct ParticipationReport: Codable, Sendable, Equatable {
    public struct ConsumerRow: Codable, Sendable, Equatable {
        public var consumer: String
        public var program: String
        public var status: String
        /// Sessions (progress notes) and their hours in the period.
        public var sessions: Int
        public var hours: Double
        /// Distinct modules among the topics of the period's sessions.
        public var modulesTaught: Int
        /// Distinct modules completed in the period (module reviews, modules listed at discharge).
        public var modulesCompleted: Int
        public var daysReferralToFirstSession: Int?
    }
    public struct ProgramRow: Codable, Sendable, Equatable {
        public var program: String
        public var referred: Int
        public var enrolled: Int
        public var active: Int
        public var completed: Int
        public var dropped: Int
        public var otherDischarges: Int
        public var sessions: Int
        public var hours: Double
        public var meanSessionsPerConsumer: Double?
        /// The median wait from referral to first session (of an even count, the mean of the
        /// middle two, rounded half up).
        public var medianDaysReferralToFirstSession: Int?
    }
    public var asOf: LocalDate
    /// The first day sessions and hours count; `nil` (absent in JSON) when they count from the
    /// beginning of the record.
    public var from: LocalDate?
    public var programs: [ProgramRow]
    public var consumers: [ConsumerRow]
}

extension ProjectionSnapshot {
    /// Participation on `date`; sessions and hours count those held from `from` (default:
    /// the beginning) to `date`.
    public func participation(asOf date: LocalDate, from: LocalDate? = nil, program: ProgramID? = nil) -> ParticipationReport {
        let all = records(ParticipationProjection.self)
        let start = from ?? LocalDate(dayNumber: Int.min / 4)
        var referrals: [ReferralID: ParticipationProjection.Record] = [:]
        for r in all.values { if let id = r.referral { referrals[id] = r } }
        var rows: [ParticipationReport.ConsumerRow] = []
        var programs: [String: ParticipationReport.ProgramRow] = [:]
        var waits: [String: [Int]] = [:]
        func row(_ p: String) -> ParticipationReport.ProgramRow {
            programs[p] ?? .init(program: p, referred: 0, enrolled: 0, active: 0, completed: 0, dropped: 0, otherDischarges: 0, sessions: 0, hours: 0)
        }
        for r in referrals.values {
            guard let p = r.program, program == nil || program == p, let d = r.received, d <= date else { continue }
            var pr = row(p.rawValue); pr.referred += 1; programs[p.rawValue] = pr
        }
        for r in all.values {
            guard let c = r.consumer, r.referral == nil, let p = r.program, program == nil || program == p,
                let enrolled = r.enrolled, enrolled <= date
            else { continue }
            let discharged = r.discharged.flatMap { $0 <= date ? $0 : nil }
            let status: String
            switch (discharged, r.dischargeReason) {
            case (nil, _): status = "active"
            case (_, .completed?): status = "completed"
            case (_, .droppedOut?): status = "dropped"
            default: status = "discharged"
            }
            let sessions = r.sessions.filter { $0.date >= start && $0.date <= date }
            let hours = Double(sessions.map(\.minutes).reduce(0, +)) / 60
            let first = r.sessions.map(\.date).filter { $0 <= date }.min()
            let wait = first.flatMap { f in r.referredBy.flatMap { referrals[$0]?.received }.map { f.days(since: $0) } }
            rows.append(.init(consumer: c.rawValue, program: p.rawValue, status: status, sessions: sessions.count,
                              hours: (hours * 100).rounded() / 100, modulesTaught: Set(sessions.flatMap(\.topics)).count,
                              modulesCompleted: Set(r.modulesCompleted.filter { $0.date >= start && $0.date <= date }.map(\.module)).count,
                              daysReferralToFirstSession: wait))
            var pr = row(p.rawValue)
            pr.enrolled += 1
            switch status {
            case "active": pr.active += 1
            case "completed": pr.completed += 1
            case "dropped": pr.dropped += 1
            default: pr.otherDischarges += 1
            }
            pr.sessions += sessions.count
            pr.hours += hours
            programs[p.rawValue] = pr
            if let wait { waits[p.rawValue, default: []].append(wait) }
        }
        for (k, var pr) in programs {
            pr.hours = (pr.hours * 100).rounded() / 100
            if pr.enrolled > 0 { pr.meanSessionsPerConsumer = (Double(pr.sessions) / Double(pr.enrolled) * 10).rounded() / 10 }
            if let w = waits[k]?.sorted(), !w.isEmpty {
                // The median; of an even count, the mean of the middle two (rounded half up).
                let n = w.count
                pr.medianDaysReferralToFirstSession = n % 2 == 1 ? w[n / 2] : Int((Double(w[n / 2 - 1] + w[n / 2]) / 2).rounded())
            }
            programs[k] = pr
        }
        return ParticipationReport(asOf: date, from: from, programs: programs.values.sorted { $0.program < $1.program },
                                   consumers: rows.sorted { $0.consumer < $1.consumer })
    }
}
