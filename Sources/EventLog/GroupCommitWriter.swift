import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import LMDBKit
import MerkleLog
import Synchronization

/// The events of one stream within an append, validated and rendered.
struct PreparedAppend: Sendable {
    let stream: StreamID
    let expected: ExpectedVersion
    let events: [PreparedEvent]
}

/// One caller's append waiting for the writer.
struct PendingAppend: Sendable {
    let appends: [PreparedAppend]
    let continuation: CheckedContinuation<[AppendResult], any Error>
    var eventCount: Int { appends.reduce(0) { $0 + $1.events.count } }
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
    private let queue = DispatchQueue(label: "org.imr.eventlog.writer", qos: .userInitiated)
    private let pending = Mutex<(items: [PendingAppend], scheduled: Bool)>(([], false))
    /// Touched only on `queue`.
    private var cached: WriterState?
    /// Called on the writer queue after each commit that added events, with the new size.
    var onCommit: (@Sendable (UInt64) -> Void)?

    init(env: Environment, dbs: LogDatabases, maxEventsPerCommit: Int) {
        self.env = env
        self.dbs = dbs
        self.maxEventsPerCommit = max(1, maxEventsPerCommit)
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

    private func commit(_ batch: [PendingAppend]) {
        var outcomes: [Result<[AppendResult], EventLogError>] = []
        var newState: WriterState?
        do {
            try env.write { txn in
                var state = try currentState(txn)
                outcomes = try apply(batch, txn: txn, state: &state)
                newState = state
            }
        } catch {
            cached = nil
            let failure: any Error
            if let lmdb = error as? LMDBError {
                failure = EventLogError(
                    code: lmdb.isCorruption ? .corruption : .storage,
                    message: "the append was not stored: \(lmdb.description)", cause: lmdb)
            } else {
                failure = error
            }
            for item in batch { item.continuation.resume(throwing: failure) }
            return
        }
        let before = cached?.size
        cached = newState
        for (item, outcome) in zip(batch, outcomes) {
            switch outcome {
            case .success(let results): item.continuation.resume(returning: results)
            case .failure(let error): item.continuation.resume(throwing: error)
            }
        }
        if let size = newState?.size, size != before { onCommit?(size) }
    }

    /// The cached state when it still describes the log, else a fresh load (another process
    /// may have appended, or a previous transaction failed).
    private func currentState(_ txn: borrowing Transaction) throws -> WriterState {
        let size = try WriterState.size(txn: txn, dbs: dbs)
        if let cached, cached.size == size { return cached }
        return try WriterState.load(txn: txn, dbs: dbs)
    }

    /// The `ids` value: position ‖ stream version, both UInt64 big-endian.
    private struct IDRecord {
        var position: LogIndex
        var version: StreamVersion

        init(position: LogIndex, version: StreamVersion) {
            self.position = position
            self.version = version
        }

        init?(bytes: UnsafeRawBufferPointer) {
            guard bytes.count == 16, let p = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: bytes[0..<8])),
                let v = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: bytes[8..<16]))
            else { return nil }
            self.init(position: p, version: v)
        }

        func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            var raw = (position.bigEndian, version.bigEndian)
            return try withUnsafeBytes(of: &raw, body)
        }
    }

    /// Applies each pending append in order inside one write transaction.
    ///
    /// A write transaction reads its own writes, so each append sees the ids and heads of the
    /// appends before it without any overlay.
    private func apply(_ batch: [PendingAppend], txn: borrowing Transaction, state: inout WriterState) throws
        -> [Result<[AppendResult], EventLogError>]
    {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        let recordedAtMicros = max(RecordedAtClock.nowMicros(), state.lastRecordedAt)
        let recordedAt = RecordedAtClock.format(micros: recordedAtMicros)
        var outcomes: [Result<[AppendResult], EventLogError>] = []
        outcomes.reserveCapacity(batch.count)

        // The last event of each stream written in this transaction (links and heads are read
        // back from the transaction otherwise: a write transaction sees its own writes).
        var tails: [StreamID: (position: LogIndex, link: StreamLink)] = [:]

        // Heads read from the store in this transaction (nil: no such stream), so the version
        // check and the write read each stream's head once.
        var storedHeads: [StreamID: StreamHead?] = [:]

        func storedHead(_ stream: StreamID) throws -> StreamHead? {
            if let cached = storedHeads[stream] { return cached }
            let head = try StreamHead.read(stream, txn: txn, dbs: dbs)
            storedHeads[stream] = head
            return head
        }

        func streamHead(_ stream: StreamID) throws -> StreamVersion {
            if let t = tails[stream] { return t.link.version }
            return try storedHead(stream)?.version ?? 0
        }

        func tail(_ stream: StreamID) throws -> (position: LogIndex, link: StreamLink)? {
            if let t = tails[stream] { return t }
            guard let head = try storedHead(stream) else { return nil }
            return (head.position, try StreamLink.read(head.position, txn: txn, dbs: dbs))
        }

        for item in batch {
            // 1. Idempotency: all events already stored with the same content is a safe retry.
            var stored: [IDRecord] = []
            var conflict: EventLogError?
            var index = 0
            for a in item.appends {
                for e in a.events {
                    let record = try e.idKey.withUnsafeBytes { k in
                        try txn.withValue(dbs.ids, key: k) { v in v.flatMap { IDRecord(bytes: $0) } }
                    }
                    if let record {
                        guard let bytes = try txn.get(dbs.events, key: record.position) else {
                            throw EventLogError.corrupt(record.position, "the id index points at a missing event")
                        }
                        let original = try StoredEvent(bytes: bytes, expectedPosition: record.position)
                        if conflict == nil && !e.isSameContent(as: original) {
                            var err = EventLogError(
                                code: .idempotencyConflict,
                                message: "event id \(e.id) from \(e.source) is already stored at position \(record.position) with other content")
                            err.field = "id"
                            err.eventIndex = index
                            err.position = record.position
                            conflict = err
                        }
                        stored.append(record)
                    }
                    index += 1
                }
            }
            if let conflict {
                outcomes.append(.failure(conflict))
                continue
            }
            if !stored.isEmpty {
                if stored.count != item.eventCount {
                    var err = EventLogError(
                        code: .idempotencyConflict,
                        message: "\(stored.count) of the \(item.eventCount) events of this append are already stored; a retry must repeat the original append exactly")
                    err.field = "id"
                    outcomes.append(.failure(err))
                    continue
                }
                var results: [AppendResult] = []
                var i = 0
                for a in item.appends {
                    let recs = stored[i..<(i + a.events.count)]
                    i += a.events.count
                    results.append(
                        AppendResult(
                            stream: a.stream, positions: recs.map(\.position), versions: recs.map(\.version),
                            wasDuplicate: true))
                }
                outcomes.append(.success(results))
                continue
            }

            // 2. Expected versions, in order, each against the log as it stands before it.
            var versions: [StreamID: StreamVersion] = [:]
            var startVersions: [StreamVersion] = []
            startVersions.reserveCapacity(item.appends.count)
            var versionError: EventLogError?
            for a in item.appends {
                let actual = try versions[a.stream] ?? streamHead(a.stream)
                startVersions.append(actual)
                if !a.expected.isSatisfied(by: actual) {
                    versionError = .wrongVersion(stream: a.stream, expected: a.expected, actual: actual)
                    break
                }
                versions[a.stream] = actual + UInt64(a.events.count)
            }
            if let versionError {
                outcomes.append(.failure(versionError))
                continue
            }
            if state.size + UInt64(item.eventCount) - 1 > EventLimits.maxPosition {
                outcomes.append(
                    .failure(EventLogError(code: .logFull, message: "the log has reached its largest position \(EventLimits.maxPosition)")))
                continue
            }

            // 3. Write: event bytes, stream index, id index, Merkle nodes; then heads.
            var results: [AppendResult] = []
            results.reserveCapacity(item.appends.count)
            for (a, start) in zip(item.appends, startVersions) {
                var version = start
                var positions: [LogIndex] = []
                var streamVersions: [StreamVersion] = []
                positions.reserveCapacity(a.events.count)
                streamVersions.reserveCapacity(a.events.count)
                var last = try tail(a.stream)
                for e in a.events {
                    version += 1
                    let position = state.size
                    let link = try StreamLink.after(parent: last?.link, at: last?.position ?? StreamLink.none, txn: txn, dbs: dbs)
                    guard link.version == version else {
                        throw EventLogError.corrupt(last?.position, "the stream head and its links disagree")
                    }
                    e.render(position: position, version: version, recordedAt: recordedAt, predecessor: state.lastLeaf, into: &buffer)
                    let leaf = try buffer.withUnsafeBytes { b in
                        try txn.put(dbs.events, key: position, value: b, flags: .append)
                        return RFC6962.leafHash(b)
                    }
                    try link.withBytes { l in try txn.put(dbs.links, key: position, value: l, flags: .append) }
                    last = (position, link)
                    try e.idKey.withUnsafeBytes { k in
                        try IDRecord(position: position, version: version).withBytes { v in
                            try txn.put(dbs.ids, key: k, value: v, flags: .noOverwrite)
                        }
                    }
                    try state.range.append(leaf) { node, hash in
                        try hash.withUnsafeBytes { h in try txn.put(dbs.merkle, key: node.postOrderKey, value: h, flags: .append) }
                    }
                    state.size += 1
                    state.lastLeaf = leaf
                    positions.append(position)
                    streamVersions.append(version)
                }
                if let last { tails[a.stream] = last }
                results.append(AppendResult(stream: a.stream, positions: positions, versions: streamVersions, wasDuplicate: false))
            }
            for stream in versions.keys {
                let t = tails[stream]!
                var key = stream.rawValue
                try key.withUTF8 { k in
                    try StreamHead(version: t.link.version, position: t.position).withBytes { v in
                        try txn.put(dbs.heads, key: UnsafeRawBufferPointer(k), value: v)
                    }
                }
            }
            state.lastRecordedAt = recordedAtMicros
            outcomes.append(.success(results))
        }
        return outcomes
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
}
