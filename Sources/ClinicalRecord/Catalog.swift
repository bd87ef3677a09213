/// Every event type of the record, in catalog order (docs/EVENTS.md follows it).
public enum EventCatalog {
    /// All current event types.
    public static let all: [any RecordEvent.Type] = [
        ProgramEstablished.self, TeamFormed.self, PractitionerJoined.self, PractitionerLeft.self, TrainingCompleted.self,
        SupervisionHeld.self, FidelityReviewCompleted.self,
        ReferralReceived.self, ReferralAccepted.self, ReferralDeclined.self, ConsumerEnrolled.self, PractitionerAssigned.self,
        PractitionerTransferred.self, ConsumerDischarged.self,
        SessionRecorded.self, AttendanceRecorded.self, GroupFormed.self, GroupMembershipChanged.self, GroupSessionHeld.self,
        GoalSet.self, GoalRevised.self, GoalProgressRated.self, GoalAchieved.self, GoalWithdrawn.self,
        SupporterRegistered.self, SupporterConsentRecorded.self, SupporterConsentRevoked.self, SupporterContactRecorded.self,
        StrengthsInventoryCompleted.self, RelapsePreventionPlanRecorded.self, HandoutsProvided.self, ModuleReviewCompleted.self,
        OutcomeMeasureRecorded.self,
        EntryAmended.self, EntryMarkedInError.self, AmendmentRequested.self, AmendmentRequestDecided.self,
        RecordAccessed.self,
    ]

    /// The current type for a stored `type` attribute's name part (without `.vN`).
    public static let byTypeName: [String: any RecordEvent.Type] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.typeName, $0) })

    /// The prefix of the record's own event types. Events of these types are written only
    /// through commands (`imr record`, `imr import`, `POST /v1/commands/…`), which check the
    /// record's rules; raw appends (`imr append`, `POST /v1/streams/…/events`) refuse them.
    public static let reservedTypePrefix = "org.imr."

    /// Whether `type` is one of the record's own types (``reservedTypePrefix``).
    public static func isReserved(type: String) -> Bool { type.hasPrefix(reservedTypePrefix) }

    /// Splits a stored type (`org.imr.session.recorded.v1`) into its name and version.
    public static func parse(eventType: String) -> (name: String, version: Int)? {
        guard let dot = eventType.lastIndex(of: "."),
            eventType[eventType.index(after: dot)...].hasPrefix("v"),
            let v = Int(eventType[eventType.index(dot, offsetBy: 2)...]), v >= 1
        else { return nil }
        return (String(eventType[..<dot]), v)
    }
}
