public import CanonicalJSON

/// A closed list of terms that travel as strings. Unknown strings are refused with the
/// vocabulary's name, never echoed back.
public protocol Vocabulary: RawRepresentable<String>, CaseIterable, Hashable, Sendable, Codable, JSONSchemaProviding {
    /// The vocabulary's name in error messages and the catalog (`module`, `cbt_technique`).
    static var vocabularyName: String { get }
}

extension Vocabulary {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        guard let term = Self(rawValue: try c.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "vocabulary rule: not a term of \(Self.vocabularyName)")
        }
        self = term
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public static var jsonSchema: JSONValue {
        ["type": "string", "enum": .array(allCases.map { .string($0.rawValue) })]
    }

    public static var jsonSchemaExample: JSONValue { .string(allCases.first!.rawValue) }
}

/// An IMR educational module (a topic area of the curriculum).
public enum Module: String, Vocabulary {
    case recoveryStrategies = "recovery-strategies"
    case practicalFacts = "practical-facts"
    case stressVulnerability = "stress-vulnerability"
    case socialSupport = "social-support"
    case usingMedication = "using-medication"
    /// Drug and alcohol use. Content recorded under this module may fall under 42 CFR Part 2.
    case drugAndAlcoholUse = "drug-and-alcohol-use"
    case reducingRelapses = "reducing-relapses"
    case copingWithStress = "coping-with-stress"
    case copingWithSymptoms = "coping-with-symptoms"
    case mentalHealthSystem = "mental-health-system"
    case healthyLifestyle = "healthy-lifestyle"
    public static let vocabularyName = "module"

    /// Whether content under this module may be substance-use-disorder information (42 CFR Part 2).
    public var isSUDSensitive: Bool { self == .drugAndAlcoholUse }
}

/// A published version of the IMR curriculum: which modules it has, in order.
public enum CurriculumEdition: String, Vocabulary {
    /// The 2003 draft: nine topic areas, no drug and alcohol module (seeds S000, S002).
    case draft2003 = "imr-draft-2003"
    /// The 2009 SAMHSA KIT: ten modules (seeds S001, S003).
    case kit2009 = "imr-kit-2009"
    /// The third (Hazelden) edition: eleven modules, adding a healthy lifestyle (seed S004).
    case thirdEdition = "imr-third-edition"
    public static let vocabularyName = "curriculum_edition"

    /// The edition's modules, in teaching order.
    public var modules: [Module] {
        switch self {
        case .draft2003:
            [.recoveryStrategies, .practicalFacts, .stressVulnerability, .socialSupport, .reducingRelapses,
             .usingMedication, .copingWithStress, .copingWithSymptoms, .mentalHealthSystem]
        case .kit2009:
            [.recoveryStrategies, .practicalFacts, .stressVulnerability, .socialSupport, .usingMedication,
             .drugAndAlcoholUse, .reducingRelapses, .copingWithStress, .copingWithSymptoms, .mentalHealthSystem]
        case .thirdEdition:
            [.recoveryStrategies, .practicalFacts, .stressVulnerability, .socialSupport, .usingMedication,
             .drugAndAlcoholUse, .reducingRelapses, .copingWithStress, .copingWithSymptoms, .mentalHealthSystem,
             .healthyLifestyle]
        }
    }

    /// Whether `module` is part of this edition.
    public func contains(_ module: Module) -> Bool { modules.contains(module) }
}

/// The four motivational interventions of the IMR progress note.
public enum MotivationalStrategy: String, Vocabulary {
    case connectToGoals = "connect-to-goals"
    case promoteHope = "promote-hope"
    case prosAndCons = "pros-and-cons"
    case reframePositively = "reframe-positively"
    public static let vocabularyName = "motivational_strategy"
}

/// Educational techniques (IMR Fidelity Scale item 9). The 2009 progress note has no field
/// for them; they arrived with version 2 of `SessionRecorded`.
public enum EducationalTechnique: String, Vocabulary {
    case interactiveTeaching = "interactive-teaching"
    case checkingUnderstanding = "checking-understanding"
    case breakingDownInformation = "breaking-down-information"
    case reviewingMaterial = "reviewing-material"
    public static let vocabularyName = "educational_technique"
}

