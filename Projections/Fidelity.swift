public import ClinicalRecord

/// The IMR Fidelity Scale (13 items), computed from the record per program and review window.
///
/// Each stream's record keeps only compact dated facts: a consumer's enrollment span, their
/// progress notes (date, format, group, topics, which intervention boxes were ticked), handouts,
/// supporter contacts, goals with their quality flags and review dates, and relapse plans; a
/// group's sessions with their head-counts; a practitioner's trainings; a program's curriculum,
/// scale version and rater reviews. Everything that joins streams happens at query time, in
/// ``ProjectionSnapshot/fidelity(program:window:asOf:thresholds:)``.
///
/// **Published and provisional scores.** Items 1–4 use the anchors of IMR Fidelity Scale
/// rev. 3-24-05 exactly as published (shared/domain/IMR.md section 1). For items 5–13 only the
/// score-5 definition was found: the published 1–4 anchors are **not** available. Those items
/// report the measure the record supports (IMR.md section 2) and a *provisional* score from
/// ``FidelityThresholds``, which is local configuration, not the published scale. A rater's
/// `FidelityReviewCompleted` is authoritative and is shown beside the computed scores.
///
/// ```swift
/// let report = snapshot.fidelity(program: "p1", asOf: LocalDate("2026-06-30")!)  // nil: no such program
/// print(report!.total, report!.band)        // 3.62 moderate
/// ```
public struct FidelityProjection: Projection {
    public static let name = "fidelity"
    /// 2: views written under version 1 can hold empty fidelity records (stores whose views
    /// predate the complete fidelity fold); the bump makes every such store rebuild at open.
    /// 3: notes and group sessions keep their session id (item 1's head-count).
    public static let version = 3
    public static let eventTypes: [any RecordEvent.Type]? = [
        ProgramEstablished.self, FidelityReviewCompleted.self, ConsumerEnrolled.self, ConsumerDischarged.self,
        SessionRecorded.self, HandoutsProvided.self, SupporterContactRecorded.self, RelapsePreventionPlanRecorded.self,
        GoalSet.self, GoalRevised.self, GoalProgressRated.self, GoalAchieved.self, GoalWithdrawn.self, GroupFormed.self,
        GroupSessionHeld.self, PractitionerJoined.self, TrainingCompleted.self,
    ]
    public init() {}

    /// A dated fact and the id of the event that records it.
    public struct Fact: Codable, Sendable, Equatable {
        public var date: LocalDate
        public var event: String
        public init(date: LocalDate, event: String) { self.date = date; self.event = event }
    }

