import ArgumentParser
import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import Projections

/// Which events the answer reflects: everything, or the record as it stood at a position or time.
enum AsOf {
    case now
    case position(UInt64)
    case time(Timestamp)

    init?(parsing text: String) {
        if let n = UInt64(text) { self = .position(n) }
        else if let t = Timestamp(text) { self = .time(t) }
        else if let d = LocalDate(text) { self = .time(Timestamp(microseconds: Int64(d.dayNumber + 1) * 86_400_000_000 - 1)) }
        else { return nil }
    }
}

/// Opens the store's views, catches them up, and gives the snapshot the options ask for.
func openSnapshot(_ path: String, asOf: AsOf, progress: Bool) throws -> (ProjectionSnapshot, ProjectionStore) {
    let log = try openStore(path)
    if case .position(let p) = asOf {
        // As the HTTP API does: a position that holds no event yet is an error, not the end.
        let size = try log.size()
        guard p < size else {
            throw OptionError(option: "--as-of", rule: "position \(p) is beyond the end of the log (\(size) event\(size == 1 ? "" : "s"))")
        }
    }
    let bar = progress ? ProgressBar(label: "projections") : nil
    let views = try openViews(path, log: log)
    try views.catchUp(progress: bar.map { b in { b.update($0, $1) } })
    bar?.finish()
    switch asOf {
    case .now: return (views.snapshot(), views)
    case .position(let p): return (try views.replay(through: p + 1), views)
    case .time(let t): return (try views.replay(through: try views.position(recordedAtOrBefore: t)), views)
    }
}

/// Opens the store's views; damaged views are rebuilt from the log, which is said on stderr.
func openViews(_ path: String, log: LMDBEventLog) throws -> ProjectionStore {
    let views = try ProjectionStore.open(store: path, log: log)
    if let repaired = views.repaired { printError("warning: \(repaired)") }
    return views
}

/// A progress bar on standard error, drawn only when it is a terminal.
final class ProgressBar {
    let label: String
    let unit: String
    let enabled = isatty(2) == 1
    var lastDrawn = -1
    init(label: String, unit: String = "events") { self.label = label; self.unit = unit }

    func update(_ done: UInt64, _ total: UInt64) {
        guard enabled, total > 0 else { return }
        let percent = Int(done * 100 / total)
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let width = 30, filled = width * percent / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)% \(done)/\(total) \(unit)".utf8))
    }

    func finish() { if enabled && lastDrawn >= 0 { FileHandle.standardError.write(Data("\n".utf8)) } }
}

/// Renders rows of Codable structs as an aligned table, CSV, or JSON lines.
enum TableRenderer {
    static func columns<T>(_ row: T) -> [(String, Any)] {
        Mirror(reflecting: row).children.compactMap { c in c.label.map { (snakeCaseKey($0), c.value) } }
    }

    static func text(_ value: Any) -> String {
        if let o = value as? (any OptionalProtocol) { return o.unwrapped.map(text) ?? "" }
        if let d = value as? Double { return d == d.rounded() ? String(Int(d)) : String(d) }
        if let a = value as? [Any] { return a.map(text).joined(separator: " ") }
        return "\(value)"
    }

    static func render<T: Decodable>(_ rows: [T], format: OutputFormat, title: String) -> String {
        guard let first = rows.first else {
            switch format {
            case .table: return "\(title): none\n"
            // An empty table in CSV is its header alone, so that a reader of the file sees the columns.
            case .csv: return (try? T(from: BlankDecoder())).map { columns($0).map(\.0).joined(separator: ",") + "\n" } ?? ""
            case .json: return ""
            }
        }
        let header = columns(first).map(\.0)
        let cells = rows.map { columns($0).map { text($0.1) } }
        switch format {
        case .csv:
            func quote(_ s: String) -> String { s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
            return ([header] + cells).map { $0.map(quote).joined(separator: ",") }.joined(separator: "\n") + "\n"
        case .table, .json:
            var widths = header.map(\.count)
            for r in cells { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
            func line(_ r: [String]) -> String {
                r.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces)
            }
            return "\(title)\n" + line(header) + "\n" + line(widths.map { String(repeating: "-", count: $0) }) + "\n"
                + cells.map(line).joined(separator: "\n") + "\n"
        }
    }
}

/// A decoder that answers every request with an empty value (0, "", false, nil, no elements):
/// it makes a placeholder row whose field names give an empty table its CSV header.
struct BlankDecoder: Decoder {
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> { KeyedDecodingContainer(Keyed<Key>()) }
    func unkeyedContainer() -> any UnkeyedDecodingContainer { Unkeyed() }
    func singleValueContainer() -> any SingleValueDecodingContainer { Single() }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        var codingPath: [any CodingKey] = []
        var allKeys: [Key] { [] }
        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) -> Bool { true }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try Single().decode(type) }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) -> KeyedDecodingContainer<N> { KeyedDecodingContainer(Keyed<N>()) }
        func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedDecodingContainer { Unkeyed() }
        func superDecoder() -> any Decoder { BlankDecoder() }
        func superDecoder(forKey key: Key) -> any Decoder { BlankDecoder() }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        var codingPath: [any CodingKey] = []
        var count: Int? { 0 }
        var isAtEnd: Bool { true }
        var currentIndex: Int { 0 }
        func decodeNil() -> Bool { true }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "no elements"))
        }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type) -> KeyedDecodingContainer<N> { KeyedDecodingContainer(Keyed<N>()) }
        func nestedUnkeyedContainer() -> any UnkeyedDecodingContainer { Unkeyed() }
        func superDecoder() -> any Decoder { BlankDecoder() }
    }

    struct Single: SingleValueDecodingContainer {
        var codingPath: [any CodingKey] = []
        func decodeNil() -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            switch type {
            case is String.Type: return "" as! T
            case is Bool.Type: return false as! T
            case is Int.Type: return 0 as! T
            case is Double.Type: return 0.0 as! T
            default: return try T(from: BlankDecoder())
            }
        }
    }
}

