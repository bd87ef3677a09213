import CanonicalJSON

/// One attendee's part of a group session's progress note.
public struct GroupNote: Codable, Sendable, Equatable {
    public var consumerId: ConsumerID
    public var supporterPresent: String?
    public var planProblem: String?
    public var goalsFollowedUp: [GoalID]?
    public var goalSet: GoalID?
    public var motivational: [MotivationalStrategy]?
    public var educationalTechniques: [EducationalTechnique]?
    public var cbt: [CBTTechnique]?
    public var skills: [Skill]?
    public var homework: String?
    public var consumerView: String?
    public var practitionerView: String?
    public var nextSessionPlan: String?
    public var handoutsGiven: Bool?
    public var consumerSigned: Bool?
    public var consumerSignatureAbsentReason: String?

    public init(consumerId: ConsumerID, supporterPresent: String? = nil, planProblem: String? = nil, goalsFollowedUp: [GoalID]? = nil,
                goalSet: GoalID? = nil, motivational: [MotivationalStrategy]? = nil, educationalTechniques: [EducationalTechnique]? = nil,
                cbt: [CBTTechnique]? = nil, skills: [Skill]? = nil, homework: String? = nil, consumerView: String? = nil,
                practitionerView: String? = nil, nextSessionPlan: String? = nil, handoutsGiven: Bool? = nil,
                consumerSigned: Bool? = nil, consumerSignatureAbsentReason: String? = nil) {
        self.consumerId = consumerId; self.supporterPresent = supporterPresent; self.planProblem = planProblem
        self.goalsFollowedUp = goalsFollowedUp; self.goalSet = goalSet; self.motivational = motivational
        self.educationalTechniques = educationalTechniques; self.cbt = cbt; self.skills = skills; self.homework = homework
        self.consumerView = consumerView; self.practitionerView = practitionerView; self.nextSessionPlan = nextSessionPlan
        self.handoutsGiven = handoutsGiven; self.consumerSigned = consumerSigned
        self.consumerSignatureAbsentReason = consumerSignatureAbsentReason
    }
}

/// One roster line of a group session.
public struct AttendanceEntry: Codable, Sendable, Equatable {
    public var consumerId: ConsumerID
    public var status: AttendanceStatus
    public var reason: String?
    public init(consumerId: ConsumerID, status: AttendanceStatus, reason: String? = nil) {
        self.consumerId = consumerId; self.status = status; self.reason = reason
    }
}

/// A group session: its header, every member's attendance, and one note per attendee. It
/// becomes one atomic append across the group's stream and every listed consumer's stream.
public struct GroupSessionRecording: Codable, Sendable, Equatable {
    public var sessionId: SessionID
    public var groupId: GroupID
    public var date: LocalDate
    public var durationMinutes: Int
    public var facilitators: [PractitionerID]
    public var topics: [Module]
    public var attendance: [AttendanceEntry]
    public var notes: [GroupNote]
    public init(sessionId: SessionID, groupId: GroupID, date: LocalDate, durationMinutes: Int, facilitators: [PractitionerID],
                topics: [Module], attendance: [AttendanceEntry], notes: [GroupNote]) {
        self.sessionId = sessionId; self.groupId = groupId; self.date = date; self.durationMinutes = durationMinutes
        self.facilitators = facilitators; self.topics = topics; self.attendance = attendance; self.notes = notes
    }
}

/// A command: an imperative request that, if the record's state allows it, becomes events.
public enum Command: Sendable {
    /// A command that records one event of the catalog (most commands).
    case record(any RecordEvent)
    /// A group session (several streams at once).
    case recordGroupSession(GroupSessionRecording)

    /// The command's name, as used on the command line and in NDJSON imports.
    public var name: String {
        switch self {
        case .record(let e): CommandCatalog.name(of: type(of: e))
        case .recordGroupSession: CommandCatalog.groupSessionCommand
        }
    }
}

/// The names of the commands and the event each one records.
public enum CommandCatalog {
    /// The group-session command's name.
    public static let groupSessionCommand = "record-group-session"

    /// Single-event commands: name → the event it records.
    public static let single: [(name: String, event: any RecordEvent.Type)] = [
        ("establish-program", ProgramEstablished.self), ("form-team", TeamFormed.self),
        ("add-practitioner", PractitionerJoined.self), ("remove-practitioner", PractitionerLeft.self),
        ("record-training", TrainingCompleted.self), ("record-supervision", SupervisionHeld.self),
        ("record-fidelity-review", FidelityReviewCompleted.self),
        ("receive-referral", ReferralReceived.self), ("accept-referral", ReferralAccepted.self),
        ("decline-referral", ReferralDeclined.self), ("enroll-consumer", ConsumerEnrolled.self),
        ("assign-practitioner", PractitionerAssigned.self), ("transfer-practitioner", PractitionerTransferred.self),
        ("discharge-consumer", ConsumerDischarged.self),
        ("record-session", SessionRecorded.self), ("record-attendance", AttendanceRecorded.self),
        ("form-group", GroupFormed.self), ("change-group-membership", GroupMembershipChanged.self),
        ("set-goal", GoalSet.self), ("revise-goal", GoalRevised.self), ("rate-goal-progress", GoalProgressRated.self),
        ("achieve-goal", GoalAchieved.self), ("withdraw-goal", GoalWithdrawn.self),
        ("register-supporter", SupporterRegistered.self), ("record-supporter-consent", SupporterConsentRecorded.self),
        ("revoke-supporter-consent", SupporterConsentRevoked.self), ("record-supporter-contact", SupporterContactRecorded.self),
        ("complete-strengths-inventory", StrengthsInventoryCompleted.self),
        ("record-relapse-prevention-plan", RelapsePreventionPlanRecorded.self),
        ("provide-handouts", HandoutsProvided.self), ("complete-module-review", ModuleReviewCompleted.self),
        ("record-outcome-measure", OutcomeMeasureRecorded.self),
        ("amend-entry", EntryAmended.self), ("mark-entry-in-error", EntryMarkedInError.self),
        ("receive-amendment-request", AmendmentRequested.self), ("decide-amendment-request", AmendmentRequestDecided.self),
        ("record-access", RecordAccessed.self),
    ]

    /// Every command name, sorted.
    public static var names: [String] { (single.map(\.name) + [groupSessionCommand]).sorted() }

    /// The event type a single-event command records.
    public static func eventType(of name: String) -> (any RecordEvent.Type)? {
        single.first { $0.name == name }?.event
    }

    /// The command that records `type`.
    public static func name(of type: any RecordEvent.Type) -> String {
        single.first { ObjectIdentifier($0.event) == ObjectIdentifier(type) }?.name ?? type.typeName
    }
}

/// What a command became: the events to append, in order, and any warnings.
public struct Decision: Sendable {
    public var events: [any RecordEvent]
    public var warnings: [RecordWarning]

    /// The streams written, in first-seen order.
    public var streams: [String] {
        var seen = Set<String>(), out = [String]()
        for e in events where seen.insert(e.stream).inserted { out.append(e.stream) }
        return out
    }
}
