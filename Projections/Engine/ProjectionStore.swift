public import ClinicalRecord
public import EventLog
import Foundation
import LMDBKit
import Synchronization

/// The projections of one store: their records in memory, persisted in the store's views
/// environment (`<store>/views`), separate from the log so that rebuilding views never
/// touches or blocks the record.
///
/// - Each flush writes the changed records and the position they reflect in one write
///   transaction, so every event is applied exactly once, even across crashes and processes.
/// - ``catchUp(progress:)`` applies what the log holds beyond that position.
/// - ``rebuild(progress:)`` folds the whole log into fresh databases (the inactive
///   generation) and swaps them in with one commit; queries keep answering from the old
///   records until then.
/// - ``replay(through:)`` gives the projections as of any log position, in memory.
///
/// ```swift
/// let views = try ProjectionStore.open(store: path, log: log)
/// try views.catchUp()
/// let snapshot = views.snapshot()
/// let caseload = CaseloadQuery(snapshot).run(asOf: LocalDate("2026-06-30")!)
/// ```
public final class ProjectionStore: Sendable {
    /// The projections every store keeps.
    public static let standard: [any Projection] = [CaseloadProjection(), GoalsProjection(), ParticipationProjection(), FidelityProjection()]

    /// Events between flushes while catching up.
    public static let flushEvery: UInt64 = 50_000

    public let log: any VerifiableEventLog
    let env: Environment
    let meta: Database
    let projections: [any Projection]
    private let state: Mutex<ProjectionSet>
    /// The generation (0 or 1) whose databases hold the records.
    private let generation: Mutex<Int>
    /// The position last written to (or read from) the views by this process.
    private let flushed: Mutex<UInt64?>
    /// Why the views were rebuilt from the log when loaded, if a stored record did not decode.
    private let repair: Mutex<String?>

    /// Set when persisted views were found damaged (a stored record that no longer decodes)
    /// and were rebuilt from the log: which projection, and where. The log is the record; the
    /// views are derived from it, so they repair themselves, and tools report that they did.
    public var repaired: String? { repair.withLock { $0 } }

    /// The views directory of a store.
    public static func viewsDirectory(of store: String) -> String { store + "/views" }

    /// Opens (creating if needed) the views of the store whose log is `log`, loads the
    /// persisted records, and rebuilds any projection whose fold version changed.
    public static func open(store: String, log: any VerifiableEventLog, projections: [any Projection] = standard) throws -> ProjectionStore {
        let dir = viewsDirectory(of: store)
        if let failure = makeDirectories(dir, mode: 0o755) {
            throw EventLogError(code: .storage, message: "cannot create the views folder \(dir): \(String(cString: strerror(failure)))")
        }
        // One environment per path and process (lmdb.h), shared with any other open of these views.
        let env = try Environment.shared(path: dir, configuration: .init(mapSize: 1 << 30, maxDatabases: 32))
        try env.clearStaleReaders()
        let meta = try env.openDatabase("meta", create: true)
        let views = ProjectionStore(log: log, env: env, meta: meta, projections: projections)
        if try views.loadPersisted() == false {
            try views.rebuild()
        }
        return views
    }

    private init(log: any VerifiableEventLog, env: Environment, meta: Database, projections: [any Projection]) {
        self.log = log
        self.env = env
        self.meta = meta
        self.projections = projections
        self.state = Mutex(ProjectionSet(tables: projections.map { Self.table(for: $0) }))
        self.generation = Mutex(0)
        self.flushed = Mutex(nil)
        self.repair = Mutex(nil)
    }

    static func table(for projection: any Projection) -> any AnyProjectionTable {
        func make<P: Projection>(_ p: P) -> any AnyProjectionTable { ProjectionTable(p) }
        return make(projection)
    }

    func dbName(_ table: String, generation: Int) -> String { "\(table).g\(generation)" }

