import Synchronization

/// Fans out tree sizes to every subscriber of ``EventLog/commits()``.
final class CommitBroadcaster: Sendable {
    private let state = Mutex<(next: Int, subscribers: [Int: AsyncStream<UInt64>.Continuation])>((0, [:]))

    func subscribe() -> AsyncStream<UInt64> {
        let (stream, continuation) = AsyncStream<UInt64>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { s in
            let id = s.next
            s.next += 1
            s.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ treeSize: UInt64) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for s in subscribers { s.yield(treeSize) }
    }

    func finish() {
        let subscribers = state.withLock { s in
            defer { s.subscribers.removeAll() }
            return Array(s.subscribers.values)
        }
        for s in subscribers { s.finish() }
    }
}
