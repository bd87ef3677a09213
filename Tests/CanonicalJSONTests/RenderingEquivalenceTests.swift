import CanonicalJSON
import Testing

/// The serializer sorts members by name prefix and scans strings eight bytes at a time; these
/// tests hold it to a plain reference renderer (UTF-16 sort, byte-by-byte escapes) written
/// straight from RFC 8785, on inputs chosen to hit the fast paths' edges.
@Suite("Canonical rendering matches a plain reference")
struct RenderingEquivalenceTests {
    @Test("escapes at every offset of strings up to 40 bytes")
    func escapesAtEveryOffset() {
        let specials: [String] = ["\"", "\\", "\u{0}", "\u{1F}", "\n", "\t", "\u{8}", "\u{C}", "\r", "é", "😀", "\u{7F}", " ", "!", "#", "[", "]"]
        for length in 0...40 {
            for offset in 0..<max(1, length) {
                for special in specials {
                    var s = String(repeating: "a", count: length)
                    if length > 0 {
                        var chars = Array(s)
                        chars[offset] = Character(special)
                        s = String(chars)
                    }
                    #expect(stringText(s) == referenceString(s), "length \(length) offset \(offset)")
                }
            }
        }
    }

    @Test("two escapes in one word, and escapes in both halves of a word")
    func clusteredEscapes() {
        for s in ["\"\"", "a\"b\\c\nd\u{1}", "abcdefg\"", "\"abcdefgh", "abcdefgh\\ijklmnop\u{1F}", String(repeating: "\\", count: 17)] {
            #expect(stringText(s) == referenceString(s))
        }
    }

    @Test("member names sharing long prefixes, non-ASCII names and surrogate-pair names sort as UTF-16")
    func memberOrder() throws {
        let names = [
            "", "a", "aa", "aaaaaaa", "aaaaaaaa", "aaaaaaaaa", "aaaaaaab", "aaaaaaaab", "aaaaaaa\u{0}", "aaaaaaaa\u{0}",
            "practitionerView", "practitionerViews", "practitionerVie", "B", "b", "\u{7F}", "\u{80}", "é", "e\u{301}",
            "\u{FB33}", "\u{1F600}", "\u{E000}", "\u{FFFF}", "\u{10000}", "abcdefg\u{1F600}", "abcdefg\u{FB33}",
            "abcdefgé", "abcdefgz", "\u{0}", "\u{0}\u{0}", "x\u{1F600}", "x\u{E000}",
        ]
        // Every subset size from 2 to all, in a few insertion orders (the dictionary's order varies).
        var rng = SplitMix64(seed: 0x50_27)
        for size in 2...names.count {
            for _ in 0..<4 {
                var members: [String: JSONValue] = [:]
                for name in names.shuffled(using: &rng).prefix(size) { members[name] = .number(Double(members.count)) }
                let value = JSONValue.object(members)
                #expect(value.canonicalBytes == reference(value))
            }
        }
    }

    @Test("random documents, small and large objects")
    func randomDocuments() {
        var rng = SplitMix64(seed: 0x2026_1123)
        for _ in 0..<300 {
            let value = randomDocument(&rng, depth: 0)
            #expect(value.canonicalBytes == reference(value))
        }
    }
}

// MARK: - Reference renderer

private func reference(_ value: JSONValue) -> [UInt8] {
    var out: [UInt8] = []
    referenceWrite(value, into: &out)
    return out
}

private func referenceWrite(_ value: JSONValue, into out: inout [UInt8]) {
    switch value {
    case .null: out += Array("null".utf8)
    case .bool(let b): out += Array((b ? "true" : "false").utf8)
    case .number(let d): JCS.writeNumber(d, into: &out)
    case .string(let s): out += Array(referenceString(s).utf8)
    case .array(let elements):
        out.append(UInt8(ascii: "["))
        for (i, e) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            referenceWrite(e, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    case .object(let members):
        out.append(UInt8(ascii: "{"))
        let sorted = members.sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
        for (i, m) in sorted.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(referenceString(m.key).utf8)
            out.append(UInt8(ascii: ":"))
            referenceWrite(m.value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// RFC 8785 §3.2.2.2, one scalar at a time.
private func referenceString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar.value {
        case 0x22: out += "\\\""
        case 0x5C: out += "\\\\"
        case 0x08: out += "\\b"
        case 0x09: out += "\\t"
        case 0x0A: out += "\\n"
        case 0x0C: out += "\\f"
        case 0x0D: out += "\\r"
        case 0..<0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u00" + (hex.count == 1 ? "0" : "") + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

private func randomDocument(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
    let pick = depth >= 3 ? rng.next() % 4 : rng.next() % 6
    switch pick {
    case 0: return .null
    case 1: return .bool(rng.next() % 2 == 0)
    case 2: return .number(Double(Int64(rng.next() % 2_000_001) - 1_000_000) / 8)
    case 3: return .string(randomString(&rng, maxLength: 40))
    case 4: return .array((0..<(rng.next() % 5)).map { _ in randomDocument(&rng, depth: depth + 1) })
    default:
        // Some objects exceed the insertion-sort size, and names often share a long prefix.
        let count = rng.next() % 4 == 0 ? 25 + Int(rng.next() % 20) : Int(rng.next() % 8)
        var members: [String: JSONValue] = [:]
        for _ in 0..<count {
            let prefix = rng.next() % 2 == 0 ? "sharedprefix" : ""
            members[prefix + randomString(&rng, maxLength: 10)] = randomDocument(&rng, depth: depth + 1)
        }
        return .object(members)
    }
}
