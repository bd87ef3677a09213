import CanonicalJSON
import Foundation
import LMDBKit
public import MerkleLog
import Synchronization

/// The append-only event log on LMDB: the first implementation of ``EventLog``.
///
/// A store is a directory; the log lives in its `log/` LMDB environment with the named
/// databases of docs/FORMAT.md (`events`, `streams`, `heads`, `ids`, `merkle`,
/// `checkpoints`, `meta`). Appends from any number of tasks are batched by one writer into
/// one write transaction (group commit); each keeps its own checks and its own result.
///
/// ```swift
/// let log = try LMDBEventLog.create(at: "./imr-data")
/// let stream = try StreamID("consumer-7f3a9c")
/// let r = try await log.append([draft], to: stream, expecting: .noStream)
/// ```
///
/// Several processes may open one store at once (LMDB is multi-process safe); their appends
/// serialise on LMDB's writer lock and extend one chain.
public final class LMDBEventLog: EventLog, @unchecked Sendable {
    /// How to open a store.
    public struct Options: Sendable {
        /// Initial map size of the log environment; it grows on demand.
        public var mapSize: Int
        /// Open read-only (`MDB_RDONLY`): appends fail with `.readOnly`.
        public var readOnly: Bool
        /// The most events one write transaction takes from the group-commit queue.
        public var maxEventsPerCommit: Int
        /// Make a signed checkpoint after this many new events (nil: never by count).
        public var checkpointEveryEvents: UInt64?
        /// Make a signed checkpoint at the first commit this many seconds after the last one (nil: never by time).
        public var checkpointInterval: Double?
        /// The nice value the writer's thread asks for while it commits (nil: it never asks).
        ///
        /// Under load the one writer is the log's bottleneck: each commit waits for its sync,
        /// and on waking it needs a CPU that threads preparing later appends may hold. At a
        /// higher priority it gets one at once (on a 2-core machine, bulk appends ran about 15%
        /// faster at −10; docs/PERFORMANCE.md). Raising a priority needs root, `CAP_SYS_NICE` or
        /// an `RLIMIT_NICE` that allows it; without, the writer runs at its thread's priority
        /// and ``LMDBEventLog/writerStatistics`` counts no ``WriterStatistics/raisedPriority``.
        /// The thread gets its own priority back when the writer has nothing left to commit.
        public var writerNice: Int32?

        /// Defaults: a 1 GiB map that doubles when full, read-write, 20,000 events a commit,
        /// a checkpoint every 10,000 events or 5 minutes, the writer at nice −10 where allowed.
        public init(
            mapSize: Int = 1 << 30, readOnly: Bool = false, maxEventsPerCommit: Int = 20_000,
            checkpointEveryEvents: UInt64? = 10_000, checkpointInterval: Double? = 300, writerNice: Int32? = -10
        ) {
            self.mapSize = mapSize
            self.readOnly = readOnly
            self.maxEventsPerCommit = maxEventsPerCommit
            self.checkpointEveryEvents = checkpointEveryEvents
            self.checkpointInterval = checkpointInterval
            self.writerNice = writerNice
        }
    }

    /// The stored format version this code writes and reads.
    public static let formatVersion = "2"

    /// The store directory.
    public let directory: String
    /// The log's origin: the first line of its checkpoints (C2SP tlog-checkpoint).
    public let origin: String
    /// True when opened read-only.
    public let isReadOnly: Bool

    let env: Environment
    let dbs: LogDatabases
    private let writer: GroupCommitWriter?
    /// The first stage of every append; it feeds ``writer``.
    private let sequencer: AppendSequencer?
    private let broadcaster = CommitBroadcaster()

    /// The log environment's directory inside a store.
    public static func logDirectory(of store: String) -> String { store + "/log" }

