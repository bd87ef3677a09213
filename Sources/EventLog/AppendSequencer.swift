import DequeModule
import Dispatch
import LMDBKit
import MerkleLog
import Synchronization

/// What the sequencer worked out for one append: the stored bytes, links, Merkle nodes and
/// heads it will have if the log is, when the writer reaches it, what the sequencer expected.
///
/// Immutable, made by the sequencer and read in place by the writer.
final class SequencedAppend: Sendable {
    /// The log's size and last leaf the sequencer expected before this append. The last leaf
    /// commits to every event before it (each event carries its predecessor's leaf hash), so
    /// when both match, the log is the one the sequencer saw: the same events, streams and tree.
    let startSize: UInt64
    let startLeaf: Hash
    /// The writer's state after this append (unchanged when ``outcomes`` is nil).
    let end: WriterState
    /// The outcome per part; nil when the sequencer refused the append (a wrong expected
    /// version or a full log), which the writer then decides itself (a retry wins over a
    /// version mismatch, and only the writer sees the ids).
    let outcomes: [PartOutcome]?
    /// The stored events, one after another; event `i` ends at `ends[i]`.
    let bytes: [UInt8]
    let ends: [Int]
    /// Each event's stream link and stream version.
    let links: [StreamLink]
    /// Merkle nodes completed by these events: post-order key and hash, in key order.
    let nodes: [(key: UInt64, hash: Hash)]
    /// Per part with events, in order: the stream's key, its head after the part, and the
    /// stream when this part begins it (its `streams` entry is written then).
    let heads: [(key: LogIndex, head: StreamHead, newStream: StreamID?)]

    /// Where ``bytes`` goes back when this append is done.
    let pool: BufferPool?

    init(
        startSize: UInt64, startLeaf: Hash, end: WriterState, outcomes: [PartOutcome]?, bytes: [UInt8], ends: [Int],
        links: [StreamLink], nodes: [(key: UInt64, hash: Hash)], heads: [(key: LogIndex, head: StreamHead, newStream: StreamID?)],
        pool: BufferPool? = nil
    ) {
        self.pool = pool
        self.startSize = startSize
        self.startLeaf = startLeaf
        self.end = end
        self.outcomes = outcomes
        self.bytes = bytes
        self.ends = ends
        self.links = links
        self.nodes = nodes
        self.heads = heads
    }

    deinit { pool?.give(bytes) }

    /// A refusal: nothing changes.
    static func refused(_ state: WriterState) -> SequencedAppend {
        SequencedAppend(
            startSize: state.size, startLeaf: state.lastLeaf, end: state, outcomes: nil, bytes: [], ends: [], links: [],
            nodes: [], heads: [])
    }
}

/// Byte buffers for sequenced appends, used again.
///
/// A bulk append's stored bytes take about a megabyte, which glibc serves with a fresh `mmap`:
/// every page of it faulted in and zeroed again for every append (about a fifth of the
/// pipeline's CPU time). Buffers come back here when their append is done.
final class BufferPool: Sendable {
    private let buffers = Mutex<[[UInt8]]>([])
    /// Buffers kept at most, and the smallest and largest capacity kept (a smaller buffer is
    /// cheap to allocate afresh).
    static let maxBuffers = 8
    static let minCapacity = 64 << 10
    static let maxCapacity = 16 << 20

    /// An empty buffer with room for at least `capacity` bytes.
    func take(capacity: Int) -> [UInt8] {
        var buffer = buffers.withLock { $0.popLast() } ?? []
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(capacity)
        return buffer
    }

    func give(_ buffer: [UInt8]) {
        guard buffer.capacity <= Self.maxCapacity, buffer.capacity >= Self.minCapacity else { return }
        buffers.withLock { b in
            if b.count < Self.maxBuffers { b.append(buffer) }
        }
    }
}

