import EventLog
import Foundation
import Testing

@Suite("New event ids are version 7 UUIDs: valid, unique, ordered by time and within a millisecond")
struct EventIDTests {
    /// The 48-bit millisecond timestamp at the front of a version 7 UUID's text.
    static func millis(_ id: String) -> UInt64? {
        let hex = id.replacingOccurrences(of: "-", with: "")
        return UInt64(hex.prefix(12), radix: 16)
    }

    @Test("the text is a lower-case RFC 9562 UUID with version 7 and variant 10")
    func format() throws {
        for _ in 0..<1_000 {
            let id = EventDraft.newID()
            #expect(id.count == 36)
            #expect(id == id.lowercased())
            let uuid = try #require(UUID(uuidString: id), "\(id) does not parse as a UUID")
            let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 7, "version nibble of \(id)")
            #expect(bytes[8] >> 6 == 0b10, "variant bits of \(id)")
            #expect(Array(id.utf8).enumerated().allSatisfy { i, c in
                [8, 13, 18, 23].contains(i) ? c == 0x2D : (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)
            })
        }
    }

    @Test("the timestamp is the time of making, and ids made later sort later")
    func timeOrdered() async throws {
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        let first = EventDraft.newID()
        let after = UInt64(Date().timeIntervalSince1970 * 1000) + 1
        let t = try #require(Self.millis(first))
        #expect(t >= before && t <= after)
        try await Task.sleep(nanoseconds: 3_000_000)
        let second = EventDraft.newID()
        #expect(first < second)
    }

    @Test("ids made one after another ascend, within a millisecond too, from several threads")
    func monotonic() async throws {
        // Before the counter, ids made in the same millisecond were in random order: of
        // 10,000 made in a tight loop, about half came before the one made just earlier.
        var previous = EventDraft.newID()
        for _ in 0..<10_000 {
            let id = EventDraft.newID()
            #expect(previous < id, "\(id) was made after \(previous)")
            previous = id
        }
        // Each thread sees ascending ids, and all of them differ.
        let lists = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<5_000).map { _ in EventDraft.newID() } } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for list in lists { #expect(zip(list, list.dropFirst()).allSatisfy { $0 < $1 }) }
        #expect(Set(lists.joined()).count == 20_000)
    }

    @Test("an id from its parts: time, counter, then 62 random bits, with version 7 and variant 10")
    func fromParts() {
        #expect(EventDraft.versionSevenID(millis: 1_772_323_200_000, counter: 1, random: 0) == "019ca6b1-dc00-7001-8000-000000000000")
        #expect(EventDraft.versionSevenID(millis: 1_772_323_200_000, counter: 0xFFF, random: .max) == "019ca6b1-dc00-7fff-bfff-ffffffffffff")
    }

    @Test("100,000 ids are all different (62 random bits and a counter each)")
    func unique() {
        var seen = Set<String>()
        for _ in 0..<100_000 { seen.insert(EventDraft.newID()) }
        #expect(seen.count == 100_000)
    }

    @Test("a draft without an id gets a version 7 UUID")
    func draftDefault() throws {
        let d = EventDraft(source: "/s", type: "org.example.t.v1", time: "2026-01-01T00:00:00Z", data: .object([:]),
                           recordedBy: "u", recordedRole: "practitioner")
        let uuid = try #require(UUID(uuidString: d.id))
        #expect(withUnsafeBytes(of: uuid.uuid) { $0[6] >> 4 } == 7)
    }
}
