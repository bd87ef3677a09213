import CanonicalJSON
import Testing

@Suite("JCS helpers")
struct JCSTests {
    @Test("control characters use short escapes or lowercase \\u00xx", arguments: Array(0x00...0x1F) as [UInt32])
    func controlEscapes(code: UInt32) {
        let short: [UInt32: String] = [0x08: #"\b"#, 0x09: #"\t"#, 0x0A: #"\n"#, 0x0C: #"\f"#, 0x0D: #"\r"#]
        let hex = String(code, radix: 16)
        let expected = short[code] ?? "\\u00" + (hex.count == 1 ? "0" + hex : hex)
        #expect(stringText(String(Unicode.Scalar(code)!)) == "\"" + expected + "\"")
    }

    @Test("writeString", arguments: [
        ("", #""""#),
        ("plain", #""plain""#),
        (#"q"b\s/"#, #""q\"b\\s/""#),
        ("\u{7F}é€😀", "\"\u{7F}é€😀\""),
        ("a\u{1F}b", #""a\u001fb""#),
        ("long run " + String(repeating: "x", count: 100) + "\n", "\"long run " + String(repeating: "x", count: 100) + "\\n\""),
    ] as [(String, String)])
    func writeString(input: String, expected: String) {
        #expect(stringText(input) == expected)
    }

    @Test("precedes", arguments: [
        ("a", "b", true), ("b", "a", false), ("a", "a", false), ("a", "aa", true), ("", "a", true),
        ("B", "a", true), ("\u{1F600}", "\u{FB33}", true), ("\u{FB33}", "\u{1F600}", false),
        ("\u{10000}", "\u{FFFF}", true), ("\u{E000}", "\u{10FFFF}", false), ("\u{D7FF}", "\u{10000}", true),
        ("x\u{1F600}", "x\u{E000}", true), ("\u{80}", "\u{7F}", false), ("\u{F6}", "\u{20AC}", true),
        ("é", "e\u{301}", false), ("e\u{301}", "é", true),
    ] as [(String, String, Bool)])
    func precedes(a: String, b: String, expected: Bool) {
        #expect(JCS.precedes(a, b) == expected)
    }

    @Test("isCanonical", arguments: [
        (#"{"a":1,"b":[true,null]}"#, true),
        (#"{"b":1,"a":2}"#, false),
        (#"{"a": 1}"#, false),
        (#"[1.50]"#, false),
        (#"[1.5]"#, true),
        (#""\u0041""#, false),
        (#""\u001f""#, true),
        (#""\u001F""#, false),
        (#""\/""#, false),
        (#"1e+21"#, true),
        (#"1E21"#, false),
        (#"-0"#, false),
        (#"0"#, true),
        (#"{"a":1,"a":1}"#, false),
        (#""#, false),
        ("[1]\n", false),
    ] as [(String, Bool)])
    func isCanonical(input: String, expected: Bool) {
        #expect(JCS.isCanonical(utf8(input)) == expected)
        #expect(JCS.isCanonical(input.utf8) == expected)
    }

    @Test("assembling an object from pre-rendered members matches JSONValue")
    func assemble() throws {
        let members: [(String, JSONValue)] = [("type", "t"), ("id", "1"), ("time", "2025-01-01T00:00:00Z"), ("n", 3)]
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, (k, v)) in members.sorted(by: { JCS.precedes($0.0, $1.0) }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JCS.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
            v.writeCanonical(into: &out)
        }
        out.append(UInt8(ascii: "}"))
        let value = JSONValue.object(Dictionary(uniqueKeysWithValues: members))
        #expect(out == value.canonicalBytes)
        #expect(JCS.isCanonical(out))
    }

    @Test("a writer that outgrows its room runs again with more, and only the last run's bytes stay")
    func outgrowRoom() {
        var out: [UInt8] = Array("head:".utf8)
        var runs = 0
        let body = String(repeating: "ab\"c\u{1}", count: 400)  // 2,000 bytes, 800 of them escaped
        out.appendCanonical(room: 16) { o in
            runs += 1
            o.literal("[")
            o.string(body)
            o.byte(UInt8(ascii: ","))
            o.value(["k": [1.5, "x"], "a": .null])
            o.literal("]")
        }
        #expect(runs > 1)
        var expected = Array("head:[".utf8)
        JCS.writeString(body, into: &expected)
        expected += Array(#",{"a":null,"k":[1.5,"x"]}]"#.utf8)
        #expect(out == expected)
    }

    @Test("a writer limited to n bytes appends up to n, and stops at n, appending nothing, beyond")
    func limit() {
        func run(_ length: Int, limit: Int) -> (appended: Bool, out: [UInt8], written: Int) {
            var out: [UInt8] = Array("head:".utf8)
            var written = 0
            let appended = out.appendCanonical(room: 16, limit: limit) { o in
                o.string(String(repeating: "x", count: length - 2))
                written = Swift.max(written, o.count)
            }
            return (appended, out, written)
        }
        // Exactly at the limit, from a room far below it: appended whole.
        let fits = run(1000, limit: 1000)
        #expect(fits.appended)
        #expect(fits.out == Array("head:".utf8) + Array(("\"" + String(repeating: "x", count: 998) + "\"").utf8))
        // One byte over: refused, nothing appended, and no run wrote past the limit.
        let over = run(1001, limit: 1000)
        #expect(!over.appended)
        #expect(over.out == Array("head:".utf8))
        #expect(over.written <= 1000)
        // A large output under a small limit stops at the limit, not at its own size.
        let huge = run(10_000_000, limit: 4096)
        #expect(!huge.appended && huge.written <= 4096 && huge.out.count == 5)
    }

    @Test("a large nested value (many times the first room) is written whole and canonical")
    func largeValue() throws {
        let members = (0..<300).map { i in ("m\(299 - i)", JSONValue.array([.string("v\(i)\t\u{7}"), .number(Double(i) / 8), .bool(i % 2 == 0)])) }
        let value = JSONValue.object(Dictionary(uniqueKeysWithValues: members))
        let bytes = value.canonicalBytes
        #expect(bytes.count > 8 * 512)
        #expect(JCS.isCanonical(bytes))
        #expect(try JSONValue(parsing: bytes) == value)
        var appended: [UInt8] = [0x20]
        value.writeCanonical(into: &appended)
        #expect(Array(appended.dropFirst()) == bytes)
    }
}
