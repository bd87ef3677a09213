import CanonicalJSON
import ClinicalRecord
import EventLog
import RecordCore
import Testing

@Suite("Upcasting stored SessionRecorded v1 notes")
struct UpcasterTests {
    /// The data of a v1 note as written before educational techniques existed: `handout_given`,
    /// no `educational_techniques`.
    static func v1Data(session: SessionID = "s-old", handoutGiven: Bool = true) throws -> JSONValue {
        var note = F.session(session, topics: [.recoveryStrategies, .practicalFacts], homework: "old homework")
        note.handoutsGiven = handoutGiven
        guard case .object(var m) = try JSONValueEncoder().encode(note) else { preconditionFailure() }
        m.removeValue(forKey: "educational_techniques")
        m["handout_given"] = m.removeValue(forKey: "handouts_given")
        return .object(m)
    }

    /// An enrolled consumer c1 and one v1 note appended raw to their stream.
    static func storeWithV1Note(_ fx: CoreFixture) async throws -> StoredEvent {
        try await fx.record(F.enrolled())
        let stream = try StreamID("consumer-c1")
        let version = try await fx.log.version(of: stream)
        let draft = EventDraft(id: "legacy-note-1", source: fx.core.options.source, type: "org.imr.session.recorded.v1",
                               time: "2026-01-20T10:00:00Z", data: try v1Data(), recordedBy: "u-legacy", recordedRole: "practitioner")
        let result = try await fx.log.append([draft], to: stream, expecting: .exact(version))
        return try #require(try await fx.log.read(from: result.positions[0], limit: 1).first)
    }

    @Test("The v1 payload itself is not a valid v2 note (the upcaster is what makes it readable)")
    func v1IsNotV2() throws {
        #expect(throws: (any Error).self) { try JSONValueDecoder().decode(SessionRecorded.self, from: try Self.v1Data()) }
    }

    @Test("A stored v1 note decodes as the current SessionRecorded with handouts carried over and no techniques")
    func decodesAsV2() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        let stored = try await Self.storeWithV1Note(fx)
        #expect(stored.type == "org.imr.session.recorded.v1")
        let decoded = try #require(try EventCodec().decode(stored) as? SessionRecorded)
        #expect(decoded.handoutsGiven == true)
        #expect(decoded.educationalTechniques == [])
        #expect(decoded.sessionId == "s-old" && decoded.topics == [.recoveryStrategies, .practicalFacts])
        #expect(decoded.homework == "old homework")
        // The stored bytes are never rewritten.
        #expect(stored.data["handout_given"] == true && stored.data["educational_techniques"] == nil)
        let reread = try await fx.log.read(from: stored.position, limit: 1)[0]
        #expect(reread.bytes == stored.bytes)
        // handout_given false is carried over too.
        let no = try EventCodec().decode(type: SessionRecorded.self, version: 1, data: try Self.v1Data(handoutGiven: false))
        #expect((no as? SessionRecorded)?.handoutsGiven == false)
    }

    @Test("State rules see an upcast v1 note: one note per session, and its topics count as taught")
    func stateSeesV1() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        _ = try await Self.storeWithV1Note(fx)
        let (state, versions) = try await fx.core.loadState(["consumer-c1"])
        #expect(versions["consumer-c1"] == 3)
        let c = try #require(state.consumers[F.consumer])
        #expect(c.notes.contains("s-old"))
        #expect(c.modulesTaught == [.recoveryStrategies, .practicalFacts])
        #expect(c.events["legacy-note-1"]?.typeName == SessionRecorded.typeName)
        try await fx.expectRefusedWritingNothing(rule: "session.one-note-per-attendee", field: "session_id") {
            try await fx.run(.record(F.session("s-old", homework: secret)))
        }
        let review = ModuleReviewCompleted(consumerId: F.consumer, module: .practicalFacts, score: 70, date: day("2026-02-01"))
        #expect(try await fx.run(.record(review)).events.count == 1)
        // Marking the old note in error works (it only needs the id).
        let mark = EntryMarkedInError(targetEventId: "legacy-note-1", consumerId: F.consumer, reason: "wrong chart", author: F.user)
        #expect(try await fx.run(.record(mark)).events.count == 1)
    }

    @Test("An unknown later version of a known type is refused as undecodable, not misread")
    func newerVersion() {
        #expect(throws: RecordCoreError.self) {
            try EventCodec().decode(type: SessionRecorded.self, version: 3, data: try Self.v1Data())
        }
        #expect(throws: RecordCoreError.self) {
            try EventCodec(upcasters: []).decode(type: SessionRecorded.self, version: 1, data: try Self.v1Data())
        }
    }

    @Test("A correction of a stored v1 note (a field both versions have) is accepted")
    func amendV1Note() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        _ = try await Self.storeWithV1Note(fx)
        let amend = F.amend("legacy-note-1", content: ["homework": "new homework"])
        let result = try await fx.run(.record(amend))
        #expect(result.events.count == 1)
    }
}
