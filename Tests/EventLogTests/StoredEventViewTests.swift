import CanonicalJSON
import EventLog
import EventLogTesting
import Foundation
import Testing

private enum Topic: String, Codable { case recoveryStrategies = "recovery-strategies", stressVulnerability = "stress-vulnerability" }

/// A session note payload in the record's snake_case form.
private struct Note: Codable, Equatable {
    var sessionId: String
    var consumerId: String
    var minutes: Int
    var topics: [Topic]
    var homework: String?
    var consumerView: String?
    var handoutsGiven: Bool
}

private func noteDraft(_ n: Int, consumer: String) -> EventDraft {
    let data: JSONValue = [
        "session_id": .string("s-\(n)"), "consumer_id": .string(consumer), "minutes": .number(Double(45 + n)),
        "topics": ["recovery-strategies", "stress-vulnerability"], "homework": "Practise \"breathing\"\ttwice.",
        "consumer_view": "Felt calmer — “small steps” \u{1F600}", "handouts_given": .bool(n % 2 == 0), "extra_field": [1, 2],
    ]
    return EventDraft(
        id: "note-\(n)", source: Fixtures.source, type: "org.imr.session.recorded.v2", time: "2026-03-02T15:00:00Z",
        data: data, recordedBy: "user:p-12", recordedRole: "practitioner")
}