/// What the sequencer and the writer share: how many sequenced appends the writer has not yet
/// finished, whether the sequencer's picture of the log went wrong, and the committed size.
struct SequencerCoordination {
    /// Appends handed to the writer and not yet committed or failed.
    var outstanding = 0
    /// The writer found an append whose expectations did not hold (an id already stored,
    /// another process's appends, a failed commit): the sequencer must start again from the
    /// store once ``outstanding`` is zero.
    var rebaseWanted = false
    /// The log's size after the writer's last commit.
    var committedSize: UInt64 = 0
}

/// The first stage of the append pipeline: renders, hashes and links each append in order,
/// while the writer commits the ones before it.
///
/// The work of an append that needs only the log's order (positions, stream versions and
/// links, the stored bytes with their store attributes, the leaf hashes and the Merkle nodes)
/// is done here, against the log as it will be once every append already handed to the writer
/// is committed. The writer then checks the ids, puts the bytes and commits; while it waits for
/// the disk, the next append is sequenced (the commit's `fdatasync` no longer idles the whole
/// pipeline). Sequencing runs on an appending thread (``submit(_:)``), one at a time, in the
/// order the appends arrived.
///
/// The writer checks each sequenced append's starting point (size and last leaf) against the
/// log it actually has. When they differ, or when an id turns out to be stored already, it
/// decides that append itself, as it always could, and asks for a rebase: the sequencer stops,
/// waits until the writer has finished everything handed to it, and reads the log afresh.
final class AppendSequencer: @unchecked Sendable {
    private let env: Environment
    private let dbs: LogDatabases
    private let writer: GroupCommitWriter
    private let queue = DispatchQueue(label: "org.imr.eventlog.sequencer", qos: .userInitiated)
    private let pending = Mutex<(items: Deque<PendingAppend>, scheduled: Bool)>(([], false))
    private let pool = BufferPool()

    // Touched only by the one thread draining (see ``submit(_:)``).
    /// The log as it will be after every append handed to the writer; nil before the first
    /// append and after a rebase.
    private var state: WriterState?
    /// The last event of each stream sequenced since the last rebase, with its key in `heads`.
    private var tails: [StreamID: TailBox] = [:]
    /// The links of positions `ringBase…` (those not yet known to be committed).
    private var ring: [StreamLink] = []
    private var ringBase: UInt64 = 0

    /// ``tails`` sheds its committed entries when it grows past this many streams.
    static let maxCachedTails = 1 << 17

    init(env: Environment, dbs: LogDatabases, writer: GroupCommitWriter) {
        self.env = env
        self.dbs = dbs
        self.writer = writer
        writer.onIdle = { [weak self] in self?.schedule() }
    }

    /// Queues `item`; it reaches the writer sequenced, in submission order.
    ///
    /// When no one is sequencing, the caller does it on its own thread, up to and including
    /// its own append: a hand-off to another thread costs a single append more than its
    /// sequencing does. Appends queued meanwhile go on to the sequencer's queue, so a caller
    /// returns once its own append is with the writer, not when the queue runs dry (under
    /// steady load it might not). One thread sequences at a time (``pending``'s `scheduled` flag).
    func submit(_ item: PendingAppend) {
        let upTo: Int? = pending.withLock { p in
            p.items.append(item)
            if p.scheduled { return nil }
            p.scheduled = true
            return p.items.count
        }
        if let upTo { drain(atMost: upTo) }
    }

    /// Drains again, on the sequencer's queue, if items wait (the writer calls it when it has
    /// finished everything; its own thread must not sequence).
    private func schedule() {
        let start = pending.withLock { p in
            if p.scheduled || p.items.isEmpty { return false }
            p.scheduled = true
            return true
        }
        if start { queue.async { self.drain(atMost: nil) } }
    }

    /// What ``drain(atMost:)`` does next.
    private enum Next {
        /// Sequences this append (after reading the log afresh when `rebase`).
        case sequence(PendingAppend, rebase: Bool, committed: UInt64)
        /// Stops: nothing is queued, or the sequencer is halted until the writer catches up.
        case stop
        /// Stops on a caller's thread with appends still queued: the queue goes on with them.
        case handOff
    }

