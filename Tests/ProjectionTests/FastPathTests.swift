import CanonicalJSON
import ClinicalRecord
import EventLog
import EventLogTesting
import Foundation
import ProgramSimulator
@testable import Projections
import RecordCore
import Testing

/// The views of a fresh store holding about `events` events of a simulated program, handed to
/// `body` as a snapshot; the store is removed afterwards.
func withSimulatedViews(events: Int, seed: UInt64, _ body: (ProjectionSnapshot) throws -> Void) async throws {
    let tmp = try TemporaryStore()
    defer { tmp.remove() }
    let log = try tmp.create()
    try await appendSimulated(ProgramSimulator.benchmark(events: events * 3 / 2, seed: seed), events: events, into: log)
    try body(try ProjectionStore.open(store: tmp.path, log: log).snapshot())
}

/// Appends a simulated program of about `events` events straight to `log`: every command is
/// decided against the record's rules in memory, its events appended with their command ids
/// (fast enough for the tens of thousands of events the pipelined fold needs).
func appendSimulated(_ config: SimulationConfig, events: Int, into log: LMDBEventLog) async throws {
    var state = RecordState()
    let codec = EventCodec()
    var batch: [StreamAppend] = []
    var written = 0
    for request in ProgramSimulator(config: config).commands() {
        if written >= events { break }
        let decision = try state.decide(request.command)
        for (i, event) in decision.events.enumerated() {
            let id = RecordCore.eventID(commandId: request.commandId!, index: i)
            let data = try codec.encode(event)
            state.apply(event, id: id, data: data)
            let draft = EventDraft(id: id, source: RecordCore.Options().source, type: type(of: event).eventType,
                                   time: request.occurredAt.description, data: data, recordedBy: "u-test", recordedRole: "practitioner")
            batch.append(StreamAppend(stream: try StreamID(event.stream), expected: .any, events: [draft]))
            written += 1
        }
        if batch.count >= 500 {
            _ = try await log.append(batch)
            batch.removeAll()
        }
    }
    if !batch.isEmpty { _ = try await log.append(batch) }
}

/// The reference fold: every stored event decoded the slow way (`StoredEvent` + `EventCodec`),
/// every event handed to the projection (no type filter), each stream folded once over its
/// history with its corrections applied (amended fields replace the original's, entries in
/// error left out), which is what the engine's refolds amount to at the end of the log.
struct ReferenceHistory {
    let codec = EventCodec()
    var streams: [String: [(StoredEvent, any RecordEvent)]] = [:]
    var order: [String] = []

    init(log: LMDBEventLog) throws {
        var position: UInt64 = 0
        while true {
            let page = try log.readEvents(from: position, limit: 5000)
            if page.isEmpty { break }
            for s in page {
                guard let e = try codec.decode(s) else { continue }
                if streams[s.stream.rawValue] == nil { order.append(s.stream.rawValue) }
                streams[s.stream.rawValue, default: []].append((s, e))
            }
            position = page.last!.position + 1
        }
    }

    func records<P: Projection>(_ projection: P) throws -> [String: P.Record] {
    var records: [String: P.Record] = [:]
    for stream in order {
        let history = streams[stream]!
        var inError = Set<String>()
        var amendments: [String: [JSONValue]] = [:]
        for (_, e) in history {
            if let m = e as? EntryMarkedInError { inError.insert(m.targetEventId) }
            if let a = e as? EntryAmended { amendments[a.targetEventId, default: []].append(a.content) }
        }
        var record: P.Record?
        for (s, e) in history where !(e is EntryAmended || e is EntryMarkedInError) && !inError.contains(s.id) {
            var event = e
            if let changes = amendments[s.id], case .object(var data) = try codec.encode(e) {
                for case .object(let c) in changes { for (k, v) in c { data[k] = v } }
                let type = Swift.type(of: e)
                if let amended = try? codec.decode(type: type, version: type.version, data: .object(data)) { event = amended }
            }
            let recorded = RecordedEvent(position: s.position, id: s.id, stream: s.stream.rawValue,
                                         occurredAt: Timestamp(s.time)!, recordedAt: Timestamp(s.recordedAt)!, event: event)
            projection.apply(recorded, to: &record)
        }
        if let record { records[stream] = record }
    }
    return records
    }
}

func referenceRecords<P: Projection>(_ projection: P, log: LMDBEventLog) throws -> [String: P.Record] {
    try ReferenceHistory(log: log).records(projection)
}