    /// The format version and origin a store records, read without opening its log, so that
    /// a store of another format can still be named (and, by the tool that made it, replaced).
    ///
    /// ```swift
    /// let (format, origin) = try LMDBEventLog.formatAndOrigin(at: "./imr-data")
    /// if format != LMDBEventLog.formatVersion { print("made by another version: \(origin)") }
    /// ```
    /// - Throws: `.notAStore` when `path` holds no store or no format record; `.storage` on I/O errors.
    public static func formatAndOrigin(at path: String) throws -> (format: String, origin: String) {
        guard exists(at: path) else {
            throw EventLogError(code: .notAStore, message: "no IMR store found at \(path)")
        }
        var config = Environment.Configuration()
        config.flags.insert(.readOnly)
        let env = try storage { try Environment.shared(path: logDirectory(of: path), configuration: config) }
        return try formatAndOrigin(env: env, store: path)
    }

    /// The format and origin in `meta`; `.notAStore` naming `store` when either is missing.
    private static func formatAndOrigin(env: Environment, store: String) throws -> (format: String, origin: String) {
        let (format, origin) = try storage {
            try env.read { txn in
                let meta = try txn.openDatabase("meta", create: false)
                let format = try txn.get(meta, key: Array("format".utf8)).map { String(decoding: $0, as: UTF8.self) }
                let origin = try txn.get(meta, key: Array("origin".utf8)).map { String(decoding: $0, as: UTF8.self) }
                return (format, origin)
            }
        }
        guard let format, let origin else {
            throw EventLogError(code: .notAStore, message: "the store at \(store) has no format record")
        }
        return (format, origin)
    }

    /// Creates a new store at `path` (a directory, created if missing) and opens it.
    ///
    /// - Parameter origin: the checkpoint origin; defaults to `imr-ledger/<random id>`.
    /// - Throws: `.alreadyExists` when `path` already holds a store; `.storage` on I/O errors.
    public static func create(at path: String, origin: String? = nil, options: Options = .init()) throws
        -> LMDBEventLog
    {
        let logDir = logDirectory(of: path)
        if exists(at: path) {
            throw EventLogError(code: .alreadyExists, message: "a store already exists at \(path)")
        }
        // The origin is checked before anything is made, so a refused init leaves nothing behind.
        let origin = origin ?? "imr-ledger/" + UUID().uuidString.lowercased()
        if let rule = Validation.printableASCII(origin, max: 128, what: "origin") {
            throw EventLogError.invalid(field: "origin", rule: rule)
        }
        if origin.contains("+") { throw EventLogError.invalid(field: "origin", rule: "origin may not contain +") }
        if let failure = makeDirectories(logDir, mode: 0o700) {
            throw EventLogError(code: .storage, message: "cannot create the store directory \(path): \(String(cString: strerror(failure)))")
        }
        let signer = try makeSignerKey(store: path, origin: origin)
        let env = try storage { try Environment.shared(path: logDir, configuration: .init(mapSize: options.mapSize)) }
        try storage {
            try env.write { txn in
                let dbs = try LogDatabases(txn: txn, create: true)
                try txn.put(dbs.meta, key: Array("format".utf8), value: Array(formatVersion.utf8))
                try txn.put(dbs.meta, key: Array("origin".utf8), value: Array(origin.utf8))
                try txn.put(dbs.meta, key: Array("verifierkey".utf8), value: Array(signer.verifierKey.utf8))
                try txn.put(
                    dbs.meta, key: Array("createdat".utf8),
                    value: Array(RecordedAtClock.format(micros: RecordedAtClock.nowMicros()).utf8))
            }
        }
        return try LMDBEventLog(directory: path, env: env, options: options)
    }

    /// Whether `path` holds a store's log environment (of any format version): what ``open(at:options:)``
    /// looks for first.
    ///
    /// ```swift
    /// if !LMDBEventLog.exists(at: path) { print("no store at \(path)") }
    /// ```
    public static func exists(at path: String) -> Bool {
        FileManager.default.fileExists(atPath: logDirectory(of: path) + "/data.mdb")
    }

