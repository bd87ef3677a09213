import CanonicalJSON
import ClinicalRecord
import EventLog
import EventLogTesting
import Foundation
import ProgramSimulator
@testable import Projections
import Testing

/// The records' hand-written canonical writers (Projections/CanonicalRecords.swift) against
/// `JSONValueEncoder`, the definition of a record's stored bytes.
@Suite("Projection engine: records write their own canonical bytes")
struct CanonicalWriterTests {
    /// The writer's bytes, or a note of why there are none.
    private func written<T>(_ value: T) -> String {
        RecordEncoder.written(value).map { String(decoding: $0, as: UTF8.self) } ?? "(no bytes written)"
    }

    private func encoded<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONValueEncoder().encode(value).canonicalBytes, as: UTF8.self)
    }

    @Test("Every projection's record type writes itself")
    func everyRecordConforms() {
        func writes<P: Projection>(_: P) -> Bool { P.Record.self is any CanonicalWritable.Type }
        for projection in ProjectionStore.standard {
            let conforms = writes(projection)
            #expect(conforms, "\(type(of: projection).name)")
        }
    }

    @Test("Every record of simulated programs is written as JSONValueEncoder encodes it and loads back equal, and every optional member is seen present")
    func simulatedPrograms() async throws {
        var presence: [String: Bool] = [:]
        var count = 0
        for seed: UInt64 in [5, 11] {
            try await withSimulatedViews(events: 30_000, seed: seed) { snapshot in
                func check<P: Projection>(_ type: P.Type) throws {
                    let records = snapshot.records(type)
                    #expect(!records.isEmpty, "\(P.name) has records")
                    for (key, record) in records {
                        #expect(written(record) == (try encoded(record)), "\(P.name) \(key)")
                        let stored = RecordEncoder.canonicalBytes(record)
                        let loaded = try JSONValueDecoder(rejectsUnknownKeys: false).decode(P.Record.self, from: try JSONValue(parsing: stored))
                        #expect(loaded == record, "\(P.name) \(key) comes back from its stored bytes")
                        notePresence(record, in: &presence)
                        count += 1
                    }
                }
                try check(CaseloadProjection.self)
                try check(GoalsProjection.self)
                try check(ParticipationProjection.self)
                try check(FidelityProjection.self)
            }
        }
        #expect(count > 1_000)
        // A member the simulated programs never set would not be compared above.
        let neverPresent = presence.filter { !$0.value }.keys.sorted()
        #expect(neverPresent.isEmpty, "never present in a simulated record: \(neverPresent)")
        #expect(presence.count > 60, "stored properties seen: \(presence.count)")
    }

    /// Marks each stored property of the projections' types found in `value` as present
    /// (`true`) or seen only as `nil`.
    private func notePresence(_ value: Any, in presence: inout [String: Bool]) {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional, .collection:
            for child in mirror.children { notePresence(child.value, in: &presence) }
        case .dictionary:
            for pair in mirror.children {
                for part in Mirror(reflecting: pair.value).children { notePresence(part.value, in: &presence) }
            }
        case .struct:
            let type = String(reflecting: mirror.subjectType)
            guard type.hasPrefix("Projections.") else { return }
            for child in mirror.children {
                let member = Mirror(reflecting: child.value)
                let present = member.displayStyle != .optional || !member.children.isEmpty
                presence[type + "." + (child.label ?? "?"), default: false] = presence[type + "." + (child.label ?? "?")] == true || present
                notePresence(child.value, in: &presence)
            }
        default:
            return
        }
    }

    @Test("Text that needs escaping, numbers at their edges and dates outside four-digit years are written as JSONValueEncoder encodes them")
    func edges() throws {
        let program = CaseloadProjection.ProgramInfo(id: "p1", name: "Clínica \"Sur\"\n\u{1}\u{7F} 𝄞 \\ end", start: LocalDate("2026-01-05")!)
        var record = CaseloadProjection.Record()
        record.program = program
        #expect(written(record) == (try encoded(record)))

        for total in [0.0, -0.0, 4.0, 3.25, 1.0 / 3.0, 1e21, 5e-7, 123_456_789.125] {
            let review = FidelityProjection.Review(reviewId: "r1", event: "e1", raterKind: .external, scaleVersion: FidelityScaleVersion.allCases[0],
                                                   date: LocalDate("2026-02-01")!, visitDates: [], scores: [1, 5, -3, 0, 9_007_199_254_740_991],
                                                   total: total)
            #expect(written(review) == (try encoded(review)), "total \(total)")
        }
        for day in [LocalDate(dayNumber: -700_000), LocalDate(dayNumber: 0), LocalDate(dayNumber: 3_000_000), LocalDate(dayNumber: -1_000_000)] {
            let fact = FidelityProjection.Fact(date: day, event: "e")
            #expect(written(fact) == (try encoded(fact)), "day \(day.dayNumber)")
        }
        for missed in [0, 7, 10, 99, 100, -1, -10, Int(Int32.max), 9_007_199_254_740_991, -9_007_199_254_740_991] {
            var participation = ParticipationProjection.Record()
            participation.missed = missed
            #expect(written(participation) == (try encoded(participation)), "missed \(missed)")
        }
    }

    @Test("A value with no canonical form is not written: the Encoder path refuses it as before")
    func refusals() {
        var participation = ParticipationProjection.Record()
        participation.missed = 9_007_199_254_740_992
        #expect(RecordEncoder.written(participation) == nil)
        #expect(RecordEncoder.canonicalBytes(participation) == [])
        let review = FidelityProjection.Review(reviewId: "r1", event: "e1", raterKind: .external, scaleVersion: FidelityScaleVersion.allCases[0],
                                               date: LocalDate("2026-02-01")!, visitDates: [], scores: [], total: .infinity)
        #expect(RecordEncoder.written(review) == nil)
        #expect(RecordEncoder.canonicalBytes(review) == [])
    }

    @Test("A group's members come back from their stored bytes whatever their ids' letters (an object keyed by id snake_cased them)")
    func memberKeys() throws {
        let span = CaseloadProjection.Span(from: LocalDate("2026-01-05")!, to: nil)
        for members in [["c1": [span]], ["cAb": [span], "c_ab": [span, span], "Zz-9": []], [:]] as [[String: [CaseloadProjection.Span]]] {
            var record = CaseloadProjection.Record()
            record.group = CaseloadProjection.GroupInfo(id: "g1", program: "p1", facilitators: ["s1", "s2"], members: members, start: LocalDate("2026-01-05")!)
            #expect(written(record) == (try encoded(record)), "\(members.keys.sorted())")
            let stored = RecordEncoder.canonicalBytes(record)
            let loaded = try JSONValueDecoder(rejectsUnknownKeys: false).decode(CaseloadProjection.Record.self, from: try JSONValue(parsing: stored))
            #expect(loaded == record, "\(members.keys.sorted())")
        }
    }

    @Test("A stored group record listing a consumer twice does not load")
    func memberListedTwice() throws {
        let stored = #"{"facilitators":[],"id":"g1","members":[{"consumer":"c1","spans":[]},{"consumer":"c1","spans":[]}],"program":"p1","start":"2026-01-05"}"#
        #expect(throws: (any Error).self) {
            try JSONValueDecoder(rejectsUnknownKeys: false).decode(CaseloadProjection.GroupInfo.self, from: try JSONValue(parsing: Array(stored.utf8)))
        }
    }
}
