import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LMDBKit
public import MerkleLog

/// Reads stored Merkle nodes, one short read transaction each. Nodes of complete subtrees
/// never change once written, so reads from successive transactions are consistent.
public struct StoredNodeReader: NodeReader {
    /// The store whose `merkle` database is read.
    public let log: LMDBEventLog
    /// A reader over `log`'s stored nodes.
    public init(log: LMDBEventLog) { self.log = log }
    /// The stored hash of `node`; `.corruption` when it is missing.
    public func hash(of node: NodeID) throws -> Hash { try log.merkleNode(node) }
}

extension LMDBEventLog {
    // MARK: Proofs

    /// The RFC 9162 root hash of the log's first `treeSize` events, from stored nodes (O(log n) reads).
    /// - Precondition: `treeSize` ≤ the current size (else `.invalidEvent` naming `treeSize`).
    public func rootHash(treeSize: UInt64) throws -> Hash {
        try checkSize(treeSize)
        return try Proofs.rootHash(size: treeSize, reader: StoredNodeReader(log: self))
    }

    /// The RFC 9162 §2.1.3 inclusion proof of the event at `position` in the tree of `treeSize`.
    ///
    /// ```swift
    /// let proof = try log.inclusionProof(position: 41, treeSize: head.treeSize)
    /// try Proofs.verifyInclusion(leafHash: event.leafHash, index: 41, size: head.treeSize, proof: proof, root: head.rootHash)
    /// ```
    /// - Precondition: `position` < `treeSize` ≤ the current size.
    public func inclusionProof(position: LogIndex, treeSize: UInt64) throws -> [Hash] {
        try checkSize(treeSize)
        guard position < treeSize else {
            throw EventLogError.invalid(field: "position", rule: "position \(position) is not below the tree size \(treeSize)")
        }
        return try Proofs.inclusion(index: position, size: treeSize, reader: StoredNodeReader(log: self))
    }

