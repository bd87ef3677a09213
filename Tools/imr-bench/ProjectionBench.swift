import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import LMDBKit
import ProgramSimulator
import Projections
import RecordCore

// Item 5: rebuild every projection from a realistic 1,000,000-event log, with the peak memory
// of the rebuild, and the projections' lag behind continuous appends.

// MARK: Memory

/// Memory figures of this process from /proc/self/status, in KiB.
struct ProcessMemory {
    /// VmHWM: peak resident set since start (or since ``resetPeak()``).
    var peak = 0
    /// VmRSS: resident set now.
    var resident = 0
    /// RssAnon: anonymous resident memory (heap, stacks) now.
    var anonymous = 0
    /// RssFile: file-backed resident pages now (here, mostly the memory-mapped LMDB files).
    var file = 0

    /// Reads /proc/self/status with read(2) (Foundation's file reading truncates /proc files).
    static func current() -> ProcessMemory {
        var m = ProcessMemory()
        let fd = open("/proc/self/status", O_RDONLY)
        guard fd >= 0 else { return m }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" })
            guard parts.count >= 2, let kib = Int(parts[1]) else { continue }
            switch parts[0] {
            case "VmHWM": m.peak = kib
            case "VmRSS": m.resident = kib
            case "RssAnon": m.anonymous = kib
            case "RssFile": m.file = kib
            default: break
            }
        }
        return m
    }

    /// Resets VmHWM to the current resident set (Linux ≥ 4.0: `5` to /proc/self/clear_refs).
    static func resetPeak() {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return }
        _ = write(fd, "5", 1)
        close(fd)
    }
}

/// Samples the anonymous and file-backed resident memory every few milliseconds on its own
/// thread, keeping the maxima (VmHWM alone cannot tell heap from mapped log pages).
final class MemorySampler: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var maxAnonymous = 0
    private var maxFile = 0
    private let done = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in
            while true {
                let m = ProcessMemory.current()
                lock.lock()
                maxAnonymous = max(maxAnonymous, m.anonymous)
                maxFile = max(maxFile, m.file)
                let go = running
                lock.unlock()
                if !go { break }
                usleep(2_000)
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops sampling; returns the peak anonymous and file-backed resident memory in KiB.
    func stop() -> (anonymous: Int, file: Int) {
        lock.lock(); running = false; lock.unlock()
        done.wait()
        lock.lock(); defer { lock.unlock() }
        return (maxAnonymous, maxFile)
    }
}

func mib(_ kib: Int) -> String { String(format: "%.0f MiB", Double(kib) / 1024) }

// MARK: The realistic store

/// The simulator's command stream, decided against the record's rules in memory and turned
/// into drafts: the same mix `imr demo` records (referrals, enrollments, goals, progress
/// notes, group sessions, supervision, trainings, fidelity reviews, corrections…).
final class RealisticFeed {
    private var commands: ProgramSimulator.Commands.Iterator
    private var state = RecordState()
    private let codec = EventCodec()
    private var unnamed = 0
    /// Events produced so far, by type name.
    private(set) var mix: [String: Int] = [:]

    init(events: Int, seed: UInt64) {
        // Sized above the target so that the lag phase can go on with the same program.
        commands = ProgramSimulator(config: ProgramSimulator.benchmark(events: events + events / 3, seed: seed)).commands().makeIterator()
    }

    /// The next command's events, one append per stream section, or `nil` at the end.
    func next() throws -> [StreamAppend]? {
        guard let request = commands.next() else { return nil }
        let decision = try state.decide(request.command)
        let commandId = request.commandId ?? { unnamed += 1; return "bench-\(unnamed)" }()
        var appends: [StreamAppend] = []
        for (i, event) in decision.events.enumerated() {
            let id = RecordCore.eventID(commandId: commandId, index: i)
            // Amendment checks compare against their target's data; keeping only ids (the
            // simulator's amendments are valid by construction) keeps the builder small.
            state.apply(event, id: id, data: nil)
            let draft = EventDraft(
                id: id, source: "/agencies/bench/programs/imr", type: type(of: event).eventType,
                time: request.occurredAt.description, data: try codec.encode(event),
                recordedBy: "user:bench", recordedRole: "practitioner")
            if appends.last?.stream.rawValue != event.stream {
                appends.append(StreamAppend(stream: try StreamID(event.stream), expected: .any, events: []))
            }
            appends[appends.count - 1].events.append(draft)
            mix[type(of: event).typeName, default: 0] += 1
        }
        return appends
    }
}