    /// Loads the persisted records; `false` when there are none, a fold version changed, or a
    /// record does not decode (damaged views; ``repaired`` says which).
    private func loadPersisted() throws -> Bool {
        let stored: (position: UInt64, generation: Int, versions: [String: Int])? = try env.read { txn in
            guard let p = try txn.get(meta, key: Array("position".utf8)), let position = UInt64(bigEndianBytes: p),
                let g = try txn.get(meta, key: Array("generation".utf8)), let gen = g.first
            else { return nil }
            var versions: [String: Int] = [:]
            for projection in projections {
                let name = type(of: projection).name
                if let v = try txn.get(meta, key: Array("version.\(name)".utf8)), let n = UInt64(bigEndianBytes: v) {
                    versions[name] = Int(n)
                }
            }
            return (position, Int(gen), versions)
        }
        guard let stored else { return false }
        for p in projections where stored.versions[type(of: p).name] != type(of: p).version { return false }
        let set = ProjectionSet(tables: projections.map { Self.table(for: $0) }, position: stored.position)
        do { try load(set, generation: stored.generation) } catch let damage as DamagedRecord {
            repair.withLock { $0 = damage.description }
            return false
        }
        state.withLock { $0 = set }
        generation.withLock { $0 = stored.generation }
        flushed.withLock { $0 = stored.position }
        return true
    }

    /// A persisted record that does not decode.
    private struct DamagedRecord: Error { var description: String }

    /// Reads every table's records of `generation` into `set`.
    private func load(_ set: ProjectionSet, generation: Int) throws {
        for table in set.tables {
            let db = try env.openDatabase(dbName(table.name, generation: generation), create: true)
            try env.read { txn in
                try txn.withCursor(db) { cursor in
                    var more = try cursor.first()
                    while more {
                        let (k, v) = cursor.current()
                        do { try table.load(key: String(decoding: k, as: UTF8.self), value: v) } catch {
                            throw DamagedRecord(description: "a \(table.name) record does not decode (\(error)): the views were rebuilt from the log")
                        }
                        more = try cursor.next()
                    }
                }
            }
            _ = table.takeDirty()
        }
    }

    /// The log position the projections reflect (the number of events applied).
    public var position: UInt64 { state.withLock { $0.position } }