    /// Opens an existing store.
    ///
    /// The message of a missing store names the path only: what to do about it is the caller's
    /// to say (a tool that makes stores may suggest making one; an auditor's must not).
    /// - Throws: `.notAStore` when `path` holds no store or one of another format version.
    public static func open(at path: String, options: Options = .init()) throws -> LMDBEventLog {
        let logDir = logDirectory(of: path)
        guard exists(at: path) else {
            throw EventLogError(code: .notAStore, message: "no IMR store found at \(path)")
        }
        var config = Environment.Configuration(mapSize: options.mapSize)
        if options.readOnly { config.flags.insert(.readOnly) }
        let env = try storage { try Environment.shared(path: logDir, configuration: config) }
        return try LMDBEventLog(directory: path, env: env, options: options)
    }

    private init(directory: String, env: Environment, options: Options) throws {
        self.directory = directory
        self.env = env
        self.isReadOnly = options.readOnly || env.isReadOnly
        // The format first: another format may not have this format's databases.
        let (format, origin) = try Self.formatAndOrigin(env: env, store: directory)
        guard format == Self.formatVersion else {
            throw EventLogError(
                code: .notAStore,
                message: "the store at \(directory) has format \(format); this build reads format \(Self.formatVersion)")
        }
        let dbs = try storage { try env.read { txn in try LogDatabases(txn: txn, create: false) } }
        self.dbs = dbs
        self.origin = origin
        let writer = isReadOnly ? nil : GroupCommitWriter(env: env, dbs: dbs, maxEventsPerCommit: options.maxEventsPerCommit, nice: options.writerNice)
        self.writer = writer
        self.sequencer = writer.map { AppendSequencer(env: env, dbs: dbs, writer: $0) }
        let auto: AutoCheckpointer? =
            if isReadOnly || (options.checkpointEveryEvents == nil && options.checkpointInterval == nil) {
                nil
            } else {
                AutoCheckpointer(every: options.checkpointEveryEvents, interval: options.checkpointInterval)
            }
        self.writer?.onCommit = { [broadcaster, weak self] size in
            if let self, let auto { auto.consider(size: size, log: self) }
            broadcaster.publish(size)
        }
    }

    deinit { broadcaster.finish() }

    // MARK: EventLog

    public func append(_ appends: [StreamAppend]) async throws -> [AppendResult] {
        guard let sequencer else {
            throw EventLogError(code: .readOnly, message: "the log was opened read-only")
        }
        let (parts, events) = try Self.prepare(appends)
        let outcomes = try await withCheckedThrowingContinuation { continuation in
            sequencer.submit(PendingAppend(appends: parts, events: events, continuation: continuation))
        }
        // The results are made, and the prepared events freed, here on the caller's thread: the
        // writer lets go of them before it resumes this task (see GroupCommitWriter.commit).
        return zip(parts, outcomes).map { part, outcome in outcome.expanded(stream: part.stream) }
    }

    /// Validates and renders every draft; rejects empty, oversized and self-duplicating appends.
    ///
    /// Every event is checked in order, so the error reported is always the first one.
    static func prepare(_ appends: [StreamAppend]) throws(EventLogError) -> (parts: [PreparedAppend], events: PreparedEvents) {
        let total = appends.reduce(0) { $0 + $1.events.count }
        if total == 0 { throw EventLogError.invalid(field: "events", rule: "an append needs at least one event") }
        if total > EventLimits.maxEventsPerAppend {
            throw EventLogError.invalid(field: "events", rule: "an append takes at most \(EventLimits.maxEventsPerAppend) events")
        }
        let indexed = total > 1
        var builder = PreparedEvents.Builder(events: total)
        var parts: [PreparedAppend] = []
        parts.reserveCapacity(appends.count)
        var failure: EventLogError?
        var i = 0
        // By index, not `for … in`: an iterator hands out copies, and copying a draft retains
        // each of its strings and its data.
        render: for p in appends.indices {
            let first = i
            let stream = appends[p].stream
            let drafts = appends[p].events
            for d in drafts.indices {
                do {
                    try builder.add(drafts[d], stream: stream, index: indexed ? i : nil)
                } catch {
                    failure = error
                    break render
                }
                i += 1
            }
            parts.append(PreparedAppend(stream: stream, expected: appends[p].expected, events: first..<i))
        }
        let events = builder.finish()
        // A repeated id before the first invalid event is the first error.
        if indexed, let repeated = events.firstRepeatedID(among: i) {
            throw EventLogError.invalid(field: "id", rule: "an event id appears twice in one append", eventIndex: repeated)
        }
        if let failure { throw failure }
        return (parts, events)
    }

