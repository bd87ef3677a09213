// Personal goals: open → achieved | withdrawn; revisions and ratings only while open.

/// A personal recovery goal, in the consumer's own words.
public struct GoalSet: RecordEvent {
    public static let typeName = "org.imr.goal.set"
    public static let version = 1
    public static let summary = "A personal goal is set; it must belong to an active enrollment."
    public static let phiFields = ["consumer_id", "text", "measurable_criterion", "steps", "plan_problem"]
    public var goalId: GoalID
    public var consumerId: ConsumerID
    public var text: String
    public var inConsumersWords: Bool
    public var measurableCriterion: String?
    public var steps: [String]
    public var targetDate: LocalDate?
    public var planProblem: String?
    public var sessionId: SessionID?
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(goalId: GoalID, consumerId: ConsumerID, text: String, inConsumersWords: Bool = true, measurableCriterion: String? = nil,
                steps: [String] = [], targetDate: LocalDate? = nil, planProblem: String? = nil, sessionId: SessionID? = nil, date: LocalDate) {
        self.goalId = goalId; self.consumerId = consumerId; self.text = text; self.inConsumersWords = inConsumersWords
        self.measurableCriterion = measurableCriterion; self.steps = steps; self.targetDate = targetDate
        self.planProblem = planProblem; self.sessionId = sessionId; self.date = date
    }
}

/// An open goal is revised.
public struct GoalRevised: RecordEvent {
    public static let typeName = "org.imr.goal.revised"
    public static let version = 1
    public static let summary = "An open goal is revised."
    public static let phiFields = ["consumer_id", "change"]
    public var goalId: GoalID
    public var consumerId: ConsumerID
    public var change: String
    public var collaborative: Bool
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(goalId: GoalID, consumerId: ConsumerID, change: String, collaborative: Bool = true, date: LocalDate) {
        self.goalId = goalId; self.consumerId = consumerId; self.change = change; self.collaborative = collaborative; self.date = date
    }
}

/// Progress on an open goal is reviewed and rated (1 none – 5 goal met).
public struct GoalProgressRated: RecordEvent {
    public static let typeName = "org.imr.goal.progress-rated"
    public static let version = 1
    public static let summary = "Progress on an open goal is reviewed and rated 1–5; a review is due every 30 days."
    public static let phiFields = ["consumer_id", "rating", "note"]
    public var goalId: GoalID
    public var consumerId: ConsumerID
    public var rating: Int
    public var note: String?
    public var ratedBy: UserID
    public var collaborative: Bool
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(goalId: GoalID, consumerId: ConsumerID, rating: Int, note: String? = nil, ratedBy: UserID, collaborative: Bool = true,
                date: LocalDate) {
        self.goalId = goalId; self.consumerId = consumerId; self.rating = rating; self.note = note; self.ratedBy = ratedBy
        self.collaborative = collaborative; self.date = date
    }
}

/// An open goal is achieved.
public struct GoalAchieved: RecordEvent {
    public static let typeName = "org.imr.goal.achieved"
    public static let version = 1
    public static let summary = "An open goal is achieved (closes it)."
    public static let phiFields = ["consumer_id", "note"]
    public var goalId: GoalID
    public var consumerId: ConsumerID
    public var note: String?
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(goalId: GoalID, consumerId: ConsumerID, note: String? = nil, date: LocalDate) {
        self.goalId = goalId; self.consumerId = consumerId; self.note = note; self.date = date
    }
}

/// An open goal is withdrawn.
public struct GoalWithdrawn: RecordEvent {
    public static let typeName = "org.imr.goal.withdrawn"
    public static let version = 1
    public static let summary = "An open goal is withdrawn, with a reason (closes it)."
    public static let phiFields = ["consumer_id", "reason"]
    public var goalId: GoalID
    public var consumerId: ConsumerID
    public var reason: String
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(goalId: GoalID, consumerId: ConsumerID, reason: String, date: LocalDate) {
        self.goalId = goalId; self.consumerId = consumerId; self.reason = reason; self.date = date
    }
}
