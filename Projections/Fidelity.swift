public import ClinicalRecord

/// The IMR Fidelity Scale, computed from the record (to be completed).
public struct FidelityProjection: Projection {
    public static let name = "fidelity"
    public static let version = 1
    public init() {}
    public struct Record: Codable, Sendable, Equatable {}
    public func apply(_ e: RecordedEvent, to record: inout Record?) {}
}

/// Placeholder report until the fidelity projection lands.
public struct FidelityReport: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable { public var number: Int; public var score: Int }
    public struct Review: Codable, Sendable, Equatable { public var reviewId: String; public var raterKind: String; public var total: Double }
    public var program: String
    public var window: ClosedRange<LocalDate>
    public var scaleVersion: String
    public var total: Double
    public var band: String
    public var items: [Item]
    public var raterReviews: [Review]
}

extension ProjectionSnapshot {
    public func fidelity(program: ProgramID, window: ClosedRange<LocalDate>?, asOf: LocalDate) -> FidelityReport {
        FidelityReport(program: program.rawValue, window: (window ?? asOf...asOf), scaleVersion: "", total: 0, band: "", items: [], raterReviews: [])
    }
}

extension ProjectionSnapshot {
    public func fidelityHistory(program: ProgramID, asOf: LocalDate) -> [(date: LocalDate, report: FidelityReport)] { [] }
}
