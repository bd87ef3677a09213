import CanonicalJSON
import ClinicalRecord
import EventLog
import PropertyBased
import RecordCore
import Testing

/// Decides every step against the state built so far, applying each decision with the ids
/// the record core would give its events. Returns the state, or records the first refusal.
func replayPure(_ steps: [Step], seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) -> RecordState? {
    var state = RecordState()
    for (n, step) in steps.enumerated() {
        do {
            let d = try state.decide(step.command)
            for (j, e) in d.events.enumerated() { state.apply(e, id: step.eventID(j), data: try? JSONValueEncoder().encode(e)) }
        } catch {
            Issue.record("seed \(seed): valid step \(n) (\(step.command.name)) was refused: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }
    return state
}

/// Executes every step through the record core, with its command id and occurred-at.
func replayStore(_ steps: [Step], on fx: CoreFixture, seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Bool {
    for (n, step) in steps.enumerated() {
        do {
            _ = try await fx.core.execute(CommandRequest(command: step.command, occurredAt: step.occurredAt, commandId: step.id), by: CoreFixture.actor)
        } catch let error as RecordError {
            Issue.record("seed \(seed): valid step \(n) (\(step.command.name)) was refused by the core: \(error)", sourceLocation: sourceLocation)
            return false
        }
    }
    return true
}

@Suite("Properties: valid histories are accepted, single broken rules are refused")
struct PropertyTests {
    @Test("Random valid command sequences never produce a refusal (pure decide, state built as it goes)")
    func validHistoriesAccepted() async {
        await propertyCheck(count: 100, input: Gen.uint64()) { seed in
            var gen = HistoryGenerator(seed: seed)
            gen.generate(steps: 60)
            let state = replayPure(gen.steps, seed: seed)
            // The model and the folded state agree on who is discharged and which goals are open.
            for c in gen.consumers {
                #expect(state?.consumers[c.id]?.discharged ?? false == c.discharged, "seed \(seed)")
                let open = Set(state?.consumers[c.id]?.goals.filter { $0.value.status == .open }.map(\.key) ?? [])
                #expect(open == Set(c.openGoals), "seed \(seed)")
            }
        }
    }

    @Test("Random valid command sequences are accepted by the record core on a real store, each command's events in one append")
    func validHistoriesAcceptedByCore() async {
        await propertyCheck(count: 15, input: Gen.uint64()) { seed in
            var gen = HistoryGenerator(seed: seed)
            gen.generate(steps: 30)
            let fx = try CoreFixture()
            defer { fx.remove() }
            guard try await replayStore(gen.steps, on: fx, seed: seed) else { return }
            // Each command's events are stored under its command id, at contiguous positions.
            let all = try await fx.log.read(from: 0, limit: 10_000)
            #expect(all.map(\.position) == Array(0..<UInt64(all.count)))
            let byCommand = Dictionary(grouping: all) { String($0.id.split(separator: ".")[0]) }
            #expect(byCommand.count == gen.steps.count, "seed \(seed)")
            for (_, events) in byCommand {
                let positions = events.map(\.position).sorted()
                #expect(positions.last! - positions.first! == UInt64(positions.count - 1), "seed \(seed)")
            }
        }
    }

    @Test("A valid history with one command mutated to break one rule is refused with that rule (pure decide)")
    func singleBrokenRuleRefused() async {
        await propertyCheck(count: 100, input: Gen.uint64()) { seed in
            var gen = HistoryGenerator(seed: seed)
            gen.generate(steps: 40)
            guard let state = replayPure(gen.steps, seed: seed) else { return }
            let m = gen.mutation()
            do {
                let d = try state.decide(m.command)
                Issue.record("seed \(seed): mutation '\(m.name)' was accepted as \(d.events.count) events")
            } catch let error as RecordError {
                #expect(error.kind == .invariant || error.kind == .invalid, "seed \(seed): \(m.name)")
                #expect(m.rules.contains(error.rule), "seed \(seed): '\(m.name)' refused with \(error.rule), expected \(m.rules)")
            }
        }
    }

    @Test("Through the record core, a mutated command is refused and never changes the log's size")
    func singleBrokenRuleWritesNothing() async {
        await propertyCheck(count: 25, input: Gen.uint64()) { seed in
            var gen = HistoryGenerator(seed: seed)
            gen.generate(steps: 25)
            let fx = try CoreFixture()
            defer { fx.remove() }
            guard try await replayStore(gen.steps, on: fx, seed: seed) else { return }
            let m = gen.mutation()
            let before = try await fx.log.head()
            do {
                _ = try await fx.core.execute(CommandRequest(command: m.command, occurredAt: Timestamp("\(gen.date)T12:00:00Z")!), by: CoreFixture.actor)
                Issue.record("seed \(seed): mutation '\(m.name)' was accepted by the core")
            } catch let error as RecordError {
                #expect(error.kind == .invariant || error.kind == .invalid, "seed \(seed): \(m.name)")
                #expect(m.rules.contains(error.rule), "seed \(seed): '\(m.name)' refused with \(error.rule), expected \(m.rules)")
            }
            #expect(try await fx.log.head() == before, "seed \(seed): '\(m.name)' wrote to the log")
        }
    }

    @Test("The generator is not vacuous: across seeds, histories use every command and mutations break every rule")
    func generatorCoverage() {
        var commands = Set<String>(), mutations = Set<String>()
        for seed in 0..<300 as Range<UInt64> {
            var gen = HistoryGenerator(seed: seed)
            gen.generate(steps: 60)
            commands.formUnion(gen.steps.map(\.command.name))
            for _ in 0..<3 { mutations.insert(gen.mutation().name) }
        }
        let unused = Set(CommandCatalog.names).subtracting(commands).subtracting(["remove-practitioner"])
        #expect(unused.isEmpty, "commands never generated: \(unused.sorted())")
        #expect(mutations.count >= 24, "mutations seen: \(mutations.sorted())")
    }

    @Test("The same seed always gives the same history")
    func deterministic() {
        var a = HistoryGenerator(seed: 42), b = HistoryGenerator(seed: 42)
        a.generate(steps: 50)
        b.generate(steps: 50)
        #expect(a.steps.map(\.command.name) == b.steps.map(\.command.name))
        #expect(a.steps.map(\.day) == b.steps.map(\.day))
    }
}
