import MerkleLog
import Testing

@Suite struct CheckpointTests {
    static let root = RFC6962.leafHash(Array("root".utf8))

    @Test("Body format and round trip")
    func roundTrip() throws {
        let cp = Checkpoint(origin: "imr.example/agency-a1/log", size: 20_852_163, rootHash: Self.root)
        let base64Root = Self.root.bytes.base64
        #expect(cp.body == "imr.example/agency-a1/log\n20852163\n\(base64Root)\n")
        #expect(try Checkpoint(body: cp.body) == cp)

        let withExtensions = Checkpoint(origin: "o", size: 0, rootHash: RFC6962.emptyRoot, extensionLines: ["a b", "— c"])
        // base64 of SHA-256(""): python3 -c 'import base64,hashlib; print(base64.b64encode(hashlib.sha256(b"").digest()).decode())'
        #expect(withExtensions.body == "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\na b\n— c\n")
        #expect(try Checkpoint(body: withExtensions.body) == withExtensions)
        try withExtensions.validate()
    }

    @Test("The example of the C2SP tlog-checkpoint specification parses")
    func specExample() throws {
        // https://c2sp.org/tlog-checkpoint, the example at the top of the page.
        let body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let cp = try Checkpoint(body: body)
        #expect(cp.origin == "example.com/behind-the-sofa")
        #expect(cp.size == 20_852_163)
        #expect(cp.rootHash.bytes.base64 == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
        #expect(cp.extensionLines.isEmpty)
        #expect(cp.body == body)
    }

    struct BadBody: Sendable, CustomTestStringConvertible {
        var desc: String
        var body: String
        var wantError: CheckpointError
        var testDescription: String { desc }
    }

    static let rootLine = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

    static let badBodies: [BadBody] = [
        BadBody(desc: "empty", body: "", wantError: .missingFinalNewline),
        BadBody(desc: "no final newline", body: "o\n1\n\(rootLine)", wantError: .missingFinalNewline),
        BadBody(desc: "missing root line", body: "o\n1\n", wantError: .missingLines(got: 2)),
        BadBody(desc: "only origin", body: "o\n", wantError: .missingLines(got: 1)),
        BadBody(desc: "empty origin", body: "\n1\n\(rootLine)\n", wantError: .invalidOrigin),
        BadBody(desc: "non-decimal size", body: "o\n1a\n\(rootLine)\n", wantError: .invalidSize),
        BadBody(desc: "hex size", body: "o\n0x1\n\(rootLine)\n", wantError: .invalidSize),
        BadBody(desc: "leading zero", body: "o\n01\n\(rootLine)\n", wantError: .invalidSize),
        BadBody(desc: "double zero", body: "o\n00\n\(rootLine)\n", wantError: .invalidSize),
        BadBody(desc: "plus sign", body: "o\n+1\n\(rootLine)\n", wantError: .invalidSize),
        BadBody(desc: "negative", body: "o\n-1\n\(rootLine)\n", wantError: .invalidSize),
        BadBody(desc: "space before size", body: "o\n 1\n\(rootLine)\n", wantError: .invalidSize),
        BadBody(desc: "empty size", body: "o\n\n\(rootLine)\n", wantError: .invalidSize),
        BadBody(desc: "size overflows UInt64", body: "o\n18446744073709551616\n\(rootLine)\n", wantError: .invalidSize),
        BadBody(desc: "non-ASCII digit", body: "o\n١\n\(rootLine)\n", wantError: .invalidSize),
        BadBody(desc: "root not base64", body: "o\n1\n!7DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", wantError: .invalidRootHash),
        BadBody(desc: "root URL-safe base64", body: "o\n1\n47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=\n", wantError: .invalidRootHash),
        BadBody(desc: "root without padding", body: "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n", wantError: .invalidRootHash),
        BadBody(
            desc: "root not canonical (trailing bits)", body: "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n", wantError: .invalidRootHash),
        // base64 of 31 and 33 bytes: python3 -c 'import base64; print(base64.b64encode(bytes(31)))' (and 33)
        BadBody(desc: "root of 31 bytes", body: "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n", wantError: .invalidRootHash),
        BadBody(desc: "root of 33 bytes", body: "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", wantError: .invalidRootHash),
        BadBody(desc: "root with space", body: "o\n1\n \(rootLine)\n", wantError: .invalidRootHash),
        BadBody(desc: "empty extension line", body: "o\n1\n\(rootLine)\n\n", wantError: .emptyExtensionLine(line: 4)),
        BadBody(desc: "empty second extension line", body: "o\n1\n\(rootLine)\nx\n\n", wantError: .emptyExtensionLine(line: 5)),
        BadBody(desc: "carriage return", body: "o\r\n1\n\(rootLine)\n", wantError: .controlCharacter(line: 1)),
        BadBody(desc: "tab in extension", body: "o\n1\n\(rootLine)\na\tb\n", wantError: .controlCharacter(line: 4)),
    ]

    @Test("Strict parsing rejects malformed bodies", arguments: badBodies)
    func rejects(bad: BadBody) {
        #expect(throws: bad.wantError) { try Checkpoint(body: bad.body) }
    }

    @Test("The largest size parses")
    func maxSize() throws {
        let cp = try Checkpoint(body: "o\n18446744073709551615\n\(Self.rootLine)\n")
        #expect(cp.size == .max)
    }

    @Test("validate refuses parts that would not parse back")
    func validate() {
        #expect(throws: CheckpointError.invalidOrigin) {
            try Checkpoint(origin: "", size: 1, rootHash: Self.root).validate()
        }
        #expect(throws: CheckpointError.invalidOrigin) {
            try Checkpoint(origin: "a\nb", size: 1, rootHash: Self.root).validate()
        }
        #expect(throws: CheckpointError.controlCharacter(line: 5)) {
            try Checkpoint(origin: "o", size: 1, rootHash: Self.root, extensionLines: ["x", "y\nz"]).validate()
        }
        #expect(throws: CheckpointError.emptyExtensionLine(line: 4)) {
            try Checkpoint(origin: "o", size: 1, rootHash: Self.root, extensionLines: [""]).validate()
        }
    }
}

extension [UInt8] {
    /// Standard padded base64, written out here so the tests do not trust the module's encoder.
    var base64: String {
        let table = [Character]("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var i = 0
        while i < count {
            let chunk = self[i..<Swift.min(i + 3, count)]
            let n = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for j in 0..<4 {
                out.append(j <= chunk.count ? table[n >> (18 - 6 * j) & 63] : "=")
            }
            i += 3
        }
        return out
    }
}
