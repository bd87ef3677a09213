import CanonicalJSON
import ClinicalRecord
import EventLog
import EventLogTesting
import Foundation
import ProgramSimulator
@testable import Projections
import Testing

/// Shapes the projection records do not all have, to hold the fast encoder to
/// `JSONValueEncoder` + canonical rendering on every container path.
private struct Shapes: Codable, Equatable {
    enum Choice: Codable, Equatable {
        case plain
        case tagged(label: String, count: Int)
        case unlabeled(Int, String)
    }
    struct Empty: Codable, Equatable {}

    var someName: String = "a \"quoted\"\n\u{1}line é 😀"
    var missing: Int? = nil
    var present: Double? = 2.5
    var integer: Int = -9_007_199_254_740_991
    var small: UInt8 = 7
    var single: Float = 0.1
    var flag: Bool = false
    var huge: Double = 1e21
    var negativeZero: Double = -0.0
    var byName: [String: Int] = ["zetaKey": 1, "alphaKey": 2, "\u{1F600}": 3, "\u{FB33}": 4, "Mixed": 5]
    var byNumber: [Int: String] = [10: "x", 2: "y"]
    var nested: [[Int?]] = [[1, nil, 3], []]
    var choices: [Choice] = [.plain, .tagged(label: "l", count: 2), .unlabeled(3, "u")]
    var empty: Empty = Empty()
    var json: JSONValue = ["b": [1.5, true, .null], "a": "x"]
    var dates: [LocalDate] = [LocalDate("2026-06-30")!]
    var many: [String: Int] = Dictionary(uniqueKeysWithValues: (0..<40).map { ("key\($0)Name", $0) })
}

/// More members than the small-object sort handles, some given twice.
private struct ManyKeys: Encodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for i in (0..<30).reversed() { try c.encode(i, forKey: Key(stringValue: "member\(i % 27)")) }
        try c.encode("last", forKey: Key(stringValue: "member3"))
    }
}

/// A value whose `encode(to:)` uses every container call the synthesized code does not.
private struct Unusual: Encodable {
    enum Keys: String, CodingKey { case first, second, thirdKey }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(1, forKey: .first)
        try c.encode(2, forKey: .first)  // given twice: the last value stays
        try c.encodeNil(forKey: .second)
        var inner = c.nestedContainer(keyedBy: Keys.self, forKey: .thirdKey)
        try inner.encode("x", forKey: .second)
        var list = inner.nestedUnkeyedContainer(forKey: .first)
        try list.encodeNil()
        _ = list.superEncoder()  // encodes nothing: null
        var deeper = list.nestedUnkeyedContainer()
        try deeper.encode(true)
        _ = c.superEncoder(forKey: .second)  // encodes nothing: the member is left out
    }
}

/// A value that encodes nothing.
private struct Silent: Encodable {
    func encode(to encoder: any Encoder) throws {}
}

@Suite("Projection engine: the canonical record encoder")
struct RecordEncoderTests {
    private func expectSame<T: Encodable>(_ value: T, _ label: String = "") throws {
        let expected = try JSONValueEncoder().encode(value).canonicalBytes
        let actual = try RecordEncoder.encode(value)
        #expect(String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self), "\(label)")
        #expect(RecordEncoder.canonicalBytes(value) == expected, "\(label)")
    }

    @Test("Unusual shapes encode to the bytes JSONValueEncoder and canonical rendering give")
    func shapes() throws {
        try expectSame(Shapes(), "shapes")
        try expectSame(Unusual(), "unusual")
        try expectSame(ManyKeys(), "many members, some twice")
        try expectSame(Silent(), "an empty value is {}")
        try expectSame([Silent(), Silent()], "empty values in an array")
        try expectSame(["k": Silent()], "an empty value in a dictionary")
        try expectSame("top-level string")
        try expectSame(42)
        try expectSame([String: Int]())
        try expectSame([Int]())
        try expectSame(Optional<Int>.none, "a nil at top level")
    }

    @Test("What JSONValueEncoder refuses, the fast encoder refuses too (and canonicalBytes gives [])")
    func refusals() {
        #expect(throws: (any Error).self) { try RecordEncoder.encode(["n": Int.max]) }
        #expect(throws: (any Error).self) { try RecordEncoder.encode([Double.nan]) }
        #expect(throws: (any Error).self) { try RecordEncoder.encode(["f": Float.infinity]) }
        #expect(RecordEncoder.canonicalBytes(["n": UInt64.max]) == [])
    }

    @Test("Every record of a realistic history encodes to the bytes of JSONValueEncoder")
    func realisticRecords() async throws {
        try await withSimulatedViews(events: 6_000, seed: 5) { snapshot in
            func check<P: Projection>(_ type: P.Type) throws {
                let records = snapshot.records(type)
                #expect(!records.isEmpty, "\(P.name) has records")
                for (key, record) in records {
                    let expected = try JSONValueEncoder().encode(record).canonicalBytes
                    #expect(try RecordEncoder.encode(record) == expected, "\(P.name) \(key)")
                }
            }
            try check(CaseloadProjection.self)
            try check(GoalsProjection.self)
            try check(ParticipationProjection.self)
            try check(FidelityProjection.self)
        }
    }
}
