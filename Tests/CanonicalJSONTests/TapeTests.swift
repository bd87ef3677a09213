import CanonicalJSON
import Testing

// MARK: - Helpers

/// The outcome of parsing with the tree parser: the value or the error.
private func treeParse(_ bytes: [UInt8], limits: JSONLimits = .default) -> Result<JSONValue, JSONParseError> {
    do { return .success(try JSONValue(parsing: bytes, limits: limits)) } catch { return .failure(error) }
}

/// The outcome of parsing with a tape, materialized as a tree.
private func tapeParse(_ bytes: [UInt8], into tape: inout JSONTape, limits: JSONLimits = .default)
    -> Result<JSONValue, JSONParseError>
{
    do {
        try tape.parse(bytes, limits: limits)
        return .success(JSONValue(tape: tape, at: tape.root))
    } catch {
        return .failure(error)
    }
}

/// Whether two trees are equal including the sign of zero (which `==` ignores).
private func identical(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.number(let x), .number(let y)): return x.bitPattern == y.bitPattern
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && x.allSatisfy { k, v in y[k].map { identical(v, $0) } ?? false }
    default: return a == b
    }
}

private let acceptedCorpus: [String] = [
    "0", "-0", "-0.0", "0e5", "1E+2", "1.5e3", "1E-7", "12.50", "100.0", "5e-324", "1.7976931348623157e308",
    "9007199254740991", "-9007199254740991", "9007199254740992.0", "0.000001", "1e21", "1e300", "-2.5e-3",
    "true", "false", "null", "\"\"", "[]", "{}", "[[]]", "{\"a\":{}}", " \t\r\n [ 1 , 2 ] \n",
    #""plain ascii text""#, #""\"\\\/\b\f\n\r\t""#, #""\u0000\u001f\u0041\u00e9\u20ac""#,
    #""\ud83d\ude00 and \uD83D\uDE00""#, "\"caf\u{E9} \u{1F600} \u{10FFFF}\u{E000}\u{FFFF}\"",
    "\"\u{7F}\"", #""mixed \u00e9 é \n end""#,
    #"{"":0,"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
    #"{"\u0061b":1,"ab\u0063":2}"#,
    #"{"nested":{"deeper":{"deepest":[1,[2,[3,{"x":"y"}]]]}}}"#,
    String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
    String(repeating: #"{"k":"#, count: 63) + "1" + String(repeating: "}", count: 63),
    // More than 32 members (duplicate tracking switches to a set).
    "{" + (0..<40).map { #""m\#($0)":\#($0)"# }.joined(separator: ",") + "}",
    // A combining sequence that is not equivalent to any other name here.
    #"{"a\u030A":1,"b":2}"#,
    #"{"specversion":"1.0","id":"evt-1","data":{"sessionId":"s-1","minutes":45,"topics":["a","b"],"ok":true}}"#,
]

private let rejectedCorpus: [String] = [
    #"{"a":1,"a":2}"#, #"{"a":1,"\u0061":2}"#, #"{"b":1,"a":2,"b":3}"#, #"{"a":1,"b":2,"c":3,"a":4}"#,
    #"{"a":1,"\u0062":2,"b":3}"#, #"{"K":1,"\u212A":2}"#, #"{"\u212A":1,"K":2}"#,
    #"{"é":1,"e\u0301":2}"#, "{\"\u{E9}\":1,\"e\u{301}\":2}",
    "{" + (0..<40).map { #""m\#($0)":\#($0)"# }.joined(separator: ",") + #","m7":true}"#,
    "{" + (0..<40).map { #""m\#($0)":\#($0)"# }.joined(separator: ",") + #","m\u0037":true}"#,
    #"{"a":[1,{"b":tru}]}"#, #"{"a":[1,2,{"b":[3,]}]}"#, #"[1,[2,[3,"x\q"]]]"#, #"{"a":{"b":{"c":1,"c":2}}}"#,
    #"{"x":1 "y":2}"#, #"{"x":1,}"#, #"[1,2"#, #"{"a":"#, #"{"a""#, #"{"a"  "#, #"{"#, #"[1 2]"#,
    #"{"a":[1,2,3] ]"#, #"{"a\ud800":1}"#, #"{"a":"\ud800"}"#, #"[0.10000000000000000555]"#,
    #"{"n":[1,2,9007199254740992]}"#, #"{"n":-}"#, #"{"n":01}"#, #"[1e400]"#, #"{"ok":true}x"#,
    #"{"a":1,"b":{"c":[true,false,"x\u00zz"]}}"#, "\u{FEFF}{}", "{\"a\":\"\u{1}\"}",
]

// MARK: - Tape parsing

@Suite("JSON tape")
struct TapeTests {
    @Test("Tape parse agrees with JSONValue(parsing:) on accepted inputs, including the sign of zero")
    func agreesOnAccepted() {
        var tape = JSONTape()
        for text in acceptedCorpus {
            let bytes = Array(text.utf8)
            let tree = treeParse(bytes)
            let fromTape = tapeParse(bytes, into: &tape)
            switch (tree, fromTape) {
            case (.success(let a), .success(let b)):
                #expect(identical(a, b), "\(text)")
                #expect(a.canonicalString == b.canonicalString)
            default:
                #expect(tree == fromTape, "\(text)")
            }
        }
    }

    @Test("Tape parse refuses every rejection case with the same rule, offset and path")
    func agreesOnRejectionTable() {
        var tape = JSONTape()
        for c in RejectionTests.cases {
            let tree = treeParse(c.input)
            let fromTape = tapeParse(c.input, into: &tape)
            #expect(tree == fromTape, "\(c.desc)")
            if case .failure(let e) = fromTape { #expect(e.rule == c.wantError, "\(c.desc)") }
            #expect(tape.isEmpty)
        }
        for text in rejectedCorpus {
            let bytes = Array(text.utf8)
            let tree = treeParse(bytes)
            guard case .failure = tree else {
                Issue.record("corpus entry unexpectedly valid: \(text)")
                continue
            }
            #expect(tree == tapeParse(bytes, into: &tape), "\(text)")
        }
    }

    @Test("Strings read eight bytes at a time agree with the tree parser wherever a special byte falls in the word")
    func wordAtATimeStrings() {
        var tape = JSONTape()
        let specials: [[UInt8]] = [
            [0x22], [0x5C, 0x6E], Array(#"\u0041"#.utf8), [0x5C, 0x78], [0x01], [0x1F], [0x00], [0x7F], [0x20], [0x21],
            [0x5B], [0x5D], [0x23], [0x5D, 0x5C, 0x22], [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0xFF],
            [0xC3], [0xED, 0xA0, 0x80], [0x80],
        ]
        for length in [7, 8, 9, 15, 16, 17, 31] {
            for offset in 0...length {
                for special in specials {
                    var body = Array(repeating: UInt8(ascii: "a"), count: length)
                    body.insert(contentsOf: special, at: offset)
                    let bytes = Array(#"{"k":""#.utf8) + body + Array(#"","z":1}"#.utf8)
                    let tree = treeParse(bytes)
                    let fromTape = tapeParse(bytes, into: &tape)
                    switch (tree, fromTape) {
                    case (.success(let a), .success(let b)): #expect(identical(a, b), "\(bytes)")
                    default: #expect(tree == fromTape, "\(bytes)")
                    }
                }
            }
        }
    }

    @Test("Depth limits apply exactly as in the tree parser")
    func depthLimits() {
        var tape = JSONTape()
        for (text, depth) in [("[[1]]", 1), ("[1]", 1), ("1", 0), (#"{"a":[{}]}"#, 2), (#"{"a":[{}]}"#, 3)] {
            let limits = JSONLimits(maxDepth: depth)
            #expect(treeParse(utf8(text), limits: limits) == tapeParse(utf8(text), into: &tape, limits: limits), "\(text)")
        }
        let deep = String(repeating: "[", count: 2_000) + String(repeating: "]", count: 2_000)
        #expect(throws: Never.self) { try tape.parse(deep, limits: JSONLimits(maxDepth: 2_000)) }
        #expect(tape.count(at: tape.root) == 1)
    }

    @Test("Mutated and truncated documents give the same result from both parsers")
    func agreesOnMutations() {
        var rng = SplitMix64(seed: 0x7A9E)
        var tape = JSONTape()
        let seeds = acceptedCorpus.map { Array($0.utf8) } + rejectedCorpus.map { Array($0.utf8) }
        let alphabet = Array(#"{}[]:,"\-+.0123456789eEtrufalsn u\/"#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xE2, 0xED, 0xF0, 0xFF]
        for _ in 0..<4_000 {
            var bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
            let edits = 1 + Int(rng.next() % 3)
            for _ in 0..<edits where !bytes.isEmpty {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                default: bytes.removeSubrange(at...)
                }
            }
            let tree = treeParse(bytes)
            let fromTape = tapeParse(bytes, into: &tape)
            switch (tree, fromTape) {
            case (.success(let a), .success(let b)): #expect(identical(a, b), "\(bytes)")
            default: #expect(tree == fromTape, "\(bytes)")
            }
        }
    }

    @Test("Navigation reads members, elements and scalars, and skips subtrees")
    func navigation() throws {
        var tape = JSONTape()
        try tape.parse(#"{"name":"caf\u00e9 \"x\"","n":-12,"f":2.5,"ok":true,"no":false,"nil":null,"list":[{"a":[1,2]},"s",3],"e":{}}"#)
        let root = tape.root
        #expect(tape.kind(at: root) == .object)
        #expect(tape.count(at: root) == 8)
        #expect(tape.string(at: try #require(tape.member("name", in: root))) == "café \"x\"")
        #expect(tape.int(at: try #require(tape.member("n", in: root))) == -12)
        let f = try #require(tape.member("f", in: root))
        #expect(tape.double(at: f) == 2.5 && tape.int(at: f) == nil && tape.string(at: f) == nil)
        #expect(tape.bool(at: try #require(tape.member("ok", in: root))) == true)
        #expect(tape.bool(at: try #require(tape.member("no", in: root))) == false)
        #expect(tape.isNull(at: try #require(tape.member("nil", in: root))))
        #expect(tape.member("missing", in: root) == nil)
        #expect(tape.member("name", in: try #require(tape.member("n", in: root))) == nil)
        let list = try #require(tape.member("list", in: root))
        let elements = Array(tape.elements(of: list))
        #expect(elements.count == 3)
        #expect(tape.kind(at: elements[0]) == .object)
        #expect(tape.string(at: elements[1]) == "s")
        #expect(tape.int(at: elements[2]) == 3)
        #expect(tape.next(after: elements[0]) == elements[1])
        let names = tape.memberNames(of: root).compactMap { tape.string(at: $0) }
        #expect(names == ["name", "n", "f", "ok", "no", "nil", "list", "e"])
        #expect(tape.count(at: try #require(tape.member("e", in: root))) == 0)
        #expect(tape.stringEquals(at: elements[1], utf8: "s".utf8))
        // In place for contiguous bytes, generically otherwise; escaped strings by their value.
        let name = try #require(tape.member("name", in: root))
        #expect(tape.stringEquals(at: name, utf8: "caf\u{E9} \"x\"".utf8))
        #expect(!tape.stringEquals(at: name, utf8: "caf\u{E9} \"y\"".utf8))
        for (candidate, same) in [("s", true), ("t", false), ("", false), ("ss", false)] {
            #expect(tape.stringEquals(at: elements[1], utf8: Array(candidate.utf8)) == same, "\(candidate)")
            #expect(tape.stringEquals(at: elements[1], utf8: AnySequence(candidate.utf8)) == same, "\(candidate), not contiguous")
        }
        #expect(!tape.stringEquals(at: elements[2], utf8: "3".utf8), "a number is not a string")
        #expect(JSONValue(tape: tape, at: list) == [["a": [1, 2]], "s", 3])
        let text = #"{"name":"caf\u00e9 \"x\"","n":-12"#
        #expect(tape.byteRange(at: try #require(tape.member("n", in: root))) == text.utf8.count - 3..<text.utf8.count)

        // Reuse with a smaller document, then a failed parse leaves the tape empty.
        try tape.parse("[true]")
        #expect(tape.kind(at: tape.root) == .array && tape.nodeCount == 2)
        #expect(throws: JSONParseError.self) { try tape.parse("[true") }
        #expect(tape.isEmpty)
        try tape.parse(#""\u212A""#)
        #expect(tape.string(at: tape.root) == "\u{212A}")
    }

    @Test("Member lookup compares names as strings, like JSONValue's subscript")
    func memberLookupEquivalence() throws {
        var tape = JSONTape()
        try tape.parse(#"{"\u0061bc":1,"e\u0301":2,"\u212A":3}"#)
        let tree = try JSONValue(parsing: #"{"\u0061bc":1,"e\u0301":2,"\u212A":3}"#)
        for name in ["abc", "é", "e\u{301}", "K", "\u{212A}", "ab", "abcd"] {
            let node = tape.member(name, in: tape.root)
            #expect(node.flatMap { tape.int(at: $0) } == tree[name]?.intValue, "\(name)")
        }
    }
}

// MARK: - Decoder

private enum Mood: String, Codable, Equatable { case calm, tense, hopeful }

private struct Inner: Codable, Equatable {
    var label: String
    var scoreValue: Int
}

private struct Sample: Codable, Equatable {
    var sessionId: String
    var minutes: Int
    var ratio: Double
    var handoutsGiven: Bool
    var mood: Mood
    var moods: [Mood]
    var inner: Inner
    var inners: [Inner]
    var note: String?
    var count: Int?
    var extra: JSONValue
    var maybeExtra: JSONValue?
    var big: UInt64
    var small: Int32
    var grid: [[Int]]
    var tags: [String: Int]
    var maybeMood: Mood?
}

/// Decodes by hand through every container kind.
private struct Manual: Decodable, Equatable {
    enum Keys: String, CodingKey { case kind, values, opt, raw, sub, list }
    struct Dynamic: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    var kind: String
    var values: [Int?]
    var hasOpt: Bool
    var optIsNil: Bool
    var raw: [String: Bool]
    var sub: Inner
    var first: String
    var rest: Int

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        kind = try c.decode(String.self, forKey: .kind)
        var u = try c.nestedUnkeyedContainer(forKey: .values)
        values = []
        while !u.isAtEnd {
            if try u.decodeNil() { values.append(nil) } else { values.append(try u.decode(Int.self)) }
        }
        hasOpt = c.contains(.opt)
        optIsNil = try c.decodeNil(forKey: .opt)
        let r = try c.nestedContainer(keyedBy: Dynamic.self, forKey: .raw)
        var raw: [String: Bool] = [:]
        // Sorted: JSONValueDecoder lists keys in dictionary order, the tape decoder in document order.
        for key in r.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            raw[key.stringValue] = try r.decode(Bool.self, forKey: key)
        }
        self.raw = raw
        sub = try Inner(from: try c.superDecoder(forKey: .sub))
        var list = try c.nestedUnkeyedContainer(forKey: .list)
        first = try list.decode(String.self)
        let single = try list.superDecoder().singleValueContainer()
        rest = try single.decode(Int.self)
    }
}

/// A decode outcome: the value, or the error's case, path and message.
private enum Outcome<T: Equatable>: Equatable, CustomStringConvertible {
    case value(T)
    case error(String)

    var description: String {
        switch self {
        case .value: "a value"
        case .error(let e): e
        }
    }
}

private func outcome<T: Equatable>(_ body: () throws -> T) -> Outcome<T> {
    do {
        return .value(try body())
    } catch let error as DecodingError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .typeMismatch(_, let c): return .error("typeMismatch \(path(c.codingPath)) \(c.debugDescription)")
        case .valueNotFound(_, let c): return .error("valueNotFound \(path(c.codingPath)) \(c.debugDescription)")
        case .keyNotFound(let k, let c): return .error("keyNotFound \(k.stringValue) \(path(c.codingPath)) \(c.debugDescription)")
        case .dataCorrupted(let c): return .error("dataCorrupted \(path(c.codingPath)) \(c.debugDescription)")
        @unknown default: return .error("unknown \(error)")
        }
    } catch {
        return .error("other \(error)")
    }
}

private let sampleJSON: JSONValue = [
    "session_id": "s-1", "minutes": 45, "ratio": 0.25, "handouts_given": true, "mood": "calm",
    "moods": ["tense", "hopeful"], "inner": ["label": "x", "score_value": 3],
    "inners": [["label": "a", "score_value": 1], ["label": "b\u{E9}", "score_value": -2]],
    "note": "caf\u{E9} \"quoted\"\n", "count": .null, "extra": ["free": [1, "two", ["three": .null]]],
    "big": 9_007_199_254_740_991, "small": -7, "grid": [[1, 2], [], [3]], "tags": ["a": 1, "b_c": 2],
]

private let manualJSON: JSONValue = [
    "kind": "k", "values": [1, .null, 3], "opt": .null, "raw": ["x": true, "y_z": false],
    "sub": ["label": "s", "score_value": 9], "list": ["first", 2],
]

/// Values that replace a member to provoke each kind of error.
private let wrongValues: [JSONValue] = [
    .null, "s", 1.5, 2, -1, 4_294_967_296, 9_007_199_254_740_991, true, [], ["q": 1], [.null], ["calm", 1], "hopeful",
]

/// Every variant of `base` with one member (at any depth) removed, replaced or added.
private func variants(of base: JSONValue) -> [JSONValue] {
    var out: [JSONValue] = [base]
    guard case .object(let members) = base else {
        if case .array(let elements) = base {
            for i in elements.indices {
                for inner in variants(of: elements[i]).dropFirst() {
                    var copy = elements
                    copy[i] = inner
                    out.append(.array(copy))
                }
            }
        }
        return out
    }
    for (key, value) in members {
        var removed = members
        removed[key] = nil
        out.append(.object(removed))
        for wrong in wrongValues {
            var replaced = members
            replaced[key] = wrong
            out.append(.object(replaced))
        }
        for inner in variants(of: value).dropFirst() {
            var nested = members
            nested[key] = inner
            out.append(.object(nested))
        }
    }
    var extra = members
    extra["zz_unknown"] = 1
    extra["aa_unknown"] = "v"
    out.append(.object(extra))
    return out
}

@Suite("JSON tape decoder")
struct TapeDecoderTests {
    @Test("Decodes the same values as JSONValueDecoder")
    func sameValues() throws {
        var tape = JSONTape()
        try tape.parse(sampleJSON.canonicalBytes)
        let expected = try JSONValueDecoder().decode(Sample.self, from: sampleJSON)
        let decoder = JSONTapeDecoder()
        #expect(try decoder.decode(Sample.self, from: tape, at: tape.root) == expected)
        #expect(try decoder.decode(Sample.self, from: tape, at: tape.root) == expected)  // with a warm name cache
        #expect(try JSONTapeDecoder().decode(Sample.self, from: sampleJSON.canonicalBytes) == expected)
        #expect(try decoder.decode(JSONValue.self, from: tape, at: tape.member("extra", in: tape.root)!)
            == JSONValueDecoder().decode(JSONValue.self, from: sampleJSON["extra"]!))
        try tape.parse(manualJSON.canonicalBytes)
        #expect(try decoder.decode(Manual.self, from: tape, at: tape.root)
            == JSONValueDecoder().decode(Manual.self, from: manualJSON))
    }

    @Test("Every single-member mutation succeeds or fails exactly as with JSONValueDecoder")
    func sameOutcomes() throws {
        var tape = JSONTape()
        var checked = 0
        for rejecting in [true, false] {
            let reference = JSONValueDecoder(rejectsUnknownKeys: rejecting)
            let decoder = JSONTapeDecoder(rejectsUnknownKeys: rejecting)
            for value in variants(of: sampleJSON) {
                try tape.parse(value.canonicalBytes)
                let want = outcome { try reference.decode(Sample.self, from: value) }
                let got = outcome { try decoder.decode(Sample.self, from: tape, at: tape.root) }
                #expect(got == want, "\(value.canonicalString)")
                checked += 1
            }
            for value in variants(of: manualJSON) {
                try tape.parse(value.canonicalBytes)
                let want = outcome { try reference.decode(Manual.self, from: value) }
                let got = outcome { try decoder.decode(Manual.self, from: tape, at: tape.root) }
                #expect(got == want, "\(value.canonicalString)")
                checked += 1
            }
        }
        #expect(checked > 1_000)
    }

    @Test("Unknown keys are reported at their path only when rejecting")
    func unknownKeys() throws {
        var tape = JSONTape()
        guard case .object(var members) = sampleJSON, case .object(var inner) = members["inner"]! else { return }
        inner["surplus"] = 1
        members["inner"] = .object(inner)
        try tape.parse(JSONValue.object(members).canonicalBytes)
        let got = outcome { try JSONTapeDecoder().decode(Sample.self, from: tape, at: tape.root) }
        #expect(got == .error("dataCorrupted .inner.surplus unknown field: not part of this type"))
        #expect(throws: Never.self) { try JSONTapeDecoder(rejectsUnknownKeys: false).decode(Sample.self, from: tape, at: tape.root) }
    }

    @Test("Error descriptions never quote values")
    func noValuesInErrors() throws {
        var tape = JSONTape()
        guard case .object(var members) = sampleJSON else { return }
        members["minutes"] = "SECRET-PATIENT-TEXT"
        try tape.parse(JSONValue.object(members).canonicalBytes)
        do {
            _ = try JSONTapeDecoder().decode(Sample.self, from: tape, at: tape.root)
            Issue.record("decoded a string as an integer")
        } catch {
            #expect(!String(describing: error).contains("SECRET"))
        }
    }

    @Test("Types JSONValueDecoder cannot finish decode as numbers")
    func smallNumericTypes() throws {
        struct Small: Decodable, Equatable { var a: Float; var b: Int8; var c: UInt16; var d: [UInt8] }
        let small = try JSONTapeDecoder().decode(Small.self, from: Array(#"{"a":0.5,"b":-3,"c":600,"d":[1,255]}"#.utf8))
        #expect(small == Small(a: 0.5, b: -3, c: 600, d: [1, 255]))
        let overflow = outcome { try JSONTapeDecoder().decode(Small.self, from: Array(#"{"a":0.5,"b":300,"c":1,"d":[]}"#.utf8)) }
        #expect(overflow == .error("dataCorrupted .b expected an integer within Int8's range"))
    }
}
