import CanonicalJSON
import EventLog
import EventLogTesting
import Foundation
import LMDBKit
import MerkleLog
import Testing

@Suite("Stored format: canonical CloudEvents with a hash chain")
struct FormatTests {
    @Test("A store of format 1 (heads keyed by stream id, no streams table) is refused at open, naming both formats; its format and origin stay readable")
    func earlierFormatIsRefused() throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        // Format 1's databases, as its writer made them.
        let dir = LMDBEventLog.logDirectory(of: tmp.path)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let env = try Environment.shared(path: dir)
        try env.write { txn in
            for name in ["events", "links", "heads", "ids", "merkle", "checkpoints"] {
                _ = try txn.openDatabase(name, create: true)
            }
            let meta = try txn.openDatabase("meta", create: true)
            try txn.put(meta, key: Array("format".utf8), value: Array("1".utf8))
            try txn.put(meta, key: Array("origin".utf8), value: Array("imr-test/old".utf8))
        }
        for readOnly in [false, true] {
            do {
                _ = try LMDBEventLog.open(at: tmp.path, options: .init(readOnly: readOnly))
                Issue.record("a format 1 store was opened")
            } catch let e as EventLogError {
                #expect(e.code == .notAStore)
                #expect(e.message.contains("has format 1; this build reads format \(LMDBEventLog.formatVersion)"), "\(e.message)")
            }
        }
        #expect(LMDBEventLog.formatVersion == "2")
        // Its format and origin can still be read, so the tool that made it can replace it.
        let recorded = try LMDBEventLog.formatAndOrigin(at: tmp.path)
        #expect(recorded.format == "1" && recorded.origin == "imr-test/old")
    }

    @Test("Stored bytes are RFC 8785 canonical and carry every attribute")
    func storedBytesAreCanonical() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var draft = Fixtures.sessionNote(1)
        draft.data = .object([
            "z": .number(1), "a": .string("é ü \u{1F600} \"q\" \\ \n \t \u{0001} </script>"),
            "nested": .object(["b": .array([.number(1.5), .number(-0.000001), .number(1e21), .null, .bool(false)]), "a": .object([:])]),
            "\u{20AC}": .string("euro key"), "\r": .string("cr key"),
        ])
        _ = try await log.append([draft], to: Fixtures.consumerStream(1), expecting: .any)
        let raw = try log.readRaw(from: 0, limit: 1)[0].bytes
        #expect(JCS.isCanonical(raw))
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.hasPrefix(#"{"data":{"\r":"cr key","a":"é ü 😀 \"q\" \\ \n \t \u0001 </script>","nested":{"a":{},"b":[1.5,-0.000001,1e+21,null,false]},"z":1,"€":"euro key"},"datacontenttype":"application/json","id":"evt-1","position":0,"predecessorhash":"0000000000000000000000000000000000000000000000000000000000000000","recordedat":""#))
        #expect(text.hasSuffix(#","recordedby":"user:p-12","recordedrole":"practitioner","source":"/agencies/a1/programs/imr","specversion":"1.0","streamversion":1,"subject":"consumer-c-1","time":"2026-03-02T15:00:00Z","type":"org.imr.session.recorded.v1"}"#))
        let event = try StoredEvent(bytes: raw)
        #expect(event.recordedAt.count == 27 && event.recordedAt.hasSuffix("Z"))
    }

    @Test("Recorded-at never decreases and the chain links leaf hashes")
    func chainAndRecordedAt() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        for i in 0..<20 {
            _ = try await log.append([Fixtures.sessionNote(i)], to: Fixtures.consumerStream(i % 3), expecting: .any)
        }
        let events = try await log.read(from: 0, limit: 100)
        for (prev, next) in zip(events, events.dropFirst()) {
            #expect(next.predecessorHash == RFC6962.leafHash(prev.bytes))
            #expect(next.recordedAt >= prev.recordedAt)
        }
    }

    @Test("Export lines are byte-identical to the stored bytes")
    func exportIsByteIdentical() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var drafts: [EventDraft] = []
        for i in 0..<50 {
            var d = Fixtures.sessionNote(i)
            d.data = .object(["i": .number(Double(i)), "text": .string("Zoë \u{2028} \u{7F} line\n\(i)"), "f": .number(Double(i) / 7)])
            drafts.append(d)
        }
        _ = try await log.append(drafts, to: Fixtures.consumerStream(1), expecting: .any)
        let stored = try log.readRaw(from: 0, limit: 100)
        let events = try await log.read(from: 0, limit: 100)
        #expect(stored.map(\.bytes) == events.map(\.bytes))
        for (p, bytes) in stored {
            #expect(JCS.isCanonical(bytes), "position \(p)")
            #expect(!bytes.contains(0x0A), "an exported line may not contain a raw newline")
        }
    }
}

@Suite("Chain verification: fast and strict agree")
struct ChainVerifierModesTests {
    @Test("The fast scan reads the same chain as the full decode, and both find a broken link")
    func fastEqualsStrict() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        for i in 0..<40 {
            var d = Fixtures.sessionNote(i)
            d.data = .object([
                "tricky": .string(#"},"position":7,"predecessorhash":"\#(String(repeating: "0", count: 64))"#),
                "nested": .array([.object(["a": .array([.string("]}\\\"")])]), .number(Double(i))]),
            ])
            _ = try await log.append([d], to: Fixtures.consumerStream(i % 3), expecting: .any)
        }
        let raw = try log.readRaw(from: 0, limit: 100)
        var fast = ChainVerifier()
        fast.strict = false
        var strict = ChainVerifier()
        for (p, b) in raw {
            fast.check(position: p, bytes: b)
            strict.check(position: p, bytes: b)
        }
        #expect(fast.violations.isEmpty && strict.violations.isEmpty)
        #expect(fast.rootHash == strict.rootHash)
        // Break one link: swap two events' bytes.
        var swapped = raw.map(\.bytes)
        swapped.swapAt(10, 11)
        var fast2 = ChainVerifier()
        fast2.strict = false
        for (p, b) in swapped.enumerated() { fast2.check(position: UInt64(p), bytes: b) }
        #expect(fast2.violations.contains { $0.position == 10 && $0.kind == .positionMismatch })
        #expect(fast2.violations.contains { $0.position == 10 && $0.kind == .chainBreak })
    }
}