    /// The progress-note boxes the fidelity items read, as one small bit set. The bits are
    /// assigned here, explicitly, so stored records never depend on a vocabulary's case order.
    /// (`Int`, not `UInt16`: the canonical JSON encoder handles `Int` but not the narrow types.)
    public struct Marks: OptionSet, Codable, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// At least one motivational intervention (item 8).
        public static let motivational = Marks(rawValue: 1 << 0)
        /// At least one educational technique (item 9).
        public static let educational = Marks(rawValue: 1 << 1)
        /// At least one cognitive-behavioral intervention (item 10).
        public static let cbt = Marks(rawValue: 1 << 2)
        /// Skill taught: coping skill for symptoms (item 11).
        public static let copingSkill = Marks(rawValue: 1 << 3)
        /// Skill taught: relapse prevention (item 12).
        public static let relapsePreventionSkill = Marks(rawValue: 1 << 4)
        /// Skill taught: behavioral tailoring for medication (item 13).
        public static let behavioralTailoring = Marks(rawValue: 1 << 5)
        /// A supporter took part in the session (item 5).
        public static let supporterPresent = Marks(rawValue: 1 << 6)
        /// The note marks handouts given (item 4).
        public static let handoutsGiven = Marks(rawValue: 1 << 7)
    }

    /// A set of curriculum modules as a bit set, with bits assigned explicitly per module.
    public struct Modules: OptionSet, Codable, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        static func bit(_ m: Module) -> Int {
            switch m {
            case .recoveryStrategies: 1 << 0
            case .practicalFacts: 1 << 1
            case .stressVulnerability: 1 << 2
            case .socialSupport: 1 << 3
            case .usingMedication: 1 << 4
            case .drugAndAlcoholUse: 1 << 5
            case .reducingRelapses: 1 << 6
            case .copingWithStress: 1 << 7
            case .copingWithSymptoms: 1 << 8
            case .mentalHealthSystem: 1 << 9
            case .healthyLifestyle: 1 << 10
            }
        }

        /// The set of `modules`.
        public init(modules: [Module]) { rawValue = modules.reduce(0) { $0 | Self.bit($1) } }
        /// Whether `module` is in the set.
        public func has(_ module: Module) -> Bool { rawValue & Self.bit(module) != 0 }
        /// The modules in the set, in vocabulary order.
        public var modules: [Module] { Module.allCases.filter(has) }
    }

    /// One progress note (`SessionRecorded`), reduced to what the items read.
    public struct Session: Codable, Sendable, Equatable {
        public var event: String
        public var date: LocalDate
        public var format: Format
        public var group: GroupID?
        /// The session's id: a group note names the group session it belongs to.
        public var session: SessionID?
        public var practitioners: [PractitionerID]
        public var topics: Modules
        public var marks: Marks
        public var goalsFollowedUp: Int
    }

    /// A personal goal with the structural quality flags of item 6 and its reviews (ratings,
    /// revisions, achievement, and follow-ups in progress notes).
    public struct Goal: Codable, Sendable, Equatable {
        public var id: GoalID
        public var event: String
        public var set: LocalDate
        public var closed: LocalDate?
        public var measurable: Bool
        public var inConsumersWords: Bool
        public var linkedToPlan: Bool
        public var reviews: [Fact]
    }

    /// A consumer stream's part.
    public struct Consumer: Codable, Sendable, Equatable {
        public var id: ConsumerID
        public var program: ProgramID
        public var curriculum: CurriculumEdition
        public var scale: FidelityScaleVersion
        public var enrolled: LocalDate
        public var discharged: LocalDate?
        public var sessions: [Session] = []
        public var handouts: [Fact] = []
        public var supporterContacts: [Fact] = []
        public var goals: [Goal] = []
        public var relapsePlans: [Fact] = []
    }

    /// A group session (`GroupSessionHeld`): date and head-count of attendees as recorded.
    public struct GroupSession: Codable, Sendable, Equatable {
        public var event: String
        public var date: LocalDate
        public var attended: Int
        public var session: SessionID?
    }

    /// A group stream's part.
    public struct Group: Codable, Sendable, Equatable {
        public var id: GroupID
        public var program: ProgramID?
        public var sessions: [GroupSession] = []
    }

    /// A practitioner stream's part.
    public struct Practitioner: Codable, Sendable, Equatable {
        public var id: PractitionerID
        public var program: ProgramID?
        public var trainings: [Fact] = []
    }

    /// A program stream's part.
    public struct Program: Codable, Sendable, Equatable {
        public var id: ProgramID
        public var curriculum: CurriculumEdition
        public var scale: FidelityScaleVersion
        public var start: LocalDate
    }

    /// A rater's review (`FidelityReviewCompleted`), as recorded.
    public struct Review: Codable, Sendable, Equatable {
        public var reviewId: ReviewID
        public var event: String
        public var raterKind: RaterKind
        public var scaleVersion: FidelityScaleVersion
        /// The review's date: its last visit date (the recording date when it lists none).
        public var date: LocalDate
        public var visitDates: [LocalDate]
        /// Scores of items 1–13, in item order.
        public var scores: [Int]
        public var total: Double
    }

    /// One stream's record; the part that matches the stream's kind is set.
    public struct Record: Codable, Sendable, Equatable {
        public var program: Program?
        public var reviews: [Review] = []
        public var consumer: Consumer?
        public var group: Group?
        public var practitioner: Practitioner?
        public init() {}
    }

    public func apply(_ e: RecordedEvent, to record: inout Record?) {
        // Cases in order of frequency: each case before the one that matches costs a cast.
        switch e.event {
        case let x as SessionRecorded:
            var marks: Marks = []
            if !x.motivational.isEmpty { marks.insert(.motivational) }
            if !x.educationalTechniques.isEmpty { marks.insert(.educational) }
            if !x.cbt.isEmpty { marks.insert(.cbt) }
            if x.skills.contains(.copingWithSymptoms) { marks.insert(.copingSkill) }
            if x.skills.contains(.relapsePrevention) { marks.insert(.relapsePreventionSkill) }
            if x.skills.contains(.behavioralTailoring) { marks.insert(.behavioralTailoring) }
            if x.supporterPresent != nil { marks.insert(.supporterPresent) }
            if x.handoutsGiven { marks.insert(.handoutsGiven) }
            let session = Session(event: e.id, date: x.date, format: x.format, group: x.groupId, session: x.sessionId, practitioners: x.practitioners,
                                  topics: Modules(modules: x.topics), marks: marks, goalsFollowedUp: x.goalsFollowedUp.count)
            updateConsumer(&record) { c in
                c.sessions.append(session)
                for g in x.goalsFollowedUp {
                    if let i = c.goals.firstIndex(where: { $0.id == g }) { c.goals[i].reviews.append(Fact(date: x.date, event: e.id)) }
                }
            }
        case let x as HandoutsProvided:
            updateConsumer(&record) { $0.handouts.append(Fact(date: x.date, event: e.id)) }
        case let x as GoalProgressRated:
            updateGoal(&record, x.goalId) { $0.reviews.append(Fact(date: x.date, event: e.id)) }
        case let x as SupporterContactRecorded:
            updateConsumer(&record) { $0.supporterContacts.append(Fact(date: x.date, event: e.id)) }
        case let x as GroupSessionHeld:
            // Taken out and put back so the sessions grow in place.
            var r = record.take() ?? Record()
            var g = r.group ?? Group(id: x.groupId, program: nil)
            r.group = nil
            g.sessions.append(GroupSession(event: e.id, date: x.date, attended: x.attended, session: x.sessionId))
            r.group = g
            record = r
        case let x as GoalSet:
            updateConsumer(&record) {
                $0.goals.append(Goal(id: x.goalId, event: e.id, set: x.date, measurable: x.measurableCriterion != nil,
                                     inConsumersWords: x.inConsumersWords, linkedToPlan: x.planProblem != nil, reviews: []))
            }
        case let x as ProgramEstablished:
            var r = record.take() ?? Record()
            r.program = Program(id: x.programId, curriculum: x.curriculum, scale: x.fidelityScale, start: x.startDate)
            record = r
        case let x as FidelityReviewCompleted:
            var r = record.take() ?? Record()
            let scores = (1...13).map { n in x.items.first { $0.item == n }?.score ?? 0 }
            r.reviews.append(Review(reviewId: x.reviewId, event: e.id, raterKind: x.raterKind, scaleVersion: x.scaleVersion,
                                    date: x.visitDates.max() ?? e.occurredAt.date, visitDates: x.visitDates, scores: scores, total: x.total))
            record = r
        case let x as ConsumerEnrolled:
            var r = record.take() ?? Record()
            r.consumer = Consumer(id: x.consumerId, program: x.programId, curriculum: x.curriculum, scale: x.scaleVersion, enrolled: x.startDate)
            record = r
        case let x as ConsumerDischarged:
            updateConsumer(&record) { $0.discharged = x.date }
        case let x as RelapsePreventionPlanRecorded:
            updateConsumer(&record) { $0.relapsePlans.append(Fact(date: x.date, event: e.id)) }
        case let x as GoalRevised:
            updateGoal(&record, x.goalId) { $0.reviews.append(Fact(date: x.date, event: e.id)) }
        case let x as GoalAchieved:
            updateGoal(&record, x.goalId) { $0.closed = x.date; $0.reviews.append(Fact(date: x.date, event: e.id)) }
        case let x as GoalWithdrawn:
            updateGoal(&record, x.goalId) { $0.closed = x.date }
        case let x as GroupFormed:
            var r = record.take() ?? Record()
            r.group = Group(id: x.groupId, program: x.programId, sessions: r.group?.sessions ?? [])
            record = r
        case let x as PractitionerJoined:
            var r = record.take() ?? Record()
            r.practitioner = Practitioner(id: x.practitionerId, program: x.programId, trainings: r.practitioner?.trainings ?? [])
            record = r
        case let x as TrainingCompleted:
            var r = record.take() ?? Record()
            var p = r.practitioner ?? Practitioner(id: x.practitionerId, program: nil)
            p.trainings.append(Fact(date: x.date, event: e.id))
            r.practitioner = p
            record = r
        default:
            return
        }
    }

    /// Changes the consumer part of the record in place (no copy of its sessions and facts).
    private func updateConsumer(_ record: inout Record?, _ body: (inout Consumer) -> Void) {
        // Moved out and back, never copied (`record?.consumer != nil` would copy the consumer).
        guard var r = record.take() else { return }
        if var c = r.consumer.take() {
            body(&c)
            r.consumer = c
        }
        record = r
    }

    private func updateGoal(_ record: inout Record?, _ id: GoalID, _ body: (inout Goal) -> Void) {
        updateConsumer(&record) { c in
            if let i = c.goals.firstIndex(where: { $0.id == id }) { body(&c.goals[i]) }
        }
    }
}

