// Supporters (significant others) and their consent.

/// A supporter of a consumer is registered. Name and contact are third-party PHI.
public struct SupporterRegistered: RecordEvent {
    public static let typeName = "org.imr.supporter.registered"
    public static let version = 1
    public static let summary = "A supporter (significant other) of a consumer is registered."
    public static let phiFields = ["consumer_id", "name", "relationship", "contact"]
    public var supporterId: SupporterID
    public var consumerId: ConsumerID
    public var name: String
    public var relationship: String
    public var contact: String?
    public var date: LocalDate
    public var stream: String { consumerId.stream }
    public init(supporterId: SupporterID, consumerId: ConsumerID, name: String, relationship: String, contact: String? = nil, date: LocalDate) {
        self.supporterId = supporterId; self.consumerId = consumerId; self.name = name; self.relationship = relationship
        self.contact = contact; self.date = date
    }
}

/// The consumer consents to a supporter's involvement, for some purposes, for a time.
public struct SupporterConsentRecorded: RecordEvent {
    public static let typeName = "org.imr.supporter.consent-recorded"
    public static let version = 1
    public static let summary = "The consumer's consent to a supporter's involvement: its scope and its period."
    public static let phiFields = ["consumer_id"]
    public var supporterId: SupporterID
    public var consumerId: ConsumerID
    public var scope: [SupporterPurpose]
    public var effectiveDate: LocalDate
    public var expiryDate: LocalDate?
    public var stream: String { consumerId.stream }
    public init(supporterId: SupporterID, consumerId: ConsumerID, scope: [SupporterPurpose], effectiveDate: LocalDate, expiryDate: LocalDate? = nil) {
        self.supporterId = supporterId; self.consumerId = consumerId; self.scope = scope; self.effectiveDate = effectiveDate
        self.expiryDate = expiryDate
    }
}

/// The consumer revokes a supporter's consent.
public struct SupporterConsentRevoked: RecordEvent {
    public static let typeName = "org.imr.supporter.consent-revoked"
    public static let version = 1
    public static let summary = "The consumer revokes a supporter's consent from a date."
    public static let phiFields = ["consumer_id", "reason"]
    public var supporterId: SupporterID
    public var consumerId: ConsumerID
    public var effectiveDate: LocalDate
    public var reason: String?
    public var stream: String { consumerId.stream }
    public init(supporterId: SupporterID, consumerId: ConsumerID, effectiveDate: LocalDate, reason: String? = nil) {
        self.supporterId = supporterId; self.consumerId = consumerId; self.effectiveDate = effectiveDate; self.reason = reason
    }
}

/// An IMR-related contact with a supporter. Needs consent active at the contact's date and
/// covering its purpose.
public struct SupporterContactRecorded: RecordEvent {
    public static let typeName = "org.imr.supporter.contact-recorded"
    public static let version = 1
    public static let summary = "An IMR-related contact with a supporter; consent must be active and in scope at that date."
    public static let phiFields = ["consumer_id", "note"]
    public var consumerId: ConsumerID
    public var supporterId: SupporterID
    public var date: LocalDate
    public var mode: ContactMode
    public var purpose: SupporterPurpose
    public var note: String?
    public var stream: String { consumerId.stream }
    public init(consumerId: ConsumerID, supporterId: SupporterID, date: LocalDate, mode: ContactMode, purpose: SupporterPurpose, note: String? = nil) {
        self.consumerId = consumerId; self.supporterId = supporterId; self.date = date; self.mode = mode; self.purpose = purpose; self.note = note
    }
}
