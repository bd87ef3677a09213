import ArgumentParser
import CanonicalJSON
import EventLog
import Foundation
import LMDBKit
import Synchronization

/// One measured figure beside its same-run baseline.
struct Figure {
    var name: String
    var events: Int
    var seconds: Double
    var bytes: Int
    var baselineSeconds: Double
    var baselineBytes: Int
    var baselineName: String

    var rate: Double { Double(events) / seconds }
    var mbps: Double { Double(bytes) / seconds / 1_048_576 }
    var baselineRate: Double { Double(events) / baselineSeconds }
    var baselineMBps: Double { Double(baselineBytes) / baselineSeconds / 1_048_576 }
    var ratio: Double { rate / baselineRate }

    var json: String {
        let v: JSONValue = .object([
            "name": .string(name), "events": .number(Double(events)),
            "rate": .number((rate * 10).rounded() / 10), "mbps": .number((mbps * 100).rounded() / 100),
            "baseline": .string(baselineName),
            "baselineRate": .number((baselineRate * 10).rounded() / 10),
            "baselineMBps": .number((baselineMBps * 100).rounded() / 100),
            "ratio": .number((ratio * 1000).rounded() / 1000),
        ])
        return v.canonicalString
    }
}

/// The process's CPU time so far, user and system, in seconds (all threads).
func cpuTimes() -> (user: Double, system: Double) {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return (Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6,
            Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6)
}

/// Wall and CPU time of one timed phase, in seconds, and the events it handled.
struct PhaseCost {
    var wall: Double
    var user: Double
    var system: Double
    var events: Int

    /// Times `body`, whose work is `events` events.
    static func measure(events: Int, _ body: () async throws -> Void) async rethrows -> PhaseCost {
        let c0 = cpuTimes()
        let t0 = now()
        try await body()
        let wall = now() - t0
        let c1 = cpuTimes()
        return PhaseCost(wall: wall, user: c1.user - c0.user, system: c1.system - c0.system, events: events)
    }

    /// `seconds` per event, in microseconds, to two decimals.
    func microsPerEvent(_ seconds: Double) -> Double {
        (seconds / Double(max(1, events)) * 1e8).rounded() / 100
    }

    /// `wall 2.61 µs, cpu 4.93 µs (user 4.30, system 0.63)` per event.
    var description: String {
        String(
            format: "wall %.2f µs, cpu %.2f µs (user %.2f, system %.2f)", microsPerEvent(wall), microsPerEvent(user + system),
            microsPerEvent(user), microsPerEvent(system))
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Flushes every dirty page of the machine (`sync(2)`), warms `warmBytes` of memory, and lets
/// the disk settle, so a timed phase does not pay for the writeback of the one before it (or of
/// files just removed).
///
/// Warming: on this machine (a virtual machine) the first touch of a page of the guest's memory
/// costs several times what a reused page does, and which phase happens to get never-touched
/// pages for its page cache decided the ratio of item 1 (the raw baseline's system time ranged
/// 0.3–2.8 µs an event over the same bytes, on tmpfs as on disk). Touching and freeing
/// `warmBytes` of anonymous memory first gives every phase reused pages, as any machine that
/// has run for a while has.
func quietDisk(warmBytes: Int = 0) {
    sync()
    if warmBytes > 0, let p = mmap(nil, warmBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
        p != MAP_FAILED
    {
        memset(p, 1, warmBytes)
        munmap(p, warmBytes)
    }
    usleep(200_000)
}

/// Memory available to new allocations (`MemAvailable` of /proc/meminfo), in bytes; 0 if unknown.
func availableMemory() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
        let fields = line.split(separator: " ")
        if fields.count >= 2, let kb = Int(fields[1]) { return kb * 1024 }
    }
    return 0
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

@main
struct ImrBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imr-bench",
        abstract: "The standard workload of DESIGN.md section 10, each figure beside a same-run raw LMDB baseline.")

    @Option(help: "Events in the standard workload.")
    var events: Int = 1_000_000

    @Option(help: "Single appends, one durable commit each (item 2).")
    var single: Int = 10_000

    @Option(help: "Concurrent appending tasks (item 3).")
    var tasks: Int = 64

    @Option(help: "Events appended by the concurrent tasks in all (item 3).")
    var concurrentEvents: Int = 20_000

    @Option(help: "Appends of 1,000 events the bulk loader keeps in flight (item 1).")
    var inFlight: Int = 8

    @Option(help: "The nice value the writer's thread asks for in items 1-3 (LMDBEventLog.Options.writerNice), or 'none'.")
    var writerNice: String = "-10"

    @Option(help: "Runs per figure; the median is reported.")
    var runs: Int = 3