    /// Applies every event the log holds beyond ``position``, flushing every
    /// ``flushEvery`` events and at the end.
    /// - Returns: the number of events applied.
    @discardableResult
    public func catchUp(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> UInt64 {
        let start = position
        for _ in 0..<5 {
            do {
                try state.withLock { set in
                    let head = try log.currentHead().treeSize
                    try fold(set, to: head, progress: progress) { try self.flush(set) }
                    try flush(set)
                }
                return position - start
            } catch ProjectionStoreError.staleViews {
                // Another process rebuilt the views (or wrote them behind this one): take its records and go on from there.
                if try loadPersisted() == false { try rebuild(progress: progress) }
            }
        }
        throw ProjectionStoreError.staleViews
    }

    /// Events per decoded chunk.
    static let chunkSize = 4096
    /// Folds of at least this many events read and decode on a second thread.
    static let pipelineThreshold: UInt64 = 16_384

    /// Folds `set` forward to `head`, calling `checkpoint` every ``flushEvery`` events.
    ///
    /// Long folds (rebuilds, replays, a catch-up after a while) run as a pipeline:
    /// ``readerThreads`` reading threads walk the log in alternate chunks of ``chunkSize``
    /// events, skip the types no projection reads and decode the others, while this thread
    /// folds the chunks in log order. At most two chunks per reader wait to be folded, so
    /// memory stays bounded whatever the log's size.
    ///
    /// With `precorrected`, a fold from position 0 that flushes nothing on the way (a rebuild,
    /// a replay) first gathers the log's corrections (``Corrections``: a pass that parses
    /// only the correction events) and folds every event already corrected, instead of folding
    /// a stream's history again at each correction; the records at `head` are the same.
    private func fold(_ set: ProjectionSet, to head: UInt64, precorrected: Bool = false, progress: ((UInt64, UInt64) -> Void)?,
                      checkpoint: () throws -> Void) throws {
        guard set.position < head else { return }
        let wanted = set.wantedKinds
        if precorrected && set.position == 0 {
            var corrections = Corrections()
            var decoder = ProjectionEventDecoder(codec: set.codec, wanted: wanted)
            try log.forEachRaw(from: 0, limit: Int(head)) { position, bytes in
                if let c = try decoder.correction(bytes, at: position) { corrections.add(c) }
                return true
            }
            corrections.settle()
            set.corrections = corrections
        }
        defer { set.corrections = nil }
        var sinceFlush: UInt64 = 0
        func applied(_ chunk: DecodedChunk) throws {
            let before = set.position
            try set.apply(chunk, log: log)
            sinceFlush += set.position - before
            progress?(set.position, head)
            if sinceFlush >= Self.flushEvery {
                try checkpoint()
                sinceFlush = 0
            }
        }
        if head - set.position < Self.pipelineThreshold {
            var decoder = ProjectionEventDecoder(codec: set.codec, wanted: wanted)
            while set.position < head {
                let chunk = try Self.readChunk(log: log, from: set.position, to: head, decoder: &decoder)
                if chunk.end == set.position { break }
                try applied(chunk)
            }
            return
        }
        // Reading and decoding cost about twice the fold: split them over `readers` threads,
        // reader k taking chunks k, k + readers, k + 2·readers…, each with its own channel,
        // which this thread drains in turn so that chunks are folded in log order.
        let readers = Self.readerThreads
        let channels = (0..<readers).map { _ in ChunkHandOff<DecodedChunk>(capacity: 2) }
        // Folded chunks go back to their reader, which frees them: freeing a chunk's events
        // costs about a quarter of folding them, and this thread is the pipeline's narrowest.
        let folded = (0..<readers).map { _ in FoldedChunks() }
        let source = self.log
        let codec = set.codec
        let start = set.position
        let stride = UInt64(Self.chunkSize) * UInt64(readers)
        for k in 0..<readers {
            let channel = channels[k]
            let done = folded[k]
            let reader = Thread {
                var decoder = ProjectionEventDecoder(codec: codec, wanted: wanted)
                var position = start + UInt64(k) * UInt64(Self.chunkSize)
                do {
                    while position < head {
                        done.free()
                        let chunk = try Self.readChunk(log: source, from: position, to: head, decoder: &decoder)
                        if chunk.end == position { break }
                        if !channel.send(.chunk(chunk)) { return }
                        position += stride
                    }
                    channel.send(.end)
                } catch {
                    channel.send(.failure(error))
                }
            }
            reader.stackSize = 8 << 20
            reader.start()
        }
        defer { for channel in channels { channel.cancel() } }
        var next = 0
        loop: while true {
            switch channels[next % readers].receive() {
            case .chunk(let chunk):
                // A chunk that does not start where the fold stands follows a short one: the
                // log ended there.
                if chunk.start != set.position { break loop }
                try applied(chunk)
                folded[next % readers].add(consume chunk)
            case .end: break loop
            case .failure(let error): throw error
            }
            next += 1
        }
    }

    /// Threads that read and decode chunks in a long fold: two when there are two cores or more.
    static let readerThreads = ProcessInfo.processInfo.activeProcessorCount >= 2 ? 2 : 1

    /// Reads and decodes up to ``chunkSize`` events from `position` (not beyond `head`) in one
    /// read transaction.
    private static func readChunk(log: any VerifiableEventLog, from position: UInt64, to head: UInt64,
                                  decoder: inout ProjectionEventDecoder) throws -> DecodedChunk {
        var chunk = DecodedChunk(start: position)
        chunk.events.reserveCapacity(chunkSize)
        chunk.kinds.reserveCapacity(chunkSize)
        try log.forEachRaw(from: position, limit: Int(min(UInt64(chunkSize), head - position))) { pos, bytes in
            try decoder.decode(bytes, at: pos, into: &chunk)
            return true
        }
        return chunk
    }

    /// Writes the changed records and the position in one transaction.
    ///
    /// Several processes may keep the same views (a server, `imr query`): each writes only
    /// what it changed since its last write (or load), over what is on disk. That is exact
    /// when the records on disk stand at a position between this process's last write and
    /// its current one, whoever wrote them, because records at one position are the same
    /// whichever process folded them, and every stream that differs since then is among this
    /// process's changes. Records further on than this process's are left alone (its changes
    /// stay marked for its next write, and its own records stay correct in memory); records
    /// of another generation (a rebuild elsewhere) or behind its last write make it reload.
    private func flush(_ set: ProjectionSet) throws {
        let gen = generation.withLock { $0 }
        let changes = set.tables.map { ($0.name, $0.takeDirty()) }
        let base = flushed.withLock { $0 }
        var written = false
        defer {
            if !written { for (table, (_, records)) in zip(set.tables, changes) { table.restoreDirty(records.map(\.key)) } }
        }
        written = try env.write { txn -> Bool in
            let onDisk = try txn.get(meta, key: Array("position".utf8)).flatMap { UInt64(bigEndianBytes: $0) }
            let diskGeneration = try txn.get(meta, key: Array("generation".utf8)).flatMap(\.first).map(Int.init)
            guard let base, let onDisk, onDisk >= base, diskGeneration == gen else { throw ProjectionStoreError.staleViews }
            if onDisk > set.position { return false }
            for (name, records) in changes where !records.isEmpty {
                let db = try txn.openDatabase(dbName(name, generation: gen), create: true)
                for (key, value) in records {
                    if let value { try txn.put(db, key: Array(key.utf8), value: value) } else { _ = try txn.delete(db, key: Array(key.utf8)) }
                }
            }
            try writeMeta(txn, position: set.position, generation: gen)
            return true
        }
        if written { flushed.withLock { $0 = set.position } }
    }

    private func writeMeta(_ txn: borrowing Transaction, position: UInt64, generation gen: Int) throws {
        try txn.put(meta, key: Array("position".utf8), value: position.bigEndianBytes)
        try txn.put(meta, key: Array("generation".utf8), value: [UInt8(gen)])
        for p in projections {
            try txn.put(meta, key: Array("version.\(type(of: p).name)".utf8), value: UInt64(type(of: p).version).bigEndianBytes)
        }
    }

    /// Rebuilds every projection from the whole log into the inactive generation's
    /// databases, then swaps them in with one commit. Queries keep answering from the
    /// current records until the swap.
    public func rebuild(progress: ((UInt64, UInt64) -> Void)? = nil) throws {
        let fresh = ProjectionSet(tables: projections.map { Self.table(for: $0) })
        // Every record of the fresh set is written at the swap: no need to track changes.
        for table in fresh.tables { table.tracksDirty = false }
        let head = try log.currentHead().treeSize
        try fold(fresh, to: head, precorrected: true, progress: progress) {}
        let next = 1 - generation.withLock { $0 }
        try state.withLock { current in
            // Events committed during the rebuild.
            try fold(fresh, to: try log.currentHead().treeSize, progress: nil) {}
            try env.write { txn in
                for table in fresh.tables {
                    let db = try txn.openDatabase(dbName(table.name, generation: next), create: true)
                    try txn.empty(db)
                    for (key, value) in table.takeAll() {
                        try txn.put(db, key: Array(key.utf8), value: value)
                    }
                    table.tracksDirty = true
                }
                try writeMeta(txn, position: fresh.position, generation: next)
            }
            generation.withLock { $0 = next }
            flushed.withLock { $0 = fresh.position }
            current = fresh
        }
    }

    /// An immutable copy of every projection's records, for queries.
    public func snapshot() -> ProjectionSnapshot {
        state.withLock { ProjectionSnapshot(set: $0.copy()) }
    }

    /// The projections as the record stood after `position` events (what the record said
    /// then), folded in memory from the log.
    public func replay(through position: UInt64) throws -> ProjectionSnapshot {
        try replay(through: position, from: nil)
    }

    /// The projections as the record stood after `position` events, folded forward from
    /// `earlier` when it is a replay of at most `position` events, so that only the events
    /// between the two are read; from the start of the log otherwise.
    ///
    /// The result equals ``replay(through:)``: `earlier` holds exactly the records of a store
    /// cut at its position, and folding on from there is incremental application, corrections
    /// included (a correction folds its stream's history again, up to itself), which a
    /// rebuild equals. `earlier` is not changed.
    public func replay(through position: UInt64, from earlier: ProjectionSnapshot?) throws -> ProjectionSnapshot {
        let end = min(position, try log.currentHead().treeSize)
        let set: ProjectionSet
        if let earlier, earlier.position <= end, earlier.folded.tables.map(\.name) == projections.map({ type(of: $0).name }) {
            set = earlier.folded.copy()
        } else {
            set = ProjectionSet(tables: projections.map { Self.table(for: $0) })
        }
        for table in set.tables { table.tracksDirty = false }
        try fold(set, to: end, precorrected: true, progress: nil) {}
        return ProjectionSnapshot(set: set)
    }

    /// The number of events recorded at or before `time` (recorded-at never decreases in
    /// log order, so this is a binary search).
    public func position(recordedAtOrBefore time: Timestamp) throws -> UInt64 {
        var lo: UInt64 = 0, hi = try log.currentHead().treeSize
        while lo < hi {
            let mid = (lo + hi) / 2
            guard let e = try log.readEvents(from: mid, limit: 1).first, let t = Timestamp(e.recordedAt) else { break }
            if t <= time { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Each projection's state digest (SHA-256 over its records in key order).
    public func digests() throws -> [String: String] { try snapshot().digests() }
}

/// Every projection's records at one position; safe to query from any thread.
public final class ProjectionSnapshot: @unchecked Sendable {
    let folded: ProjectionSet
    init(set: ProjectionSet) { self.folded = set }

    /// The number of events the snapshot reflects.
    public var position: UInt64 { folded.position }

    /// The records of projection `P`, by stream.
    public func records<P: Projection>(_ type: P.Type) -> [String: P.Record] {
        (folded.table(named: P.name) as? ProjectionTable<P>)?.records ?? [:]
    }

    /// Each projection's state digest.
    public func digests() throws -> [String: String] {
        var out: [String: String] = [:]
        for t in folded.tables { out[t.name] = try t.digest() }
        return out
    }
}

/// Chunks the fold is done with, waiting for their reader thread to free them.
private final class FoldedChunks: Sendable {
    private let chunks = Mutex<[DecodedChunk]>([])

    func add(_ chunk: DecodedChunk) {
        chunks.withLock { $0.append(chunk) }
    }

    /// Frees the chunks added so far, on the calling thread.
    func free() {
        let taken = chunks.withLock { list -> [DecodedChunk] in
            defer { list = [] }
            return list
        }
        _ = consume taken
    }
}

/// Errors of the views.
public enum ProjectionStoreError: Error, Sendable, CustomStringConvertible {
    /// Another process rebuilt the views since this one read them (handled inside
    /// ``ProjectionStore/catchUp(progress:)`` by reloading, up to five times in a row).
    case staleViews

    public var description: String {
        switch self {
        case .staleViews:
            "the views were rebuilt by another process each time this one read them (five times in a row); try again"
        }
    }
}

extension ProjectionStore {
    /// Keeps the projections live until the task is cancelled: applies new events as this
    /// process commits them (the log's commit notifications) and, for appends made by other
    /// processes, at least every `pollInterval` seconds.
    ///
    /// - Parameter onApplied: called after each catch-up that applied events, with the new position.
    public func follow(pollInterval: Double = 1, onApplied: (@Sendable (UInt64) -> Void)? = nil) async throws {
        let commits = log.commits()
        try catchUp()
        onApplied?(position)
        await withTaskGroup(of: Void.self) { group in
            // Wake on commits of this process…
            let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            group.addTask {
                for await _ in commits { wake.yield() }
            }
            // …and on a timer, for other processes.
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(pollInterval * 1_000_000_000))
                    wake.yield()
                }
                wake.finish()
            }
            for await _ in wakeups {
                if Task.isCancelled { break }
                if let applied = try? catchUp(), applied > 0 { onApplied?(position) }
            }
            group.cancelAll()
        }
    }
}
