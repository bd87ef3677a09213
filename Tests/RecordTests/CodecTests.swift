import CanonicalJSON
import ClinicalRecord
import RecordCore
import Testing

@Suite("Payload coding: snake_case JSON, strict fields, no values in errors")
struct CodecTests {
    @Test("An event encodes to snake_case members and decodes back equal")
    func roundTrip() throws {
        let goal = GoalSet(goalId: "g1", consumerId: "c1", text: "walk to the park twice a week", steps: ["buy shoes"],
                           targetDate: LocalDate("2026-03-01"), date: LocalDate("2026-01-10")!)
        let data = try JSONValueEncoder().encode(goal)
        #expect(data["goal_id"] == "g1")
        #expect(data["in_consumers_words"] == true)
        #expect(data["target_date"] == "2026-03-01")
        #expect(data["measurable_criterion"] == nil)
        #expect(try JSONValueDecoder().decode(GoalSet.self, from: data) == goal)
    }

    @Test("A misspelt field, a bad vocabulary term and a bad date are named without their values")
    func strictErrors() throws {
        var json: JSONValue = ["goal_id": "g1", "consumer_id": "c1", "text": "secret words", "steps": [], "date": "2026-01-10",
                               "in_consumers_words": true, "stepz": []]
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(GoalSet.self, from: json) }
        do { _ = try JSONValueDecoder().decode(GoalSet.self, from: json) } catch let e as DecodingError {
            #expect(e.path == "stepz")
        }
        json = ["goal_id": "g1", "consumer_id": "c1", "text": "secret words", "steps": [], "date": "2026-02-30", "in_consumers_words": true]
        do { _ = try JSONValueDecoder().decode(GoalSet.self, from: json); Issue.record("accepted 30 February") } catch let e as DecodingError {
            #expect(e.path == "date")
            #expect(!"\(e.ruleText)".contains("2026-02-30"))
        }
    }

    struct Small: Codable, Equatable { var a: UInt8; var b: Int16; var c: UInt16; var d: Int8; var e: Float }

    @Test("Small integers and floats encode as numbers (they used to recurse until the stack overflowed)")
    func smallScalars() throws {
        let v = Small(a: 200, b: -300, c: 60_000, d: -5, e: 1.5)
        let data = try JSONValueEncoder().encode(v)
        #expect(data["c"] == 60_000)
        #expect(try JSONValueDecoder().decode(Small.self, from: data) == v)
    }
}
