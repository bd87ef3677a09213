import MerkleLog

/// The contract of the append-only clinical event log.
///
/// Everything above the log talks to this protocol, never to a storage engine: the record
/// core to `EventLog` itself, the projection engine, the report and the server to
/// ``VerifiableEventLog``. So the LMDB store (``LMDBEventLog``) and a future PostgreSQL store
/// are interchangeable. Implementations must keep the guarantees of docs/FORMAT.md:
///
/// 1. One append is one atomic commit across all its streams: every event, index entry,
///    chain link and Merkle node, or none.
/// 2. An append returns only after a durable commit.
/// 3. Each ``StreamAppend`` has its own expected-version check; one mismatch fails the whole
///    call and writes nothing.
/// 4. Event ids are idempotency keys, forever: the same content returns the original
///    positions; other content under a stored id is an `.idempotencyConflict`.
/// 5. Positions are gapless from 0; the stored bytes are RFC 8785 canonical CloudEvents JSON
///    carrying the predecessor's RFC 9162 leaf hash.
///
/// ```swift
/// let log: any EventLog = try LMDBEventLog.create(at: "/var/lib/imr/store")
/// let result = try await log.append([draft], to: try StreamID("consumer-7f3a9c"), expecting: .noStream)
/// for event in try await log.read(from: 0, limit: 100) { print(event.position, event.type) }
/// ```
public protocol EventLog: Sendable {
    /// Appends events to several streams in one atomic commit.
    ///
    /// - Parameter appends: the streams, their expected versions and events (at least one
    ///   event in all, at most ``EventLimits/maxEventsPerAppend``).
    /// - Returns: one result per element of `appends`, in order.
    /// - Throws: ``EventLogError`` (`.invalidEvent`, `.eventTooLarge`, `.wrongExpectedVersion`,
    ///   `.idempotencyConflict`, `.storage`, `.readOnly`, `.logFull`); nothing is written then.
    func append(_ appends: [StreamAppend]) async throws -> [AppendResult]

    /// Reads up to `limit` events of the global log starting at `position`, in order.
    func read(from position: LogIndex, limit: Int) async throws -> [StoredEvent]

    /// Reads up to `limit` events of one stream starting at stream version `version` (1-based).
    func readStream(_ stream: StreamID, from version: StreamVersion, limit: Int) async throws -> [StoredEvent]

    /// The current stream version (0 when the stream has no events).
    func version(of stream: StreamID) async throws -> StreamVersion

    /// The log's size, last leaf hash and Merkle root.
    func head() async throws -> LogHead

    /// The position of the event stored with CloudEvents `source` and `id`, or nil.
    func position(ofEventID id: String, source: String) async throws -> LogIndex?

    /// A stream of tree sizes, yielded after each commit that adds events.
    ///
    /// The sequence starts empty: read ``head()`` after subscribing to learn where to begin.
    /// Slow consumers see only the newest size (older ones are dropped), which is enough to
    /// know what to read next.
    func commits() -> AsyncStream<UInt64>
}

extension EventLog {
    /// Appends `events` to one stream, expecting it at `expected`.
    ///
    /// ```swift
    /// let r = try await log.append([draft], to: stream, expecting: .exact(2))
    /// print(r.positions, r.streamVersion)
    /// ```
    public func append(_ events: [EventDraft], to stream: StreamID, expecting expected: ExpectedVersion) async throws
        -> AppendResult
    {
        try await append([StreamAppend(stream: stream, expected: expected, events: events)])[0]
    }
}

/// The log with what the layers above the contract read besides it: synchronous reads for the
/// projection engine's scans and the server's pages, and the integrity surface (root hashes,
/// proofs, signed checkpoints).
///
/// The projection engine, the report and the HTTP server take `any VerifiableEventLog`, never
/// a storage engine's type, so a store that keeps DESIGN.md's bytes, hashes and proofs can
/// stand behind them. ``LMDBEventLog`` is the first.
public protocol VerifiableEventLog: EventLog, AnyObject {
    /// Synchronous ``EventLog/head()``.
    func currentHead() throws -> LogHead

    /// The number of stored events, without hashing anything.
    func size() throws -> UInt64

    /// Synchronous ``EventLog/read(from:limit:)``.
    func readEvents(from position: LogIndex, limit: Int) throws -> [StoredEvent]

    /// Synchronous ``EventLog/readStream(_:from:limit:)``.
    func readStreamEvents(_ stream: StreamID, from version: StreamVersion, limit: Int) throws -> [StoredEvent]

    /// Calls `body` with each stored event's position and exact stored bytes from
    /// `position`, at most `limit` of them, in order; `body` returns false to stop.
    /// - Important: `bytes` are valid only during the call.
    func forEachRaw(from position: LogIndex, limit: Int, _ body: (LogIndex, UnsafeRawBufferPointer) throws -> Bool) throws

    /// The RFC 9162 root hash of the first `treeSize` events.
    func rootHash(treeSize: UInt64) throws -> Hash

    /// The RFC 9162 inclusion proof of the event at `position` in the tree of `treeSize` events.
    func inclusionProof(position: LogIndex, treeSize: UInt64) throws -> [Hash]

    /// The RFC 9162 consistency proof between the trees of `oldSize` and `newSize` events.
    func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [Hash]

    /// The log's checkpoint signer (its origin and Ed25519 key).
    func loadSigner() throws -> NoteSigner

    /// Signs and stores a checkpoint of the log as it is now.
    func makeCheckpoint(signer: NoteSigner) throws -> (checkpoint: Checkpoint, note: String)

    /// The stored signed checkpoint of the largest tree, if any.
    func latestCheckpoint() throws -> (treeSize: UInt64, note: String)?

    /// Re-verifies the chain and the stored Merkle nodes from the stored bytes (see
    /// ``LMDBEventLog/verifyChain(strict:rootsAt:continuing:progress:)``).
    func verifyChain(strict: Bool, rootsAt: Set<UInt64>, continuing previous: ChainVerifier?, progress: ((UInt64) -> Void)?)
        throws -> ChainVerifier

    /// What an operator should hear when a server starts over this log (for the LMDB store:
    /// that its writer may not raise its thread's priority); empty when all is well.
    func operatorWarnings() -> [String]
}

extension LMDBEventLog: VerifiableEventLog {}
