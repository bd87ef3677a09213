import Foundation
import MerkleLog

/// A bounded hand-off of scanned chunks from the thread that reads and hashes events to the
/// thread that folds them into the chain and the tree.
final class ScanChannel: @unchecked Sendable {
    enum Item {
        case chunk(ScanChunk)
        case end
        case failure(any Error)
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full; returns false once the receiver has cancelled.
    @discardableResult
    func send(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    func receive() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// Tells the sender to stop; pending and future sends are dropped.
    func cancel() {
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

    static let size = 4096

    init() {
        events.reserveCapacity(Self.size)
        ends.reserveCapacity(Self.size)
        storage.reserveCapacity(Self.size * 1024)
    }
}