    public func read(from position: LogIndex, limit: Int) async throws -> [StoredEvent] {
        try readEvents(from: position, limit: limit)
    }

    /// Synchronous ``read(from:limit:)``.
    public func readEvents(from position: LogIndex, limit: Int) throws -> [StoredEvent] {
        var out: [StoredEvent] = []
        try forEachRaw(from: position, limit: limit) { pos, bytes in
            out.append(try StoredEvent(bytes: Array(bytes), expectedPosition: pos))
            return true
        }
        return out
    }

    /// Calls `body` with each stored event's position and bytes from `position`, at most
    /// `limit` of them, in one read transaction. Return false to stop.
    /// - Important: `bytes` point into the map and are valid only during the call.
    public func forEachRaw(
        from position: LogIndex, limit: Int = .max, _ body: (LogIndex, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        guard limit > 0 else { return }
        try storage {
            try env.read { txn in
                try txn.withCursor(dbs.events) { cursor in
                    var more = try cursor.seek(atOrAfter: position)
                    var count = 0
                    while more && count < limit {
                        let keep = try cursor.withCurrent { k, v -> Bool in
                            guard let pos = UInt64(bigEndianBytes: k) else {
                                throw EventLogError.corrupt(nil, "an events key is not 8 bytes")
                            }
                            return try body(pos, v)
                        }
                        if !keep { break }
                        count += 1
                        more = try cursor.next()
                    }
                }
            }
        }
    }

    /// The stored bytes of up to `limit` events from `position`, copied.
    public func readRaw(from position: LogIndex, limit: Int) throws -> [(position: LogIndex, bytes: [UInt8])] {
        var out: [(LogIndex, [UInt8])] = []
        try forEachRaw(from: position, limit: limit) { pos, bytes in
            out.append((pos, Array(bytes)))
            return true
        }
        return out
    }

    public func readStream(_ stream: StreamID, from version: StreamVersion, limit: Int) async throws -> [StoredEvent] {
        try readStreamEvents(stream, from: version, limit: limit)
    }

    /// Synchronous ``readStream(_:from:limit:)``.
    ///
    /// Finds the last wanted version from the stream's head through the jump pointers of
    /// ``StreamLink`` (O(log n) reads), then walks back to `version`.
    public func readStreamEvents(_ stream: StreamID, from version: StreamVersion, limit: Int) throws -> [StoredEvent] {
        guard limit > 0 else { return [] }
        let first = max(version, 1)
        return try storage {
            try env.read { txn in
                guard let head = try StreamHead.read(stream, txn: txn, dbs: dbs), head.version >= first else { return [] }
                let top = min(head.version, first + UInt64(limit) - 1)
                var (position, link) = try StreamLink.find(version: top, fromHead: head.position, txn: txn, dbs: dbs)
                var positions: [LogIndex] = [position]
                while link.version > first {
                    position = link.previous
                    guard position != StreamLink.none else { throw EventLogError.corrupt(nil, "a stream link chain ends early") }
                    link = try StreamLink.read(position, txn: txn, dbs: dbs)
                    positions.append(position)
                }
                return try positions.reversed().map { pos in
                    guard let bytes = try txn.get(dbs.events, key: pos) else {
                        throw EventLogError.corrupt(pos, "a stream link points at a missing event")
                    }
                    return try StoredEvent(bytes: bytes, expectedPosition: pos)
                }
            }
        }
    }

    public func version(of stream: StreamID) async throws -> StreamVersion {
        try streamVersion(of: stream)
    }

    /// Synchronous ``version(of:)``.
    public func streamVersion(of stream: StreamID) throws -> StreamVersion {
        try storage {
            try env.read { txn in
                try StreamHead.read(stream, txn: txn, dbs: dbs)?.version ?? 0
            }
        }
    }

    public func head() async throws -> LogHead { try currentHead() }

    /// Synchronous ``head()``.
    public func currentHead() throws -> LogHead {
        try storage {
            try env.read { txn in
                let state = try WriterState.load(txn: txn, dbs: dbs)
                return LogHead(treeSize: state.size, lastLeafHash: state.lastLeaf, rootHash: state.range.rootHash())
            }
        }
    }

    public func commits() -> AsyncStream<UInt64> { broadcaster.subscribe() }

    /// The number of stored events: one cursor read, no decoding and no hashing (use
    /// ``currentHead()`` for the hashes).
    public func size() throws -> UInt64 {
        try storage { try env.read { txn in try WriterState.size(txn: txn, dbs: dbs) } }
    }

    /// How many commits, appends and events this instance's writer has handled: appends per
    /// commit shows how well group commit batches concurrent appenders.
    public var writerStatistics: WriterStatistics { writer?.statistics.withLock { $0 } ?? WriterStatistics() }

    /// The nice value the writer's thread asks for while it commits (``Options/writerNice``);
    /// nil when the log has no writer or never asks.
    public var writerNice: Int32? { writer?.nice }

    /// Whether the writer's thread can run at ``Options/writerNice``: nil when the log has no
    /// writer or the option is nil, false when this process may not raise a thread's priority
    /// that far (it needs root, `CAP_SYS_NICE`, or an `RLIMIT_NICE` of at least 20 − nice).
    ///
    /// Found by raising the calling thread for a moment and giving it its own value back. A
    /// server calls it at start, so that an operator learns the writer runs at the default
    /// priority (about 15% slower under bulk load on a 2-core machine; docs/PERFORMANCE.md).
    public func writerPriorityAvailable() -> Bool? {
        guard let nice = writerNice else { return nil }
        if nice >= ThreadPriority.current { return true }
        guard let before = ThreadPriority.raise(to: nice) else { return false }
        ThreadPriority.restore(before)
        return true
    }

    /// What an operator should hear at a server's start: that the writer may not raise its
    /// thread to ``Options/writerNice`` (``writerPriorityAvailable()``), so appends commit at
    /// the default priority.
    public func operatorWarnings() -> [String] {
        guard writerPriorityAvailable() == false, let nice = writerNice else { return [] }
        return [
            "the writer may not raise its thread to nice \(nice): this process lacks CAP_SYS_NICE and an RLIMIT_NICE of at least \(20 - nice), so appends commit at the default priority (about 15% slower under bulk load; README, Benchmarks)"
        ]
    }

    /// The hash of a complete Merkle subtree node, as stored at append time.
    /// - Throws: `.corruption` when the node is missing (the tree is not that large, or damaged).
    public func merkleNode(_ node: NodeID) throws -> Hash {
        try storage {
            try env.read { txn in try WriterState.node(node, txn: txn, dbs: dbs) }
        }
    }
}

/// Creates `path` and any missing parents (new ones with `mode`), like `mkdir -p`; the
/// `errno` of the first failure, or `nil`. A file in the way is `ENOTDIR`.
public func makeDirectories(_ path: String, mode: mode_t) -> Int32? {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") where !component.isEmpty {
        prefix += "/" + component
        if mkdir(prefix, mode) == 0 { continue }
        let failure = errno
        guard failure == EEXIST else { return failure }
        var info = stat()
        guard stat(prefix, &info) == 0 else { return errno }
        if info.st_mode & S_IFMT != S_IFDIR { return ENOTDIR }
    }
    return nil
}

