/// Why and where a strict JSON parse failed.
///
/// The error carries only the violated ``rule``, the byte ``offset`` and the JSON ``path``;
/// it never quotes string contents or number values from the input, because those may be
/// patient data. A member name appears in ``path`` only when it looks like a schema name
/// (see ``withheldMember``); any other name could itself be patient data and is withheld.
///
/// ```swift
/// do {
///     _ = try JSONValue(parsing: #"{"data":{"count":9007199254740992}}"#)
/// } catch {
///     error.rule        // .numberOutOfRange
///     error.path        // "$.data.count"
///     error.description // invalid JSON at $.data.count (byte 17): integer outside ±(2^53−1); send large numbers as strings
/// }
/// ```
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule the input violated.
    public var rule: Rule
    /// The zero-based byte offset in the input at which the violation was detected.
    public var offset: Int
    /// The location of the offending value as a JSON path, e.g. `$.data.goals[2].text`.
    ///
    /// `$` is the root; member names of at most 64 ASCII letters, digits, `_` and `-`, not
    /// beginning with a digit or `-`, appear as `.name`; any other member appears as
    /// ``withheldMember``; array elements appear as `[index]`.
    public var path: String

    /// What ``path`` shows for a member whose name is not shown: `.<name withheld>`.
    ///
    /// A name with spaces, punctuation or non-ASCII letters, or a very long one, is not a
    /// schema's field name, and it may be a person's name or a note (a client that keys an
    /// object by patient names), so it never reaches an error message.
    public static let withheldMember = ".<name withheld>"

    /// Appends `.name`, or ``withheldMember`` when `name` is not shown, to a path.
    static func appendMember(_ name: String, to path: inout String) {
        var shown = !name.isEmpty && name.utf8.count <= 64
        if shown {
            for (n, b) in name.utf8.enumerated() {
                let letter = (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") || b == UInt8(ascii: "_")
                let digitOrHyphen = (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-")
                if !(letter || (digitOrHyphen && n > 0)) {
                    shown = false
                    break
                }
            }
        }
        path += shown ? "." + name : withheldMember
    }

    /// Creates an error; the parser is the usual source, tests may build expected values.
    public init(rule: Rule, offset: Int, path: String) {
        self.rule = rule
        self.offset = offset
        self.path = path
    }

    /// A one-line explanation: `invalid JSON at <path> (byte <offset>): <rule explanation>`.
    public var description: String {
        "invalid JSON at \(path) (byte \(offset)): \(rule.explanation)"
    }
}

extension JSONParseError {
    /// An extensible identifier of a parsing rule, compared with `==` or matched in `switch`.
    ///
    /// Modelled as a struct over a private enum so new rules can be added without breaking
    /// exhaustive `switch` statements in client code.
    public struct Rule: Sendable, Hashable, CustomStringConvertible {
        private enum Code: Sendable, Hashable {
            case syntax, unexpectedEnd, empty, trailingData
            case invalidUTF8, controlCharacter, invalidEscape, loneSurrogate
            case duplicateKey
            case invalidNumber, numberOutOfRange, numberNotPreserved
            case tooDeep
        }

        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// A character that cannot appear here in the JSON grammar (RFC 8259 §2), e.g. `NaN` or a missing `:`.
        public static var syntax: Rule { Rule(.syntax) }
        /// The input ended inside a value, e.g. an unterminated string or array.
        public static var unexpectedEnd: Rule { Rule(.unexpectedEnd) }
        /// The input is empty or only whitespace.
        public static var empty: Rule { Rule(.empty) }
        /// Something other than whitespace follows the single top-level value.
        public static var trailingData: Rule { Rule(.trailingData) }
        /// A string holds a byte sequence that is not well-formed UTF-8 (RFC 3629): overlong
        /// forms, encoded surrogates, bytes above F4, truncated sequences.
        public static var invalidUTF8: Rule { Rule(.invalidUTF8) }
        /// A string holds a raw control character below U+0020 (RFC 8259 §7).
        public static var controlCharacter: Rule { Rule(.controlCharacter) }
        /// A backslash escape other than `\" \\ \/ \b \f \n \r \t \uXXXX`.
        public static var invalidEscape: Rule { Rule(.invalidEscape) }
        /// A `\u` escape denotes an unpaired or misordered UTF-16 surrogate (RFC 7493 §2.1).
        public static var loneSurrogate: Rule { Rule(.loneSurrogate) }
        /// An object repeats a member name after unescaping (RFC 7493 §2.3).
        public static var duplicateKey: Rule { Rule(.duplicateKey) }
        /// A number breaks the RFC 8259 §6 grammar: leading zero, `+`, `.5`, `1.`, `1e`, lone `-`.
        public static var invalidNumber: Rule { Rule(.invalidNumber) }
        /// An integer literal lies outside ±(2^53−1), or a number is not finite as a double (RFC 7493 §2.2).
        public static var numberOutOfRange: Rule { Rule(.numberOutOfRange) }
        /// A number with a fraction or exponent does not survive the double round trip exactly,
        /// so its canonical form (RFC 8785 §3.2.2.3) would change its value.
        public static var numberNotPreserved: Rule { Rule(.numberNotPreserved) }
        /// Arrays and objects nest deeper than ``JSONLimits/maxDepth``.
        public static var tooDeep: Rule { Rule(.tooDeep) }

        /// The rule's identifier, e.g. `duplicateKey`.
        public var description: String {
            switch code {
            case .syntax: "syntax"
            case .unexpectedEnd: "unexpectedEnd"
            case .empty: "empty"
            case .trailingData: "trailingData"
            case .invalidUTF8: "invalidUTF8"
            case .controlCharacter: "controlCharacter"
            case .invalidEscape: "invalidEscape"
            case .loneSurrogate: "loneSurrogate"
            case .duplicateKey: "duplicateKey"
            case .invalidNumber: "invalidNumber"
            case .numberOutOfRange: "numberOutOfRange"
            case .numberNotPreserved: "numberNotPreserved"
            case .tooDeep: "tooDeep"
            }
        }

        /// A human explanation of the rule, free of input data.
        var explanation: String {
            switch code {
            case .syntax: "unexpected character"
            case .unexpectedEnd: "unexpected end of input"
            case .empty: "empty input"
            case .trailingData: "data after the top-level value"
            case .invalidUTF8: "string is not valid UTF-8"
            case .controlCharacter: "raw control character in string; escape it"
            case .invalidEscape: "invalid escape sequence in string"
            case .loneSurrogate: "unpaired UTF-16 surrogate escape in string"
            case .duplicateKey: "duplicate member name"
            case .invalidNumber: "malformed number"
            case .numberOutOfRange:
                "integer outside ±(2^53−1) or number beyond double range; send large numbers as strings"
            case .numberNotPreserved:
                "number has more precision than a double holds; send exact decimals as strings"
            case .tooDeep: "nesting deeper than the limit"
            }
        }
    }
}