/// Builds the realistic store of `events` events (whole commands, so a few more), appended in
/// commits of about 1,000 events with two in flight. Not timed as a figure.
func buildRealisticStore(path: String, events: Int, feed: RealisticFeed) async throws -> LMDBEventLog {
    let log = try LMDBEventLog.create(at: path, origin: "imr-bench/realistic", options: .init(maxEventsPerCommit: 5000))
    var written = 0
    try await withThrowingTaskGroup(of: Void.self) { group in
        var inFlight = 0
        var batch: [StreamAppend] = []
        var inBatch = 0
        func send() async throws {
            if inFlight == 2 {
                try await group.next()
                inFlight -= 1
            }
            let b = batch
            group.addTask { _ = try await log.append(b) }
            inFlight += 1
            batch.removeAll(keepingCapacity: true)
            inBatch = 0
        }
        while written < events, let appends = try feed.next() {
            let n = appends.reduce(0) { $0 + $1.events.count }
            batch += appends
            inBatch += n
            written += n
            if inBatch >= 1000 { try await send() }
        }
        if !batch.isEmpty { try await send() }
        try await group.waitForAll()
    }
    return log
}

/// The share of the log taken by each family of events, for the report.
func describeMix(_ mix: [String: Int]) -> String {
    let total = Double(mix.values.reduce(0, +))
    let families: [(String, (String) -> Bool)] = [
        ("session notes", { $0.hasPrefix("org.imr.session.") }),
        ("attendance/groups", { $0.hasPrefix("org.imr.group.") || $0.contains("attendance") }),
        ("goals", { $0.hasPrefix("org.imr.goal.") }),
        ("referrals", { $0.hasPrefix("org.imr.referral.") }),
        ("enrollment/discharge/assignment", { $0.hasPrefix("org.imr.consumer.") || $0.contains("practitioner.assigned") || $0.contains("transferred") }),
        ("supervision", { $0.contains("supervision") }),
        ("corrections", { $0.hasPrefix("org.imr.entry.") }),
    ]
    var rest = mix
    var parts: [String] = []
    for (label, matches) in families {
        let n = rest.filter { matches($0.key) }.reduce(0) { $0 + $1.value }
        rest = rest.filter { !matches($0.key) }
        parts.append(String(format: "%@ %.1f%%", label, Double(n) / total * 100))
    }
    parts.append(String(format: "other (%d types: supporters, handouts, plans, outcomes, staff, fidelity reviews…) %.1f%%",
                        rest.count, Double(rest.values.reduce(0, +)) / total * 100))
    return parts.joined(separator: ", ")
}

// MARK: The measured rebuild (in a child process, so its memory is its own)

/// What one child process measures on the realistic store.
struct RebuildRun: Codable {
    /// Raw LMDB cursor over `events` (the baseline), seconds.
    var raw: Double
    /// Bytes the raw scan saw.
    var bytes: Int
    /// Events in the store.
    var events: Int
    /// `ProjectionStore.open` with no views: fold the whole log and write every record.
    var rebuild: Double
    /// `replay(through:)` of the whole log: the fold alone, in memory.
    var fold: Double
    /// `replay(through:from:)` of the whole log from a replay of all but its last tenth (an
    /// auditor stepping forward in time): seconds, and the events folded.
    var step: Double
    var stepEvents: Int
    /// Resident memory before the rebuild, and its peaks during it (KiB).
    var residentBefore: Int
    var anonymousBefore: Int
    var peak: Int
    var peakAnonymous: Int
    var peakFile: Int
    /// Records written (all projections).
    var records: Int
}