/// Runs `body`, wrapping LMDB failures as `.storage` (or `.corruption`) errors.
func storage<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as LMDBError {
        let code: EventLogError.Code = error.isCorruption ? .corruption : .storage
        throw EventLogError(code: code, message: "the store failed: \(error.description)", cause: error)
    }
}

extension LMDBEventLog {
    /// Re-reads every event and checks the chain (``ChainVerifier``), then compares the stored
    /// Merkle leaves and root with the ones recomputed from the bytes.
    ///
    /// - Parameters:
    ///   - strict: also decode each event and check canonical form (see ``ChainVerifier/strict``).
    ///   - rootsAt: tree sizes at which to keep the recomputed root (``ChainVerifier/roots``),
    ///     for comparing checkpoints in the same pass.
    ///   - previous: a verifier this log's events were checked with before: only the events
    ///     after its ``ChainVerifier/count`` are read (and the Merkle nodes they complete), and
    ///     its violations are kept. Events it covered are not read again.
    ///   - progress: called every 65,536 events with the count checked so far.
    /// - Returns: the verifier, holding its violations and the recomputed root.
    public func verifyChain(strict: Bool = true, rootsAt: Set<UInt64> = [], continuing previous: ChainVerifier? = nil,
                            progress: ((UInt64) -> Void)? = nil) throws -> ChainVerifier
    {
        var verifier = previous ?? ChainVerifier()
        verifier.strict = strict
        verifier.rootsWanted = rootsAt
        let start = verifier.count
        var merkleViolations: [IntegrityViolation] = []
        // Two stages on two cores: a reader thread walks `events` and hashes each event once
        // (copying the bytes out); this thread reads the chain attributes, folds the results into the chain and
        // the tree and compares stored Merkle nodes. Each stage has its own read transaction,
        // begun after the log's size was read: the check covers the events before that size,
        // which both transactions hold whatever is appended meanwhile.
        let end = try size()
        let channel = ChunkHandOff<ScanChunk>(capacity: 8)
        let reader = Thread { [env, dbs] in
            do {
                try env.read { txn in
                    try txn.withCursor(dbs.events) { cursor in
                        var chunk = ScanChunk()
                        var more = start == 0 ? try cursor.first() : try cursor.seek(atOrAfter: start)
                        while more {
                            let appendedSince = cursor.withCurrent { k, value -> Bool in
                                let position = UInt64(bigEndianBytes: k)
                                if let position, position >= end { return true }
                                // A damaged page may claim a value of any length: past the
                                // format's limit it is not read, and fails the checks as empty.
                                let v = value.count <= EventLimits.maxEventBytes ? value : UnsafeRawBufferPointer(start: nil, count: 0)
                                if value.count > EventLimits.maxEventBytes { chunk.oversized.append((position ?? UInt64.max, value.count)) }
                                chunk.events.append((position ?? UInt64.max, RFC6962.leafHash(v)))
                                chunk.storage.append(contentsOf: v)
                                chunk.ends.append(chunk.storage.count)
                                return false
                            }
                            if appendedSince { break }
                            if chunk.events.count == ScanChunk.size {
                                guard channel.send(.chunk(chunk)) else { return }
                                chunk = ScanChunk()
                            }
                            more = try cursor.next()
                        }
                        if channel.send(.chunk(chunk)) { channel.send(.end) }
                    }
                }
            } catch {
                channel.send(.failure(error))
            }
        }
        reader.start()
        defer { channel.cancel() }
        try storage {
            try env.read { txn in
                // Stored Merkle nodes are keyed in post-order, the order in which appending the
                // leaves completes them, so a cursor walks them in step with the events.
                try txn.withCursor(dbs.merkle) { nodes in
                    // The first node leaf `start` completes is the leaf itself.
                    var nodesLeft =
                        start == 0 ? try nodes.first() : try nodes.seek(atOrAfter: NodeID(level: 0, index: start).postOrderKey)
                    receiving: while true {
                        switch channel.receive() {
                        case .end: break receiving
                        case .failure(let error): throw error
                        case .chunk(let chunk):
                            for big in chunk.oversized where merkleViolations.count < 100 {
                                merkleViolations.append(
                                    .init(position: big.position, kind: .oversized,
                                          expected: "at most \(EventLimits.maxEventBytes) bytes", found: "\(big.size) bytes (not read; hashed as empty)"))
                            }
                            for (i, event) in chunk.events.enumerated() {
                                let leafIndex = verifier.count
                                func visit(_ node: NodeID, _ hash: Hash) {
                                    guard merkleViolations.count < 100 else { return }
                                    let stored: Hash? =
                                        nodesLeft
                                        ? nodes.withCurrent { nk, nv in
                                            UInt64(bigEndianBytes: nk) == node.postOrderKey ? Hash(bytes: nv) : nil
                                        } : nil
                                    if stored != hash {
                                        merkleViolations.append(
                                            .init(
                                                position: leafIndex, kind: .merkleMismatch,
                                                expected: "node \(node.level)/\(node.index) \(hash.hex)",
                                                found: stored?.hex ?? "missing or out of place"))
                                    }
                                    nodesLeft = (try? nodes.next()) ?? false
                                }
                                let from = i == 0 ? 0 : chunk.ends[i - 1]
                                chunk.storage.withUnsafeBytes { all in
                                    let bytes = UnsafeRawBufferPointer(rebasing: all[from..<chunk.ends[i]])
                                    let scanned = ScannedEvent(
                                        position: event.position, leaf: event.leaf,
                                        attributes: strict ? nil : FastAttributes.scan(bytes))
                                    verifier.apply(scanned, bytes: bytes, visit: visit)
                                }
                                if verifier.count & 0xFFFF == 0 { progress?(verifier.count) }
                            }
                        }
                    }
                }
                // A tree of n leaves holds 2n − popcount(n) nodes, keyed 0 … in post-order: a key
                // at or past that count belongs to an event no longer stored. Both counts are
                // read in this one transaction, so appends during the pass are not mistaken.
                let storedEvents = try WriterState.size(txn: txn, dbs: dbs)
                let nodeCount = 2 * storedEvents - UInt64(storedEvents.nonzeroBitCount)
                let lastKey = try txn.withCursor(dbs.merkle) { c in try c.last() ? c.withCurrent { k, _ in UInt64(bigEndianBytes: k) } : nil }
                if let lastKey, lastKey >= nodeCount {
                    merkleViolations.append(
                        .init(position: storedEvents, kind: .truncated,
                              expected: "no stored Merkle node past the last event (\(storedEvents) events, \(nodeCount) nodes)",
                              found: "a stored node with key \(lastKey): events were removed from the end"))
                }
                if verifier.count > 0, merkleViolations.isEmpty {
                    // The root from the stored perfect-subtree nodes, as proofs will use it, at
                    // the size checked (this transaction may see later appends than the reader's).
                    let stored = try? WriterState.storedRange(size: verifier.count, txn: txn, dbs: dbs).rootHash()
                    if stored != verifier.rootHash {
                        merkleViolations.append(
                            .init(position: nil, kind: .rootMismatch, expected: verifier.rootHash.hex, found: stored?.hex ?? "unreadable stored tree"))
                    }
                }
            }
        }
        for v in merkleViolations { verifier.report(v) }
        return verifier
    }
}