    @Option(help: "Items to run, comma-separated (1 bulk, 2 single, 3 concurrent, 4 scan, 5 projections, 6 verify, 7 proofs).")
    var items: String = "1,2,3,4,5,6,7"

    @Option(help: "Commands appended, one durable commit each, while item 5 measures the projection lag.")
    var lagAppends: Int = 2000

    @Option(help: "Commands per second appended while item 5 measures the projection lag.")
    var lagRate: Double = 200

    @Option(help: .hidden)
    var rebuildChild: String?

    @Option(help: "Tree size for the large proof figure of item 7 (default 10,000,000).")
    var proofSize: Int = 10_000_000

    @Option(help: "Where to put the benchmark stores (default: a new temporary directory, removed after).")
    var dir: String?

    @Flag(help: "Print one JSON object per figure instead of a table.")
    var json = false

    @Flag(help: "Also print each run of item 1: wall and CPU time (user, system) per event, ours and raw.")
    var perRun = false

    @Flag(help: "Do not touch and free memory before each timed append phase.")
    var noWarmMemory = false

    /// 8 KB: with 3 KB (until 2026-11-25), the host took the freed memory back about a second
    /// into the phase, and a phase longer than that (ours in item 1) paid for pages faulted in
    /// again; with 8 KB none of fifteen runs did (docs/PERFORMANCE.md).
    @Option(help: "Bytes of memory per event touched and freed before each timed append phase (at most half the available memory).")
    var warmPerEvent: Int = 8192

    /// Bytes to warm before a timed append phase of `events` events.
    func warmBytes(_ events: Int) -> Int {
        noWarmMemory ? 0 : min(events * warmPerEvent, availableMemory() / 2)
    }