/// Local cut-offs for the provisional scores of items 5–13.
///
/// **This is local configuration, not the published scale.** The published 1–4 anchors of
/// items 5–13 were not available (shared/domain/IMR.md), so a program chooses these values and
/// records them with every report (``version`` names the choice). The defaults reuse the
/// percentage bands that items 2 and 4 publish (20/40/70/90 %) and have no published basis for
/// these items. Missing keys in a decoded configuration keep their defaults.
///
/// ```swift
/// var t = FidelityThresholds()
/// t.version = "north-2026-01"
/// t.item8 = .init(score2: 25, score3: 50, score4: 75, score5: 95)
/// let report = snapshot.fidelity(program: "p1", asOf: day, thresholds: t)  // FidelityReport?
/// ```
public struct FidelityThresholds: Codable, Sendable, Equatable {
    /// The lowest percentage that earns each score from 2 to 5 (below `score2` scores 1).
    public struct Cutoffs: Codable, Sendable, Equatable {
        public var score2: Double
        public var score3: Double
        public var score4: Double
        public var score5: Double
        public init(score2: Double, score3: Double, score4: Double, score5: Double) {
            self.score2 = score2; self.score3 = score3; self.score4 = score4; self.score5 = score5
        }
        /// 20/40/70/90 %: the bands items 2 and 4 publish (rev. 3-24-05).
        public static let percentBands = Cutoffs(score2: 20, score3: 40, score4: 70, score5: 90)

        /// The score, 1–5, of `percent`.
        public func score(_ percent: Double) -> Int {
            if percent >= score5 { return 5 }
            if percent >= score4 { return 4 }
            if percent >= score3 { return 3 }
            if percent >= score2 { return 2 }
            return 1
        }
    }

    /// A name for this set of thresholds, stored with every report.
    public var version = "local-default-1"
    public var item5 = Cutoffs.percentBands
    public var item6 = Cutoffs.percentBands
    public var item7 = Cutoffs.percentBands
    public var item8 = Cutoffs.percentBands
    public var item9 = Cutoffs.percentBands
    public var item10 = Cutoffs.percentBands
    public var item11 = Cutoffs.percentBands
    public var item12 = Cutoffs.percentBands
    public var item13 = Cutoffs.percentBands
    /// Item 5: a supporter contact or presence counts when within this many days before the
    /// window's end (or the consumer's discharge). "In the last month".
    public var supporterContactDays = 30
    /// Item 7: the longest gap, in days, between reviews of an open goal ("at least once a
    /// month", S000/S001).
    public var goalReviewDays = 30
    /// Item 7: the share of a consumer's progress notes in the window that must follow up on
    /// goals (the "X %" of IMR.md section 2; no published value).
    public var goalFollowUpSessionPercent: Double = 50

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = FidelityThresholds()
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? d.version
        item5 = try c.decodeIfPresent(Cutoffs.self, forKey: .item5) ?? d.item5
        item6 = try c.decodeIfPresent(Cutoffs.self, forKey: .item6) ?? d.item6
        item7 = try c.decodeIfPresent(Cutoffs.self, forKey: .item7) ?? d.item7
        item8 = try c.decodeIfPresent(Cutoffs.self, forKey: .item8) ?? d.item8
        item9 = try c.decodeIfPresent(Cutoffs.self, forKey: .item9) ?? d.item9
        item10 = try c.decodeIfPresent(Cutoffs.self, forKey: .item10) ?? d.item10
        item11 = try c.decodeIfPresent(Cutoffs.self, forKey: .item11) ?? d.item11
        item12 = try c.decodeIfPresent(Cutoffs.self, forKey: .item12) ?? d.item12
        item13 = try c.decodeIfPresent(Cutoffs.self, forKey: .item13) ?? d.item13
        supporterContactDays = try c.decodeIfPresent(Int.self, forKey: .supporterContactDays) ?? d.supporterContactDays
        goalReviewDays = try c.decodeIfPresent(Int.self, forKey: .goalReviewDays) ?? d.goalReviewDays
        goalFollowUpSessionPercent = try c.decodeIfPresent(Double.self, forKey: .goalFollowUpSessionPercent) ?? d.goalFollowUpSessionPercent
    }

    /// The cut-offs of item `n` (5–13); the percentage bands for any other item.
    public func cutoffs(item n: Int) -> Cutoffs {
        switch n {
        case 5: item5
        case 6: item6
        case 7: item7
        case 8: item8
        case 9: item9
        case 10: item10
        case 11: item11
        case 12: item12
        case 13: item13
        default: .percentBands
        }
    }
}

