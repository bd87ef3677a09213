public import ClinicalRecord

/// The IMR Fidelity Scale, computed from the record (to be completed).
public struct FidelityProjection: Projection {
    public static let name = "fidelity"
    public static let version = 1
    public init() {}
    public struct Record: Codable, Sendable, Equatable {}
    public func apply(_ e: RecordedEvent, to record: inout Record?) {}
}
