import EventLog
import MerkleLog

/// Re-hashes events in log order with the library's ``ChainVerifier`` and keeps the
/// recomputed RFC 9162 root at every size a checkpoint names.
///
/// One pass serves the chain (gapless positions, `position`, `predecessorhash`, canonical
/// bytes), the tree and the checkpoints: when the scan has folded exactly `size` leaves, the
/// compact range's root is the root a checkpoint of that size must carry.
///
/// ```swift
/// var scan = ChainScan(checkpointSizes: [100, 300])
/// for (position, bytes) in events { scan.add(position: position, bytes: bytes) }
/// scan.roots[100]   // the recomputed root of the first 100 events
/// ```
struct ChainScan {
    /// The chain checker, holding the chain violations and the compact range.
    private(set) var chain: ChainVerifier
    /// The sizes to keep the root at.
    let checkpointSizes: Set<UInt64>
    /// Recomputed roots at the sizes asked for that the scan has reached.
    var roots: [UInt64: Hash] {
        var roots = chain.roots
        if checkpointSizes.contains(0) { roots[0] = RFC6962.emptyRoot }
        return roots
    }
    /// Events too large to be stored events (reported, not hashed).
    private(set) var oversized: [AuditViolation] = []

    /// Makes a scan that keeps the root at each of `checkpointSizes`.
    init(checkpointSizes: Set<UInt64>) {
        chain = ChainVerifier()
        chain.strict = true
        chain.rootsWanted = checkpointSizes
        self.checkpointSizes = checkpointSizes
    }

    /// Events checked so far.
    var count: UInt64 { chain.count }

    /// The root over every event checked so far.
    var rootHash: Hash { chain.rootHash }

    /// Checks one event and reports each Merkle node its leaf completes (leaf first, bottom-up).
    ///
    /// A value larger than the stored-event limit is not read (a damaged LMDB node can claim any
    /// size); it is reported and hashed as empty, which the chain and the tree then flag too.
    /// - Returns: The event's leaf hash.
    @discardableResult
    mutating func add(
        position: UInt64, bytes: UnsafeRawBufferPointer, visit: (NodeID, Hash) -> Void = { _, _ in }
    ) -> Hash {
        var bytes = bytes
        if bytes.count > EventLimits.maxEventBytes {
            oversized.append(
                AuditViolation(
                    position: position, kind: "oversized",
                    expected: "at most \(EventLimits.maxEventBytes) bytes", found: "\(bytes.count) bytes"))
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return chain.check(position: position, bytes: bytes, visit: visit)
    }

    /// The chain's violations, then the oversized values, in the auditor's form.
    var violations: [AuditViolation] {
        chain.violations.map(AuditViolation.init) + oversized
    }
}
