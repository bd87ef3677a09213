import LMDBKit

extension LMDBEventLog {
    /// Checks the indexes the writer keeps beside the events against the events themselves.
    ///
    /// The chain and the Merkle tree prove the events; stream reads, stream versions and
    /// idempotent retries go through four indexes that no hash covers (docs/FORMAT.md):
    /// `links` (one per event: its stream version, the stream's previous event and the jump
    /// link), `ids` (source and id → position and version), `streams` (stream → the position
    /// of its first event, the stream's key) and `heads` (that key → the stream's last event).
    /// A damaged index would make stream reads skip events and retries store duplicates while
    /// the chain still verifies. This recomputes every index entry from the
    /// events (the jump links from stream versions alone, not from other stored links) and
    /// reports each one that differs, each one missing, and entries no event accounts for.
    ///
    /// One read transaction: the check covers the log as it stood when it began. Events that
    /// do not decode are left to ``verifyChain(strict:rootsAt:continuing:progress:)``, which
    /// reports them. Findings name positions and index names, never stream ids or event data.
    ///
    /// ```swift
    /// let problems = try log.verifyIndexes()
    /// print(problems.isEmpty ? "indexes match the events" : problems[0].description)
    /// ```
    /// - Returns: At most 100 findings (as ``ChainVerifier`` keeps), in log order, then heads and counts.
    public func verifyIndexes() throws -> [IntegrityViolation] {
        try storage {
            try env.read { txn in
                var check = IndexCheck()
                let size = try WriterState.size(txn: txn, dbs: dbs)
                var reader = StoredEventReader()
                try txn.withCursor(dbs.events) { cursor in
                    var more = try cursor.first()
                    while more {
                        let done = try cursor.withCurrent { k, v -> Bool in
                            guard let position = UInt64(bigEndianBytes: k), position < size else { return true }
                            guard v.count <= EventLimits.maxEventBytes,
                                let event = try? reader.read(v, expectedPosition: position)
                            else { return false }
                            try check.event(event, at: position, txn: txn, dbs: dbs)
                            return check.isFull
                        }
                        if done { break }
                        more = try cursor.next()
                    }
                }
                try check.finish(events: size, txn: txn, dbs: dbs)
                return check.violations
            }
        }
    }
}

/// The state of ``LMDBEventLog/verifyIndexes()``: every stream's events so far.
private struct IndexCheck {
    /// One stream as the events build it: positions and jump versions by version − 1.
    struct Track {
        var positions: [LogIndex] = []
        var jumpVersions: [StreamVersion] = []

        /// The link the writer stores for the next event of this stream, at `position`.
        mutating func append(at position: LogIndex) -> StreamLink {
            let version = StreamVersion(positions.count) + 1
            let link: StreamLink
            if version == 1 {
                link = StreamLink.first
            } else {
                // StreamLink.after, from versions: the parent's jump target j has its own jump
                // (j ≥ 2) and the two spans are equal → jump two steps, else to the parent.
                let parent = version - 1
                let previous = positions[Int(parent) - 1]
                var jumpVersion = parent
                if parent >= 2 {
                    let j = jumpVersions[Int(parent) - 1]
                    if j >= 2 {
                        let jj = jumpVersions[Int(j) - 1]
                        if parent - j == j - jj { jumpVersion = jj }
                    }
                }
                link = StreamLink(
                    version: version, previous: previous, jump: positions[Int(jumpVersion) - 1], jumpVersion: jumpVersion)
            }
            positions.append(position)
            jumpVersions.append(version == 1 ? 0 : link.jumpVersion)
            return link
        }
    }

    var tracks: [String: Track] = [:]
    private(set) var violations: [IntegrityViolation] = []
    /// As many findings as a chain verification keeps by default.
    var isFull: Bool { violations.count >= Self.maxFindings }
    static let maxFindings = ChainVerifier().maxViolations

    mutating func add(_ position: LogIndex?, _ kind: IntegrityViolation.Kind, expected: String, found: String) {
        guard !isFull else { return }
        violations.append(IntegrityViolation(position: position, kind: kind, expected: expected, found: found))
    }

