import DequeModule
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import LMDBKit
import MerkleLog
import Synchronization

/// The events of one stream within an append: which of the append's ``PreparedEvents`` they are.
struct PreparedAppend: Sendable {
    let stream: StreamID
    let expected: ExpectedVersion
    /// Indexes into the append's ``PreparedEvents``; the parts follow one another.
    let events: Range<Int>
}

/// An append part's positions and versions: what the writer hands back for each part, and
/// what ``AppendResult`` keeps.
///
/// Compact on purpose: a new append's events take consecutive positions and versions, so the
/// writer allocates one array per append, not two per part, and the run is expanded into
/// arrays only when a caller asks (``AppendResult/positions``).
enum PartOutcome: Sendable {
    /// `count` events from position `first`, the first at stream version `firstVersion`: a new
    /// append's events.
    case run(first: LogIndex, firstVersion: StreamVersion, count: Int)
    /// Positions and versions listed one by one: from the writer, events already stored with
    /// the same content (a safe retry).
    case listed(positions: [LogIndex], versions: [StreamVersion])

    /// The caller's result for `stream`; a listed outcome from the writer is a safe retry.
    func expanded(stream: StreamID) -> AppendResult {
        let listed = if case .listed = self { true } else { false }
        return AppendResult(stream: stream, outcome: self, wasDuplicate: listed)
    }
}

/// One caller's append waiting for the writer.
struct PendingAppend: Sendable {
    let appends: [PreparedAppend]
    /// Every event of ``appends``, in order.
    let events: PreparedEvents
    let continuation: CheckedContinuation<[PartOutcome], any Error>
    let eventCount: Int
    /// Whether two parts name the same stream. Found by the caller, so the writer keeps a
    /// running version per stream only for the appends that need one.
    let repeatsStream: Bool
    /// The sequencer's work for this append (``AppendSequencer``); nil when it could not read
    /// the store, and the writer does it all.
    private(set) var sequenced: SequencedAppend?

    /// This append with the sequencer's work.
    func with(_ sequenced: SequencedAppend?) -> PendingAppend {
        var copy = self
        copy.sequenced = sequenced
        return copy
    }

    init(appends: [PreparedAppend], events: PreparedEvents, continuation: CheckedContinuation<[PartOutcome], any Error>) {
        self.appends = appends
        self.events = events
        self.continuation = continuation
        self.eventCount = events.count
        if appends.count > 1 {
            var seen = Set<StreamID>(minimumCapacity: appends.count)
            self.repeatsStream = appends.contains { !seen.insert($0.stream).inserted }
        } else {
            self.repeatsStream = false
        }
    }
}

/// The single writer: drains every waiting append into one write transaction (group commit).
///
/// Each append keeps its own idempotency and expected-version checks, evaluated against the
/// log as it stands after the appends before it in the same transaction. A refused append
/// writes nothing and does not disturb the others; a failed commit fails them all, and none
/// was acknowledged.
final class GroupCommitWriter: @unchecked Sendable {
    private let env: Environment
    private let dbs: LogDatabases
    private let maxEventsPerCommit: Int
    /// The nice value the draining thread asks for (``LMDBEventLog/Options/writerNice``).
    let nice: Int32?
    private let queue = DispatchQueue(label: "org.imr.eventlog.writer", qos: .userInitiated)
    private let pending = Mutex<(items: Deque<PendingAppend>, scheduled: Bool)>(([], false))
    /// Touched only on `queue`.
    private var cached: WriterState?
    /// The last event of recently written streams (position and link), as committed in the
    /// state ``cached`` describes; touched only on `queue`, emptied whenever ``cached`` is.
    /// It spares the writer the `streams` and `heads` reads and the link read of the stream's
    /// last event.
    private var tails: [StreamID: TailBox] = [:]
    /// ``tails`` is emptied when it grows past this many streams.
    static let maxCachedTails = 1 << 17
    /// Called on the writer queue after each commit that added events, with the new size.
    var onCommit: (@Sendable (UInt64) -> Void)?
    /// Called on the writer queue when the last append handed over by the sequencer is done.
    var onIdle: (@Sendable () -> Void)?
    /// Shared with the ``AppendSequencer`` that feeds this writer.
    let coordination = Mutex(SequencerCoordination())
    /// Set when sequenced appends were written since ``tails`` was last emptied: the writer
    /// does not keep ``tails`` on that path, so its entries may be out of date.
    private var tailsStale = false