    func validate() throws {
        if events < 1000 { throw ValidationError("--events must be at least 1000") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if inFlight < 1 { throw ValidationError("--in-flight must be at least 1") }
        if warmPerEvent < 0 { throw ValidationError("--warm-per-event must be 0 or more") }
    }

    func run() async throws {
        if let rebuildChild {
            // Item 5's measured rebuild, in its own process (see ProjectionBench.swift).
            try ImrBench.rebuildChildProcess(store: rebuildChild)
            return
        }
        let nice: Int32?
        if writerNice == "none" {
            nice = nil
        } else if let n = Int32(writerNice), (-20...19).contains(n) {
            nice = n
        } else {
            throw ValidationError("--writer-nice: a nice value from -20 to 19, or 'none'; got '\(writerNice)'")
        }
        let base = dir ?? (FileManager.default.temporaryDirectory.path + "/imr-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: base) } }
        let wanted = Set(items.split(separator: ",").compactMap { Int($0) })
        let workload = Workload()
        var counter = 0
        func fresh(_ name: String) -> String {
            counter += 1
            let p = base + "/\(name)-\(counter)"
            try? FileManager.default.removeItem(atPath: p)
            return p
        }
        var figures: [Figure] = []
        func report(_ f: Figure) {
            figures.append(f)
            if json {
                print(f.json)
            } else {
                printRow(f)
            }
        }
        if !json { printHeader() }

        // Item 1: bulk append, 1,000 events per commit; baseline MDB_APPEND puts of the same bytes.
        var storedBytes: [[UInt8]] = []
        var scanStore: String?
        var scanRaw: String?
        if wanted.contains(1) || wanted.contains(4) || wanted.contains(6) || wanted.contains(7) {
            var ours: [Double] = []
            var raw: [Double] = []
            for run in 0..<runs {
                let path = fresh("bulk")
                // One commit per batch of 1,000. The loader keeps `inFlight` batches in flight,
                // so batches are validated, rendered and sequenced while the writer commits the
                // one before (with two, the writer waited 0.5–1 ms a commit for the next; with
                // the two-stage pipeline, eight measured 0.38–0.41 against four's 0.37).
                let log = try LMDBEventLog.create(
                    at: path, origin: "imr-bench/bulk", options: .init(maxEventsPerCommit: 1000, writerNice: nice))
                // The drafts are made before the clock starts: generating them is the client's work.
                let batches = stride(from: 0, to: events, by: 1000).map { start in
                    (start..<min(events, start + 1000)).map { n -> StreamAppend in
                        let (s, d) = workload.draft(n)
                        return StreamAppend(stream: s, expected: .any, events: [d])
                    }
                }
                quietDisk(warmBytes: warmBytes(events))
                let cost = try await PhaseCost.measure(events: events) {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        var waiting = 0
                        for batch in batches {
                            if waiting == inFlight {
                                try await group.next()
                                waiting -= 1
                            }
                            group.addTask { _ = try await log.append(batch) }
                            waiting += 1
                        }
                        try await group.waitForAll()
                    }
                }
                // Freed after the clock stops, as they were made before it: the drafts are the
                // client's (freeing a million of them took a tenth of the timed CPU).
                withExtendedLifetime(batches) {}
                ours.append(cost.wall)
                if run == 0 {
                    storedBytes = try log.readRaw(from: 0, limit: events).map(\.bytes)
                    scanStore = path
                } else {
                    try? FileManager.default.removeItem(atPath: path)
                }
                let rawPath = fresh("raw-bulk")
                try FileManager.default.createDirectory(atPath: rawPath, withIntermediateDirectories: true)
                let rawEnv = try RawLMDB(path: rawPath)
                quietDisk(warmBytes: warmBytes(events))
                let rawCost = try await PhaseCost.measure(events: events) {
                    try rawEnv.append(storedBytes, from: 0, batch: 1000)
                }
                raw.append(rawCost.wall)
                if perRun {
                    if json {
                        let v: JSONValue = .object([
                            "name": .string("1 bulk append, run \(run + 1)"),
                            "wallMicros": .number(cost.microsPerEvent(cost.wall)),
                            "userMicros": .number(cost.microsPerEvent(cost.user)),
                            "systemMicros": .number(cost.microsPerEvent(cost.system)),
                            "baselineWallMicros": .number(rawCost.microsPerEvent(rawCost.wall)),
                            "baselineUserMicros": .number(rawCost.microsPerEvent(rawCost.user)),
                            "baselineSystemMicros": .number(rawCost.microsPerEvent(rawCost.system)),
                        ])
                        print(v.canonicalString)
                    } else {
                        print("item 1, run \(run + 1): ours \(cost.description); raw \(rawCost.description); per event")
                    }
                }
                if run == runs - 1 && (wanted.contains(4) || wanted.contains(6)) {
                    scanRaw = rawPath
                } else {
                    try? FileManager.default.removeItem(atPath: rawPath)
                }
            }
            let total = storedBytes.reduce(0) { $0 + $1.count }
            if wanted.contains(1) {
                report(Figure(
                    name: "1 bulk append (1,000/commit)", events: events, seconds: median(ours), bytes: total,
                    baselineSeconds: median(raw), baselineBytes: total, baselineName: "mdb_put MDB_APPEND, 1,000/commit"))
            }
        }

        // Item 2: single appends, one event per durable commit.
        var rawSingleSeconds = 0.0
        var rawSingleCount = 0
        if wanted.contains(2) || wanted.contains(3) {
            let n = single
            let sample = (0..<n).map { workload.draft($0) }
            var ours: [Double] = []
            var raw: [Double] = []
            var bytes = 0
            for _ in 0..<runs {
                let path = fresh("single")
                let log = try LMDBEventLog.create(at: path, origin: "imr-bench/single", options: .init(writerNice: nice))
                quietDisk(warmBytes: warmBytes(n))
                let t0 = now()
                for (s, d) in sample { _ = try await log.append([d], to: s, expecting: .any) }
                ours.append(now() - t0)
                let stored = try log.readRaw(from: 0, limit: n).map(\.bytes)
                bytes = stored.reduce(0) { $0 + $1.count }
                try? FileManager.default.removeItem(atPath: path)
                let rawPath = fresh("raw-single")
                try FileManager.default.createDirectory(atPath: rawPath, withIntermediateDirectories: true)
                let rawEnv = try RawLMDB(path: rawPath)
                quietDisk(warmBytes: warmBytes(n))
                let t1 = now()
                try rawEnv.append(stored, from: 0, batch: 1)
                raw.append(now() - t1)
                try? FileManager.default.removeItem(atPath: rawPath)
            }
            rawSingleSeconds = median(raw)
            rawSingleCount = n
            if wanted.contains(2) {
                report(Figure(
                    name: "2 single appends (1/commit)", events: n, seconds: median(ours), bytes: bytes,
                    baselineSeconds: median(raw), baselineBytes: bytes, baselineName: "mdb_put MDB_APPEND, 1/commit"))
            }
        }

        // Item 3: concurrent single appends from `tasks` tasks (group commit) vs one event per commit.
        if wanted.contains(3) {
            let n = concurrentEvents
            var ours: [Double] = []
            var bytes = 0
            for _ in 0..<runs {
                let path = fresh("concurrent")
                let log = try LMDBEventLog.create(at: path, origin: "imr-bench/concurrent", options: .init(writerNice: nice))
                let drafts = (0..<n).map { workload.draft($0) }
                quietDisk(warmBytes: warmBytes(n))
                let t0 = now()
                // The tasks take the workload's events in order from one counter, so the appends
                // reach the log round-robin over the streams, as the workload says.
                let next = TicketCounter()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<tasks {
                        group.addTask {
                            while true {
                                let k = next.take()
                                guard k < n else { break }
                                _ = try await log.append([drafts[k].1], to: drafts[k].0, expecting: .any)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                ours.append(now() - t0)
                let st = log.writerStatistics
                if !json { print("   (group commit: \(st.appends) appends in \(st.commits) commits, \(String(format: "%.1f", Double(st.appends) / Double(max(1, st.commits)))) per commit)") }
                bytes = try log.readRaw(from: 0, limit: n).reduce(0) { $0 + $1.bytes.count }
                try? FileManager.default.removeItem(atPath: path)
            }
            // Baseline: the raw one-event-per-commit rate of item 2, scaled to the same count.
            let baseline = rawSingleSeconds / Double(rawSingleCount) * Double(n)
            report(Figure(
                name: "3 concurrent appends (\(tasks) tasks)", events: n, seconds: median(ours), bytes: bytes,
                baselineSeconds: baseline, baselineBytes: bytes,
                baselineName: "mdb_put MDB_APPEND, 1/commit"))
        }

        // Item 4: full scan, bytes only and with decoding, vs a raw cursor over the same bytes.
        if wanted.contains(6), let scanStore, let scanRaw {
            try verifyFigure(store: scanStore, raw: scanRaw, report: report)
        }
        if wanted.contains(7), let scanStore {
            try proofFigures(store: scanStore, base: base, report: report)
        }
        if wanted.contains(5) {
            try await projectionFigures(base: base, events: events, runs: runs, lagAppends: lagAppends, lagRate: lagRate,
                                        report: report) { line in
                if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
            }
        }

        if wanted.contains(4), let scanStore, let scanRaw {
            let log = try LMDBEventLog.open(at: scanStore)
            let rawEnv = try RawLMDB(path: scanRaw)
            var oursBytes: [Double] = []
            var oursDecode: [Double] = []
            var raw: [Double] = []
            var total = 0
            for _ in 0..<runs {
                var checksum: UInt64 = 0
                var t0 = now()
                total = try rawEnv.scan { v in checksum &+= UInt64(v[v.count / 2]) }
                raw.append(now() - t0)
                t0 = now()
                var seen = 0
                try log.forEachRaw(from: 0) { _, v in
                    seen += v.count
                    checksum &+= UInt64(v[v.count / 2])
                    return true
                }
                oursBytes.append(now() - t0)
                t0 = now()
                var position: LogIndex = 0
                var decoded = 0
                while true {
                    let page = try log.readEvents(from: position, limit: 10_000)
                    if page.isEmpty { break }
                    decoded += page.count
                    position = page.last!.position + 1
                }
                oursDecode.append(now() - t0)
                precondition(decoded == events && seen == total, "scan saw \(decoded) events")
                if checksum == 42 { print("") }  // keep the checksum alive
            }
            report(Figure(
                name: "4a scan, bytes only", events: events, seconds: median(oursBytes), bytes: total,
                baselineSeconds: median(raw), baselineBytes: total, baselineName: "raw cursor"))
            report(Figure(
                name: "4b scan, decoded events", events: events, seconds: median(oursDecode), bytes: total,
                baselineSeconds: median(raw), baselineBytes: total, baselineName: "raw cursor"))
        }
    }

    func printHeader() {
        print("IMR Ledger standard workload: \(events) events, \(runs) run(s) each, median")
        print(
            col("figure", 34) + col("events/s", 12, right: true) + col("MB/s", 9, right: true) + "   "
                + col("baseline", 34) + col("events/s", 12, right: true) + col("MB/s", 9, right: true)
                + col("ratio", 8, right: true))
    }

    func printRow(_ f: Figure) {
        print(
            col(f.name, 34) + col(String(Int(f.rate)), 12, right: true) + col(String(format: "%.1f", f.mbps), 9, right: true)
                + "   " + col(f.baselineName, 34) + col(String(Int(f.baselineRate)), 12, right: true)
                + col(String(format: "%.1f", f.baselineMBps), 9, right: true)
                + col(String(format: "%.2f", f.ratio), 8, right: true))
    }

    func col(_ s: String, _ w: Int, right: Bool = false) -> String {
        if s.count >= w { return s + " " }
        let pad = String(repeating: " ", count: w - s.count)
        return right ? pad + s : s + pad
    }
}

/// Hands out 0, 1, 2, … to concurrent tasks, each number once.
final class TicketCounter: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}
