import Foundation
import MerkleLog

/// A bounded hand-off of chunks from a thread that reads the log to a thread that consumes
/// them in order: the verifier's scan (``ScanChunk``) and the projections' long folds use it.
///
/// The sender blocks while `capacity` chunks wait; the receiver blocks until one arrives.
public final class ChunkHandOff<Chunk>: @unchecked Sendable {
    /// What the sender hands over: a chunk, the end of the input, or the error that ended it.
    public enum Item {
        case chunk(Chunk)
        case end
        case failure(any Error)
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var cancelled = false
    private let capacity: Int

    /// A hand-off holding at most `capacity` items.
    public init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full; returns false once the receiver has cancelled.
    @discardableResult
    public func send(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Blocks until an item arrives.
    public func receive() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// Tells the sender to stop; pending and future sends are dropped.
    public func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}

/// Up to a few thousand hashed events, with copies of their bytes in one buffer.
struct ScanChunk {
    /// Each event's key position and leaf hash.
    var events: [(position: LogIndex, leaf: Hash)] = []
    /// The events' stored bytes, back to back.
    var storage: [UInt8] = []
    /// Where each event's bytes end in `storage`.
    var ends: [Int] = []
    /// Events whose stored value is larger than a stored event may be, with that size: their
    /// bytes were not read (and count as empty in `storage`).
    var oversized: [(position: LogIndex, size: Int)] = []

    static let size = 4096

    init() {
        events.reserveCapacity(Self.size)
        ends.reserveCapacity(Self.size)
        storage.reserveCapacity(Self.size * 1024)
    }
}
