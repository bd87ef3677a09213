import ClinicalRecord
public import RecordCore

/// A deterministic, seeded generator of a realistic synthetic state IMR program, as the
/// sequence of domain commands that records it.
///
/// Sites (programs) with teams of practitioners and an IMR leader, staff turnover and
/// transfers, training, referrals (some declined), enrollments in individual, group and
/// combined formats, weekly sessions with full progress notes, groups with attendance,
/// goals and their follow-up, supporters with consent and contacts, strengths inventories,
/// relapse prevention plans, handouts, module reviews, IMR Scale outcome measures, weekly
/// supervision, six-monthly external fidelity reviews, discharges, late entries, amendments
/// and entries marked in error. Each site's practices follow its ``SiteProfile``, so the
/// fidelity computed from the record rises and falls the way the profile says.
///
/// Every command passes the record's rules when executed in order, and carries a command id
/// `<prefix>-<n>`, so its events get the ids `<prefix>-<n>.0`, `<prefix>-<n>.1`, …
/// (``RecordCore/eventID(commandId:index:)``); amendments and error marks target those ids.
///
/// ```swift
/// let simulator = ProgramSimulator(config: ProgramSimulator.demo(seed: 1))
/// for chunk in simulator.commands().chunked(500) {
///     _ = try await core.executeBatch(chunk, by: actor, mode: .allOrNothing)
/// }
/// ```
public struct ProgramSimulator: Sendable {
    /// What is simulated.
    public let config: SimulationConfig

    /// A simulator for `config`.
    public init(config: SimulationConfig) { self.config = config }

    /// The commands, in chronological order of recording (a late progress note comes a few
    /// days after its session, with the session's own occurred-at). Generated lazily, one
    /// simulated day at a time; iterate as often as you like, the sequence is always the same.
    public func commands() -> Commands { Commands(config: config) }

    /// All the commands in one array (convenient for small configurations).
    public func allCommands() -> [CommandRequest] { Array(commands()) }

    /// The lazily generated command sequence of a simulation.
    public struct Commands: Sequence, Sendable {
        let config: SimulationConfig

        /// Iterates the commands, generating each simulated day on demand.
        public struct Iterator: IteratorProtocol {
            let engine: Engine
            var index = 0

            /// The next command, or `nil` at the end of the history.
            public mutating func next() -> CommandRequest? {
                if index >= engine.buffer.count {
                    engine.buffer.removeAll(keepingCapacity: true)
                    index = 0
                    guard engine.advance() else { return nil }
                }
                defer { index += 1 }
                return engine.buffer[index]
            }

            /// Successive arrays of at most `size` commands (for batched execution).
            public mutating func next(chunk size: Int) -> [CommandRequest]? {
                var out: [CommandRequest] = []
                out.reserveCapacity(size)
                while out.count < size, let r = next() { out.append(r) }
                return out.isEmpty ? nil : out
            }
        }

        /// A fresh iterator from the first command.
        public func makeIterator() -> Iterator { Iterator(engine: Engine(config: config)) }

        /// The commands in arrays of at most `size` (for ``RecordCore/executeBatch(_:by:mode:)``).
        public func chunked(_ size: Int) -> Chunks { Chunks(config: config, size: Swift.max(1, size)) }
    }

    /// The command sequence in arrays of a fixed maximum size.
    public struct Chunks: Sequence, Sendable {
        let config: SimulationConfig
        let size: Int

        /// Iterates the chunks.
        public struct Iterator: IteratorProtocol {
            var inner: Commands.Iterator
            let size: Int
            /// The next chunk, or `nil` at the end.
            public mutating func next() -> [CommandRequest]? { inner.next(chunk: size) }
        }

        /// A fresh iterator from the first chunk.
        public func makeIterator() -> Iterator { Iterator(inner: Commands(config: config).makeIterator(), size: size) }
    }

    /// The `imr demo` configuration: 12 sites over 2 years (from 2023-01-02) with the standard
    /// profile mix, about 36 consumers in care per site: about 82k commands, 116k events.
    public static func demo(seed: UInt64) -> SimulationConfig {
        SimulationConfig(seed: seed)
    }

    /// A small random history for property tests: 1–3 sites, 2–6 months, a handful of
    /// consumers and practitioners, profiles and rates of late notes and amendments all
    /// drawn from `seed` (a few hundred to a few thousand commands).
    public static func small(seed: UInt64) -> SimulationConfig {
        var r = SeededRandom(seed: seed, stream: 0x5EED)
        let profiles = (0..<3).map { _ in
            SiteProfile(r.pick(SiteProfile.Trajectory.allCases)!, curriculum: r.pick(CurriculumEdition.allCases)!,
                        fidelityScale: r.pick(FidelityScaleVersion.allCases)!)
        }
        return SimulationConfig(seed: seed, sites: r.int(1...3), months: r.int(2...6), consumersPerSite: r.int(3...16),
                                practitionersPerSite: r.int(1...9), profiles: profiles, lateNoteRate: r.unit() * 0.1,
                                amendmentRate: r.unit() * 0.05)
    }

    /// Events a site of the demo configuration produces per month at its standard census,
    /// measured; used to size ``benchmark(events:seed:)``.
    static let eventsPerSiteMonth = 400.0

    /// A configuration of about `events` events with the realistic mix (referrals,
    /// enrollments, goals, sessions, supervision…), for the projection-rebuild benchmark:
    /// two years of more sites (a site per ~8,000 events), each with the census scaled so the
    /// total lands near the target (within ±25%).
    public static func benchmark(events: Int, seed: UInt64) -> SimulationConfig {
        let months = 24
        let perSite = eventsPerSiteMonth * Double(months)
        let sites = max(1, Int((Double(events) / perSite).rounded()))
        let scale = Double(events) / (perSite * Double(sites))
        let census = max(4, Int((36 * scale).rounded()))
        return SimulationConfig(seed: seed, sites: sites, months: months, consumersPerSite: census,
                                practitionersPerSite: max(2, Int((6 * scale).rounded())))
    }
}