    mutating func event(_ event: StoredEventView, at position: LogIndex, txn: borrowing Transaction, dbs: LogDatabases) throws {
        let link = tracks[event.subject, default: Track()].append(at: position)
        if event.streamVersion != link.version {
            add(position, .streamVersion, expected: "version \(link.version) of its stream", found: "version \(event.streamVersion)")
        }
        var be = position.bigEndian
        let stored = try withUnsafeBytes(of: &be) { k in
            try txn.withValue(dbs.links, key: k) { v in v.flatMap { StreamLink(bytes: $0) } }
        }
        if stored != link {
            add(position, .linkMismatch, expected: Self.describe(link), found: stored.map(Self.describe) ?? "no link")
        }
        let record = try IDRecord.key(source: event.source, id: event.id).withUnsafeBytes { k in
            try txn.withValue(dbs.ids, key: k) { v in v.flatMap { IDRecord(bytes: $0) } }
        }
        if record != IDRecord(position: position, version: event.streamVersion) {
            add(
                position, .idIndexMismatch, expected: "the event's id indexed at position \(position), version \(event.streamVersion)",
                found: record.map { "position \($0.position), version \($0.version)" } ?? "no entry")
        }
    }

    /// Stream keys and heads, and entries that no event accounts for.
    mutating func finish(events: UInt64, txn: borrowing Transaction, dbs: LogDatabases) throws {
        // `streams`: each stream's id → the position of its first event (its key).
        var unseen = Set(tracks.keys)
        try txn.withCursor(dbs.streams) { cursor in
            var more = try cursor.first()
            while more && !isFull {
                cursor.withCurrent { k, v in
                    let stream = String(decoding: k, as: UTF8.self)
                    let key = UInt64(bigEndianBytes: v)
                    guard let track = tracks[stream] else {
                        add(key, .headMismatch, expected: "no streams entry for a stream without events", found: "an entry")
                        return
                    }
                    unseen.remove(stream)
                    if key != track.positions[0] {
                        add(
                            track.positions[0], .headMismatch, expected: "its stream's key: the position of its first event",
                            found: key.map { "key \($0)" } ?? "a damaged entry")
                    }
                }
                more = try cursor.next()
            }
        }
        for stream in unseen.sorted() {
            add(tracks[stream]?.positions.first, .headMismatch, expected: "a streams entry for the stream that begins here", found: "no entry")
        }
        // `heads`: each stream's key → its version and last event.
        var byKey: [LogIndex: Track] = [:]
        for track in tracks.values { byKey[track.positions[0]] = track }
        var headless = Set(byKey.keys)
        try txn.withCursor(dbs.heads) { cursor in
            var more = try cursor.first()
            while more && !isFull {
                cursor.withCurrent { k, v in
                    let head = StreamHead(bytes: v)
                    guard let key = UInt64(bigEndianBytes: k), let track = byKey[key] else {
                        add(
                            UInt64(bigEndianBytes: k), .headMismatch, expected: "no head under a key where no stream begins",
                            found: "a head")
                        return
                    }
                    headless.remove(key)
                    let version = StreamVersion(track.positions.count)
                    let position = track.positions[track.positions.count - 1]
                    if head?.version != version || head?.position != position {
                        add(
                            position, .headMismatch, expected: "its stream's head at version \(version)",
                            found: head.map { "version \($0.version) at position \($0.position)" } ?? "a damaged head")
                    }
                }
                more = try cursor.next()
            }
        }
        for key in headless.sorted() {
            add(byKey[key]?.positions.last, .headMismatch, expected: "its stream's head", found: "no head")
        }
        for (name, db) in [("links", dbs.links), ("ids", dbs.ids)] {
            let entries = try txn.stat(db).entries
            if UInt64(entries) != events {
                add(nil, name == "links" ? .linkMismatch : .idIndexMismatch, expected: "\(events) \(name) entries, one per event",
                    found: "\(entries)")
            }
        }
    }

    static func describe(_ l: StreamLink) -> String {
        func p(_ x: UInt64) -> String { x == StreamLink.none ? "none" : String(x) }
        return "version \(l.version), previous \(p(l.previous)), jump \(p(l.jump)) (version \(l.jumpVersion))"
    }
}
