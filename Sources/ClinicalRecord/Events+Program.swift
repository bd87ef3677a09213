// Program, team and staff events: not patient data, except the cases a supervision reviewed.

/// A program adopts IMR: its curriculum edition and fidelity scale version.
public struct ProgramEstablished: RecordEvent {
    public static let typeName = "org.imr.program.established"
    public static let version = 1
    public static let summary = "A program adopts IMR with a curriculum edition and a fidelity scale version."
    public static let phiFields: [String] = []
    public var programId: ProgramID
    public var name: String
    public var curriculum: CurriculumEdition
    public var fidelityScale: FidelityScaleVersion
    public var startDate: LocalDate
    public var stream: String { programId.stream }
    public init(programId: ProgramID, name: String, curriculum: CurriculumEdition, fidelityScale: FidelityScaleVersion, startDate: LocalDate) {
        self.programId = programId; self.name = name; self.curriculum = curriculum; self.fidelityScale = fidelityScale; self.startDate = startDate
    }
}

/// A team of IMR practitioners is formed within a program.
public struct TeamFormed: RecordEvent {
    public static let typeName = "org.imr.team.formed"
    public static let version = 1
    public static let summary = "An IMR team is formed in a program."
    public static let phiFields: [String] = []
    public var teamId: TeamID
    public var programId: ProgramID
    public var name: String
    public var date: LocalDate
    public var stream: String { teamId.stream }
    public init(teamId: TeamID, programId: ProgramID, name: String, date: LocalDate) {
        self.teamId = teamId; self.programId = programId; self.name = name; self.date = date
    }
}

/// A practitioner (or IMR leader) joins a team.
public struct PractitionerJoined: RecordEvent {
    public static let typeName = "org.imr.practitioner.joined"
    public static let version = 1
    public static let summary = "A practitioner or IMR leader joins a team of a program."
    public static let phiFields: [String] = []
    public var practitionerId: PractitionerID
    public var programId: ProgramID
    public var teamId: TeamID
    public var role: StaffRole
    public var startDate: LocalDate
    public var stream: String { practitionerId.stream }
    public init(practitionerId: PractitionerID, programId: ProgramID, teamId: TeamID, role: StaffRole, startDate: LocalDate) {
        self.practitionerId = practitionerId; self.programId = programId; self.teamId = teamId; self.role = role; self.startDate = startDate
    }
}

/// A practitioner leaves the program (staff turnover).
public struct PractitionerLeft: RecordEvent {
    public static let typeName = "org.imr.practitioner.left"
    public static let version = 1
    public static let summary = "A practitioner leaves the program; their consumers need a transfer."
    public static let phiFields: [String] = []
    public var practitionerId: PractitionerID
    public var date: LocalDate
    public var stream: String { practitionerId.stream }
    public init(practitionerId: PractitionerID, date: LocalDate) { self.practitionerId = practitionerId; self.date = date }
}

/// IMR training a practitioner completed.
public struct TrainingCompleted: RecordEvent {
    public static let typeName = "org.imr.training.completed"
    public static let version = 1
    public static let summary = "A practitioner completes IMR training (basic, intensive, booster, site visit)."
    public static let phiFields: [String] = []
    public var practitionerId: PractitionerID
    public var course: TrainingCourse
    public var hours: Double
    public var date: LocalDate
    public var stream: String { practitionerId.stream }
    public init(practitionerId: PractitionerID, course: TrainingCourse, hours: Double, date: LocalDate) {
        self.practitionerId = practitionerId; self.course = course; self.hours = hours; self.date = date
    }
}

/// A supervision meeting of a team.
public struct SupervisionHeld: RecordEvent {
    public static let typeName = "org.imr.supervision.held"
    public static let version = 1
    public static let summary = "A team's group, individual or side-by-side supervision, with the cases reviewed."
    public static let phiFields = ["cases_reviewed"]
    public var teamId: TeamID
    public var kind: SupervisionKind
    public var leader: PractitionerID
    public var practitioners: [PractitionerID]
    public var consultant: String?
    public var date: LocalDate
    public var durationMinutes: Int
    public var casesReviewed: [ConsumerID]
    public var stream: String { teamId.stream }
    public var consumersNamed: [ConsumerID] { casesReviewed }
    public init(teamId: TeamID, kind: SupervisionKind, leader: PractitionerID, practitioners: [PractitionerID], consultant: String? = nil,
                date: LocalDate, durationMinutes: Int, casesReviewed: [ConsumerID]) {
        self.teamId = teamId; self.kind = kind; self.leader = leader; self.practitioners = practitioners; self.consultant = consultant
        self.date = date; self.durationMinutes = durationMinutes; self.casesReviewed = casesReviewed
    }
}

/// One item of a rater's fidelity review.
public struct FidelityItemScore: Codable, Sendable, Equatable {
    /// Item number, 1–13.
    public var item: Int
    /// Score, 1–5.
    public var score: Int
    /// Data sources the rater used (chart review, interview, observation…).
    public var sources: [String]
    public var rationale: String?
    public init(item: Int, score: Int, sources: [String], rationale: String? = nil) {
        self.item = item; self.score = score; self.sources = sources; self.rationale = rationale
    }
}

/// An external or internal rater's IMR Fidelity Scale review. It is authoritative, and it
/// never alters the scores computed from the record, which are shown beside it.
public struct FidelityReviewCompleted: RecordEvent {
    public static let typeName = "org.imr.fidelity.review-completed"
    public static let version = 1
    public static let summary = "A rater's 13-item fidelity review of a program; total = mean of the items."
    public static let phiFields: [String] = []
    public var reviewId: ReviewID
    public var programId: ProgramID
    public var raterKind: RaterKind
    public var raters: [UserID]
    public var scaleVersion: FidelityScaleVersion
    public var visitDates: [LocalDate]
    public var items: [FidelityItemScore]
    public var total: Double
    /// The digest of the computed fidelity snapshot the rater saw, if any.
    public var computedSnapshot: String?
    public var stream: String { programId.stream }
    public init(reviewId: ReviewID, programId: ProgramID, raterKind: RaterKind, raters: [UserID], scaleVersion: FidelityScaleVersion,
                visitDates: [LocalDate], items: [FidelityItemScore], total: Double, computedSnapshot: String? = nil) {
        self.reviewId = reviewId; self.programId = programId; self.raterKind = raterKind; self.raters = raters
        self.scaleVersion = scaleVersion; self.visitDates = visitDates; self.items = items; self.total = total
        self.computedSnapshot = computedSnapshot
    }
}
