// Sessions (the IMR progress note), attendance and groups.

/// The IMR progress note of one consumer for one session (SAMHSA KIT, "completed after every
/// IMR session"). A group session writes one per attendee.
///
/// Version 2 added ``educationalTechniques`` (fidelity item 9) and renamed v1's
/// `handout_given` to ``handoutsGiven``; stored v1 notes are upcast on read.
public struct SessionRecorded: RecordEvent {
    public static let typeName = "org.imr.session.recorded"
    public static let version = 2
    public static let summary = "The progress note of one consumer for one session; one note per attendee."
    public static let phiFields = [
        "consumer_id", "supporter_present", "plan_problem", "homework", "consumer_view", "practitioner_view",
        "next_session_plan", "consumer_signature_absent_reason",
    ]
    public static let sudFields = ["topics"]
    public var sessionId: SessionID
    public var consumerId: ConsumerID
    public var format: Format
    public var groupId: GroupID?
    public var date: LocalDate
    public var durationMinutes: Int
    public var practitioners: [PractitionerID]
    /// Name of a supporter who took part, if any.
    public var supporterPresent: String?
    /// The treatment-plan problem or goal in focus.
    public var planProblem: String?
    public var goalsFollowedUp: [GoalID]
    public var goalSet: GoalID?
    public var motivational: [MotivationalStrategy]
    public var topics: [Module]
    public var educationalTechniques: [EducationalTechnique]
    public var cbt: [CBTTechnique]
    public var skills: [Skill]
    public var homework: String?
    public var consumerView: String?
    public var practitionerView: String?
    public var nextSessionPlan: String?
    public var handoutsGiven: Bool
    public var practitionerSigned: Bool
    public var consumerSigned: Bool
    public var consumerSignatureAbsentReason: String?
    public var stream: String { consumerId.stream }

    public init(sessionId: SessionID, consumerId: ConsumerID, format: Format, groupId: GroupID? = nil, date: LocalDate,
                durationMinutes: Int, practitioners: [PractitionerID], supporterPresent: String? = nil, planProblem: String? = nil,
                goalsFollowedUp: [GoalID] = [], goalSet: GoalID? = nil, motivational: [MotivationalStrategy] = [],
                topics: [Module] = [], educationalTechniques: [EducationalTechnique] = [], cbt: [CBTTechnique] = [],
                skills: [Skill] = [], homework: String? = nil, consumerView: String? = nil, practitionerView: String? = nil,
                nextSessionPlan: String? = nil, handoutsGiven: Bool = false, practitionerSigned: Bool = true,
                consumerSigned: Bool = true, consumerSignatureAbsentReason: String? = nil) {
        self.sessionId = sessionId; self.consumerId = consumerId; self.format = format; self.groupId = groupId
        self.date = date; self.durationMinutes = durationMinutes; self.practitioners = practitioners
        self.supporterPresent = supporterPresent; self.planProblem = planProblem; self.goalsFollowedUp = goalsFollowedUp
        self.goalSet = goalSet; self.motivational = motivational; self.topics = topics
        self.educationalTechniques = educationalTechniques; self.cbt = cbt; self.skills = skills; self.homework = homework
        self.consumerView = consumerView; self.practitionerView = practitionerView; self.nextSessionPlan = nextSessionPlan
        self.handoutsGiven = handoutsGiven; self.practitionerSigned = practitionerSigned; self.consumerSigned = consumerSigned
        self.consumerSignatureAbsentReason = consumerSignatureAbsentReason
    }
}

/// Whether one consumer came to one session.
public struct AttendanceRecorded: RecordEvent {
    public static let typeName = "org.imr.attendance.recorded"
    public static let version = 1
    public static let summary = "One consumer's attendance at one session; one status per consumer per session."
    public static let phiFields = ["consumer_id", "reason"]
    public var sessionId: SessionID
    public var consumerId: ConsumerID
    public var groupId: GroupID?
    public var date: LocalDate
    public var status: AttendanceStatus
    public var reason: String?
    public var stream: String { consumerId.stream }
    public init(sessionId: SessionID, consumerId: ConsumerID, groupId: GroupID? = nil, date: LocalDate, status: AttendanceStatus,
                reason: String? = nil) {
        self.sessionId = sessionId; self.consumerId = consumerId; self.groupId = groupId; self.date = date; self.status = status
        self.reason = reason
    }
}

/// An IMR group is formed.
public struct GroupFormed: RecordEvent {
    public static let typeName = "org.imr.group.formed"
    public static let version = 1
    public static let summary = "An IMR group is formed with its facilitators and members (more than 8 is flagged)."
    public static let phiFields = ["members"]
    public var groupId: GroupID
    public var programId: ProgramID
    public var facilitators: [PractitionerID]
    public var members: [ConsumerID]
    public var startDate: LocalDate
    public var stream: String { groupId.stream }
    public var consumersNamed: [ConsumerID] { members }
    public init(groupId: GroupID, programId: ProgramID, facilitators: [PractitionerID], members: [ConsumerID], startDate: LocalDate) {
        self.groupId = groupId; self.programId = programId; self.facilitators = facilitators; self.members = members; self.startDate = startDate
    }
}

/// Members join or leave a group.
public struct GroupMembershipChanged: RecordEvent {
    public static let typeName = "org.imr.group.membership-changed"
    public static let version = 1
    public static let summary = "Consumers join or leave a group."
    public static let phiFields = ["added", "removed"]
    public var groupId: GroupID
    public var added: [ConsumerID]
    public var removed: [ConsumerID]
    public var effectiveDate: LocalDate
    public var stream: String { groupId.stream }
    public var consumersNamed: [ConsumerID] { added + removed }
    public init(groupId: GroupID, added: [ConsumerID], removed: [ConsumerID], effectiveDate: LocalDate) {
        self.groupId = groupId; self.added = added; self.removed = removed; self.effectiveDate = effectiveDate
    }
}

/// A group session took place: the group stream's side of a group session, with counts only
/// (each attendee's note and attendance go to their own streams in the same append).
public struct GroupSessionHeld: RecordEvent {
    public static let typeName = "org.imr.group.session-held"
    public static let version = 1
    public static let summary = "A group session took place; head-count = attendees marked attended."
    public static let phiFields: [String] = []
    public var sessionId: SessionID
    public var groupId: GroupID
    public var date: LocalDate
    public var durationMinutes: Int
    public var facilitators: [PractitionerID]
    public var topics: [Module]
    public var attended: Int
    public var rosterSize: Int
    public var stream: String { groupId.stream }
    public init(sessionId: SessionID, groupId: GroupID, date: LocalDate, durationMinutes: Int, facilitators: [PractitionerID],
                topics: [Module], attended: Int, rosterSize: Int) {
        self.sessionId = sessionId; self.groupId = groupId; self.date = date; self.durationMinutes = durationMinutes
        self.facilitators = facilitators; self.topics = topics; self.attended = attended; self.rosterSize = rosterSize
    }
}
