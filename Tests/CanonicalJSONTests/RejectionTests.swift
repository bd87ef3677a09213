import CanonicalJSON
import Testing

/// One table row: a description, the raw input and the rule it must violate.
struct RejectCase: Sendable, CustomTestStringConvertible {
    var desc: String
    var input: [UInt8]
    var wantError: JSONParseError.Rule
    var testDescription: String { desc }

    init(_ desc: String, _ text: String, _ wantError: JSONParseError.Rule) {
        self.desc = desc
        self.input = Array(text.utf8)
        self.wantError = wantError
    }

    init(_ desc: String, bytes: [UInt8], _ wantError: JSONParseError.Rule) {
        self.desc = desc
        self.input = bytes
        self.wantError = wantError
    }
}

/// Wraps raw bytes in a JSON string literal: `"` + bytes + `"`.
private func quoted(_ inner: [UInt8]) -> [UInt8] { [0x22] + inner + [0x22] }

@Suite("Strict parsing rejections")
struct RejectionTests {
    static let cases: [RejectCase] = [
        // Structure.
        RejectCase("empty input", "", .empty),
        RejectCase("whitespace only", " \t\r\n ", .empty),
        RejectCase("trailing value", "{} {}", .trailingData),
        RejectCase("two numbers", "1 2", .trailingData),
        RejectCase("extra bracket", "[1]]", .trailingData),
        RejectCase("garbage after string", #""a"x"#, .trailingData),
        RejectCase("hex-looking number", "0x10", .trailingData),
        RejectCase("missing colon", #"{"a" 1}"#, .syntax),
        RejectCase("unquoted name", "{a:1}", .syntax),
        RejectCase("single quotes", "['a']", .syntax),
        RejectCase("trailing comma in array", "[1,]", .syntax),
        RejectCase("trailing comma in object", #"{"a":1,}"#, .syntax),
        RejectCase("missing comma", "[1 2]", .syntax),
        RejectCase("misspelt literal", "[tru]", .syntax),
        RejectCase("NaN", "NaN", .syntax),
        RejectCase("Infinity", "Infinity", .syntax),
        RejectCase("comment", "[1 /* c */]", .syntax),
        RejectCase("byte order mark", bytes: [0xEF, 0xBB, 0xBF] + Array("{}".utf8), .syntax),
        RejectCase("form feed is not whitespace", "\u{0C}1", .syntax),
        RejectCase("unterminated array", "[1,", .unexpectedEnd),
        RejectCase("unterminated object", #"{"a":"#, .unexpectedEnd),
        RejectCase("unterminated string", #""abc"#, .unexpectedEnd),
        RejectCase("truncated literal", "nul", .unexpectedEnd),
        RejectCase("lone open bracket", "[", .unexpectedEnd),
        // Member names.
        RejectCase("duplicate member", #"{"a":1,"a":2}"#, .duplicateKey),
        RejectCase("duplicate after unescaping", #"{"a":1,"\u0061":2}"#, .duplicateKey),
        RejectCase("nested duplicate", #"{"x":{"b":1,"b":true}}"#, .duplicateKey),
        RejectCase("duplicate with different values", #"{"k":[1],"k":{"z":null}}"#, .duplicateKey),
        // Strings: escapes and surrogates.
        RejectCase("lone high surrogate", #""\ud800""#, .loneSurrogate),
        RejectCase("reversed surrogate pair", #""\udc00\ud800""#, .loneSurrogate),
        RejectCase("lone low surrogate", #""\udfff""#, .loneSurrogate),
        RejectCase("high surrogate then letter", #""\ud800x""#, .loneSurrogate),
        RejectCase("high surrogate then BMP escape", #""\ud83d\u0041""#, .loneSurrogate),
        RejectCase("two high surrogates", #""\ud83d\ud83d""#, .loneSurrogate),
        RejectCase("unknown escape", #""\x41""#, .invalidEscape),
        RejectCase("uppercase U escape", #""\U0041""#, .invalidEscape),
        RejectCase("bad hex digit", #""\u12g4""#, .invalidEscape),
        RejectCase("escaped single quote", #""\'""#, .invalidEscape),
        // Strings: raw control characters.
        RejectCase("raw U+0001", bytes: quoted([0x61, 0x01, 0x62]), .controlCharacter),
        RejectCase("raw tab", bytes: quoted([0x09]), .controlCharacter),
        RejectCase("raw newline", bytes: quoted([0x61, 0x0A]), .controlCharacter),
        RejectCase("raw NUL", bytes: quoted([0x00]), .controlCharacter),
        RejectCase("raw U+001F after non-ASCII", bytes: quoted([0xC3, 0xA9, 0x1F]), .controlCharacter),
        // Strings: malformed UTF-8.
        RejectCase("overlong slash C0 AF", bytes: quoted([0xC0, 0xAF]), .invalidUTF8),
        RejectCase("overlong C1 BF", bytes: quoted([0xC1, 0xBF]), .invalidUTF8),
        RejectCase("overlong 3-byte E0 80 AF", bytes: quoted([0xE0, 0x80, 0xAF]), .invalidUTF8),
        RejectCase("overlong 4-byte F0 80 80 AF", bytes: quoted([0xF0, 0x80, 0x80, 0xAF]), .invalidUTF8),
        RejectCase("encoded high surrogate ED A0 80", bytes: quoted([0xED, 0xA0, 0x80]), .invalidUTF8),
        RejectCase("encoded low surrogate ED BF BF", bytes: quoted([0xED, 0xBF, 0xBF]), .invalidUTF8),
        RejectCase("above U+10FFFF F4 90 80 80", bytes: quoted([0xF4, 0x90, 0x80, 0x80]), .invalidUTF8),
        RejectCase("byte F5", bytes: quoted([0xF5, 0x80, 0x80, 0x80]), .invalidUTF8),
        RejectCase("byte FF", bytes: quoted([0xFF]), .invalidUTF8),
        RejectCase("stray continuation", bytes: quoted([0x61, 0x80]), .invalidUTF8),
        RejectCase("truncated 2-byte", bytes: quoted([0xC3]), .invalidUTF8),
        RejectCase("truncated 3-byte", bytes: quoted([0xE2, 0x82]), .invalidUTF8),
        RejectCase("truncated 4-byte", bytes: quoted([0xF0, 0x9F, 0x98]), .invalidUTF8),
        RejectCase("invalid UTF-8 in member name", bytes: [0x7B] + quoted([0xFE]) + Array(":1}".utf8), .invalidUTF8),
        // Number grammar.
        RejectCase("leading zero", "01", .invalidNumber),
        RejectCase("negative leading zero", "-01", .invalidNumber),
        RejectCase("double zero", "[00]", .invalidNumber),
        RejectCase("plus sign", "+1", .invalidNumber),
        RejectCase("leading dot", ".5", .invalidNumber),
        RejectCase("trailing dot", "1.", .invalidNumber),
        RejectCase("dot then exponent", "1.e5", .invalidNumber),
        RejectCase("lone minus", "-", .invalidNumber),
        RejectCase("minus Infinity", "-Infinity", .invalidNumber),
        RejectCase("empty exponent", "1e", .invalidNumber),
        RejectCase("signed empty exponent", "1e+", .invalidNumber),
        // Number range.
        RejectCase("1e400 overflows", "1e400", .numberOutOfRange),
        RejectCase("-1e400 overflows", "-1e400", .numberOutOfRange),
        RejectCase("huge exponent", "1e99999999999999999999", .numberOutOfRange),
        RejectCase("2^53 integer literal", "9007199254740992", .numberOutOfRange),
        RejectCase("-2^53 integer literal", "-9007199254740992", .numberOutOfRange),
        RejectCase("20-digit integer", "12345678901234567890", .numberOutOfRange),
        RejectCase("integer in object", #"{"n":10000000000000000}"#, .numberOutOfRange),
        // Number preservation.
        RejectCase("0.1 with excess digits", "0.10000000000000000555", .numberNotPreserved),
        RejectCase("1 with excess digits", "1.00000000000000001", .numberNotPreserved),
        RejectCase("RFC sample 333333333.33333329", "333333333.33333329", .numberNotPreserved),
        RejectCase("2^53+1 with fraction", "9007199254740993.0", .numberNotPreserved),
        RejectCase("underflow to zero", "1e-400", .numberNotPreserved),
        RejectCase("below smallest subnormal", "2e-324", .numberNotPreserved),
        RejectCase("pi to 30 digits", "3.14159265358979323846264338327", .numberNotPreserved),
        // Depth.
        RejectCase("65 nested arrays", String(repeating: "[", count: 65) + String(repeating: "]", count: 65), .tooDeep),
        RejectCase("100,000 open brackets", String(repeating: "[", count: 100_000), .tooDeep),
        RejectCase("100,000 nested objects", String(repeating: #"{"a":"#, count: 100_000), .tooDeep),
    ]

    @Test("rejects", arguments: cases)
    func rejects(_ c: RejectCase) {
        let error = parseError(c.input)
        #expect(error?.rule == c.wantError, "\(c.desc): got \(error.map { String(describing: $0) } ?? "success")")
    }

    @Test("accepts", arguments: [
        ("9007199254740991", "9007199254740991"),
        ("-9007199254740991", "-9007199254740991"),
        ("-0", "0"),
        ("-0.0", "0"),
        ("0.1", "0.1"),
        ("1.5e3", "1500"),
        ("1E-7", "1e-7"),
        ("100.0", "100"),
        ("1E+2", "100"),
        ("0e5", "0"),
        ("0.0000", "0"),
        ("1e300", "1e+300"),
        ("1e21", "1e+21"),
        ("1e20", "100000000000000000000"),
        ("9007199254740992.0", "9007199254740992"),
        ("5e-324", "5e-324"),
        ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ("0.000001", "0.000001"),
        ("12.50", "12.5"),
        ("1.00000000000000000000", "1"),
        (" [ 1 , 2 ] ", "[1,2]"),
        (#""\u0000""#, #""\u0000""#),
        (#""\ud83d\ude00""#, "\"\u{1F600}\""),
        (#""\uD83D\uDE00""#, "\"\u{1F600}\""),
        (#""\/""#, #""/""#),
        ("\"\u{7F}\"", "\"\u{7F}\""),
        ("\"\u{10FFFF}\u{E000}\u{FFFF}\"", "\"\u{10FFFF}\u{E000}\u{FFFF}\""),
        ("true", "true"),
        ("null", "null"),
        ("\t\r\n false \n", "false"),
        ("[]", "[]"),
        ("{}", "{}"),
        (#"{"":0}"#, #"{"":0}"#),
    ] as [(String, String)])
    func accepts(input: String, expected: String) throws {
        #expect(try canonical(input) == expected)
    }

    @Test("maxDepth is inclusive and configurable")
    func depthLimit() throws {
        let deep64 = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(parseError(utf8(deep64)) == nil)
        #expect(parseError(utf8("[[1]]"), limits: JSONLimits(maxDepth: 1))?.rule == .tooDeep)
        #expect(parseError(utf8("[1]"), limits: JSONLimits(maxDepth: 1)) == nil)
        #expect(parseError(utf8("1"), limits: JSONLimits(maxDepth: 0)) == nil)
        let deep = String(repeating: "[", count: 2_000) + String(repeating: "]", count: 2_000)
        let value = try JSONValue(parsing: deep, limits: JSONLimits(maxDepth: 2_000))
        #expect(value.arrayValue?.count == 1)
    }
}