    init(env: Environment, dbs: LogDatabases, maxEventsPerCommit: Int, nice: Int32? = nil) {
        self.env = env
        self.dbs = dbs
        self.maxEventsPerCommit = max(1, maxEventsPerCommit)
        self.nice = nice
    }

    func submit(_ item: PendingAppend) {
        let schedule = pending.withLock { p in
            p.items.append(item)
            if p.scheduled { return false }
            p.scheduled = true
            return true
        }
        if schedule { queue.async { self.drain() } }
    }

    private func drain() {
        // The queue's thread is lent by Dispatch: it gets its own priority back when done.
        let before = nice.flatMap { ThreadPriority.raise(to: $0) }
        if before != nil { statistics.withLock { $0.raisedPriority += 1 } }
        defer {
            if let before {
                ThreadPriority.restore(before)
                statistics.withLock { $0.restoredPriority += 1 }
            }
        }
        while true {
            gather()
            let batch: [PendingAppend] = pending.withLock { p in
                if p.items.isEmpty {
                    p.scheduled = false
                    return []
                }
                var taken = 0
                var events = 0
                while taken < p.items.count {
                    let n = p.items[taken].eventCount
                    if taken > 0 && events + n > maxEventsPerCommit { break }
                    events += n
                    taken += 1
                }
                let batch = Array(p.items.prefix(taken))
                p.items.removeFirst(taken)
                return batch
            }
            if batch.isEmpty { return }
            lastBatchAppends = batch.count
            statistics.withLock { st in
                st.commits += 1
                st.appends += batch.count
                st.events += batch.reduce(0) { $0 + $1.eventCount }
            }
            commit(batch)
        }
    }

    /// Commits, appends and events written so far.
    let statistics = Mutex(WriterStatistics())

    /// Appends in the last commit; touched only on `queue`.
    private var lastBatchAppends = 0

    /// Waits a little for more appenders when the last commit served many and few are waiting.
    ///
    /// Appenders resumed by a commit come back one by one; committing the first few alone
    /// would cost one fsync each (a convoy). With many concurrent appenders, a wait of at most
    /// ``maxGatherMicros`` lets them rejoin one commit. A lone appender never waits: the wait
    /// happens only when the previous commit took at least four appends.
    private func gather() {
        let target = lastBatchAppends
        guard target >= 4 else { return }
        let deadline = RecordedAtClock.nowMicros() + Self.maxGatherMicros
        while RecordedAtClock.nowMicros() < deadline {
            let waiting = pending.withLock { $0.items.count }
            if waiting * 4 >= target * 3 { return }
            usleep(20)
        }
    }

    /// The longest a commit waits for appenders to rejoin (see ``gather()``).
    static let maxGatherMicros: Int64 = 400