/// The IMR Fidelity Scale of one program over one review window, computed from the record,
/// with the rater reviews beside it.
///
/// Items 1–4 are scored with the published anchors (`provisional == false`); items 5–13 carry
/// a provisional score from ``thresholds`` (`provisional == true`), which is local
/// configuration and not a published anchor.
public struct FidelityReport: Codable, Sendable, Equatable {
    /// The most evidence ids an item lists; ``Item/evidenceCount`` gives the total.
    public static let evidenceCap = 25

    /// One item of the scale.
    public struct Item: Codable, Sendable, Equatable {
        /// 1–13.
        public var number: Int
        public var name: String
        /// 1–5.
        public var score: Int
        /// `false` for items 1–4 (published anchors); `true` for items 5–13 (local thresholds).
        public var provisional: Bool
        /// The measure behind the score (a percentage, a head-count, a number of modules);
        /// `nil` when the window holds no data for it.
        public var value: Double?
        /// The measure's unit: `%`, `attendees` or `modules`.
        public var unit: String
        /// The measure in one sentence: "max attendees 7 (12 group sessions, 30 individual notes)".
        public var measure: String
        /// The counts behind a percentage.
        public var numerator: Int?
        public var denominator: Int?
        /// This item's score in the latest rater review shown in the report, if any.
        public var raterScore: Int?
        /// How the score was reached where that needs saying (missing data, version rules).
        public var note: String?
        /// The number of evidence events, of which ``evidence`` lists the first ``FidelityReport/evidenceCap``.
        public var evidenceCount: Int
        /// Ids of the events the measure counts.
        public var evidence: [String]
    }

    /// A rater's review (`FidelityReviewCompleted`), authoritative, shown beside the computed scores.
    public struct Review: Codable, Sendable, Equatable {
        public var reviewId: String
        public var eventId: String
        public var raterKind: String
        public var scaleVersion: String
        /// The last visit date.
        public var date: LocalDate
        public var visitDates: [LocalDate]
        /// Scores of items 1–13, in item order.
        public var itemScores: [Int]
        public var total: Double
        public var band: String
    }

    public var program: String
    /// The program's fidelity scale version (`imr-fidelity-rev-2005-03-24`, `imr-fidelity-kit-2009`).
    public var scaleVersion: String
    /// The program's curriculum edition, whose modules item 3 counts.
    public var curriculum: String
    public var window: ClosedRange<LocalDate>
    /// Consumers enrolled in the program at any time in the window: the denominator of the
    /// roster percentages.
    public var rosterSize: Int
    public var items: [Item]
    /// The mean of the 13 item scores, to 2 decimals.
    public var total: Double
    /// `high` (≥ 4), `moderate` (3 to < 4) or `low` (< 3).
    public var band: String
    /// The local thresholds the provisional items were scored with.
    public var thresholds: FidelityThresholds
    /// Rater reviews of the program dated in or before the window, oldest first.
    public var raterReviews: [Review]

    /// The items' names, as the scale gives them.
    public static let itemNames = [
        "Number of people in a session or group", "Program length", "Comprehensiveness of curriculum",
        "Provision of educational handouts", "Involvement of significant others", "IMR goal setting", "IMR goal follow-up",
        "Motivation-based strategies", "Educational techniques", "Cognitive-behavioral techniques", "Coping skills training",
        "Relapse prevention training", "Behavioral tailoring for medication",
    ]

    /// The band of a total: ≥ 4 high, 3 to < 4 moderate, < 3 low.
    public static func band(of total: Double) -> String { total >= 4 ? "high" : total >= 3 ? "moderate" : "low" }

    /// Item 1, published anchors: more than 15 → 1; 13–15 → 2; 11–12 → 3; 9–10 → 4; 8 or fewer → 5.
    public static func groupSizeScore(maxAttendees n: Int) -> Int {
        switch n {
        case 16...: 1
        case 13...15: 2
        case 11...12: 3
        case 9...10: 4
        default: 5
        }
    }

    /// Items 2 and 4, published bands: < 20 % → 1; 20–39 → 2; 40–69 → 3; 70–89 → 4; ≥ 90 → 5.
    public static func percentScore(_ percent: Double) -> Int { FidelityThresholds.Cutoffs.percentBands.score(percent) }

    /// Item 3: 1 topic → 1; 2–3 → 2; 4–5 → 3; 6–7 → 4; 8 or 9 → 5 (rev. 3-24-05). Under the
    /// 2009 KIT a 5 needs at least 9 modules; 8 then scores 4 (the KIT's own lower anchors were
    /// not retrieved, so rev. 3-24-05's are kept below 5).
    public static func curriculumScore(modules n: Int, scale: FidelityScaleVersion) -> Int {
        switch n {
        case ...1: 1
        case 2...3: 2
        case 4...5: 3
        case 6...7: 4
        case 8: scale == .kit2009 ? 4 : 5
        default: 5
        }
    }

    /// Item 2's program-length rule for a scale version: N months (6 for rev. 3-24-05, 3 for
    /// the 2009 KIT), at least ⌈4.33·N⌉ attended sessions, spanning at least ⌊N·365.25/12⌋ days
    /// counting the last session's week (26 weekly sessions cover 182 days; 13 cover 91).
    public static func programLengthRule(_ scale: FidelityScaleVersion) -> (months: Int, sessions: Int, days: Int) {
        let n = scale == .kit2009 ? 3 : 6
        return (n, Int((4.33 * Double(n)).rounded(.up)), Int((Double(n) * 365.25 / 12).rounded(.down)))
    }
}

