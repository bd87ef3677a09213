import Crypto

/// Shared rules of the C2SP signed-note format (https://c2sp.org/signed-note).
enum SignedNote {
    /// The signature type byte of Ed25519 keys.
    static let ed25519Algorithm: UInt8 = 0x01

    /// The bytes that start every signature line: em dash (U+2014), space.
    static let signaturePrefix: [UInt8] = Array("\u{2014} ".utf8)

    /// The most signature lines a note may carry before it is refused as malformed.
    static let maxSignatures = 100

    /// A key name is non-empty and holds no `+`, no Unicode white space and no control character.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty
            && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace || $0.value < 0x20 }
    }

    /// The same rule over raw UTF-8, for names read from a note.
    static func isValidName(_ name: ArraySlice<UInt8>) -> Bool {
        isValidName(String(decoding: name, as: UTF8.self))
    }

    /// SHA-256(name ‖ 0x0A ‖ algorithm ‖ public key)[0..<4], big-endian (signed-note "key ID").
    static func keyHash(name: String, algorithm: UInt8, publicKey: some Collection<UInt8>) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8) + [0x0A, algorithm] + Array(publicKey))
        return hasher.finalize().withUnsafeBytes { digest in
            digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
    }

    /// Eight lower-case hexadecimal digits.
    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Exactly eight hexadecimal digits, either case, or `nil`.
    static func parseHex(_ text: Substring) -> UInt32? {
        guard text.utf8.count == 8, text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) })
        else { return nil }
        return UInt32(text, radix: 16)
    }

    /// The four key-hash bytes, big-endian.
    static func bigEndianBytes(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// A parsed signature line.
    struct Signature {
        var name: ArraySlice<UInt8>
        var keyHash: UInt32
        var signature: [UInt8]
    }

    /// Splits a note into its text and signature lines, applying every syntactic rule.
    ///
    /// - Returns: The text (including its final newline) and the parsed signatures.
    static func parse(_ note: String) throws(NoteError) -> (text: ArraySlice<UInt8>, signatures: [Signature]) {
        let bytes = Array(note.utf8)
        guard !bytes.contains(where: { $0 < 0x20 && $0 != 0x0A }) else {
            throw .malformedNote("control character other than newline")
        }
        // The text ends at the last blank line: the last "\n\n".
        var split: Int? = nil
        var i = bytes.count - 2
        while i >= 0 {
            if bytes[i] == 0x0A && bytes[i + 1] == 0x0A {
                split = i
                break
            }
            i -= 1
        }
        guard let split else { throw .malformedNote("no blank line before the signatures") }
        let text = bytes[..<(split + 1)]
        let block = bytes[(split + 2)...]
        guard block.last == 0x0A else { throw .malformedNote("no signature lines, or no final newline") }
        var signatures: [Signature] = []
        for line in block.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            guard line.starts(with: signaturePrefix) else { throw .malformedNote("signature line without em dash") }
            let rest = line.dropFirst(signaturePrefix.count)
            guard let space = rest.firstIndex(of: 0x20) else { throw .malformedNote("signature line without signature") }
            let name = rest[..<space]
            let encoded = rest[(space + 1)...]
            guard isValidName(name) else { throw .malformedNote("invalid key name in signature line") }
            guard !encoded.isEmpty, let raw = Base64.decode(encoded), raw.count >= 5 else {
                throw .malformedNote("signature is not base64 of at least 5 bytes")
            }
            signatures.append(
                Signature(
                    name: name,
                    keyHash: raw.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) },
                    signature: Array(raw.dropFirst(4))
                )
            )
            guard signatures.count <= maxSignatures else { throw .malformedNote("more than \(maxSignatures) signatures") }
        }
        return (text, signatures)
    }
}
