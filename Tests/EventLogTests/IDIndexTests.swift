import EventLogTesting
import LMDBKit
import Testing

@testable import EventLog

/// The writer puts an id that sorts after every stored one with `MDB_APPEND` and falls back to a
/// checked insert otherwise; the store's own ids ascend (``EventDraft/newID()``).
@Suite("The ids index: ids made in order fill its pages, and every id is still checked")
struct IDIndexTests {
    /// `ids` as `mdb_stat` reports it.
    func idsStat(_ log: LMDBEventLog) throws -> DatabaseStat {
        try log.env.read { txn in try txn.stat(log.dbs.ids) }
    }

    @Test("20,000 events with the store's own ids leave the ids index's pages at least 80% full")
    func fullPages() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let log = try store.create()
        for batch in 0..<20 {
            let appends = (0..<1000).map { i in
                let n = batch * 1000 + i
                return StreamAppend(stream: Fixtures.consumerStream(n % 500), events: [Fixtures.sessionNote(n, id: EventDraft.newID())])
            }
            _ = try await log.append(appends)
        }
        let stat = try idsStat(log)
        #expect(stat.entries == 20_000)
        // An entry: key (source ‖ 0x00 ‖ 36-character id), a 16-byte value, an 8-byte node
        // header and a 2-byte slot. A page splits in half when keys are inserted one by one
        // (about 50–70% full after ascending inserts); appended keys fill it.
        let entryBytes = Fixtures.source.utf8.count + 1 + 36 + 16 + 8 + 2
        let usable = stat.pageSize - 16
        let fill = Double(stat.entries * entryBytes) / Double(stat.leafPages * usable)
        #expect(fill >= 0.8, "ids leaf pages are \(Int(fill * 100))% full (\(stat.leafPages) pages)")
        #expect(try log.verifyIndexes().isEmpty)
    }

    @Test("ids below the last one, retries of the first, middle and last id, and conflicts are all caught")
    func outOfOrder() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let log = try store.create()
        let stream = Fixtures.consumerStream(1)
        // Ascending ids, then ones that sort before all of them and between them.
        let ids = (0..<300).map { "id-0\($0 * 2 + 1000)" } + ["a-first", "id-01001", "id-01599", "zz-last"]
        for (n, id) in ids.enumerated() {
            _ = try await log.append([StreamAppend(stream: stream, events: [Fixtures.sessionNote(n, id: id)])])
        }
        #expect(try idsStat(log).entries == ids.count)
        for (n, id) in ids.enumerated() where [0, 150, 299, 300, 301, ids.count - 1].contains(n) {
            // The same content: a safe retry, at the original position.
            let retry = try await log.append([StreamAppend(stream: stream, events: [Fixtures.sessionNote(n, id: id)])])
            #expect(retry[0].wasDuplicate)
            #expect(retry[0].positions == [LogIndex(n)])
            // Other content under the same id: refused, nothing written.
            await #expect(throws: EventLogError.self) {
                _ = try await log.append([StreamAppend(stream: stream, events: [Fixtures.sessionNote(n + 1, id: id)])])
            }
        }
        #expect(try await log.head().treeSize == UInt64(ids.count))
        #expect(try log.verifyIndexes().isEmpty)
    }
}
