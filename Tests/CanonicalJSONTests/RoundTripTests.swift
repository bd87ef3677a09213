import CanonicalJSON
import Testing

@Suite("Round trips")
struct RoundTripTests {
    @Test("canonical form of examples", arguments: [
        (#"{"b":1,"a":{"d":[1,2,{"z":null,"y":false}],"c":"x"}}"#, #"{"a":{"c":"x","d":[1,2,{"y":false,"z":null}]},"b":1}"#),
        (#"[ "Grüße, 世界 🌍", "tab\there", "\u00e9\u0301" ]"#, "[\"Grüße, 世界 🌍\",\"tab\\there\",\"\u{E9}\u{301}\"]"),
        (#""\b\f\n\r\t\u0001\u001f\u007f""#, "\"\\b\\f\\n\\r\\t\\u0001\\u001f\u{7F}\""),
        (#"{"specversion":"1.0","id":"e-1","source":"/x","type":"t","data":{"score":0.75,"n":-3}}"#,
         #"{"data":{"n":-3,"score":0.75},"id":"e-1","source":"/x","specversion":"1.0","type":"t"}"#),
        (#"[[[]],{},[{}],""]"#, #"[[[]],{},[{}],""]"#),
        (#"{"aa":1,"a":2,"b":3,"A":4,"_":5,"a\u0000":6}"#, #"{"A":4,"_":5,"a":2,"a\u0000":6,"aa":1,"b":3}"#),
    ] as [(String, String)])
    func canonicalForm(input: String, expected: String) throws {
        let value = try JSONValue(parsing: input)
        #expect(value.canonicalString == expected)
        // parse → canonical → parse is the identity; canonical of canonical is byte-identical.
        let again = try JSONValue(parsing: value.canonicalBytes)
        #expect(again == value)
        #expect(again.canonicalBytes == value.canonicalBytes)
        #expect(JCS.isCanonical(value.canonicalBytes))
    }

    @Test("writeCanonical appends to an existing buffer")
    func appends() {
        var out = Array("prefix:".utf8)
        JSONValue.array([.null, .bool(true), .string("s")]).writeCanonical(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"prefix:[null,true,"s"]"#)
    }

    @Test("parsing a String, a [UInt8], an ArraySlice and a non-contiguous collection agree")
    func inputKinds() throws {
        let text = #"{"k":[1,"é",{"x":null}]}"#
        let a = try JSONValue(parsing: text)
        let b = try JSONValue(parsing: Array(text.utf8))
        let c = try JSONValue(parsing: Array(("  " + text).utf8)[2...])
        let d = try JSONValue(parsing: text.utf8.lazy.map { $0 })  // not contiguous
        #expect(a == b && b == c && c == d)
    }

    @Test("accessors")
    func accessors() throws {
        let v = try JSONValue(parsing: #"{"s":"x","n":2.0,"f":2.5,"b":true,"a":[1],"o":{"k":null},"big":1e300}"#)
        #expect(v["s"]?.stringValue == "x")
        #expect(v["n"]?.intValue == 2)
        #expect(v["n"]?.doubleValue == 2)
        #expect(v["f"]?.intValue == nil)
        #expect(v["f"]?.doubleValue == 2.5)
        #expect(v["big"]?.intValue == nil)
        #expect(v["b"]?.boolValue == true)
        #expect(v["a"]?.arrayValue == [.number(1)])
        #expect(v["o"]?.objectValue == ["k": .null])
        #expect(v["o"]?["k"] == .null)
        #expect(v["missing"] == nil)
        #expect(v["s"]?["k"] == nil)
        #expect(v.stringValue == nil && v.boolValue == nil && v.arrayValue == nil)
    }

    @Test("integers at or above 2^53 canonicalize without exponent, which strict parsing rejects")
    func largeIntegersAreNotReparseable() {
        let value = JSONValue.number(1_152_921_504_606_846_976)  // 2^60
        #expect(value.canonicalString == "1152921504606847000")
        #expect(!JCS.isCanonical(value.canonicalBytes))
        #expect(parseError(value.canonicalBytes)?.rule == .numberOutOfRange)
    }

    // MARK: Property test

    @Test("random values: canonical bytes are canonical and parse back to the value")
    func property() throws {
        var rng = SplitMix64(seed: 0x1D_2025)
        for _ in 0..<3_000 {
            let value = randomValue(&rng, depth: 0)
            let bytes = value.canonicalBytes
            #expect(JCS.isCanonical(bytes), "not canonical: \(String(decoding: bytes, as: UTF8.self))")
            let parsed = try JSONValue(parsing: bytes)
            #expect(parsed == value)
            #expect(parsed.canonicalBytes == bytes)
        }
    }

    @Test("random member names: precedes agrees with UTF-16 comparison")
    func precedesProperty() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20_000 {
            let a = randomString(&rng, maxLength: 4), b = randomString(&rng, maxLength: 4)
            #expect(JCS.precedes(a, b) == a.utf16.lexicographicallyPrecedes(b.utf16), "\(Array(a.unicodeScalars)) vs \(Array(b.unicodeScalars))")
        }
    }
}

// MARK: - Generators

private func randomValue(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
    let pick = Int(rng.next() % (depth >= 4 ? 4 : 6))
    switch pick {
    case 0: return .null
    case 1: return .bool(rng.next() & 1 == 0)
    case 2: return .number(randomNumber(&rng))
    case 3: return .string(randomString(&rng, maxLength: 12))
    case 4:
        let n = Int(rng.next() % 5)
        return .array((0..<n).map { _ in randomValue(&rng, depth: depth + 1) })
    default:
        let n = Int(rng.next() % 6)
        var members: [String: JSONValue] = [:]
        for _ in 0..<n { members[randomString(&rng, maxLength: 6)] = randomValue(&rng, depth: depth + 1) }
        return .object(members)
    }
}

/// Numbers the strict parser accepts back: anything finite except integral magnitudes in
/// [2^53, 1e21), whose ECMAScript form is a long integer literal.
private func randomNumber(_ rng: inout SplitMix64) -> Double {
    while true {
        let d: Double
        switch rng.next() % 4 {
        case 0: d = Double(Int64(bitPattern: rng.next()) % 9_007_199_254_740_992)
        case 1: d = Double(Int64(bitPattern: rng.next()) % 2_000) / 8
        case 2: d = Double(Int64(bitPattern: rng.next()) % 1_000_000) / 1000
        default: d = Double(bitPattern: rng.next())
        }
        guard d.isFinite else { continue }
        let m = d.magnitude
        if m >= 9_007_199_254_740_992 && m < 1e21 && m == m.rounded() { continue }
        return d
    }
}

private let scalarPool: [ClosedRange<UInt32>] = [
    0x20...0x7E, 0x20...0x7E, 0x20...0x7E, 0x00...0x1F, 0x7F...0x7F, 0x22...0x22, 0x5C...0x5C,
    0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF,
]

func randomString(_ rng: inout SplitMix64, maxLength: Int) -> String {
    let n = Int(rng.next() % UInt64(maxLength + 1))
    var s = String.UnicodeScalarView()
    for _ in 0..<n {
        let range = scalarPool[Int(rng.next() % UInt64(scalarPool.count))]
        let v = range.lowerBound + UInt32(rng.next() % UInt64(range.upperBound - range.lowerBound + 1))
        s.append(Unicode.Scalar(v)!)
    }
    return String(s)
}
