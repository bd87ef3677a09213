// Referral, enrollment, assignment, discharge.

/// A referral to IMR arrives.
public struct ReferralReceived: RecordEvent {
    public static let typeName = "org.imr.referral.received"
    public static let version = 1
    public static let summary = "A referral of a consumer to a program's IMR arrives."
    public static let phiFields = ["consumer_id", "reason"]
    public var referralId: ReferralID
    public var consumerId: ConsumerID
    public var programId: ProgramID
    public var source: ReferralSource
    public var referrer: String?
    public var reason: String
    public var date: LocalDate
    public var stream: String { referralId.stream }
    public var consumersNamed: [ConsumerID] { [consumerId] }
    public init(referralId: ReferralID, consumerId: ConsumerID, programId: ProgramID, source: ReferralSource, referrer: String? = nil,
                reason: String, date: LocalDate) {
        self.referralId = referralId; self.consumerId = consumerId; self.programId = programId; self.source = source
        self.referrer = referrer; self.reason = reason; self.date = date
    }
}

/// The program accepts a referral and offers a format.
public struct ReferralAccepted: RecordEvent {
    public static let typeName = "org.imr.referral.accepted"
    public static let version = 1
    public static let summary = "The referral is accepted, with the format offered; exactly one decision per referral."
    public static let phiFields: [String] = []
    public var referralId: ReferralID
    public var decidedBy: UserID
    public var formatOffered: Format
    public var date: LocalDate
    public var stream: String { referralId.stream }
    public init(referralId: ReferralID, decidedBy: UserID, formatOffered: Format, date: LocalDate) {
        self.referralId = referralId; self.decidedBy = decidedBy; self.formatOffered = formatOffered; self.date = date
    }
}

/// The program declines a referral, with a reason.
public struct ReferralDeclined: RecordEvent {
    public static let typeName = "org.imr.referral.declined"
    public static let version = 1
    public static let summary = "The referral is declined; a reason is required; exactly one decision per referral."
    public static let phiFields = ["reason"]
    public var referralId: ReferralID
    public var decidedBy: UserID
    public var reason: String
    public var date: LocalDate
    public var stream: String { referralId.stream }
    public init(referralId: ReferralID, decidedBy: UserID, reason: String, date: LocalDate) {
        self.referralId = referralId; self.decidedBy = decidedBy; self.reason = reason; self.date = date
    }
}

/// A consumer is enrolled in a program's IMR on an accepted referral.
public struct ConsumerEnrolled: RecordEvent {
    public static let typeName = "org.imr.consumer.enrolled"
    public static let version = 1
    public static let summary = "A consumer is enrolled on an accepted referral; at most one active enrollment."
    public static let phiFields = ["consumer_id"]
    public var enrollmentId: EnrollmentID
    public var consumerId: ConsumerID
    public var programId: ProgramID
    public var referralId: ReferralID
    public var format: Format
    public var startDate: LocalDate
    /// The program's curriculum edition at enrollment; session topics are checked against it.
    public var curriculum: CurriculumEdition
    public var scaleVersion: FidelityScaleVersion
    public var stream: String { consumerId.stream }
    public init(enrollmentId: EnrollmentID, consumerId: ConsumerID, programId: ProgramID, referralId: ReferralID, format: Format,
                startDate: LocalDate, curriculum: CurriculumEdition, scaleVersion: FidelityScaleVersion) {
        self.enrollmentId = enrollmentId; self.consumerId = consumerId; self.programId = programId; self.referralId = referralId
        self.format = format; self.startDate = startDate; self.curriculum = curriculum; self.scaleVersion = scaleVersion
    }
}

/// The primary practitioner of an enrollment is assigned.
public struct PractitionerAssigned: RecordEvent {
    public static let typeName = "org.imr.practitioner.assigned"
    public static let version = 1
    public static let summary = "A primary practitioner is assigned to an enrollment; one at a time."
    public static let phiFields = ["consumer_id"]
    public var enrollmentId: EnrollmentID
    public var consumerId: ConsumerID
    public var practitionerId: PractitionerID
    public var effectiveDate: LocalDate
    public var stream: String { consumerId.stream }
    public init(enrollmentId: EnrollmentID, consumerId: ConsumerID, practitionerId: PractitionerID, effectiveDate: LocalDate) {
        self.enrollmentId = enrollmentId; self.consumerId = consumerId; self.practitionerId = practitionerId; self.effectiveDate = effectiveDate
    }
}

/// The primary practitioner changes.
public struct PractitionerTransferred: RecordEvent {
    public static let typeName = "org.imr.practitioner.transferred"
    public static let version = 1
    public static let summary = "An enrollment moves from its primary practitioner to another."
    public static let phiFields = ["consumer_id", "reason"]
    public var enrollmentId: EnrollmentID
    public var consumerId: ConsumerID
    public var fromPractitionerId: PractitionerID
    public var toPractitionerId: PractitionerID
    public var effectiveDate: LocalDate
    public var reason: String
    public var stream: String { consumerId.stream }
    public init(enrollmentId: EnrollmentID, consumerId: ConsumerID, fromPractitionerId: PractitionerID, toPractitionerId: PractitionerID,
                effectiveDate: LocalDate, reason: String) {
        self.enrollmentId = enrollmentId; self.consumerId = consumerId; self.fromPractitionerId = fromPractitionerId
        self.toPractitionerId = toPractitionerId; self.effectiveDate = effectiveDate; self.reason = reason
    }
}

/// A consumer leaves IMR. Open goals must have been closed first.
public struct ConsumerDischarged: RecordEvent {
    public static let typeName = "org.imr.consumer.discharged"
    public static let version = 1
    public static let summary = "The enrollment ends; after it only amendments are accepted for the consumer."
    public static let phiFields = ["consumer_id", "booster_referral"]
    public var enrollmentId: EnrollmentID
    public var consumerId: ConsumerID
    public var date: LocalDate
    public var reason: DischargeReason
    public var modulesCompleted: [Module]
    public var boosterReferral: String?
    public var stream: String { consumerId.stream }
    public init(enrollmentId: EnrollmentID, consumerId: ConsumerID, date: LocalDate, reason: DischargeReason, modulesCompleted: [Module],
                boosterReferral: String? = nil) {
        self.enrollmentId = enrollmentId; self.consumerId = consumerId; self.date = date; self.reason = reason
        self.modulesCompleted = modulesCompleted; self.boosterReferral = boosterReferral
    }
}