    /// Sequences queued appends in order: all of them (on the sequencer's queue), or at most
    /// `limit` (on a caller's thread), handing the rest to the queue.
    private func drain(atMost limit: Int?) {
        var done = 0
        while true {
            // The decision to stop is taken under the queue's lock, so the writer's call to
            // ``schedule()`` when it is done cannot slip between the decision and the stop.
            let next: Next = pending.withLock { p in
                if p.items.isEmpty {
                    p.scheduled = false
                    return .stop
                }
                // Still scheduled: the queue goes on from here.
                if let limit, done == limit { return .handOff }
                let step: (rebase: Bool, committed: UInt64)? = writer.coordination.withLock { c in
                    if c.rebaseWanted || state == nil {
                        // Not while appends sequenced on the old picture are in flight: the
                        // store does not yet show them.
                        if c.outstanding > 0 { return nil }
                        c.rebaseWanted = false
                        return (true, c.committedSize)
                    }
                    return (false, c.committedSize)
                }
                guard let step else {
                    // Halted: the writer calls ``schedule()`` when its last outstanding append is done.
                    p.scheduled = false
                    return .stop
                }
                return .sequence(p.items.removeFirst(), rebase: step.rebase, committed: step.committed)
            }
            guard case .sequence(let item, let rebase, let committed) = next else {
                if case .handOff = next { queue.async { self.drain(atMost: nil) } }
                return
            }
            done += 1
            if rebase {
                if state != nil { writer.statistics.withLock { $0.rebases += 1 } }
                state = nil
            }
            var sequenced: SequencedAppend?
            do {
                sequenced = try sequence(item, committed: committed)
            } catch {
                // The store could not be read: the writer decides this append on its own, and
                // the sequencer starts again from the store.
                state = nil
                sequenced = nil
            }
            writer.coordination.withLock { $0.outstanding += 1 }
            writer.submit(item.with(sequenced))
        }
    }

    /// Sequences `item` after everything handed to the writer so far. `committed` is the
    /// log's size after the writer's last commit: links and tails before it are in the store.
    private func sequence(_ item: PendingAppend, committed: UInt64) throws -> SequencedAppend {
        try env.read { txn in
            if state == nil {
                state = try WriterState.load(txn: txn, dbs: dbs)
                tails.removeAll()
                ring.removeAll()
                ringBase = state!.size
            }
            var state = self.state!
            // Links the writer has committed are read from the store from now on.
            if committed > ringBase {
                let drop = Int(min(committed - ringBase, UInt64(ring.count)))
                if drop >= 4096 && drop * 2 >= ring.count {
                    ring.removeFirst(drop)
                    ringBase += UInt64(drop)
                }
            }
            if tails.count > Self.maxCachedTails {
                tails = tails.filter { $0.value.tail.position >= committed }
            }
            let result = try sequence(item, state: &state, txn: txn)
            self.state = state
            return result
        }
    }

    private func link(at position: LogIndex, txn: borrowing Transaction) throws -> StreamLink {
        if position >= ringBase {
            let i = Int(position - ringBase)
            guard i < ring.count else { throw EventLogError.corrupt(position, "a stream link the sequencer needs is not yet made") }
            return ring[i]
        }
        return try StreamLink.read(position, txn: txn, dbs: dbs)
    }

    /// The stream's last event: remembered, else from the store (a stream the sequencer has not
    /// seen since its last rebase has no appends in flight, so the store has its last event).
    private func tail(_ stream: StreamID, txn: borrowing Transaction) throws -> TailBox? {
        if let box = tails[stream] { return box }
        let box = try TailBox.stored(stream, txn: txn, dbs: dbs) { try link(at: $0, txn: txn) }
        tails[stream] = box
        return box
    }

