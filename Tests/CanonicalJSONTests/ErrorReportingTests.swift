import CanonicalJSON
import Testing

@Suite("Error reporting")
struct ErrorReportingTests {
    @Test("offset, path and description of an out-of-range integer")
    func outOfRangeInteger() {
        let error = parseError(utf8(#"{"data":{"count":9007199254740992}}"#))
        #expect(error == JSONParseError(rule: .numberOutOfRange, offset: 17, path: "$.data.count"))
        #expect(error?.description.hasPrefix("invalid JSON at $.data.count (byte 17): integer outside ±(2^53−1)") == true)
    }

    @Test("paths", arguments: [
        (#"{"data":{"goals":[{"text":"ok"},{"text":"\ud800"}]}}"#, "$.data.goals[1].text", 41),
        (#"{"a":1,"a":2}"#, "$.a", 7),
        (#"[1 2]"#, "$[0]", 3),
        (#"{"x-y":[0,01]}"#, "$.x-y[1]", 10),
        (#"{"Jane Doe":[0,01]}"#, "$.<name withheld>[1]", 15),
        (#"{"data":{"Zoë":{"a":01}}}"#, "$.data.<name withheld>.a", 21),
        (#"{"a":{"b":"#, "$.a.b", 10),
        (#"{"ok":true,"#, "$", 11),
        ("[[[[1]]]] x", "$", 10),
        ("", "$", 0),
    ] as [(String, String, Int)])
    func paths(input: String, path: String, offset: Int) {
        let error = parseError(utf8(input))
        #expect(error?.path == path)
        #expect(error?.offset == offset)
    }

    @Test("rule identifiers and description format")
    func ruleDescriptions() {
        #expect(JSONParseError.Rule.duplicateKey.description == "duplicateKey")
        #expect(JSONParseError.Rule.tooDeep != .syntax)
        let e = JSONParseError(rule: .empty, offset: 0, path: "$")
        #expect(e.description == "invalid JSON at $ (byte 0): empty input")
    }

    /// Inputs whose offending string or number holds a secret; no description may echo it.
    static let secretCases: [String] = [
        "{\"name\":\"SECRET-NAME\u{01}\"}",
        #"{"name":"SECRET-NAME\ud800"}"#,
        #"{"name":"SECRET-NAME\q"}"#,
        #"{"name":"SECRET-NAME"#,
        #"{"mrn":1234567890123456789}"#,
        #"{"mrn":12345.678901234567890123}"#,
        #"{"mrn":1e999}"#,
        #"{"name":"SECRET-NAME"} trailing SECRET-NAME"#,
        #"{"name":"SECRET-NAME","name":"SECRET-NAME"}"#,
        #"{"SECRET NAME":1,"SECRET NAME":2}"#,
        #"{"data":{"SECRET NAME":{"x":01}}}"#,
        #"{"data":{"SECRET-NAME-ÅÄÖ":[1,2,]}}"#,
    ]

    @Test("descriptions never contain input strings or numbers", arguments: secretCases)
    func noSecrets(input: String) {
        let error = parseError(utf8(input))
        #expect(error != nil)
        let text = error.map { String(describing: $0) } ?? ""
        #expect(!text.contains("SECRET"))
        #expect(!text.contains("12345"))
        #expect(!text.contains("999"))
    }

    @Test("invalid UTF-8 is reported at the offending byte")
    func invalidUTF8Offset() {
        let error = parseError([0x5B, 0x22, 0x61, 0xC0, 0xAF, 0x22, 0x5D])
        #expect(error == JSONParseError(rule: .invalidUTF8, offset: 3, path: "$[0]"))
    }
}
