import CanonicalJSON

/// One kind of event in the clinical record.
///
/// Every event has a stable type name that never derives from the Swift type's name
/// (`org.imr.session.recorded`), a schema version, and a payload that encodes (snake_case) to
/// the `data` member of the stored CloudEvent. The stored `type` attribute is
/// ``eventType``: the name with `.v` and the version appended.
public protocol RecordEvent: Codable, Sendable, Equatable {
    /// The stable type name, without the version.
    static var typeName: String { get }
    /// The current schema version of the payload.
    static var version: Int { get }
    /// One sentence for the catalog.
    static var summary: String { get }
    /// Fields that hold protected health information, as field paths (`notes[].homework`).
    static var phiFields: [String] { get }
    /// Fields that may hold substance-use-disorder information (42 CFR Part 2).
    static var sudFields: [String] { get }
    /// The stream the event is appended to.
    var stream: String { get }
    /// Consumers this event names although it is outside their own streams (a referral's
    /// consumer, a group's members, the cases of a supervision): a read of the event is a
    /// read of their data, and is accounted to each of them. Empty for most events.
    var consumersNamed: [ConsumerID] { get }
}

extension RecordEvent {
    public var consumersNamed: [ConsumerID] { [] }
    /// The stored CloudEvents `type`: `org.imr.session.recorded.v2`.
    public static var eventType: String { "\(typeName).v\(version)" }
    public static var sudFields: [String] { [] }
}

/// The name of the stream that holds the program-wide access log of one consumer's record.
public func accessStream(of consumer: ConsumerID) -> String { "access-" + consumer.rawValue }

/// An event whose `date` is the day something happened (a session, a rating, a discharge):
/// that day cannot be later than when it occurred (`occurred_at`), which the record core
/// checks (`date.after-occurred-at`). Planned days (a goal's target date, a consent's
/// effective date) are not such dates.
public protocol ClinicalDated {
    /// The day it happened.
    var date: LocalDate { get }
}

extension SessionRecorded: ClinicalDated {}
extension AttendanceRecorded: ClinicalDated {}
extension GroupSessionHeld: ClinicalDated {}
extension GoalSet: ClinicalDated {}
extension GoalRevised: ClinicalDated {}
extension GoalProgressRated: ClinicalDated {}
extension GoalAchieved: ClinicalDated {}
extension GoalWithdrawn: ClinicalDated {}
extension ConsumerDischarged: ClinicalDated {}
extension ModuleReviewCompleted: ClinicalDated {}
extension OutcomeMeasureRecorded: ClinicalDated {}
extension ReferralReceived: ClinicalDated {}
extension ReferralAccepted: ClinicalDated {}
extension ReferralDeclined: ClinicalDated {}
extension SupervisionHeld: ClinicalDated {}
extension SupporterContactRecorded: ClinicalDated {}
extension StrengthsInventoryCompleted: ClinicalDated {}
extension HandoutsProvided: ClinicalDated {}
extension TrainingCompleted: ClinicalDated {}
extension PractitionerLeft: ClinicalDated {}
extension TeamFormed: ClinicalDated {}
extension SupporterRegistered: ClinicalDated {}
extension RelapsePreventionPlanRecorded: ClinicalDated {}
extension AmendmentRequested: ClinicalDated {}
extension AmendmentRequestDecided: ClinicalDated {}