@Suite("Stored event views")
struct StoredEventViewTests {
    @Test("A view over stored events reports the same attributes and data as StoredEvent")
    func matchesStoredEvent() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        _ = try await log.append((0..<5).map { Fixtures.sessionNote($0) }, to: Fixtures.consumerStream(1), expecting: .noStream)
        _ = try await log.append((5..<8).map { noteDraft($0, consumer: "c-\u{E9}") }, to: Fixtures.consumerStream(2),
                                 expecting: .noStream)
        let stored = try await log.read(from: 0, limit: 100)
        #expect(stored.count == 8)
        var reader = StoredEventReader()
        let lenient = JSONValueDecoder(rejectsUnknownKeys: false)
        for event in stored {
            let view = try reader.read(event.bytes, expectedPosition: event.position)
            #expect(view.position == event.position)
            #expect(view.streamVersion == event.streamVersion)
            #expect(view.id == event.id)
            #expect(view.type == event.type)
            #expect(view.hasType(event.type) && !view.hasType(event.type + "x"))
            for (candidate, same) in [(event.type, true), (event.type + "x", false), (String(event.type.dropLast()), false), ("", false)] {
                let matches = Array(candidate.utf8).withUnsafeBytes { view.hasType(utf8: $0) }
                #expect(matches == same, "\(candidate)")
            }
            #expect(view.subject == event.stream.rawValue)
            #expect(view.time == event.time)
            #expect(view.recordedAt == event.recordedAt)
            #expect(view.recordedBy == event.recordedBy)
            #expect(view.recordedRole == event.recordedRole)
            #expect(view.source == event.source)
            #expect(view.data == event.data)
            if event.id.hasPrefix("note-") {
                #expect(try view.decodeData(Note.self) == lenient.decode(Note.self, from: event.data))
            } else {
                // Fixture payloads use camelCase names, which neither decoder matches.
                #expect(throws: DecodingError.self) { try view.decodeData(Note.self) }
                #expect(throws: DecodingError.self) { try lenient.decode(Note.self, from: event.data) }
            }
            // Also without an expected position.
            #expect(try reader.read(event.bytes).position == event.position)
        }
    }

    @Test("Damaged or incomplete bytes are corruption errors naming the attribute, not its value")
    func corruption() throws {
        var reader = StoredEventReader()
        let good: JSONValue = [
            "specversion": "1.0", "position": 7, "streamversion": 1, "id": "evt-7", "source": "/s", "type": "t.v1",
            "subject": "consumer-c-1", "time": "2026-03-02T15:00:00Z", "recordedat": "2026-03-02T15:00:01Z",
            "recordedby": "user:p-1", "recordedrole": "practitioner",
            "predecessorhash": .string(String(repeating: "0", count: 64)), "data": ["secret": "SECRET-VALUE"],
        ]
        #expect(try reader.read(good.canonicalBytes, expectedPosition: 7).id == "evt-7")

        func failure(_ bytes: [UInt8], expectedPosition: LogIndex? = 7) -> EventLogError? {
            do {
                _ = try reader.read(bytes, expectedPosition: expectedPosition)
                return nil
            } catch { return error }
        }
        let notJSON = failure(Array(#"{"id":"SECRET-VALUE""#.utf8))
        #expect(notJSON?.code == .corruption && notJSON?.position == 7)
        #expect(notJSON.map { !$0.message.contains("SECRET") } == true)
        #expect(failure(Array("[1]".utf8))?.message.contains("not a JSON object") == true)
        #expect(failure(good.canonicalBytes, expectedPosition: 8)?.message.contains("position") == true)
        guard case .object(let members) = good else { return }
        for (name, replacement) in [("type", JSONValue.number(1)), ("id", .null), ("position", "SECRET-VALUE"),
                                    ("specversion", "0.3"), ("streamversion", -1), ("recordedrole", .array([]))] {
            var damaged = members
            damaged[name] = replacement
            let error = failure(JSONValue.object(damaged).canonicalBytes)
            #expect(error?.code == .corruption, "\(name)")
            #expect(error?.message.contains(name) == true, "\(name)")
            #expect(error.map { !$0.message.contains("SECRET") } == true)
            damaged[name] = nil
            #expect(failure(JSONValue.object(damaged).canonicalBytes)?.message.contains(name) == true, "\(name) missing")
        }
        var noData = members
        noData["data"] = nil
        #expect(failure(JSONValue.object(noData).canonicalBytes)?.message.contains("data") == true)
    }

    @Test("Attributes out of canonical order, or with extension attributes between them, read the same")
    func anyOrder() throws {
        var reader = StoredEventReader()
        let members: [(String, JSONValue)] = [
            ("data", ["n": 1]), ("datacontenttype", "application/json"), ("id", "evt-7"), ("position", 7),
            ("predecessorhash", .string(String(repeating: "0", count: 64))), ("recordedat", "2026-03-02T15:00:01Z"),
            ("recordedby", "user:p-1"), ("recordedrole", "practitioner"), ("source", "/s"), ("specversion", "1.0"),
            ("streamversion", 2), ("subject", "consumer-c-1"), ("time", "2026-03-02T15:00:00Z"), ("type", "t.v1"),
        ]
        func bytes(_ members: [(String, JSONValue)]) -> [UInt8] {
            Array(("{" + members.map { "\"\($0.0)\":" + $0.1.canonicalString }.joined(separator: ",") + "}").utf8)
        }
        var extended = members
        extended.insert(("dataschema", "/schema"), at: 2)
        extended.append(("zz", true))
        for variant in [members, Array(members.reversed()), extended, Array(members.dropFirst(2)) + members.prefix(2)] {
            let view = try reader.read(bytes(variant), expectedPosition: 7)
            #expect(view.id == "evt-7" && view.position == 7 && view.streamVersion == 2 && view.source == "/s")
            #expect(view.type == "t.v1" && view.subject == "consumer-c-1" && view.recordedBy == "user:p-1")
            #expect(view.recordedRole == "practitioner" && view.data == ["n": 1])
            #expect(view.time == "2026-03-02T15:00:00Z" && view.recordedAt == "2026-03-02T15:00:01Z")
            let times = view.withTimesUTF8 { String(decoding: $0, as: UTF8.self) + " " + String(decoding: $1, as: UTF8.self) }
            #expect(times == "2026-03-02T15:00:00Z 2026-03-02T15:00:01Z")
        }
        // A time written with an escape has no stored bytes to lend: the caller reads the String.
        var escaped = members
        escaped[12] = ("time", "2026-03-02T15:00:00Z")
        var text = String(decoding: bytes(escaped), as: UTF8.self)
        text = text.replacingOccurrences(of: "T15:00:00Z\"", with: "\\u005415:00:00Z\"")
        let view = try reader.read(Array(text.utf8), expectedPosition: 7)
        #expect(view.time == "2026-03-02T15:00:00Z")
        #expect(view.withTimesUTF8 { _, _ in true } == nil)
    }
}