/// Checks every standard projection of `views` against ``referenceRecords(_:log:)``.
func expectMatchesReference(_ snapshot: ProjectionSnapshot, log: LMDBEventLog, _ label: String) throws {
    try expectMatchesReference(snapshot, ReferenceHistory(log: log), label)
}

func expectMatchesReference(_ snapshot: ProjectionSnapshot, _ reference: ReferenceHistory, _ label: String) throws {
    #expect(snapshot.records(CaseloadProjection.self) == (try reference.records(CaseloadProjection())), "caseload, \(label)")
    #expect(snapshot.records(GoalsProjection.self) == (try reference.records(GoalsProjection())), "goals, \(label)")
    #expect(snapshot.records(ParticipationProjection.self) == (try reference.records(ParticipationProjection())), "participation, \(label)")
    #expect(snapshot.records(FidelityProjection.self) == (try reference.records(FidelityProjection())), "fidelity, \(label)")
}

/// The fidelity projection as a build before its fold existed kept it: same name and
/// records, fold version 1, folding nothing.
struct EmptyFidelityV1: Projection {
    typealias Record = FidelityProjection.Record
    static let name = FidelityProjection.name
    static let version = 1
    func apply(_ event: RecordedEvent, to record: inout Record?) {}
}

@Suite("Projection engine: the fast decoding path and the pipelined fold")
struct FastPathTests {
    @Test("A pipelined rebuild of a realistic history (amendments, errors, groups) equals the slow reference fold")
    func pipelinedRebuildEqualsReference() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let events = Int(ProjectionStore.pipelineThreshold) + 6_000
        try await appendSimulated(ProgramSimulator.benchmark(events: events + events / 2, seed: 3), events: events, into: log)
        let size = try log.currentHead().treeSize
        #expect(size >= ProjectionStore.pipelineThreshold)
        let corrections = try log.readEvents(from: 0, limit: Int(size)).filter { $0.type.hasPrefix("org.imr.entry.") }.count
        #expect(corrections > 0, "the history should hold corrections")
        let views = try ProjectionStore.open(store: tmp.path, log: log)  // rebuilds, pipelined
        #expect(views.position == size)
        let reference = try ReferenceHistory(log: log)
        try expectMatchesReference(views.snapshot(), reference, "rebuild")
        try expectMatchesReference(try views.replay(through: size), reference, "replay")
    }

    @Test("Small catch-ups (the inline path) equal the slow reference fold", arguments: [11, 12] as [UInt64])
    func inlineEqualsReference(seed: UInt64) async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let views = try ProjectionStore.open(store: tmp.path, log: log)
        var scenario = Scenario(seed: seed)
        let commands = scenario.commands(consumers: 8, weeks: 6)
        for start in stride(from: 0, to: commands.count, by: 53) {
            try await record(Array(commands[start..<min(start + 53, commands.count)]), into: log)
            try views.catchUp()
        }
        try expectMatchesReference(views.snapshot(), log: log, "seed \(seed)")
    }

    @Test("Views written by a fold-version-1 fidelity projection that folded nothing are rebuilt at open")
    func staleFidelityViewsRebuild() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        try await appendSimulated(ProgramSimulator.small(seed: 4), events: 3_000, into: log)
        let old = try ProjectionStore.open(
            store: tmp.path, log: log,
            projections: [CaseloadProjection(), GoalsProjection(), ParticipationProjection(), EmptyFidelityV1()])
        try old.catchUp()
        #expect(old.snapshot().records(FidelityProjection.self).isEmpty)
        let views = try ProjectionStore.open(store: tmp.path, log: log)
        let fidelity = views.snapshot().records(FidelityProjection.self)
        #expect(!fidelity.isEmpty)
        #expect(fidelity == (try referenceRecords(FidelityProjection(), log: log)))
    }

    @Test("Views written before the fidelity projection existed are rebuilt at open")
    func viewsWithoutFidelityRebuild() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        try await appendSimulated(ProgramSimulator.small(seed: 5), events: 3_000, into: log)
        let old = try ProjectionStore.open(store: tmp.path, log: log,
                                           projections: [CaseloadProjection(), GoalsProjection(), ParticipationProjection()])
        try old.catchUp()
        let views = try ProjectionStore.open(store: tmp.path, log: log)
        #expect(views.snapshot().records(FidelityProjection.self) == (try referenceRecords(FidelityProjection(), log: log)))
        #expect(!views.snapshot().records(FidelityProjection.self).isEmpty)
    }

    @Test("Two opens of one store's views in one process share one LMDB environment (lmdb.h: never open one twice)")
    func viewsEnvironmentOpenedOnce() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        try await appendSimulated(ProgramSimulator.small(seed: 3), events: 500, into: log)
        let first = try ProjectionStore.open(store: tmp.path, log: log)
        let second = try ProjectionStore.open(store: tmp.path, log: log)
        #expect(first.env === second.env)
        // Both still work: the second sees what the first flushed.
        try first.catchUp()
        try second.catchUp()
        #expect(second.snapshot().records(GoalsProjection.self) == first.snapshot().records(GoalsProjection.self))
    }

    @Test("Two processes keeping one store's views: a catch-up beaten by the other's writes every time still answers, and what is on disk stays exact")
    func viewsSharedWithABusyWriter() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        try await appendSimulated(ProgramSimulator.small(seed: 4), events: 2_000, into: log)
        // Two ProjectionStores of one store in one process keep separate records and write
        // the same views, as two processes do (they share the LMDB environment).
        let server = try ProjectionStore.open(store: tmp.path, log: log)
        let query = try ProjectionStore.open(store: tmp.path, log: log)
        try await appendSimulated(ProgramSimulator.small(seed: 5), events: 1_500, into: log)
        // Each time the query's fold reports progress, more events are appended (by another
        // process) and the server catches up and writes past the query's head.
        // Then more arrive, so that the query, if it reloaded the server's records, would find
        // events to fold again, and be beaten again.
        var rounds = 0
        func append(_ tag: String) {
            let appender = Process()
            appender.executableURL = URL(fileURLWithPath: ToolProcess.path(of: "imr"))
            appender.arguments = ["debug", "append-loop", tmp.path, "--tasks", "1", "--batch", "5", "--count", "4", "--run", tag]
            appender.standardOutput = FileHandle.nullDevice
            try? appender.run()
            appender.waitUntilExit()
        }
        try query.catchUp { _, _ in
            guard rounds < 8 else { return }
            rounds += 1
            append("a\(rounds)")
            _ = try? server.catchUp()
            append("b\(rounds)")
        }
        rounds = 8
        #expect(try log.size() > query.position)
        // The query answers from exact records at its position…
        let replayed = try query.replay(through: query.position)
        #expect(try query.digests() == replayed.digests())
        // …and the views on disk are exact at theirs (a third reader loads them).
        try server.catchUp()
        try query.catchUp()
        let size = try log.size()
        #expect(server.position == size && query.position == size)
        let third = try ProjectionStore.open(store: tmp.path, log: log)
        #expect(third.position == size)
        #expect(try third.digests() == (try third.replay(through: size).digests()))
        #expect(try query.digests() == (try third.digests()))
    }

    @Test("The stored type is read from the end of canonical bytes, and only from there")
    func trailingType() throws {
        func type(_ s: String) -> String? {
            Array(s.utf8).withUnsafeBytes { v in
                ProjectionEventDecoder.trailingTypeRange(v).map { String(decoding: UnsafeRawBufferPointer(rebasing: v[$0]), as: UTF8.self) }
            }
        }
        #expect(type(#"{"data":{},"time":"2026-01-01T00:00:00Z","type":"org.imr.goal.set.v1"}"#) == "org.imr.goal.set.v1")
        // Escapes, another last member, or a nested "type" fall back to parsing.
        #expect(type(#"{"data":{},"type":"org.imr.a\"b.v1"}"#) == nil)
        #expect(type(#"{"type":"org.imr.goal.set.v1","zz":"x"}"#) == nil)
        #expect(type(#"{"data":{"type":"org.imr.goal.set.v1"}}"#) == nil)
        #expect(type(#"{"xtype":"org.imr.goal.set.v1"}"#) == nil)
        #expect(type("{}") == nil)
    }

    @Test("Every event type a projection switches on is in its declared event types")
    func declaredTypesCoverApply() async throws {
        // The reference fold hands every event to every projection; the engine only the
        // declared types. A realistic history touching every fold must give the same records.
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        try await appendSimulated(ProgramSimulator.small(seed: 9), events: 6_000, into: log)
        let views = try ProjectionStore.open(store: tmp.path, log: log)
        try expectMatchesReference(views.snapshot(), log: log, "declared types")
        for p in ProjectionStore.standard {
            #expect(type(of: p).eventTypes != nil, "\(type(of: p).name) declares its types")
        }
    }
}