    /// The RFC 9162 §2.1.4 consistency proof from `oldSize` to `newSize`.
    /// - Precondition: 0 < `oldSize` ≤ `newSize` ≤ the current size.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [Hash] {
        try checkSize(newSize)
        guard oldSize > 0, oldSize <= newSize else {
            throw EventLogError.invalid(field: "oldSize", rule: "the old size must be between 1 and the new size \(newSize)")
        }
        return try Proofs.consistency(from: oldSize, to: newSize, reader: StoredNodeReader(log: self))
    }

    private func checkSize(_ treeSize: UInt64) throws {
        let size = try storage { try env.read { txn in try WriterState.size(txn: txn, dbs: dbs) } }
        guard treeSize <= size else {
            throw EventLogError.invalid(field: "treeSize", rule: "tree size \(treeSize) exceeds the log size \(size)")
        }
    }

    // MARK: Keys

    /// The signer key file of a store: `<store>/keys/log.key`, mode 0600.
    public static func signerKeyFile(of store: String) -> String { store + "/keys/log.key" }

    /// Makes the store's Ed25519 key pair, named after the origin, and writes the signer key
    /// file (mode 0600, created exclusively). Returns the signer.
    static func makeSignerKey(store: String, origin: String) throws -> NoteSigner {
        let signer: NoteSigner
        do { signer = try NoteSigner(name: origin, privateKey: Curve25519.Signing.PrivateKey()) } catch {
            throw EventLogError.invalid(field: "origin", rule: "the origin must be a signed-note key name: \(error)")
        }
        let dir = store + "/keys"
        let path = signerKeyFile(of: store)
        if let failure = makeDirectories(dir, mode: 0o700) {
            throw EventLogError(code: .storage, message: "cannot create \(dir): \(String(cString: strerror(failure)))")
        }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw EventLogError(code: .storage, message: "cannot create the key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let text = Array((signer.signerKey + "\n").utf8)
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else {
            throw EventLogError(code: .storage, message: "cannot write the key file \(path)")
        }
        return signer
    }

    /// Loads the store's signer from its key file.
    /// - Throws: `.storage` when the file is missing or unreadable, `.corruption` when it does
    ///   not hold a signer key for this log's verifier key.
    public func loadSigner() throws -> NoteSigner {
        let path = Self.signerKeyFile(of: directory)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw EventLogError(code: .storage, message: "cannot read the signer key file \(path)")
        }
        let signer: NoteSigner
        do { signer = try NoteSigner(signerKey: text.trimmingCharacters(in: .whitespacesAndNewlines)) } catch {
            throw EventLogError.corrupt(nil, "the signer key file \(path) is not a signed-note signer key")
        }
        guard signer.verifierKey == verifierKey else {
            throw EventLogError.corrupt(nil, "the signer key file \(path) does not match this log's verifier key")
        }
        return signer
    }

    /// The log's verifier key in signed-note encoding (`name+hash+base64key`), from `meta`.
    public var verifierKey: String {
        (try? storage { try env.read { txn in try txn.get(dbs.meta, key: Array("verifierkey".utf8)) } })
            .flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    // MARK: Checkpoints

    /// Signs a C2SP checkpoint of the log as it stands, stores it, and returns it.
    ///
    /// ```swift
    /// let (checkpoint, note) = try log.makeCheckpoint(signer: try log.loadSigner())
    /// print(note)   // origin, size, base64 root, blank line, "— origin <signature>"
    /// ```
    ///
    /// - Throws: `EventLogError` `.corruption` when the log is smaller than a checkpoint it
    ///   already stores (signed tree heads only grow).
    @discardableResult
    public func makeCheckpoint(signer: NoteSigner) throws -> (checkpoint: Checkpoint, note: String) {
        let head = try currentHead()
        // Signed tree heads only grow: a log smaller than a tree it has signed was truncated or
        // rolled back, and signing it would give the rollback a valid signature.
        if let (signed, note) = try latestCheckpoint() {
            if signed > head.treeSize {
                throw EventLogError.corrupt(
                    nil, "the log holds \(head.treeSize) events but has signed a checkpoint of \(signed): it was truncated or rolled back, so no smaller tree is signed")
            }
            // And the tree signed must still be the first `signed` events of this one: a log
            // rolled back and appended to again (or rewritten with its nodes) is not signed,
            // which would also replace the checkpoint that shows it.
            guard let held = try? SignedCheckpoint.open(note, verifier: try NoteVerifier(verifierKey: signer.verifierKey), expectedOrigin: origin),
                held.size == signed
            else {
                throw EventLogError.corrupt(nil, "the stored checkpoint of \(signed) does not open with the log's key")
            }
            if try rootHash(treeSize: signed) != held.rootHash {
                throw EventLogError.corrupt(
                    nil, "the log's first \(signed) events are not the tree it signed at \(signed): it was rewritten or rolled back, so it is not signed again")
            }
        }
        let checkpoint = Checkpoint(origin: origin, size: head.treeSize, rootHash: head.rootHash)
        let note = try SignedCheckpoint.sign(checkpoint, with: signer)
        try storeCheckpoint(note, size: head.treeSize)
        return (checkpoint, note)
    }

    func storeCheckpoint(_ note: String, size: UInt64) throws {
        try storage {
            try env.write { txn in
                try txn.put(dbs.checkpoints, key: size, value: Array(note.utf8))
            }
        }
    }

    /// Every stored checkpoint, oldest first: tree size and signed note text.
    public func storedCheckpoints() throws -> [(treeSize: UInt64, note: String)] {
        try storage {
            try env.read { txn in
                try txn.withCursor(dbs.checkpoints) { cursor in
                    var out: [(UInt64, String)] = []
                    var more = try cursor.first()
                    while more {
                        let (k, v) = cursor.current()
                        guard let size = UInt64(bigEndianBytes: k) else { throw EventLogError.corrupt(nil, "a checkpoint key is not 8 bytes") }
                        out.append((size, String(decoding: v, as: UTF8.self)))
                        more = try cursor.next()
                    }
                    return out
                }
            }
        }
    }

    /// The newest stored checkpoint, if any.
    public func latestCheckpoint() throws -> (treeSize: UInt64, note: String)? {
        // The last key only: signing a checkpoint asks for it, and a long log stores many.
        try storage {
            try env.read { txn in
                try txn.withCursor(dbs.checkpoints) { cursor -> (treeSize: UInt64, note: String)? in
                    guard try cursor.last() else { return nil }
                    let (k, v) = cursor.current()
                    guard let size = UInt64(bigEndianBytes: k) else { throw EventLogError.corrupt(nil, "a checkpoint key is not 8 bytes") }
                    return (size, String(decoding: v, as: UTF8.self))
                }
            }
        }
    }
}

extension LMDBEventLog {
    /// The position of the event with CloudEvents `source` and `id`, or nil when none is stored.
    public func position(ofEventID id: String, source: String) throws -> LogIndex? {
        let key = IDRecord.key(source: source, id: id)
        let found: (LogIndex, [UInt8]?)? = try storage {
            try env.read { txn in
                let record = try key.withUnsafeBytes { k in
                    try txn.withValue(dbs.ids, key: k) { v in v.flatMap { IDRecord(bytes: $0) } }
                }
                guard let position = record?.position else { return nil }
                return (position, try txn.get(dbs.events, key: position))
            }
        }
        guard let (position, bytes) = found else { return nil }
        // The index is not covered by the chain or the tree: the event it names must be the one
        // asked for, or a proof "of this event" would prove another.
        guard let bytes else { throw EventLogError.corrupt(position, "the id index points at a missing event") }
        let stored = try StoredEvent(bytes: bytes, expectedPosition: position)
        guard stored.id == id, stored.source == source else {
            throw EventLogError.corrupt(position, "the id index names this position for another event")
        }
        return position
    }
}
