public import ClinicalRecord

/// How a simulated site's practice, and so its fidelity, develops over time.
///
/// The trajectory sets the site's *practice level* at each moment: a number on the 1–5 scale of
/// the IMR Fidelity Scale. Every practice knob of the simulator (group size, program length,
/// modules in use, handouts, ticked interventions, goal quality and follow-up, supporter
/// contacts, relapse plans, supervision, training, turnover) follows that level, so the
/// fidelity computed from the record moves the way the profile says. The two case sites of
/// the implementation study (Whitley et al. 2009, seed S003) went 2.2 → 4.2 → 4.5 and
/// 1.6 → 3.6 → 2.8 at the six-monthly reviews.
public struct SiteProfile: Sendable, Hashable {
    /// The shape of the fidelity curve.
    public enum Trajectory: String, Sendable, Hashable, CaseIterable {
        /// ≈ 2.2 at baseline, ≈ 4.2 at six months, ≈ 4.5 from a year on (the study's first case site).
        case rising
        /// ≈ 1.6 → 3.6 at six months → ≈ 2.8 at a year (the study's second case site): turnover erodes practice.
        case risingThenFalling
        /// High fidelity throughout (≈ 4.3–4.6).
        case high
        /// Low fidelity throughout (≈ 1.8–2.2).
        case low
        /// Moderate fidelity (≈ 2.9 → 3.5).
        case moderate
    }

    /// The fidelity curve.
    public var trajectory: Trajectory
    /// The curriculum edition the program teaches.
    public var curriculum: CurriculumEdition
    /// The fidelity scale version the program is rated on.
    public var fidelityScale: FidelityScaleVersion

    /// A profile; the 2009 KIT curriculum and scale unless given.
    public init(_ trajectory: Trajectory, curriculum: CurriculumEdition = .kit2009, fidelityScale: FidelityScaleVersion = .kit2009) {
        self.trajectory = trajectory; self.curriculum = curriculum; self.fidelityScale = fidelityScale
    }

    /// The study's first case site: rising to high fidelity.
    public static let rising = SiteProfile(.rising)
    /// The study's second case site: rising, then falling back below 3.
    public static let risingThenFalling = SiteProfile(.risingThenFalling)
    /// High fidelity throughout.
    public static let high = SiteProfile(.high)
    /// Low fidelity throughout.
    public static let low = SiteProfile(.low)
    /// Moderate fidelity.
    public static let moderate = SiteProfile(.moderate)

    /// The (month, level) points of the curve; between them the level is linear, after the
    /// last it stays.
    public var keyframes: [(month: Double, level: Double)] {
        switch trajectory {
        case .rising: [(0, 2.2), (6, 2.6), (12, 3.8), (18, 4.8), (24, 5.0)]
        case .risingThenFalling: [(0, 2.0), (6, 3.6), (9, 4.3), (12, 4.2), (15, 3.2), (18, 2.7), (24, 2.6)]
        case .high: [(0, 4.3), (12, 4.6), (24, 4.6)]
        case .low: [(0, 1.8), (12, 2.1), (24, 2.2)]
        case .moderate: [(0, 2.9), (12, 3.4), (24, 3.5)]
        }
    }

    /// The practice level (1–5) `month` months after the program started.
    public func level(atMonth month: Double) -> Double {
        Interpolation.linear(keyframes.map { ($0.month, $0.level) }, month)
    }

    /// The default mix of twelve sites: both study trajectories (twice), high, low and
    /// moderate sites; curricula mixed (mostly the 2009 KIT, one 2003 draft, one third edition).
    public static let standardMix: [SiteProfile] = [
        .init(.rising),
        .init(.risingThenFalling),
        .init(.high),
        .init(.low, curriculum: .draft2003, fidelityScale: .rev2005),
        .init(.moderate, curriculum: .thirdEdition),
        .init(.high),
        .init(.moderate, fidelityScale: .rev2005),
        .init(.rising),
        .init(.low),
        .init(.high),
        .init(.moderate),
        .init(.risingThenFalling),
    ]
}

/// What to simulate: how many sites, for how long, at what size, from which seed.
///
/// ```swift
/// let config = ProgramSimulator.demo(seed: 1)          // 12 sites, 2 years
/// let bench = ProgramSimulator.benchmark(events: 1_000_000, seed: 7)
/// for request in ProgramSimulator(config: config).commands() { … }
/// ```
public struct SimulationConfig: Sendable, Hashable {
    /// The seed; the same config always yields the same commands, byte for byte.
    public var seed: UInt64
    /// Number of sites (programs).
    public var sites: Int
    /// The day every program starts (the history ends `months` later). Keep it in the past:
    /// the record core refuses occurred-at times in the future.
    public var start: LocalDate
    /// Length of the history in months.
    public var months: Int
    /// The census each site aims for: active consumers it takes referrals to fill.
    public var consumersPerSite: Int
    /// IMR practitioners per site (the IMR leader comes on top). Above 8, the site runs
    /// several teams, each with its own leader.
    public var practitionersPerSite: Int
    /// Profiles, assigned to sites in turn (site i gets `profiles[i % count]`).
    public var profiles: [SiteProfile]
    /// Share of individual progress notes written up days after the session (late entries).
    public var lateNoteRate: Double
    /// Share of individual progress notes that later get a correction or addendum.
    public var amendmentRate: Double
    /// Prefix of every command id (`<prefix>-<n>`); event ids are `<prefix>-<n>.<i>`.
    public var commandIdPrefix: String

    /// A configuration; see ``ProgramSimulator/demo(seed:)`` and
    /// ``ProgramSimulator/benchmark(events:seed:)`` for the usual ones.
    public init(seed: UInt64, sites: Int = 12, start: LocalDate = LocalDate(year: 2023, month: 1, day: 2)!, months: Int = 24,
                consumersPerSite: Int = 36, practitionersPerSite: Int = 6, profiles: [SiteProfile] = SiteProfile.standardMix,
                lateNoteRate: Double = 0.02, amendmentRate: Double = 0.006, commandIdPrefix: String? = nil) {
        self.seed = seed; self.sites = sites; self.start = start; self.months = months
        self.consumersPerSite = consumersPerSite; self.practitionersPerSite = practitionersPerSite
        self.profiles = profiles.isEmpty ? SiteProfile.standardMix : profiles
        self.lateNoteRate = lateNoteRate; self.amendmentRate = amendmentRate
        self.commandIdPrefix = commandIdPrefix ?? "sim\(seed)"
    }

    /// The profile of site `index` (0-based).
    public func profile(ofSite index: Int) -> SiteProfile { profiles[index % profiles.count] }

    /// The last day of the history (exclusive).
    public var end: LocalDate {
        let c = start.components
        let m = c.month - 1 + months
        let y = c.year + m / 12, month = m % 12 + 1
        return LocalDate(year: y, month: month, day: min(c.day, 28)) ?? start.adding(days: months * 30)
    }
}

/// Piecewise-linear interpolation over sorted points.
enum Interpolation {
    static func linear(_ points: [(Double, Double)], _ x: Double) -> Double {
        guard let first = points.first, let last = points.last else { return 0 }
        if x <= first.0 { return first.1 }
        if x >= last.0 { return last.1 }
        for i in 1..<points.count where x <= points[i].0 {
            let (x0, y0) = points[i - 1], (x1, y1) = points[i]
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        }
        return last.1
    }
}