// MARK: Query

/// The date `n` calendar months after `d` (before, when negative), on the same day of the month
/// or the month's last day.
func fidelityMonths(_ n: Int, after d: LocalDate) -> LocalDate {
    let c = d.components
    let index = c.year * 12 + (c.month - 1) + n
    let year = index >= 0 ? index / 12 : (index - 11) / 12
    let month = index - year * 12 + 1
    var day = c.day
    while day > 28, LocalDate(year: year, month: month, day: day) == nil { day -= 1 }
    // Past the calendar's ends (1900-01-01, 9999-12-31) the result stops at the end it passed:
    // going back from 1900-03-31 by six months is 1900-01-01, never a day after `d`.
    return LocalDate(year: year, month: month, day: day) ?? (index < 1900 * 12 ? LocalDate(year: 1900, month: 1, day: 1)! : LocalDate(year: 9999, month: 12, day: 31)!)
}

extension FidelityProjection {
    /// The default review window: the 6 calendar months ending at `end` (2025-06-30 gives
    /// 2025-01-01...2025-06-30).
    public static func defaultWindow(endingAt end: LocalDate, months: Int = 6) -> ClosedRange<LocalDate> {
        fidelityMonths(-months, after: end.adding(days: 1))...end
    }

    /// Scores the 13 items for `program` over `window` from the fidelity records (`[stream:
    /// record]`, as ``ProjectionSnapshot/records(_:)`` gives them). This is what
    /// ``ProjectionSnapshot/fidelity(program:window:asOf:thresholds:)`` runs; it is public so
    /// that records folded elsewhere can be scored the same way.
    ///
    /// - Parameters:
    ///   - window: the review window; default the 6 months ending at `asOf`. Dates after
    ///     `asOf` are cut off.
    ///   - asOf: the clinical date the report is made on.
    ///   - thresholds: local cut-offs for the provisional items 5–13.
    public static func report(records: [String: Record], program: ProgramID, window: ClosedRange<LocalDate>? = nil, asOf: LocalDate,
                              thresholds: FidelityThresholds = .init()) -> FidelityReport {
        let end = min(window?.upperBound ?? asOf, asOf)
        let start = min(window?.lowerBound ?? defaultWindow(endingAt: end).lowerBound, end)
        var scorer = FidelityScorer(records: records, program: program, start: start, end: end, thresholds: thresholds)
        return scorer.run()
    }
}

/// The computation of one report.
private struct FidelityScorer {
    typealias P = FidelityProjection
    let records: [String: P.Record]
    let programID: ProgramID
    let start: LocalDate
    let end: LocalDate
    let t: FidelityThresholds
    let program: P.Program?
    let roster: [P.Consumer]
    let scale: FidelityScaleVersion
    let curriculum: CurriculumEdition
    /// Each roster consumer's notes in the window, by roster index.
    let windowNotes: [[P.Session]]
    var items: [FidelityReport.Item] = []

    init(records: [String: P.Record], program: ProgramID, start: LocalDate, end: LocalDate, thresholds: FidelityThresholds) {
        self.records = records; self.programID = program; self.start = start; self.end = end; self.t = thresholds
        self.program = records[program.stream]?.program
        let roster = records.values.compactMap(\.consumer)
            .filter { $0.program == program && $0.enrolled <= end && ($0.discharged.map { $0 >= start } ?? true) }
            .sorted { $0.id < $1.id }
        self.roster = roster
        scale = self.program?.scale ?? roster.first?.scale ?? .rev2005
        curriculum = self.program?.curriculum ?? roster.first?.curriculum ?? .kit2009
        windowNotes = roster.map { c in c.sessions.filter { $0.date >= start && $0.date <= end } }
    }

    func inWindow(_ d: LocalDate) -> Bool { d >= start && d <= end }

