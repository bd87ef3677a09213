public import CanonicalJSON

// Inventories, relapse prevention plans, handouts, module reviews, outcome measures.

/// A section of the Strengths and Knowledge Inventory.
public enum InventorySection: String, Vocabulary {
    case dailyRoutine = "daily-routine"
    case educationAndWork = "education-and-work"
    case leisure, relationships, spirituality, health
    case priorPrograms = "prior-programs"
    case viewsOnRecovery = "views-on-recovery"
    case questionsAndHopes = "questions-and-hopes"
    public static let vocabularyName = "inventory_section"
}

/// One answer of the Strengths and Knowledge Inventory.
public struct InventoryAnswer: Codable, Sendable, Equatable {
    public var section: InventorySection
    public var text: String
    public init(section: InventorySection, text: String) { self.section = section; self.text = text }
}

/// The Strengths and Knowledge Inventory ("in the second or third IMR session").
public struct StrengthsInventoryCompleted: RecordEvent {
    public static let typeName = "org.imr.strengths-inventory.completed"
    public static let version = 1
    public static let summary = "The Strengths and Knowledge Inventory (flagged when not in session 2 or 3)."
    public static let phiFields = ["consumer_id", "answers"]
    public var consumerId: ConsumerID
    public var sessionId: SessionID?
    public var date: LocalDate
    public var answers: [InventoryAnswer]
    public var stream: String { consumerId.stream }
    public init(consumerId: ConsumerID, sessionId: SessionID? = nil, date: LocalDate, answers: [InventoryAnswer]) {
        self.consumerId = consumerId; self.sessionId = sessionId; self.date = date; self.answers = answers
    }
}

/// A version of a consumer's relapse prevention plan. A new version supersedes the previous
/// one, which stays in the record.
public struct RelapsePreventionPlanRecorded: RecordEvent {
    public static let typeName = "org.imr.relapse-plan.recorded"
    public static let version = 1
    public static let summary = "A relapse prevention plan version; versions go 1, 2, 3… and never overwrite."
    public static let phiFields = ["consumer_id", "triggers", "warning_signs", "actions", "shared_with"]
    public var planId: PlanID
    public var planVersion: Int
    public var consumerId: ConsumerID
    public var triggers: [String]
    public var warningSigns: [String]
    public var actions: [String]
    public var supportersInvolved: [SupporterID]
    public var sharedWith: [String]
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(planId: PlanID, planVersion: Int, consumerId: ConsumerID, triggers: [String], warningSigns: [String], actions: [String],
                supportersInvolved: [SupporterID] = [], sharedWith: [String] = [], date: LocalDate) {
        self.planId = planId; self.planVersion = planVersion; self.consumerId = consumerId; self.triggers = triggers
        self.warningSigns = warningSigns; self.actions = actions; self.supportersInvolved = supportersInvolved
        self.sharedWith = sharedWith; self.date = date
    }
}

/// Educational handouts of one module given to a consumer or their supporter.
public struct HandoutsProvided: RecordEvent {
    public static let typeName = "org.imr.handouts.provided"
    public static let version = 1
    public static let summary = "Handouts of a module of the consumer's curriculum are given."
    public static let phiFields = ["consumer_id"]
    public static let sudFields = ["module"]
    public var consumerId: ConsumerID
    public var module: Module
    public var handoutIds: [String]
    public var recipient: HandoutRecipient
    public var sessionId: SessionID?
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(consumerId: ConsumerID, module: Module, handoutIds: [String], recipient: HandoutRecipient = .consumer,
                sessionId: SessionID? = nil, date: LocalDate) {
        self.consumerId = consumerId; self.module = module; self.handoutIds = handoutIds; self.recipient = recipient
        self.sessionId = sessionId; self.date = date
    }
}

/// The review questions at the end of a module.
public struct ModuleReviewCompleted: RecordEvent {
    public static let typeName = "org.imr.module-review.completed"
    public static let version = 1
    public static let summary = "A module's review questions; the module must have been taught to the consumer before."
    public static let phiFields = ["consumer_id", "score", "answers"]
    public static let sudFields = ["module", "answers"]
    public var consumerId: ConsumerID
    public var module: Module
    public var score: Int?
    public var answers: [String]
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(consumerId: ConsumerID, module: Module, score: Int? = nil, answers: [String] = [], date: LocalDate) {
        self.consumerId = consumerId; self.module = module; self.score = score; self.answers = answers; self.date = date
    }
}