/// The child's work: baseline scan, then the rebuild, then the fold alone; prints one JSON line.
func measureRebuildInChild(store: String) throws {
    let log = try LMDBEventLog.open(at: store)
    let size = Int(try log.currentHead().treeSize)
    let baseline = try RawLMDB(env: Environment.shared(path: LMDBEventLog.logDirectory(of: store)))
    var t = now()
    var checksum: UInt64 = 0
    let bytes = try baseline.scan { v in checksum &+= UInt64(v[v.count / 2]) }
    let raw = now() - t
    if checksum == 42 { print("") }  // keep the checksum alive

    try? FileManager.default.removeItem(atPath: ProjectionStore.viewsDirectory(of: store))
    ProcessMemory.resetPeak()
    let before = ProcessMemory.current()
    let sampler = MemorySampler()
    t = now()
    let views = try ProjectionStore.open(store: store, log: log)  // no views: a full rebuild
    let rebuild = now() - t
    let (peakAnonymous, peakFile) = sampler.stop()
    let after = ProcessMemory.current()
    precondition(views.position == UInt64(size), "the rebuild reached \(views.position) of \(size)")
    let snapshot = views.snapshot()
    let records = snapshot.records(CaseloadProjection.self).count + snapshot.records(GoalsProjection.self).count
        + snapshot.records(ParticipationProjection.self).count + snapshot.records(FidelityProjection.self).count

    t = now()
    let replayed = try views.replay(through: UInt64(size))
    let fold = now() - t
    precondition(replayed.position == UInt64(size))

    let earlier = try views.replay(through: UInt64(size - size / 10))
    t = now()
    let stepped = try views.replay(through: UInt64(size), from: earlier)
    let step = now() - t
    precondition(stepped.position == UInt64(size))

    let run = RebuildRun(raw: raw, bytes: bytes, events: size, rebuild: rebuild, fold: fold,
                         step: step, stepEvents: size / 10,
                         residentBefore: before.resident, anonymousBefore: before.anonymous, peak: after.peak,
                         peakAnonymous: peakAnonymous, peakFile: peakFile, records: records)
    let data = try JSONEncoder().encode(run)
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

/// Runs ``measureRebuildInChild(store:)`` in a fresh process of this executable.
func runRebuildChild(store: String) throws -> RebuildRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    process.arguments = ["--rebuild-child", store]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else {
        throw ValidationFailure("the rebuild child process failed (status \(process.terminationStatus))")
    }
    return try JSONDecoder().decode(RebuildRun.self, from: Data(line.utf8))
}

struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

// MARK: Item 5