    static func pct(_ n: Int, _ d: Int) -> Double { Double(n) * 100 / Double(d) }
    static func text(_ p: Double) -> String {
        let r = (p * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
    static let noData = "no data in the window: scored 1 (the scale's missing-data rule was not retrieved)"

    /// Event ids ordered by date then id, without repeats.
    static func ordered(_ facts: [(LocalDate, String)]) -> [String] {
        var seen = Set<String>()
        return facts.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.1).filter { seen.insert($0).inserted }
    }

    mutating func add(_ n: Int, score: Int, value: Double?, unit: String, measure: String, numerator: Int? = nil, denominator: Int? = nil,
                      note: String? = nil, evidence: [String]) {
        items.append(.init(number: n, name: FidelityReport.itemNames[n - 1], score: score, provisional: n > 4,
                           value: value.map { ($0 * 10).rounded() / 10 }, unit: unit, measure: measure, numerator: numerator,
                           denominator: denominator, raterScore: nil, note: note, evidenceCount: evidence.count,
                           evidence: Array(evidence.prefix(FidelityReport.evidenceCap))))
    }

    /// A percentage item over `denominator` units, `numerator` of which qualify.
    mutating func percentItem(_ n: Int, _ numerator: Int, _ denominator: Int, of what: String, note: String? = nil, evidence: [String],
                              published: Bool = false) {
        guard denominator > 0 else {
            add(n, score: 1, value: nil, unit: "%", measure: "no data: nobody to count (\(what))",
                numerator: 0, denominator: 0, note: [Self.noData, note].compactMap { $0 }.joined(separator: "; "), evidence: [])
            return
        }
        let p = Self.pct(numerator, denominator)
        let score = published ? FidelityReport.percentScore(p) : t.cutoffs(item: n).score(p)
        add(n, score: score, value: p, unit: "%", measure: "\(Self.text(p))% of \(what) (\(numerator) of \(denominator))",
            numerator: numerator, denominator: denominator, note: note, evidence: evidence)
    }

    mutating func run() -> FidelityReport {
        item1(); item2(); item3(); item4(); item5(); item6(); item7()
        sessionItem(8, .motivational, "progress notes in the window with at least one motivational intervention")
        sessionItem(9, .educational, "progress notes in the window with at least one educational technique",
                    note: "version 1 notes have no educational-technique field and count as none")
        sessionItem(10, .cbt, "progress notes in the window with at least one cognitive-behavioral intervention")
        item11(); item12(); item13()

        let reviews = (records[programID.stream]?.reviews ?? []).filter { $0.date <= end }
            .sorted { ($0.date, $0.reviewId) < ($1.date, $1.reviewId) }
        if let latest = reviews.last {
            for i in items.indices where latest.scores.indices.contains(i) && latest.scores[i] > 0 { items[i].raterScore = latest.scores[i] }
        }
        let mean = Double(items.map(\.score).reduce(0, +)) / Double(items.count)
        return FidelityReport(
            program: programID.rawValue, scaleVersion: scale.rawValue, curriculum: curriculum.rawValue, window: start...end,
            rosterSize: roster.count, items: items, total: (mean * 100).rounded() / 100, band: FidelityReport.band(of: mean),
            thresholds: t,
            raterReviews: reviews.map {
                .init(reviewId: $0.reviewId.rawValue, eventId: $0.event, raterKind: $0.raterKind.rawValue, scaleVersion: $0.scaleVersion.rawValue,
                      date: $0.date, visitDates: $0.visitDates, itemScores: $0.scores, total: $0.total, band: FidelityReport.band(of: $0.total))
            })
    }

    // MARK: Items 1–4: published anchors

    /// Item 1: the largest group-session head-count in the window; individual notes count as 1.
    ///
    /// A group session's head-count is its attendees' group notes as they stand: the rules
    /// write one note per attendee, and an attendee's note marked in error (they were not
    /// there) leaves the count, although the group stream's `attended` keeps the first figure.
    mutating func item1() {
        let groups = records.values.compactMap(\.group).filter { $0.program == programID }
        var notesPerSession: [GroupID: [SessionID: Int]] = [:]
        for c in records.values.compactMap(\.consumer) where c.program == programID {
            for s in c.sessions where s.format == .group && inWindow(s.date) {
                if let g = s.group, let id = s.session { notesPerSession[g, default: [:]][id, default: 0] += 1 }
            }
        }
        let sessions = groups.flatMap { g in
            g.sessions.filter { inWindow($0.date) }.map { s in
                var s = s
                if let id = s.session { s.attended = notesPerSession[g.id]?[id] ?? 0 }
                return s
            }
        }
        .sorted { ($1.attended, $0.date, $0.event) < ($0.attended, $1.date, $1.event) }
        let individual = Self.ordered(windowNotes.joined().filter { $0.format != .group }.map { ($0.date, $0.event) })
        guard !sessions.isEmpty || !individual.isEmpty else {
            add(1, score: 1, value: nil, unit: "attendees", measure: "no IMR session in the window", note: Self.noData, evidence: [])
            return
        }
        let maxAttendees = max(sessions.map(\.attended).max() ?? 0, individual.isEmpty ? 0 : 1)
        add(1, score: FidelityReport.groupSizeScore(maxAttendees: maxAttendees), value: Double(maxAttendees), unit: "attendees",
            measure: "max attendees \(maxAttendees) (\(sessions.count) group sessions, \(individual.count) individual notes)",
            evidence: sessions.map(\.event) + individual)
    }

    /// Item 2: the share of eligible roster members (enrolled at least N months by the window's
    /// end, or discharged) who attended at least ⌈4.33·N⌉ sessions spanning N months. The
    /// biweekly equivalent (the same count over 2N months) meets the same rule.
    mutating func item2() {
        let rule = FidelityReport.programLengthRule(scale)
        var eligible = 0
        var evidence: [(LocalDate, String)] = []
        var qualified = 0
        for c in roster {
            let discharged = c.discharged.map { $0 <= end } ?? false
            // Enrolled N calendar months by the end (2026-01-05 counts on 2026-07-05 for N = 6).
            guard discharged || fidelityMonths(rule.months, after: c.enrolled) <= end else { continue }
            eligible += 1
            let notes = c.sessions.filter { $0.date <= end }
            guard notes.count >= rule.sessions, let first = notes.map(\.date).min(), let last = notes.map(\.date).max(),
                last.days(since: first) + 7 >= rule.days
            else { continue }
            qualified += 1
            evidence += notes.map { ($0.date, $0.event) }
        }
        percentItem(2, qualified, eligible,
                    of: "eligible roster (enrolled ≥ \(rule.months) months or discharged) who attended ≥ \(rule.sessions) sessions over ≥ \(rule.months) months",
                    note: "scale \(scale.rawValue): N = \(rule.months) months", evidence: Self.ordered(evidence), published: true)
    }

    /// Item 3: distinct modules of the program's curriculum taught in the window (progress-note
    /// topics). No handouts recorded in the window scores 1 ("educational handouts are not available").
    mutating func item3() {
        var first: [Module: (LocalDate, String)] = [:]
        for note in windowNotes.joined() {
            for m in note.topics.modules where curriculum.contains(m) {
                if let f = first[m], (f.0, f.1) <= (note.date, note.event) { continue }
                first[m] = (note.date, note.event)
            }
        }
        let taught = curriculum.modules.filter { first[$0] != nil }
        let handouts = roster.indices.contains { i in
            roster[i].handouts.contains { inWindow($0.date) } || windowNotes[i].contains { $0.marks.contains(.handoutsGiven) }
        }
        var score = FidelityReport.curriculumScore(modules: taught.count, scale: scale)
        var notes: [String] = []
        if scale == .kit2009 { notes.append("KIT 2009: 5 needs at least 9 modules; below that the rev. 3-24-05 anchors apply") }
        if !handouts {
            score = 1
            notes.append("no handouts recorded in the window: anchor 1 (\"educational handouts are not available\")")
        }
        add(3, score: score, value: Double(taught.count), unit: "modules",
            measure: "\(taught.count) of \(curriculum.modules.count) curriculum modules taught"
                + (taught.isEmpty ? "" : " (" + taught.map(\.rawValue).joined(separator: ", ") + ")"),
            note: notes.isEmpty ? nil : notes.joined(separator: "; "), evidence: Self.ordered(Array(first.values)))
    }

    /// Item 4: the share of the roster with handouts given (`HandoutsProvided`, or a note marking
    /// handouts given) during their enrollment, up to the window's end.
    mutating func item4() {
        var evidence: [(LocalDate, String)] = []
        var count = 0
        for c in roster {
            let facts = c.handouts.filter { $0.date <= end }.map { ($0.date, $0.event) }
                + c.sessions.filter { $0.date <= end && $0.marks.contains(.handoutsGiven) }.map { ($0.date, $0.event) }
            guard let firstFact = facts.min(by: { ($0.0, $0.1) < ($1.0, $1.1) }) else { continue }
            count += 1
            evidence.append(firstFact)
        }
        percentItem(4, count, roster.count, of: "roster given handouts by \(end)", evidence: Self.ordered(evidence), published: true)
    }

    // MARK: Items 5–13: measures with provisional scores

    /// Item 5: the share of the roster with a supporter contact, or a supporter present in a
    /// session, in the last `supporterContactDays` days (before the window's end or their discharge).
    mutating func item5() {
        var evidence: [(LocalDate, String)] = []
        var count = 0
        for c in roster {
            let ref = min(end, c.discharged ?? end)
            let from = ref.adding(days: -t.supporterContactDays)
            let facts = c.supporterContacts.filter { $0.date >= from && $0.date <= ref }.map { ($0.date, $0.event) }
                + c.sessions.filter { $0.date >= from && $0.date <= ref && $0.marks.contains(.supporterPresent) }.map { ($0.date, $0.event) }
            if facts.isEmpty { continue }
            count += 1
            evidence += facts
        }
        percentItem(5, count, roster.count, of: "roster with a supporter contact or presence in the last \(t.supporterContactDays) days",
                    evidence: Self.ordered(evidence))
    }

    func goalsOpenInWindow(_ c: P.Consumer) -> [P.Goal] {
        c.goals.filter { $0.set <= end && ($0.closed.map { $0 >= start } ?? true) }
    }

    /// Item 6: the share of the roster with a goal open in the window that is measurable, in
    /// the consumer's own words and linked to a plan problem ("realistic" and "pertinent" are
    /// the rater's).
    mutating func item6() {
        var evidence: [(LocalDate, String)] = []
        var count = 0
        for c in roster {
            let good = goalsOpenInWindow(c).filter { $0.measurable && $0.inConsumersWords && $0.linkedToPlan }
            if good.isEmpty { continue }
            count += 1
            evidence += good.map { ($0.set, $0.event) }
        }
        percentItem(6, count, roster.count, of: "roster with a measurable goal in their own words linked to their plan",
                    evidence: Self.ordered(evidence))
    }

    /// Item 7: the share of the roster whose every goal open in the window was reviewed at least
    /// every `goalReviewDays` days while open, and whose progress notes in the window follow up
    /// on goals at least `goalFollowUpSessionPercent` % of the time.
    mutating func item7() {
        var evidence: [(LocalDate, String)] = []
        var count = 0
        for (i, c) in roster.enumerated() {
            let goals = goalsOpenInWindow(c)
            let notes = windowNotes[i]
            guard !goals.isEmpty, !notes.isEmpty else { continue }
            let followed = notes.filter { $0.goalsFollowedUp > 0 }.count
            guard Self.pct(followed, notes.count) >= t.goalFollowUpSessionPercent else { continue }
            let periodEnd = min(end, c.discharged ?? end)
            let monthly = goals.allSatisfy { g in
                let a = max(g.set, start), b = min(g.closed ?? periodEnd, periodEnd)
                guard a <= b else { return true }
                let points = ([g.set] + g.reviews.map(\.date)).sorted()
                var last = points.last { $0 <= a } ?? g.set
                for p in points where p > a && p <= b {
                    if p.days(since: last) > t.goalReviewDays { return false }
                    last = p
                }
                return b.days(since: last) <= t.goalReviewDays
            }
            guard monthly else { continue }
            count += 1
            evidence += goals.flatMap { $0.reviews.filter { inWindow($0.date) }.map { ($0.date, $0.event) } }
        }
        percentItem(7, count, roster.count,
                    of: "roster whose goals were reviewed every \(t.goalReviewDays) days and followed up in ≥ \(FidelityScorer.text(t.goalFollowUpSessionPercent))% of notes",
                    evidence: Self.ordered(evidence))
    }

    /// Items 8–10: the share of progress notes in the window with the box ticked.
    mutating func sessionItem(_ n: Int, _ mark: P.Marks, _ what: String, note: String? = nil) {
        let notes = Array(windowNotes.joined())
        let ticked = notes.filter { $0.marks.contains(mark) }
        percentItem(n, ticked.count, notes.count, of: what, note: note, evidence: Self.ordered(ticked.map { ($0.date, $0.event) }))
    }

    /// The practitioners who wrote progress notes for the roster in the window, with those notes
    /// by consumer.
    func practitionersInWindow() -> [PractitionerID: [Int: [P.Session]]] {
        var out: [PractitionerID: [Int: [P.Session]]] = [:]
        for (i, notes) in windowNotes.enumerated() {
            for note in notes { for p in note.practitioners { out[p, default: [:]][i, default: []].append(note) } }
        }
        return out
    }

    /// The share of practitioners in the window who ticked `mark` at least once; for the measure sentence.
    func practitionerShare(_ mark: P.Marks) -> String {
        let all = practitionersInWindow()
        let ticking = all.values.filter { $0.values.joined().contains { $0.marks.contains(mark) } }.count
        return all.isEmpty ? "no practitioner notes in the window" : "\(Self.text(Self.pct(ticking, all.count)))% of practitioners (\(ticking) of \(all.count)) ticked it in the window"
    }

    /// Item 11: the share of practitioners writing notes in the window who have IMR training
    /// recorded and ticked the coping skill in every calendar month in which they met each of
    /// their consumers ("familiar" is the rater's).
    mutating func item11() {
        var evidence: [(LocalDate, String)] = []
        var count = 0
        let all = practitionersInWindow()
        for (id, byConsumer) in all {
            let trainings = (records[id.stream]?.practitioner?.trainings ?? []).filter { $0.date <= end }
            guard !trainings.isEmpty else { continue }
            let regular = byConsumer.values.allSatisfy { notes in
                Dictionary(grouping: notes, by: \.date.monthStart).values.allSatisfy { $0.contains { $0.marks.contains(.copingSkill) } }
            }
            guard regular else { continue }
            count += 1
            evidence += trainings.map { ($0.date, $0.event) }
            evidence += byConsumer.values.joined().filter { $0.marks.contains(.copingSkill) }.map { ($0.date, $0.event) }
        }
        percentItem(11, count, all.count, of: "practitioners with IMR training who ticked the coping skill each month they met each consumer",
                    evidence: Self.ordered(evidence))
    }

    /// Item 12: the share of roster members taught the Reducing-relapses module (by the
    /// window's end) who have a relapse prevention plan recorded; the practitioners' share
    /// ticking the relapse-prevention skill is reported beside it. Plan quality is the rater's.
    mutating func item12() {
        var evidence: [(LocalDate, String)] = []
        var past = 0, count = 0
        for c in roster where c.sessions.contains(where: { $0.date <= end && $0.topics.has(.reducingRelapses) }) {
            past += 1
            let plans = c.relapsePlans.filter { $0.date <= end }
            if plans.isEmpty { continue }
            count += 1
            evidence += plans.map { ($0.date, $0.event) }
        }
        percentItem(12, count, past, of: "roster taught Reducing relapses with a relapse prevention plan",
                    note: "relapse-prevention skill: " + practitionerShare(.relapsePreventionSkill), evidence: Self.ordered(evidence))
    }

    /// Item 13: the share of the roster with behavioral tailoring for medication ticked at
    /// least once (by the window's end). Medication status is not recorded, so the whole
    /// roster is the denominator.
    mutating func item13() {
        var evidence: [(LocalDate, String)] = []
        var count = 0
        for c in roster {
            let ticked = c.sessions.filter { $0.date <= end && $0.marks.contains(.behavioralTailoring) }
            if ticked.isEmpty { continue }
            count += 1
            evidence += ticked.map { ($0.date, $0.event) }
        }
        percentItem(13, count, roster.count, of: "roster with behavioral tailoring for medication ticked at least once",
                    note: "medication status is not recorded: the denominator is the whole roster; " + practitionerShare(.behavioralTailoring),
                    evidence: Self.ordered(evidence))
    }
}

extension ProjectionSnapshot {
    /// The IMR Fidelity Scale of `program` over a review window, computed from the record,
    /// with the rater reviews dated in or before the window beside it.
    ///
    /// Items 1–4 use the published anchors (rev. 3-24-05); items 5–13 carry provisional scores
    /// from `thresholds`, which are local configuration (see ``FidelityThresholds``).
    ///
    /// ```swift
    /// if let r = snapshot.fidelity(program: "p1", asOf: LocalDate("2026-06-30")!) {
    ///     for item in r.items { print(item.number, item.score, item.provisional, item.measure) }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - window: the review window; default the 6 months ending at `asOf`.
    ///   - asOf: the clinical date of the report; later dates are cut off.
    ///   - thresholds: local cut-offs for items 5–13.
    /// - Returns: `nil` when the record (at this snapshot's position) does not hold `program`
    ///   (never established, or not yet): a report would score every item at the scale's
    ///   minimum, as if a real program had been measured and found wanting.
    public func fidelity(program: ProgramID, window: ClosedRange<LocalDate>? = nil, asOf: LocalDate,
                         thresholds: FidelityThresholds = .init()) -> FidelityReport? {
        let all = records(FidelityProjection.self)
        guard all[program.stream]?.program != nil else { return nil }
        return FidelityProjection.report(records: all, program: program, window: window, asOf: asOf, thresholds: thresholds)
    }