    private func sequence(_ item: PendingAppend, state: inout WriterState, txn: borrowing Transaction) throws -> SequencedAppend {
        let parts = item.appends
        // Expected versions, each against the log as it stands before its part, and the log's end.
        let (startVersions, startTails, failure) = try parts.withUnsafeBufferPointer { p in
            try StartingPoints.find(p, repeatsStream: item.repeatsStream, eventCount: item.eventCount, logSize: state.size) {
                try tail($0, txn: txn)
            }
        }
        if failure != nil { return .refused(state) }

        let startSize = state.size
        let startLeaf = state.lastLeaf
        let recordedAtMicros = max(RecordedAtClock.nowMicros(), state.lastRecordedAt)
        let recordedAt = RecordedAtClock.format(micros: recordedAtMicros)
        let events = item.events
        var bytes = pool.take(capacity: events.piecesBytes + events.count * EventLimits.storeAttributesBound)
        var ends: [Int] = []
        ends.reserveCapacity(item.eventCount)
        var links: [StreamLink] = []
        links.reserveCapacity(item.eventCount)
        var nodes: [(key: UInt64, hash: Hash)] = []
        nodes.reserveCapacity(2 * item.eventCount + 64)
        var heads: [(key: LogIndex, head: StreamHead, newStream: StreamID?)] = []
        heads.reserveCapacity(parts.count)
        var outcomes: [PartOutcome] = []
        outcomes.reserveCapacity(parts.count)

        // Parts and events read in place: a copy of each would be retained and released.
        try parts.withUnsafeBufferPointer { parts in
            for i in parts.indices {
                guard !parts[i].events.isEmpty else {
                    outcomes.append(.run(first: state.size, firstVersion: startVersions[i] + 1, count: 0))
                    continue
                }
                let first = state.size
                let known = startVersions[i] == 0 ? nil : try startTails[i] ?? tail(parts[i].stream, txn: txn)
                var last = known?.tail
                var version = startVersions[i]
                for j in parts[i].events {
                    version += 1
                    let position = state.size
                    #if DEBUG
                    // As the writer's path does: what a tail remembered must be what is stored
                    // (or, not yet stored, what this sequencer made).
                    if let p = last, p.link.jump != StreamLink.none, let remembered = p.jumpTarget {
                        let made = try link(at: p.link.jump, txn: txn)
                        assert(remembered == made, "a remembered jump target differs from the stream's link")
                    }
                    #endif
                    let next = try StreamLink.after(last, at: position) { try link(at: $0, txn: txn) }
                    guard next.link.version == version else {
                        throw EventLogError.corrupt(last?.position, "the stream head and its links disagree")
                    }
                    let leaf = events.append(
                        j, position: position, version: version, recordedAt: recordedAt, predecessor: state.lastLeaf, to: &bytes)
                    ends.append(bytes.count)
                    links.append(next.link)
                    guard position == ringBase + UInt64(ring.count) else {
                        throw EventLogError.corrupt(position, "the sequencer's links are out of step")
                    }
                    ring.append(next.link)
                    state.range.append(leaf) { node, hash in nodes.append((node.postOrderKey, hash)) }
                    state.size += 1
                    state.lastLeaf = leaf
                    last = next
                }
                let key: LogIndex
                if let known {
                    known.tail = last!
                    key = known.key
                } else {
                    key = first
                    tails[parts[i].stream] = TailBox(last!, key: key)
                }
                heads.append((key, StreamHead(version: version, position: last!.position), known == nil ? parts[i].stream : nil))
                outcomes.append(.run(first: first, firstVersion: startVersions[i] + 1, count: parts[i].events.count))
            }
        }
        state.lastRecordedAt = recordedAtMicros
        return SequencedAppend(
            startSize: startSize, startLeaf: startLeaf, end: state, outcomes: outcomes, bytes: bytes, ends: ends,
            links: links, nodes: nodes, heads: heads, pool: pool)
    }
}
