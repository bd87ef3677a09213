import CanonicalJSON
import ClinicalRecord
import EventLog
import EventLogTesting
import ProgramSimulator
import RecordCore
import Testing

/// Helpers of the simulator tests.
enum SimulatorHarness {
    /// Decides every command in order against one `RecordState`, applying the decided events
    /// under the ids the store would give them ("C.0", "C.1", …).
    static func decideAll(_ commands: some Sequence<CommandRequest>) -> (commands: Int, events: Int, refusals: [String]) {
        var state = RecordState()
        let encoder = JSONValueEncoder()
        var count = 0, events = 0
        var refusals: [String] = []
        for request in commands {
            count += 1
            do {
                let decision = try state.decide(request.command)
                for (i, event) in decision.events.enumerated() {
                    let id = RecordCore.eventID(commandId: request.commandId!, index: i)
                    // Only consumer-stream events need their data (amendments are checked against it).
                    let data = RecordState.consumer(of: event) == nil ? nil : try? encoder.encode(event)
                    state.apply(event, id: id, data: data)
                }
                events += decision.events.count
            } catch {
                if refusals.count < 10 { refusals.append("\(request.commandId!) \(request.command.name): \(error)") }
            }
        }
        return (count, events, refusals)
    }

    /// The events a command becomes, counted without deciding it.
    static func eventCount(_ r: CommandRequest) -> Int {
        switch r.command {
        case .record: 1
        case .recordGroupSession(let g): 1 + g.attendance.count + g.notes.count
        }
    }

    /// A command as JSON: name, id, time and payload.
    static func encoded(_ r: CommandRequest) throws -> JSONValue {
        let payload: JSONValue = switch r.command {
        case .record(let e): try JSONValueEncoder().encode(e)
        case .recordGroupSession(let g): try JSONValueEncoder().encode(g)
        }
        return ["command": .string(r.command.name), "command_id": .string(r.commandId ?? ""),
                "occurred_at": .string(r.occurredAt.description), "payload": payload]
    }
}

@Suite("Program simulator")
struct SimulatorTests {
    static let small = SimulationConfig(seed: 3, sites: 3, months: 8, consumersPerSite: 14, practitionersPerSite: 3)

    @Test("the same seed gives byte-identical commands, another seed different ones")
    func deterministic() throws {
        let a = try ProgramSimulator(config: Self.small).commands().map { try SimulatorHarness.encoded($0).canonicalBytes }
        let b = try ProgramSimulator(config: Self.small).commands().map { try SimulatorHarness.encoded($0).canonicalBytes }
        #expect(a.count > 1000)
        #expect(a == b)
        var other = Self.small
        other.seed = 4
        other.commandIdPrefix = Self.small.commandIdPrefix
        let c = try ProgramSimulator(config: other).commands().map { try SimulatorHarness.encoded($0).canonicalBytes }
        #expect(a != c)
    }

    @Test("every command of a reduced demo passes the record's rules in order")
    func demoNeverRefused() {
        var config = ProgramSimulator.demo(seed: 1)
        config.consumersPerSite = 10
        config.practitionersPerSite = 3
        config.months = 12
        let result = SimulatorHarness.decideAll(ProgramSimulator(config: config).commands())
        #expect(result.refusals.isEmpty, "\(result.refusals)")
        #expect(result.events > 10_000)
    }

    @Test("small histories from several seeds are never refused", arguments: [UInt64(1), 2, 10, 17, 99, 12345])
    func seedsNeverRefused(seed: UInt64) {
        var config = SimulationConfig(seed: seed, sites: 3, months: 5 + Int(seed % 6), consumersPerSite: 6 + Int(seed % 9),
                                      practitionersPerSite: 1 + Int(seed % 10))
        config.lateNoteRate = 0.1
        config.amendmentRate = 0.05
        let result = SimulatorHarness.decideAll(ProgramSimulator(config: config).commands())
        #expect(result.refusals.isEmpty, "\(result.refusals)")
        #expect(result.commands > 100)
    }

    @Test("small(seed:) configurations are small, varied and never refused", arguments: [UInt64(0), 7, 4242])
    func propertySized(seed: UInt64) {
        let config = ProgramSimulator.small(seed: seed)
        #expect(config.sites <= 3 && config.months <= 6)
        let result = SimulatorHarness.decideAll(ProgramSimulator(config: config).commands())
        #expect(result.refusals.isEmpty, "\(result.refusals)")
    }

    @Test("a small history records through the record core and a real store with no refusal")
    func recordsThroughStore() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let core = RecordCore(log: log)
        let actor = Actor(user: "simulator", role: "administrator")
        let config = SimulationConfig(seed: 5, sites: 2, months: 5, consumersPerSite: 10, practitionersPerSite: 2)
        var refused = 0, written = 0
        for chunk in ProgramSimulator(config: config).commands().chunked(300) {
            let outcome = try await core.executeBatch(chunk, by: actor, mode: .allOrNothing)
            refused += outcome.refused
            for case .success(let r) in outcome.lines { written += r.events.count }
            if outcome.refused > 0 {
                for case .failure(let e) in outcome.lines { Issue.record("refused: \(e)"); break }
                break
            }
        }
        #expect(refused == 0)
        #expect(written > 500, "a history of some size: \(written) events")
    }

    @Test("benchmark(events:) yields about that many events")
    func sizeKnob() {
        let config = ProgramSimulator.benchmark(events: 20_000, seed: 1)
        let events = ProgramSimulator(config: config).commands().reduce(0) { $0 + SimulatorHarness.eventCount($1) }
        #expect(events > 15_000 && events < 25_000, "\(events) events")
    }

    @Test("the rater's reviews follow the site profiles")
    func trajectories() {
        let commands = ProgramSimulator(config: SimulationConfig(seed: 8, sites: 4, months: 19, consumersPerSite: 6)).allCommands()
        var totals: [String: [Double]] = [:]
        for r in commands {
            if case .record(let e as FidelityReviewCompleted) = r.command { totals[e.programId.rawValue, default: []].append(e.total) }
        }
        // Reviews at months 0, 6, 12 and 18. p01 rises (2.2 → 2.6 → 3.8 → 4.8); p02 rises, then
        // falls back below 3 (2.0 → 3.6 → 4.2 → 2.7); p03 is high, p04 low.
        let rising = totals["p01"] ?? [], falling = totals["p02"] ?? []
        #expect(rising.count == 4 && falling.count == 4)
        if rising.count == 4 { #expect(rising[0] < 3 && rising[3] > 4.2 && rising[3] > rising[1]) }
        if falling.count == 4 {
            #expect(falling[0] < 2.8 && falling[2] > 3.5 && falling[3] < 3 && falling[3] < falling[2])
        }
        #expect((totals["p03"] ?? []).allSatisfy { $0 > 3.6 })
        #expect((totals["p04"] ?? []).allSatisfy { $0 < 3 })
    }
}