protocol OptionalProtocol { var unwrapped: Any? { get } }
extension Optional: OptionalProtocol { var unwrapped: Any? { self.map { $0 as Any } } }

extension Imr {
    /// `imr query`: the projections, from Swift's reports, as a table, CSV or JSON.
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Query a projection: caseload, goals, fidelity or participation.",
            discussion: """
                The views are caught up with the log first. --as-of shows what the record said at \
                a log position (a number) or a recorded-at time (RFC 3339, or a date meaning its \
                end); --from/--to set the clinical period (--to is the day statuses are taken on; \
                default today, or the --as-of time's date). JSON is the whole report; table prints \
                its sections; CSV prints the main table (practitioners, consumers, or fidelity items).
                """)

        enum Kind: String, ExpressibleByArgument, CaseIterable { case caseload, goals, fidelity, participation }

        @Argument(help: "caseload, goals, fidelity or participation.")
        var kind: Kind

        @OptionGroup var store: StoreArgument

        @Option(help: "Only this program.")
        var program: String?

        @Option(name: .customLong("as-of"), help: "A log position, or a recorded-at time or date.")
        var asOf: String?

        @Option(help: "Start of the clinical period (YYYY-MM-DD).")
        var from: String?

        @Option(help: "End of the clinical period (YYYY-MM-DD).")
        var to: String?

        @Option(help: "table, json or csv.")
        var format: OutputFormat = .table

        func validate() throws {
            if let asOf, AsOf(parsing: asOf) == nil { throw ValidationError("--as-of must be a log position, an RFC 3339 UTC time or a date") }
            if let from, LocalDate(from) == nil { throw ValidationError("--from must be a date YYYY-MM-DD from 1900-01-01 to 9999-12-31") }
            if let to, LocalDate(to) == nil { throw ValidationError("--to must be a date YYYY-MM-DD from 1900-01-01 to 9999-12-31") }
            if let program, ProgramID(program) == nil { throw ValidationError("--program is not a valid identifier") }
            if kind == .fidelity && program == nil { throw ValidationError("fidelity needs --program") }
        }

        func run() throws {
            try runReportingSync {
                let asOf = self.asOf.flatMap(AsOf.init(parsing:)) ?? .now
                var day = LocalDate(dayNumber: Int(Date().timeIntervalSince1970 / 86_400))
                if case .time(let t) = asOf { day = t.date }
                if let to { day = LocalDate(to)! }
                let start = from.flatMap(LocalDate.init)
                // The period ends on `day` (--to, else the --as-of time's date, else today).
                if let start, start > day {
                    throw OptionError(option: "--from", rule: "must not be after --to: \(start) is after \(day)"
                        + (to == nil ? " (the day the report is taken on: --to, else the --as-of date, else today)" : ""))
                }
                let (snapshot, _) = try openSnapshot(store.store, asOf: asOf, progress: format == .table)
                let programID = program.flatMap(ProgramID.init)
                if let programID, !snapshot.hasProgram(programID) {
                    printError("error: program \(programID.rawValue) is not in the record" + (self.asOf == nil ? "" : " as of \(self.asOf!)"))
                    throw ExitCode.failure
                }
                switch kind {
                case .caseload:
                    let r = snapshot.caseload(asOf: day, program: programID)
                    try emit(r, [TableRenderer.render(r.programs, format: format, title: "Programs on \(day)"),
                                 TableRenderer.render(r.teams, format: format, title: "Teams"),
                                 TableRenderer.render(r.practitioners, format: format, title: "Practitioners"),
                                 TableRenderer.render(r.groups, format: format, title: "Groups"),
                                 TableRenderer.render(r.waiting, format: format, title: "Waiting referrals")], csv: 2)
                case .goals:
                    let r = snapshot.goals(asOf: day, from: start, program: programID)
                    try emit(r, [TableRenderer.render(r.programs, format: format, title: "Goals on \(day) (follow-up since \(r.from))"),
                                 TableRenderer.render(r.consumers, format: format, title: "Consumers"),
                                 TableRenderer.render(r.overdue, format: format, title: "Overdue (no review in 30 days)")], csv: 1)
                case .participation:
                    let r = snapshot.participation(asOf: day, from: start, program: programID)
                    try emit(r, [TableRenderer.render(r.programs, format: format, title: "Participation on \(day)"),
                                 TableRenderer.render(r.consumers, format: format, title: "Consumers")], csv: 1)
                case .fidelity:
                    guard let r = snapshot.fidelity(program: programID!, window: start.map { $0...day }, asOf: day) else {
                        printError("error: program \(programID!.rawValue) has no fidelity record" + (self.asOf == nil ? "" : " as of \(self.asOf!)"))
                        throw ExitCode.failure
                    }
                    try emit(r, [fidelityText(r), TableRenderer.render(r.items, format: format, title: "Items")], csv: 1)
                }
            }
        }

        func emit<R: Encodable>(_ report: R, _ sections: [String], csv index: Int) throws {
            switch format {
            case .json: print(try JSONValueEncoder().encode(report).canonicalString)
            case .csv: print(sections[index], terminator: "")
            case .table: print(sections.joined(separator: "\n"), terminator: "")
            }
        }
    }

    /// `imr project`: rebuild, status and verification of the projections.
    struct Project: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild, inspect or verify the projections.",
            subcommands: [Rebuild.self, Status.self, Verify.self])

        struct Rebuild: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Rebuild every projection from the whole log into fresh databases, then swap them in.")
            @OptionGroup var store: StoreArgument
            func run() throws {
                try runReportingSync {
                    let log = try openStore(store.store)
                    let views = try openViews(store.store, log: log)
                    let bar = ProgressBar(label: "rebuild")
                    let started = Date()
                    try views.rebuild(progress: { bar.update($0, $1) })
                    bar.finish()
                    let seconds = Date().timeIntervalSince(started)
                    print("rebuilt \(views.position) events in \(String(format: "%.2f", seconds)) s")
                    for (name, digest) in try views.digests().sorted(by: { $0.key < $1.key }) { print("\(name) \(digest)") }
                }
            }
        }

        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Catch up, then print the position and each projection's digest.")
            @OptionGroup var store: StoreArgument
            func run() throws {
                try runReportingSync {
                    let (snapshot, views) = try openSnapshot(store.store, asOf: .now, progress: true)
                    print("position \(views.position) of \(try views.log.currentHead().treeSize) events")
                    for (name, digest) in try snapshot.digests().sorted(by: { $0.key < $1.key }) { print("\(name) \(digest)") }
                }
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Replay the log in memory and compare each projection's digest with the stored views (exit 1 on a difference).")
            @OptionGroup var store: StoreArgument
            func run() throws {
                try runReportingSync {
                    let (live, views) = try openSnapshot(store.store, asOf: .now, progress: true)
                    let replayed = try views.replay(through: live.position)
                    let a = try live.digests(), b = try replayed.digests()
                    var ok = true
                    for name in a.keys.sorted() {
                        let same = a[name] == b[name]
                        ok = ok && same
                        print("\(same ? "ok" : "DIFFERS") \(name) \(a[name]!)" + (same ? "" : " (replayed: \(b[name] ?? "none"))"))
                    }
                    print(ok ? "verified: the views equal a replay of \(live.position) events" : "NOT verified")
                    if !ok { throw ExitCode.failure }
                }
            }
        }
    }
}

/// The fidelity summary lines of a report.
func fidelityText(_ r: FidelityReport) -> String {
    var out = "Fidelity of \(r.program), \(r.window.lowerBound) to \(r.window.upperBound) (\(r.scaleVersion)): total \(r.total), \(r.band)\n"
    out += "Items 1–4 use the published anchors; items 5–13 are provisional (local thresholds).\n"
    for review in r.raterReviews {
        out += "Rater review \(review.reviewId) (\(review.raterKind)): total \(review.total)\n"
    }
    return out
}
