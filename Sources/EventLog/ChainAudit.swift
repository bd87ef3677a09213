import Foundation
import Synchronization

/// A standing audit of one log, kept up to date at the cost of what was appended.
///
/// The first ``check()`` verifies the whole log (``LMDBEventLog/verifyChain(strict:rootsAt:continuing:progress:)``,
/// chain and Merkle tree). Later checks read only the events appended since, continuing the
/// kept verifier, so a live page can show the audit status after every append without
/// re-hashing the whole record each time. Bytes that were already checked are read again by a
/// full pass once the last one is older than ``fullCheckInterval``: that is what catches an
/// event altered on disk after it was verified.
///
/// ```swift
/// let audit = ChainAudit(log: log)
/// let status = try audit.check()
/// print(status.verifier.violations.isEmpty ? "verified" : "NOT verified", status.lastFullCheck)
/// ```
public final class ChainAudit: Sendable {
    /// What a check found.
    public struct Status: Sendable {
        /// The verifier over every event checked: its violations, count and recomputed root.
        public var verifier: ChainVerifier
        /// When the whole log was last read and verified.
        public var lastFullCheck: Date
    }

    /// The log audited.
    public let log: any VerifiableEventLog
    /// How old the last full pass may be before a check reads the whole log again, in seconds.
    public let fullCheckInterval: TimeInterval
    private let state = Mutex<Status?>(nil)

    /// An audit of `log` that re-reads everything at least every `fullCheckInterval` seconds
    /// (10 minutes by default; 0 makes every check a full one).
    public init(log: any VerifiableEventLog, fullCheckInterval: TimeInterval = 600) {
        self.log = log
        self.fullCheckInterval = fullCheckInterval
    }

    /// Brings the audit up to the log's end: the events appended since the last check, or the
    /// whole log when no full pass is recent enough. Concurrent callers wait for one another.
    public func check() throws -> Status {
        try state.withLock { kept in
            let now = Date()
            if let previous = kept, now.timeIntervalSince(previous.lastFullCheck) < fullCheckInterval {
                let verifier = try log.verifyChain(strict: false, rootsAt: [], continuing: previous.verifier, progress: nil)
                kept = Status(verifier: verifier, lastFullCheck: previous.lastFullCheck)
            } else {
                kept = Status(verifier: try log.verifyChain(strict: false, rootsAt: [], continuing: nil, progress: nil), lastFullCheck: now)
            }
            return kept!
        }
    }
}