/// Item 5: rebuild every projection from the realistic log beside a raw cursor scan of the
/// same stored bytes, with the rebuild's peak memory; then the projection lag while a writer
/// appends at a steady rate and `follow()` keeps the views live.
func projectionFigures(base: String, events: Int, runs: Int, lagAppends: Int, lagRate: Double,
                       report: (Figure) -> Void, note: (String) -> Void) async throws {
    let path = base + "/realistic"
    try? FileManager.default.removeItem(atPath: path)
    let t0 = now()
    let feed = RealisticFeed(events: events, seed: 20_261_123)
    let log = try await buildRealisticStore(path: path, events: events, feed: feed)
    let size = try log.currentHead().treeSize
    note("item 5: realistic store of \(size) events built in \(String(format: "%.1f", now() - t0)) s (not timed)")
    note("item 5: mix: " + describeMix(feed.mix))

    var measured: [RebuildRun] = []
    for _ in 0..<runs { measured.append(try runRebuildChild(store: path)) }
    let bytes = measured[0].bytes
    report(Figure(name: "5 rebuild all projections", events: Int(size), seconds: median(measured.map(\.rebuild)), bytes: bytes,
                  baselineSeconds: median(measured.map(\.raw)), baselineBytes: bytes, baselineName: "raw cursor scan"))
    report(Figure(name: "5f fold only (replay, in memory)", events: Int(size), seconds: median(measured.map(\.fold)), bytes: bytes,
                  baselineSeconds: median(measured.map(\.raw)), baselineBytes: bytes, baselineName: "raw cursor scan"))
    let step = measured.sorted { $0.step < $1.step }[measured.count / 2]
    note("item 5: as-of step: the last \(step.stepEvents) events folded on from an earlier replay in "
        + String(format: "%.2f s (%.0f events/s); a replay from the start folds all %d in %.2f s", step.step,
                 Double(step.stepEvents) / step.step, step.events, median(measured.map(\.fold))))
    let worst = measured.max { $0.peak < $1.peak }!
    note("item 5: rebuild memory (worst of \(runs) child processes): peak RSS \(mib(worst.peak)) (VmHWM, reset at the start), "
        + "of which anonymous ≤ \(mib(worst.peakAnonymous)) and file-backed (the mapped log and views) ≤ \(mib(worst.peakFile)); "
        + "before the rebuild \(mib(worst.residentBefore)) resident, \(mib(worst.anonymousBefore)) anonymous; "
        + "log \(bytes / 1_048_576) MiB of events; \(worst.records) records")

    // Lag: the program goes on; one writer appends its next commands at a steady rate, one
    // command per durable commit, while follow() keeps the views live.
    let views = try ProjectionStore.open(store: path, log: log)
    try views.catchUp()
    let lags = LagRecorder(start: views.position)
    let follower = Task { try await views.follow(pollInterval: 5) { position in lags.applied(position) } }
    try await Task.sleep(nanoseconds: 100_000_000)
    var commits: [Double] = []
    let interval = 1 / lagRate
    let started = now()
    var n = 0
    while n < lagAppends, let appends = try feed.next() {
        let due = started + Double(n) * interval
        let wait = due - now()
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        let t = now()
        let results = try await log.append(appends)
        let acked = now()
        commits.append(acked - t)
        lags.appended(results.flatMap(\.positions).max()!, at: acked)
        n += 1
    }
    let elapsed = now() - started
    let head = try log.currentHead().treeSize
    var waited = 0
    while views.position < head && waited < 1000 {
        try await Task.sleep(nanoseconds: 10_000_000)
        waited += 1
    }
    follower.cancel()
    _ = await follower.result
    let lag = lags.sorted()
    let commit = commits.sorted()
    func pct(_ s: [Double], _ p: Double) -> Double { s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count) * p))] * 1000 }
    note(String(format: "item 5: projection lag, %d commands appended at %.0f/s (%.0f/s achieved), one durable commit each, follow() live: "
                + "p50 %.2f ms, p99 %.2f ms, max %.2f ms (commit acknowledged → views at that position, flushed); "
                + "baseline: the same appends' commit latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d not yet applied",
                n, lagRate, Double(n) / elapsed, pct(lag, 0.5), pct(lag, 0.99), lag.last.map { $0 * 1000 } ?? 0,
                pct(commit, 0.5), pct(commit, 0.99), commit.last.map { $0 * 1000 } ?? 0, lags.pendingCount))
}

/// Times from each append's acknowledgement to the views reaching its position.
final class LagRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [(last: UInt64, at: Double)] = []
    private var lags: [Double] = []
    /// The views' position (events applied) as last reported.
    private var applied: UInt64

    init(start: UInt64) { applied = start }

    /// An append whose last event is at `last` was acknowledged at `at`.
    func appended(_ last: UInt64, at: Double) {
        lock.lock(); defer { lock.unlock() }
        if applied > last {
            lags.append(0)  // the views had it before the writer got its acknowledgement
        } else {
            pending.append((last, at))
        }
    }

    /// The views now reflect `position` events.
    func applied(_ position: UInt64) {
        let t = now()
        lock.lock(); defer { lock.unlock() }
        applied = max(applied, position)
        var i = 0
        while i < pending.count, pending[i].last < position {
            lags.append(max(0, t - pending[i].at))
            i += 1
        }
        pending.removeFirst(i)
    }

    var pendingCount: Int { lock.lock(); defer { lock.unlock() }; return pending.count }

    func sorted() -> [Double] { lock.lock(); defer { lock.unlock() }; return lags.sorted() }
}

extension ImrBench {
    /// The entry point of item 5's child process (`--rebuild-child STORE`).
    static func rebuildChildProcess(store: String) throws { try measureRebuildInChild(store: store) }
}