/// An outcome instrument (the IMR Scale, client or clinician version).
public struct OutcomeMeasureRecorded: RecordEvent {
    public static let typeName = "org.imr.outcome-measure.recorded"
    public static let version = 1
    public static let summary = "An IMR Scale administration; the item count must match the instrument, each response is 1–5 (`field.range`), and the total lies between 1 and 75 (the seeds do not give the scoring rule; a mean or a sum of 15 such items lies there)."
    public static let phiFields = ["consumer_id", "item_responses", "total"]
    public var consumerId: ConsumerID
    public var instrument: Instrument
    public var instrumentVersion: String
    /// One response per item, each scored 1–5 (IMR.md: the IMR Scale's items are scored 1–5;
    /// item 4's published anchors are contact counts, 0, 1–2, 3–4, 6–7, 8 or more a week,
    /// which are scores 1 to 5).
    public var itemResponses: [Int]
    public var total: Double
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(consumerId: ConsumerID, instrument: Instrument, instrumentVersion: String, itemResponses: [Int], total: Double, date: LocalDate) {
        self.consumerId = consumerId; self.instrument = instrument; self.instrumentVersion = instrumentVersion
        self.itemResponses = itemResponses; self.total = total; self.date = date
    }
}

// Corrections: never erase, always reference.

/// An addendum, correction, late entry or patient-requested amendment to an earlier event of
/// the same consumer. `content` holds the fields of the target that the amendment replaces.
public struct EntryAmended: RecordEvent {
    public static let typeName = "org.imr.entry.amended"
    public static let version = 1
    public static let summary = "Amends an earlier event of the same consumer; the original stays in the log."
    public static let phiFields = ["consumer_id", "content", "reason"]
    public static let sudFields = ["content"]
    public var targetEventId: String
    public var consumerId: ConsumerID
    public var kind: AmendmentKind
    public var content: JSONValue
    public var reason: String
    public var author: UserID
    /// The patient's amendment request (required for `patient-requested`).
    public var requestId: RequestID?
    public var stream: String { consumerId.stream }
    public init(targetEventId: String, consumerId: ConsumerID, kind: AmendmentKind, content: JSONValue, reason: String, author: UserID,
                requestId: RequestID? = nil) {
        self.targetEventId = targetEventId; self.consumerId = consumerId; self.kind = kind; self.content = content
        self.reason = reason; self.author = author; self.requestId = requestId
    }
}

/// Marks an earlier event of the same consumer as entered in error: hidden from projections
/// by default, still in the log and the audit view.
public struct EntryMarkedInError: RecordEvent {
    public static let typeName = "org.imr.entry.marked-in-error"
    public static let version = 1
    public static let summary = "Marks an earlier event of the same consumer as entered in error; never erases it."
    public static let phiFields = ["consumer_id", "reason"]
    public var targetEventId: String
    public var consumerId: ConsumerID
    public var reason: String
    public var author: UserID
    public var stream: String { consumerId.stream }
    public init(targetEventId: String, consumerId: ConsumerID, reason: String, author: UserID) {
        self.targetEventId = targetEventId; self.consumerId = consumerId; self.reason = reason; self.author = author
    }
}

/// A consumer asks for an amendment of their record (45 CFR 164.526).
public struct AmendmentRequested: RecordEvent {
    public static let typeName = "org.imr.amendment.requested"
    public static let version = 1
    public static let summary = "A consumer asks for an amendment (HIPAA 164.526); it must be decided within 60 (+30) days."
    public static let phiFields = ["consumer_id", "requested_change"]
    public var requestId: RequestID
    public var consumerId: ConsumerID
    public var targetEventId: String?
    public var requestedChange: String
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(requestId: RequestID, consumerId: ConsumerID, targetEventId: String? = nil, requestedChange: String, date: LocalDate) {
        self.requestId = requestId; self.consumerId = consumerId; self.targetEventId = targetEventId
        self.requestedChange = requestedChange; self.date = date
    }
}

/// The decision on a consumer's amendment request.
public struct AmendmentRequestDecided: RecordEvent {
    public static let typeName = "org.imr.amendment.request-decided"
    public static let version = 1
    public static let summary = "The decision on an amendment request, within 60 days (90 with the one extension)."
    public static let phiFields = ["consumer_id", "statement_of_disagreement", "reason"]
    public var requestId: RequestID
    public var consumerId: ConsumerID
    public var decision: AmendmentDecision
    public var reason: String?
    /// Whether the one 30-day extension was taken.
    public var extended: Bool
    public var statementOfDisagreement: String?
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(requestId: RequestID, consumerId: ConsumerID, decision: AmendmentDecision, reason: String? = nil, extended: Bool = false,
                statementOfDisagreement: String? = nil, date: LocalDate) {
        self.requestId = requestId; self.consumerId = consumerId; self.decision = decision; self.reason = reason
        self.extended = extended; self.statementOfDisagreement = statementOfDisagreement; self.date = date
    }
}

/// A read of a consumer's record: who, whose, what, why. Written for every PHI read.
public struct RecordAccessed: RecordEvent {
    public static let typeName = "org.imr.record.accessed"
    public static let version = 1
    public static let summary = "A read of a consumer's data (who, whose record, what, why); the accounting of access."
    public static let phiFields = ["consumer_id"]
    public var user: UserID
    public var role: String
    public var consumerId: ConsumerID
    public var purpose: String
    public var what: [String]
    public var stream: String { accessStream(of: consumerId) }
    public init(user: UserID, role: String, consumerId: ConsumerID, purpose: String, what: [String]) {
        self.user = user; self.role = role; self.consumerId = consumerId; self.purpose = purpose; self.what = what
    }
}
