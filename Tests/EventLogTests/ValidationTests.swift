import CanonicalJSON
import EventLog
import EventLogTesting
import Testing

@Suite("Bad input is refused, names the field and rule, and writes nothing")
struct ValidationTests {
    struct Probe: Sendable, CustomStringConvertible {
        var desc: String
        var field: String
        var mutate: @Sendable (inout EventDraft) -> Void
        var description: String { desc }
    }

    static let probes: [Probe] = [
        Probe(desc: "empty id", field: "id") { $0.id = "" },
        Probe(desc: "id with a space", field: "id") { $0.id = "a b" },
        Probe(desc: "id over 128 bytes", field: "id") { $0.id = String(repeating: "x", count: 129) },
        Probe(desc: "empty source", field: "source") { $0.source = "" },
        Probe(desc: "source with a quote", field: "source") { $0.source = "/a\"b" },
        Probe(desc: "type without version", field: "type") { $0.type = "org.imr.session.recorded" },
        Probe(desc: "type with capitals", field: "type") { $0.type = "Org.imr.session.recorded.v1" },
        Probe(desc: "type version v0", field: "type") { $0.type = "org.imr.session.recorded.v0" },
        Probe(desc: "time with offset", field: "time") { $0.time = "2026-03-02T15:00:00+01:00" },
        Probe(desc: "time without zone", field: "time") { $0.time = "2026-03-02T15:00:00" },
        Probe(desc: "time with nanoseconds", field: "time") { $0.time = "2026-03-02T15:00:00.123456789Z" },
        Probe(desc: "time on 30 February", field: "time") { $0.time = "2026-02-30T15:00:00Z" },
        Probe(desc: "time lower-case t", field: "time") { $0.time = "2026-03-02t15:00:00Z" },
        Probe(desc: "type with two labels", field: "type") { $0.type = "imr.v1" },
        Probe(desc: "type with an empty label", field: "type") { $0.type = "org..imr.v1" },
        Probe(desc: "type starting with a dot", field: "type") { $0.type = ".org.imr.v1" },
        Probe(desc: "type ending with a dot", field: "type") { $0.type = "org.imr.v1." },
        Probe(desc: "type version without digits", field: "type") { $0.type = "org.imr.note.v" },
        Probe(desc: "type version with a letter", field: "type") { $0.type = "org.imr.note.v1a" },
        Probe(desc: "type label with an underscore", field: "type") { $0.type = "org.imr_x.note.v1" },
        Probe(desc: "type over 128 bytes", field: "type") { $0.type = "org." + String(repeating: "a", count: 122) + ".v1" },
        Probe(desc: "time on 31 April", field: "time") { $0.time = "2026-04-31T15:00:00Z" },
        Probe(desc: "time on 29 February of a common year", field: "time") { $0.time = "2100-02-29T15:00:00Z" },
        Probe(desc: "time with a dot and no fraction", field: "time") { $0.time = "2026-03-02T15:00:00.Z" },
        Probe(desc: "time at hour 24", field: "time") { $0.time = "2026-03-02T24:00:00Z" },
        Probe(desc: "time in month 13", field: "time") { $0.time = "2026-13-02T15:00:00Z" },
        Probe(desc: "data not an object", field: "data") { $0.data = .array([]) },
        Probe(desc: "other content type", field: "datacontenttype") { $0.dataContentType = "text/plain" },
        Probe(desc: "empty user", field: "recordedby") { $0.recordedBy = "" },
        Probe(desc: "role with digits", field: "recordedrole") { $0.recordedRole = "role1" },
        Probe(desc: "event over 64 KiB", field: "data") {
            $0.data = .object(["text": .string(String(repeating: "a", count: 70_000))])
        },
    ]

