import MerkleLog

/// Makes a signed checkpoint after every N new events or at the first commit T seconds after
/// the last checkpoint. Runs on the writer's queue right after a commit.
final class AutoCheckpointer: @unchecked Sendable {
    private let every: UInt64?
    private let interval: Double?
    /// Touched only on the writer queue.
    private var signer: NoteSigner?
    private var signerUnavailable = false
    private var lastSize: UInt64?
    private var lastTime: Int64 = 0

    init(every: UInt64?, interval: Double?) {
        self.every = every
        self.interval = interval
    }

    func consider(size: UInt64, log: LMDBEventLog) {
        if signerUnavailable { return }
        if lastSize == nil {
            lastSize = (try? log.latestCheckpoint())??.treeSize ?? 0
            lastTime = RecordedAtClock.nowMicros()
        }
        let since = size - min(size, lastSize ?? 0)
        guard since > 0 else { return }
        let byCount = every.map { since >= $0 } ?? false
        let byTime = interval.map { Double(RecordedAtClock.nowMicros() - lastTime) / 1e6 >= $0 } ?? false
        guard byCount || byTime else { return }
        do {
            if signer == nil { signer = try log.loadSigner() }
            let (checkpoint, _) = try log.makeCheckpoint(signer: signer!)
            lastSize = checkpoint.size
            lastTime = RecordedAtClock.nowMicros()
        } catch {
            // No key file here (for example a copy of the log without keys/): checkpoints are
            // then made with `imr checkpoint` where the key lives. Appends are unaffected.
            signerUnavailable = true
        }
    }
}