/// The six cognitive-behavioral interventions of the IMR progress note.
public enum CBTTechnique: String, Vocabulary {
    case reinforcement
    case shaping
    case modeling
    case rolePlaying = "role-playing"
    case cognitiveRestructuring = "cognitive-restructuring"
    case relaxationTraining = "relaxation-training"
    public static let vocabularyName = "cbt_technique"
}

/// The three skills of the IMR progress note.
public enum Skill: String, Vocabulary {
    case copingWithSymptoms = "coping-with-symptoms"
    case relapsePrevention = "relapse-prevention"
    case behavioralTailoring = "behavioral-tailoring"
    public static let vocabularyName = "skill"
}

/// How IMR is delivered to a consumer or in a session.
public enum Format: String, Vocabulary {
    case individual, group, combined
    public static let vocabularyName = "format"
}

/// Where a referral came from.
public enum ReferralSource: String, Vocabulary {
    case treatmentTeam = "treatment-team"
    case `internal`, external
    case `self`
    public static let vocabularyName = "referral_source"
}

/// Attendance of one consumer at one session.
public enum AttendanceStatus: String, Vocabulary {
    case attended
    case noShow = "no-show"
    case cancelledByConsumer = "cancelled-by-consumer"
    case cancelledByProgram = "cancelled-by-program"
    public static let vocabularyName = "attendance_status"
}

/// What a supporter's involvement is for (the five supporter roles of the KIT).
public enum SupporterPurpose: String, Vocabulary {
    case handouts, sessions
    case relapsePlan = "relapse-plan"
    case homework, goals
    public static let vocabularyName = "supporter_purpose"
}

/// How a contact happened.
public enum ContactMode: String, Vocabulary {
    case inPerson = "in-person"
    case phone, video, message
    public static let vocabularyName = "contact_mode"
}

/// A practitioner's role in the program.
public enum StaffRole: String, Vocabulary {
    case practitioner
    case imrLeader = "imr-leader"
    public static let vocabularyName = "staff_role"
}

/// A kind of supervision meeting.
public enum SupervisionKind: String, Vocabulary {
    case group, individual
    case sideBySide = "side-by-side"
    public static let vocabularyName = "supervision_kind"
}

/// A kind of IMR training.
public enum TrainingCourse: String, Vocabulary {
    case basic, intensive, booster
    case siteVisit = "site-visit"
    public static let vocabularyName = "training_course"
}

/// Who received handouts.
public enum HandoutRecipient: String, Vocabulary {
    case consumer, supporter
    public static let vocabularyName = "handout_recipient"
}

/// Outcome instruments.
public enum Instrument: String, Vocabulary {
    case imrsClient = "imrs-client"
    case imrsClinician = "imrs-clinician"
    public static let vocabularyName = "instrument"

    /// Items per version of the instrument (the IMR Scale has 15 in both versions).
    public var itemCount: Int { 15 }
}

/// Why a discharge happened.
public enum DischargeReason: String, Vocabulary {
    case completed
    case droppedOut = "dropped-out"
    case moved
    case transferred
    case declinedFurtherServices = "declined-further-services"
    case other
    public static let vocabularyName = "discharge_reason"
}

/// Kinds of amendment (AHIMA / CMS).
public enum AmendmentKind: String, Vocabulary {
    case addendum, correction
    case lateEntry = "late-entry"
    case patientRequested = "patient-requested"
    public static let vocabularyName = "amendment_kind"
}

/// A decision on a patient's amendment request (45 CFR 164.526).
public enum AmendmentDecision: String, Vocabulary {
    case accepted, denied
    public static let vocabularyName = "amendment_decision"
}

/// Who rated fidelity.
public enum RaterKind: String, Vocabulary {
    case external, `internal`
    public static let vocabularyName = "rater_kind"
}

/// The IMR Fidelity Scale versions whose items the record can score.
public enum FidelityScaleVersion: String, Vocabulary {
    /// rev. 3-24-05 of the National EBP Project: 6-month program length, 9 topics.
    case rev2005 = "imr-fidelity-rev-2005-03-24"
    /// The 2009 KIT: 3-month program length, at least 9 of 10 topics.
    case kit2009 = "imr-fidelity-kit-2009"
    public static let vocabularyName = "fidelity_scale_version"
}