    @Test("Each invalid field is refused with its name", arguments: probes)
    func refused(_ probe: Probe) async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var draft = Fixtures.sessionNote(1)
        probe.mutate(&draft)
        do {
            _ = try await log.append([draft], to: Fixtures.consumerStream(1), expecting: .any)
            Issue.record("\(probe.desc) was accepted")
        } catch let e as EventLogError {
            #expect(e.code == .invalidEvent || e.code == .eventTooLarge)
            #expect(e.field == probe.field)
            #expect(e.message.contains(probe.field == "data" && e.code == .eventTooLarge ? "limit" : probe.field))
        }
        #expect(try await log.head().treeSize == 0)
    }

    @Test("An id named twice in one append is refused at its second event, within a stream and across streams, and nothing is written")
    func idTwiceInOneAppend() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let (a, b) = (Fixtures.consumerStream(1), Fixtures.consumerStream(2))
        var other = Fixtures.sessionNote(1)
        other.source = "/agencies/a2/programs/imr"  // the same id from another source is another event
        let cases: [[StreamAppend]] = [
            [StreamAppend(stream: a, events: [Fixtures.sessionNote(1), Fixtures.sessionNote(2), Fixtures.sessionNote(1)])],
            [StreamAppend(stream: a, events: [Fixtures.sessionNote(3), Fixtures.sessionNote(1)]),
             StreamAppend(stream: b, events: [Fixtures.sessionNote(1)])],
            // Ids that ascend up to a repeat of the one before (ascending ids skip the set).
            [StreamAppend(stream: a, events: [Fixtures.sessionNote(1), Fixtures.sessionNote(2), Fixtures.sessionNote(2)])],
        ]
        for (n, appends) in cases.enumerated() {
            do {
                _ = try await log.append(appends)
                Issue.record("case \(n): an id named twice was accepted")
            } catch let e as EventLogError {
                #expect(e.code == .invalidEvent)
                #expect(e.field == "id")
                #expect(e.eventIndex == 2, "case \(n)")
                #expect(e.message.contains("appears twice"), "\(e.message)")
            }
        }
        #expect(try await log.head().treeSize == 0)
        let stored = try await log.append([StreamAppend(stream: a, events: [Fixtures.sessionNote(1), other])])
        #expect(stored.first?.positions == [0, 1])
    }

    @Test("Within one append, a source, type or role that differs from the events before it is checked again, and the first error in event order is the one reported")
    func laterEventsCheckedInOrder() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let stream = Fixtures.consumerStream(1)
        // Event 2 breaks one rule after two valid events with the same values.
        let breaks: [(field: String, mutate: @Sendable (inout EventDraft) -> Void)] = [
            ("source", { $0.source = "/a\"b" }),
            ("type", { $0.type = "Org.imr.session.recorded.v1" }),
            ("recordedrole", { $0.recordedRole = "role1" }),
        ]
        for (field, mutate) in breaks {
            var bad = Fixtures.sessionNote(3)
            mutate(&bad)
            do {
                _ = try await log.append([StreamAppend(stream: stream, events: [Fixtures.sessionNote(1), Fixtures.sessionNote(2), bad])])
                Issue.record("an invalid \(field) after valid ones was accepted")
            } catch let e as EventLogError {
                #expect(e.field == field && e.eventIndex == 2, "\(field): \(e.message)")
            }
        }
        // A repeated id at event 1 comes before an invalid event 2; an invalid event 1 comes
        // before a repeated id at event 2.
        var badTime = Fixtures.sessionNote(2)
        badTime.time = "2026-03-02T15:00:00"
        var badTimeFirst = Fixtures.sessionNote(1)
        badTimeFirst.time = "2026-03-02T15:00:00"
        let orders: [([EventDraft], String, Int)] = [
            ([Fixtures.sessionNote(1), Fixtures.sessionNote(1), badTime], "id", 1),
            ([Fixtures.sessionNote(1), badTime, Fixtures.sessionNote(1)], "time", 1),
            ([Fixtures.sessionNote(3), badTimeFirst, Fixtures.sessionNote(3)], "time", 1),
        ]
        for (events, field, index) in orders {
            do {
                _ = try await log.append([StreamAppend(stream: stream, events: events)])
                Issue.record("an append with two errors was accepted")
            } catch let e as EventLogError {
                #expect(e.field == field && e.eventIndex == index, "\(e.message)")
            }
        }
        #expect(try await log.head().treeSize == 0)
    }

    @Test("The size limit is the stored bytes with the store's attributes at their largest: 177 bytes more than the draft")
    func sizeLimitBoundary() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        func draft(_ n: Int) -> EventDraft {
            EventDraft(id: "big-\(n)", source: "/s", type: "com.example.big.v1", time: "2026-01-01T00:00:00Z",
                       data: ["t": .string(String(repeating: "x", count: n))], recordedBy: "u", recordedRole: "integrator")
        }
        // Find the draft sizes either side of the limit: the first refused and the last accepted.
        var accepted = 65_000
        while true {
            do {
                _ = try await log.append([draft(accepted + 1)], to: try StreamID("big"), expecting: .any)
                accepted += 1
            } catch let e as EventLogError {
                #expect(e.code == .eventTooLarge && e.field == "data")
                #expect(e.message.contains("at their largest"))
                break
            }
        }
        let stored = try #require(try await log.read(from: try await log.head().treeSize - 1, limit: 1).first)
        // The bound counts 10 digits for the position and the stream version; the last event
        // accepted is exactly as much shorter than the limit as its own are shorter than that.
        let digits = String(stored.position).count + String(stored.streamVersion).count
        #expect(stored.bytes.count == 65_536 - (20 - digits))
    }

    @Test("With the longest source and id, an event at the size limit is stored, and far larger data is refused without being written out in full")
    func sizeLimitLongestIDKey() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let source = "/" + String(repeating: "s", count: 255)
        func draft(_ n: Int, id: String) -> EventDraft {
            EventDraft(id: id, source: source, type: "com.example.big.v1", time: "2026-01-01T00:00:00Z",
                       data: ["t": .string(String(repeating: "x", count: n))], recordedBy: "u", recordedRole: "integrator")
        }
        // Binary search for the largest data accepted; ids differ only in their last characters.
        var (low, high) = (60_000, 70_000)
        var attempt = 0
        while low + 1 < high {
            let mid = (low + high) / 2
            attempt += 1
            let id = String(repeating: "i", count: 120) + String(format: "%08d", attempt)
            do {
                _ = try await log.append([draft(mid, id: id)], to: try StreamID("big"), expecting: .any)
                low = mid
            } catch let e as EventLogError {
                #expect(e.code == .eventTooLarge && e.field == "data")
                high = mid
            }
        }
        let last = try #require(try await log.read(from: try await log.head().treeSize - 1, limit: 1).first)
        let digits = String(last.position).count + String(last.streamVersion).count
        #expect(last.bytes.count == 65_536 - (20 - digits))

        // Eight megabytes of data: refused as over the limit, not measured in full.
        do {
            _ = try await log.append([draft(8 << 20, id: "huge")], to: try StreamID("big"), expecting: .any)
            Issue.record("an event of 8 MB was stored")
        } catch let e as EventLogError {
            #expect(e.code == .eventTooLarge && e.field == "data")
            #expect(e.message.contains("over 65536 bytes"))
        }
        #expect(try await log.head().treeSize == last.position + 1)
    }

    @Test(
        "Edge types and times that follow the rules are stored",
        arguments: [
            ("com.example.note.v1", "2028-02-29T00:00:00Z"),
            ("org.imr-x.a1.v12", "2000-02-29T23:59:59.5Z"),
            ("a.b.v9", "2026-12-31T12:00:00.123456Z"),
            ("org.imr.session.recorded.v10", "0001-01-01T00:00:00Z"),
        ])
    func edgeValuesAccepted(_ type: String, _ time: String) async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var draft = Fixtures.sessionNote(1)
        draft.type = type
        draft.time = time
        let r = try await log.append([draft], to: Fixtures.consumerStream(1), expecting: .any)
        #expect(r.positions == [0])
    }

    @Test("Invalid stream ids are refused", arguments: ["", "-leading", "has space", "ümlaut", String(repeating: "s", count: 129), "a\u{0}b"])
    func badStreamIDs(_ text: String) {
        #expect(throws: EventLogError.self) { try StreamID(text) }
    }

    @Test("Valid stream ids are accepted", arguments: ["consumer-c-1", "group/g_7", "program:a1.imr", "X"])
    func goodStreamIDs(_ text: String) throws {
        #expect(try StreamID(text).rawValue == text)
    }

    @Test("One bad event in a batch refuses the whole batch")
    func badEventInBatch() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var bad = Fixtures.sessionNote(2)
        bad.time = "yesterday"
        do {
            _ = try await log.append([Fixtures.sessionNote(1), bad, Fixtures.sessionNote(3)], to: Fixtures.consumerStream(1), expecting: .any)
            Issue.record("accepted")
        } catch let e as EventLogError {
            #expect(e.eventIndex == 1)
            #expect(e.field == "time")
        }
        #expect(try await log.head().treeSize == 0)
    }

    @Test("Duplicate ids inside one append and empty appends are refused")
    func duplicateInsideAppend() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        await #expect(throws: EventLogError.self) {
            _ = try await log.append([Fixtures.sessionNote(1), Fixtures.sessionNote(1)], to: Fixtures.consumerStream(1), expecting: .any)
        }
        await #expect(throws: EventLogError.self) {
            _ = try await log.append([], to: Fixtures.consumerStream(1), expecting: .any)
        }
        #expect(try await log.head().treeSize == 0)
    }

    @Test("Error messages carry no payload text")
    func noPayloadInErrors() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var draft = Fixtures.sessionNote(1)
        draft.data = .object(["name": .string("SECRET-PATIENT-NAME " + String(repeating: "x", count: 70_000))])
        do {
            _ = try await log.append([draft], to: Fixtures.consumerStream(1), expecting: .any)
        } catch let e as EventLogError {
            #expect(!e.description.contains("SECRET"))
        }
    }
}