    private func commit(_ batch: consuming [PendingAppend]) {
        var applied = Applied()
        var newState: WriterState?
        var attempts = 0
        do {
            try env.write { txn in
                // `write` runs the body again after growing a full map: start from the store.
                attempts += 1
                if attempts > 1 { forget() }
                var state = try currentState(txn)
                applied = try apply(batch, txn: txn, state: &state)
                newState = state
            }
        } catch {
            forget()
            let failure: any Error
            if let lmdb = error as? LMDBError {
                failure = EventLogError(
                    code: lmdb.isCorruption ? .corruption : .storage,
                    message: "the append was not stored: \(lmdb.description)", cause: lmdb)
            } else {
                failure = error
            }
            let continuations = batch.map(\.continuation)
            _ = consume batch
            finished(continuations.count, diverged: true, size: nil)
            for c in continuations { c.resume(throwing: failure) }
            return
        }
        let before = cached?.size
        cached = newState
        if tails.count > Self.maxCachedTails { tails.removeAll() }
        // The writer lets go of the prepared events before it resumes their callers, so the
        // caller (which holds them until then) frees them on its own thread: frees of memory
        // from the callers' malloc arenas took about 30% of the writer's time.
        let continuations = batch.map(\.continuation)
        _ = consume batch
        statistics.withLock { $0.sequenced += applied.sequenced }
        finished(continuations.count, diverged: applied.diverged, size: newState?.size)
        for (continuation, outcome) in zip(continuations, applied.outcomes) {
            switch outcome {
            case .success(let results): continuation.resume(returning: results)
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
        if let size = newState?.size, size != before { onCommit?(size) }
    }

    /// Drops what the writer remembers of the log; the next transaction reads it from the store.
    private func forget() {
        cached = nil
        tails.removeAll()
        tailsStale = false
    }

    /// Tells the sequencer that `count` of its appends are done: whether its picture of the log
    /// went wrong, and the size now committed (nil after a failed commit).
    private func finished(_ count: Int, diverged: Bool, size: UInt64?) {
        let idle = coordination.withLock { c in
            c.outstanding -= count
            if diverged { c.rebaseWanted = true }
            if let size { c.committedSize = size }
            return c.outstanding == 0
        }
        if idle { onIdle?() }
    }

    /// Writes an append the sequencer prepared against this very log: ids, then the stored
    /// bytes, links and Merkle nodes, then heads. Returns nil, having written nothing, when one
    /// of its ids is already stored (the sequencer cannot know that; the writer decides).
    private func writeSequenced(_ item: PendingAppend, _ seq: SequencedAppend, txn: borrowing Transaction, state: inout WriterState)
        throws -> [PartOutcome]?
    {
        guard let results = seq.outcomes else { return nil }
        let events = item.events
        // Through one cursor: ids made close together sort close together, and a key on the
        // cursor's page spares LMDB the search from the root.
        let inserted = try txn.withCursor(dbs.ids) { ids in
            var inserted = 0
            while inserted < events.count {
                let value = IDRecord(position: seq.startSize + UInt64(inserted), version: seq.links[inserted].version)
                let present = try events.withIDKey(inserted) { k in
                    try value.withBytes { v in
                        // Ids made in order (the store's own ascend) go in at the end, on full pages.
                        try ids.append(key: k, value: v) ? nil : try ids.insert(key: k, value: v) { _ in true }
                    }
                }
                if present != nil { break }
                inserted += 1
            }
            return inserted
        }
        if inserted < events.count {
            for i in 0..<inserted {
                guard try events.withIDKey(i, { k in try txn.delete(dbs.ids, key: k) }) else {
                    throw EventLogError.corrupt(nil, "an id inserted in this transaction is gone")
                }
            }
            return nil
        }
        try txn.withCursor(dbs.events) { events in
            try txn.withCursor(dbs.links) { links in
                try seq.bytes.withUnsafeBytes { all in
                    var from = 0
                    for i in seq.ends.indices {
                        let position = seq.startSize + UInt64(i)
                        try events.put(key: position, value: UnsafeRawBufferPointer(rebasing: all[from..<seq.ends[i]]), flags: .append)
                        from = seq.ends[i]
                        try seq.links[i].withBytes { l in try links.put(key: position, value: l, flags: .append) }
                    }
                }
            }
        }
        try txn.withCursor(dbs.merkle) { merkle in
            for node in seq.nodes {
                try node.hash.withUnsafeBytes { h in try merkle.put(key: node.key, value: h, flags: .append) }
            }
        }
        // Heads through one cursor too: streams appended together mostly have neighbouring keys.
        try txn.withCursor(dbs.heads) { heads in
            for h in seq.heads {
                if let stream = h.newStream { try StreamHead.writeStreamKey(stream, h.key, txn: txn, dbs: dbs) }
                try h.head.withBytes { v in
                    if try !heads.replaceNext(key: h.key, value: v) { try heads.put(key: h.key, value: v) }
                }
            }
        }
        state = seq.end
        return results
    }

    /// The cached state when it still describes the log, else a fresh load (another process
    /// may have appended, or a previous transaction failed).
    private func currentState(_ txn: borrowing Transaction) throws -> WriterState {
        let size = try WriterState.size(txn: txn, dbs: dbs)
        if let cached, cached.size == size { return cached }
        forget()
        return try WriterState.load(txn: txn, dbs: dbs)
    }

    /// Applies each pending append in order inside one write transaction.
    ///
    /// A write transaction reads its own writes, and ``tails`` is updated as events are
    /// written, so each append sees the ids and heads of the appends before it.
    private func apply(_ batch: [PendingAppend], txn: borrowing Transaction, state: inout WriterState) throws -> Applied {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        let now = RecordedAtClock.nowMicros()
        var applied = Applied()
        applied.outcomes.reserveCapacity(batch.count)

        /// The stream's last event: from ``tails``, else from `streams`, `heads` and `links`
        /// (remembered then).
        func tail(_ stream: StreamID) throws -> TailBox? {
            if let box = tails[stream] { return box }
            let box = try TailBox.stored(stream, txn: txn, dbs: dbs) { try StreamLink.read($0, txn: txn, dbs: dbs) }
            tails[stream] = box
            return box
        }

        for item in batch {
            if let seq = item.sequenced, seq.startSize == state.size, seq.startLeaf == state.lastLeaf,
                let results = try writeSequenced(item, seq, txn: txn, state: &state)
            {
                tailsStale = true
                applied.sequenced += 1
                applied.outcomes.append(.success(results))
                continue
            }
            // The writer decides this append itself: the sequencer refused it (the writer checks
            // ids first), could not read the store, expected another log, or an id is stored.
            if tailsStale {
                tails.removeAll()
                tailsStale = false
            }
            // Recorded-at never decreases: sequenced appends before this one carry the
            // sequencer's clock, which may be ahead of `now`.
            let recordedAtMicros = max(now, state.lastRecordedAt)
            let recordedAt = RecordedAtClock.format(micros: recordedAtMicros)
            // The parts and their events are read in place (no copies, no reference counting
            // per event): this loop runs once per event of every append.
            let events = item.events
            let outcome = try item.appends.withUnsafeBufferPointer { parts throws -> Result<[PartOutcome], EventLogError> in
                // 1. Expected versions, in order, each against the log as it stands before it. A
                //    mismatch is reported only after the idempotency check (a retry wins).
                let (startVersions, startTails, failure) = try StartingPoints.find(
                    parts, repeatsStream: item.repeatsStream, eventCount: item.eventCount, logSize: state.size, tail: tail)

                // 2. Idempotency: each id is inserted with the position and version it gets if the
                //    append goes through (one B-tree search); an id already present hands back its
                //    record instead. All present with the same content is a safe retry.
                // The events whose id was already present (rare), by index in the append: every
                // other id was inserted here and is taken back if the append does not go through.
                var stored: [(index: Int, record: IDRecord)] = []
                var conflict: EventLogError?
                for i in parts.indices {
                    var version = startVersions[i]
                    // The parts follow one another: an event's index is its place in the append.
                    for index in parts[i].events {
                        version += 1
                        let value = IDRecord(position: state.size + UInt64(index), version: version)
                        let record = try events.withIDKey(index) { k in
                            try value.withBytes { v in
                                try txn.insert(dbs.ids, key: k, value: v) { old in
                                    guard let r = IDRecord(bytes: old) else {
                                        throw EventLogError.corrupt(nil, "an id index record is damaged")
                                    }
                                    return r
                                }
                            }
                        }
                        if let record {
                            guard let bytes = try txn.get(dbs.events, key: record.position) else {
                                throw EventLogError.corrupt(record.position, "the id index points at a missing event")
                            }
                            let original = try StoredEvent(bytes: bytes, expectedPosition: record.position)
                            if conflict == nil && !events.isSameContent(index, as: original) {
                                var err = EventLogError(
                                    code: .idempotencyConflict,
                                    message: "an event with this id and source is already stored at position \(record.position) with other content")
                                err.field = "id"
                                err.eventIndex = index
                                err.position = record.position
                                conflict = err
                            }
                            stored.append((index, record))
                        }
                    }
                }
                if conflict != nil || !stored.isEmpty || failure != nil {
                    // Nothing of this append may stay: take back the ids it inserted.
                    if stored.count < item.eventCount {
                        var next = 0
                        for index in 0..<events.count {
                            if next < stored.count && stored[next].index == index {
                                next += 1
                            } else {
                                guard try events.withIDKey(index, { k in try txn.delete(dbs.ids, key: k) }) else {
                                    throw EventLogError.corrupt(nil, "an id inserted in this transaction is gone")
                                }
                            }
                        }
                    }
                }
                if let conflict { return .failure(conflict) }
                if !stored.isEmpty {
                    if stored.count != item.eventCount {
                        var err = EventLogError(
                            code: .idempotencyConflict,
                            message: "\(stored.count) of the \(item.eventCount) events of this append are already stored; a retry must repeat the original append exactly")
                        err.field = "id"
                        return .failure(err)
                    }
                    var results: [PartOutcome] = []
                    var i = 0
                    for a in parts {
                        let recs = stored[i..<(i + a.events.count)]
                        i += a.events.count
                        results.append(.listed(positions: recs.map(\.record.position), versions: recs.map(\.record.version)))
                    }
                    return .success(results)
                }
                if let failure { return .failure(failure) }

                // 3. Write: event bytes, stream links, Merkle nodes (the ids are in); then heads.
                var results: [PartOutcome] = []
                results.reserveCapacity(parts.count)
                // The three append-only tables through cursors that stay at their last page.
                try txn.withCursor(dbs.events) { eventsCursor in
                    try txn.withCursor(dbs.links) { links in
                        try txn.withCursor(dbs.merkle) { merkle in
                            for i in parts.indices {
                                let start = startVersions[i]
                                var version = start
                                let first = state.size
                                let box = start == 0 ? nil : try startTails[i] ?? tail(parts[i].stream)
                                var last = box?.tail
                                for j in parts[i].events {
                                    version += 1
                                    let position = state.size
                                    let next = try StreamLink.after(last, at: position, txn: txn, dbs: dbs)
                                    let link = next.link
                                    guard link.version == version else {
                                        throw EventLogError.corrupt(last?.position, "the stream head and its links disagree")
                                    }
                                    buffer.removeAll(keepingCapacity: true)
                                    let leaf = events.append(
                                        j, position: position, version: version, recordedAt: recordedAt, predecessor: state.lastLeaf, to: &buffer)
                                    try buffer.withUnsafeBytes { b in try eventsCursor.put(key: position, value: b, flags: .append) }
                                    try link.withBytes { l in try links.put(key: position, value: l, flags: .append) }
                                    last = next
                                    try state.range.append(leaf) { node, hash in
                                        try hash.withUnsafeBytes { h in try merkle.put(key: node.postOrderKey, value: h, flags: .append) }
                                    }
                                    state.size += 1
                                    state.lastLeaf = leaf
                                }
                                // The head after this part (a stream named again later in the append is
                                // written again; the last write holds its last event).
                                if let t = last, !parts[i].events.isEmpty {
                                    let key: LogIndex
                                    if let box {
                                        box.tail = t
                                        key = box.key
                                    } else {
                                        // The stream's first event: its position becomes the stream's key.
                                        key = first
                                        tails[parts[i].stream] = TailBox(t, key: key)
                                        try StreamHead.writeStreamKey(parts[i].stream, key, txn: txn, dbs: dbs)
                                    }
                                    try StreamHead(version: t.link.version, position: t.position).write(key: key, txn: txn, dbs: dbs)
                                }
                                results.append(.run(first: first, firstVersion: start + 1, count: parts[i].events.count))
                            }
                        }
                    }
                }
                state.lastRecordedAt = recordedAtMicros
                return .success(results)
            }
            applied.outcomes.append(outcome)
            if let seq = item.sequenced, seq.end.size != state.size || seq.end.lastLeaf != state.lastLeaf {
                applied.diverged = true
            }
        }
        return applied
    }
}

/// What one transaction's ``GroupCommitWriter/apply`` did.
struct Applied {
    /// Per append, in order: its outcome per part, or why it was refused.
    var outcomes: [Result<[PartOutcome], EventLogError>] = []
    /// Appends written as the sequencer prepared them.
    var sequenced = 0
    /// Whether an append's sequenced work did not fit the log (the sequencer must start again).
    var diverged = false
}

/// A stream's remembered last event, held by reference so that the writer updates it in place
/// (one dictionary lookup per event, not two).
final class TailBox {
    var tail: StreamTail
    /// The stream's key in `heads`: the position of its first event.
    let key: LogIndex
    init(_ tail: StreamTail, key: LogIndex) {
        self.tail = tail
        self.key = key
    }

    /// The last event of `stream` as stored (from `streams`, `heads`, and the link `link` reads
    /// at its head); nil when it has no events.
    static func stored(
        _ stream: StreamID, txn: borrowing Transaction, dbs: LogDatabases, link: (LogIndex) throws -> StreamLink
    ) throws -> TailBox? {
        guard let key = try StreamHead.streamKey(stream, txn: txn, dbs: dbs) else { return nil }
        let head = try StreamHead.read(key: key, txn: txn, dbs: dbs)
        let t = StreamTail(position: head.position, link: try link(head.position))
        guard t.link.version == head.version else {
            throw EventLogError.corrupt(head.position, "the stream head and its links disagree")
        }
        return TailBox(t, key: key)
    }
}

/// Where each part of an append starts: its stream's version and remembered tail, and why the
/// append cannot go through, if it cannot. Shared by the sequencer and the writer.
enum StartingPoints {
    /// - Parameters:
    ///   - eventCount: the events of the whole append; `logSize`: the log's size before it.
    /// - Returns: per part, the stream's version before it and its tail (nil for a stream with no
    ///   events yet, and for one an earlier part of the append names: looked up again after that
    ///   part is written); and the first failed expectation, in part order, else `.logFull` when
    ///   the append would pass the largest position.
    static func find(
        _ parts: UnsafeBufferPointer<PreparedAppend>, repeatsStream: Bool, eventCount: Int, logSize: UInt64,
        tail: (StreamID) throws -> TailBox?
    ) rethrows -> (versions: [StreamVersion], tails: [TailBox?], failure: EventLogError?) {
        var failure: EventLogError?
        var startVersions: [StreamVersion] = []
        startVersions.reserveCapacity(parts.count)
        var startTails: [TailBox?] = []
        startTails.reserveCapacity(parts.count)
        var versions: [StreamID: StreamVersion] = [:]
        for part in parts {
            let actual: StreamVersion
            if repeatsStream, let v = versions[part.stream] {
                actual = v
                startTails.append(nil)
            } else {
                let box = try tail(part.stream)
                actual = box?.tail.link.version ?? 0
                startTails.append(box)
            }
            startVersions.append(actual)
            if failure == nil && !part.expected.isSatisfied(by: actual) {
                failure = .wrongVersion(stream: part.stream, expected: part.expected, actual: actual)
            }
            if repeatsStream { versions[part.stream] = actual + UInt64(part.events.count) }
        }
        if failure == nil && logSize + UInt64(eventCount) - 1 > EventLimits.maxPosition {
            failure = EventLogError(code: .logFull, message: "the log has reached its largest position \(EventLimits.maxPosition)")
        }
        return (startVersions, startTails, failure)
    }
}

/// The last event of a stream: its position and its link.
struct StreamTail: Sendable {
    var position: LogIndex
    var link: StreamLink
    /// The link stored at `link.jump`, when known (it spares a read for the next link).
    var jumpTarget: StreamLink?

    init(position: LogIndex, link: StreamLink, jumpTarget: StreamLink? = nil) {
        self.position = position
        self.link = link
        self.jumpTarget = jumpTarget
    }
}

/// Counts of the group-commit writer since the log was opened.
public struct WriterStatistics: Sendable, Hashable {
    /// Write transactions run (each one durable commit).
    public var commits = 0
    /// Append calls served.
    public var appends = 0
    /// Events in those appends (including refused ones).
    public var events = 0
    /// Appends written as the sequencer prepared them (``AppendSequencer``); the others were
    /// decided by the writer alone (refusals, retries, and appends behind a surprise).
    public var sequenced = 0
    /// Times the sequencer started again from the store because the log was not what it
    /// expected: an id already stored, another process's appends, or a failed commit.
    public var rebases = 0
    /// Times the writer's thread started draining at the raised priority of
    /// ``LMDBEventLog/Options/writerNice``; 0 when the process may not raise it.
    public var raisedPriority = 0
    /// Times the writer gave its thread the priority back, having nothing left to commit.
    public var restoredPriority = 0
}

/// The calling thread's nice value. On Linux a nice value belongs to a thread, and
/// `setpriority(PRIO_PROCESS, 0, …)` sets the caller's.
enum ThreadPriority {
    /// `PRIO_PROCESS`, which with `who` 0 names the calling thread.
    private static let thread = __priority_which_t(PRIO_PROCESS.rawValue)

    /// Gives the calling thread `nice` when that is a higher priority than it has and the
    /// process may raise it (root, `CAP_SYS_NICE`, or `RLIMIT_NICE`).
    /// - Returns: The thread's nice value before, for ``restore(_:)``; nil when nothing changed.
    static func raise(to nice: Int32) -> Int32? {
        errno = 0
        let before = getpriority(thread, 0)
        guard errno == 0, nice < before, setpriority(thread, 0, nice) == 0 else {
            return nil
        }
        return before
    }

    /// Gives the calling thread back the nice value ``raise(to:)`` returned (lowering a
    /// priority needs no privilege).
    static func restore(_ nice: Int32) {
        setpriority(thread, 0, nice)
    }

    /// The calling thread's nice value.
    static var current: Int32 {
        getpriority(thread, 0)
    }
}