    /// The program's fidelity at each review date: every `every` months from the program's
    /// start ("at baseline and every six months", S003), each over the window that ends there,
    /// and, when `asOf` is not itself a review date, the `every` months ending at `asOf`
    /// (from the start at the earliest). Empty when the program is not established.
    ///
    /// ```swift
    /// for (date, report) in snapshot.fidelityHistory(program: "p1", asOf: day) { print(date, report.total) }
    /// ```
    public func fidelityHistory(program: ProgramID, asOf: LocalDate, every months: Int = 6,
                                thresholds: FidelityThresholds = .init()) -> [(date: LocalDate, report: FidelityReport)] {
        let all = records(FidelityProjection.self)
        guard let start = all[program.stream]?.program?.start, start <= asOf else { return [] }
        let step = max(1, months)
        var out: [(date: LocalDate, report: FidelityReport)] = []
        var k = 1
        while true {
            let from = fidelityMonths(step * (k - 1), after: start)
            let to = fidelityMonths(step * k, after: start).adding(days: -1)
            if to > asOf { break }
            out.append((to, FidelityProjection.report(records: all, program: program, window: from...to, asOf: to, thresholds: thresholds)))
            k += 1
        }
        if out.last?.date != asOf {
            let from = max(start, FidelityProjection.defaultWindow(endingAt: asOf, months: step).lowerBound)
            out.append((asOf, FidelityProjection.report(records: all, program: program, window: from...asOf, asOf: asOf, thresholds: thresholds)))
        }
        return out
    }
}
