import Crypto

/// Signs texts as C2SP signed notes with an Ed25519 key.
///
/// A signed note ([c2sp.org/signed-note](https://c2sp.org/signed-note)) is the
/// text, a blank line, and one signature line per key:
/// `— <name> <base64(key hash ‖ signature)>`, where the key hash is
/// `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[0..<4]` and the Ed25519 signature
/// (RFC 8032) covers the text including its final newline. Notes made here open
/// with Go's `golang.org/x/mod/sumdb/note` and every other conforming verifier.
///
/// ```swift
/// let signer = try NoteSigner(name: "imr.example/agency-a1/log", privateKey: key)
/// print(signer.verifierKey)   // imr.example/agency-a1/log+1a2b3c4d+AX…  (give this to auditors)
/// let note = try signer.sign("hello\n")
/// ```
public struct NoteSigner: Sendable {
    /// The key name written in signature lines; by C2SP recommendation the log's origin.
    public let name: String

    /// The key hash (C2SP "key ID"): the first 4 bytes, big-endian, of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)`.
    public let keyHash: UInt32

    private let privateKey: Curve25519.Signing.PrivateKey

    /// Makes a signer from a key name and an Ed25519 private key.
    ///
    /// ```swift
    /// let signer = try NoteSigner(name: "imr.example/log", privateKey: Curve25519.Signing.PrivateKey())
    /// ```
    ///
    /// - Parameters:
    ///   - name: The key name: non-empty, without `+`, Unicode white space or control characters.
    ///   - privateKey: The Ed25519 private key.
    /// - Throws: ``NoteError`` `.invalidName`.
    public init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws(NoteError) {
        guard SignedNote.isValidName(name) else { throw .invalidName(name) }
        self.name = name
        self.privateKey = privateKey
        self.keyHash = SignedNote.keyHash(
            name: name, algorithm: SignedNote.ed25519Algorithm, publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// Makes a signer from an encoded signer key, `PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>`.
    ///
    /// This is the format of Go's `note.NewSigner` and `note.GenerateKey`; the hash
    /// is checked against the public key derived from the 32-byte seed.
    ///
    /// ```swift
    /// let signer = try NoteSigner(signerKey: keyFileContents)
    /// ```
    ///
    /// - Parameter signerKey: The encoded signer key. Keep it secret.
    /// - Throws: ``NoteError`` `.invalidSignerKey`, `.invalidName`, `.unknownAlgorithm`
    ///   or `.verifierKeyHashMismatch`; messages never include the key.
    public init(signerKey: String) throws(NoteError) {
        let fields = signerKey.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0] == "PRIVATE", fields[1] == "KEY" else {
            throw .invalidSignerKey("want PRIVATE+KEY+name+hash+key")
        }
        guard let hash = SignedNote.parseHex(fields[3]) else { throw .invalidSignerKey("hash is not 8 hex digits") }
        guard let key = Base64.decode(fields[4].utf8), let algorithm = key.first else {
            throw .invalidSignerKey("key is not base64")
        }
        guard algorithm == SignedNote.ed25519Algorithm else { throw .unknownAlgorithm(algorithm) }
        guard key.count == 33, let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: key.dropFirst())
        else { throw .invalidSignerKey("key is not a 32-byte Ed25519 seed") }
        try self.init(name: String(fields[2]), privateKey: privateKey)
        guard keyHash == hash else { throw .verifierKeyHashMismatch(got: hash, want: keyHash) }
    }

    /// The encoded signer key, `PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>`, as Go's `note.NewSigner` reads it.
    ///
    /// - Important: This is the private key. Store it readable by its owner only and
    ///   never log it.
    public var signerKey: String {
        "PRIVATE+KEY+\(name)+\(SignedNote.hex(keyHash))+"
            + Base64.encode([SignedNote.ed25519Algorithm] + Array(privateKey.rawRepresentation))
    }

    /// The public verifier key, `<name>+<hash as 8 lower-case hex digits>+<base64(0x01 ‖ public key)>`.
    ///
    /// ```swift
    /// let verifier = try NoteVerifier(verifierKey: signer.verifierKey)
    /// ```
    public var verifierKey: String {
        "\(name)+\(SignedNote.hex(keyHash))+"
            + Base64.encode([SignedNote.ed25519Algorithm] + Array(privateKey.publicKey.rawRepresentation))
    }

    /// Signs a text and returns the complete signed note.
    ///
    /// The result is `text`, a blank line, and `— <name> <base64(key hash ‖ signature)>\n`.
    /// The text may contain empty lines (the note is split at its last blank line),
    /// but must end in a newline and hold no other control character.
    ///
    /// ```swift
    /// let note = try signer.sign(checkpoint.body)
    /// ```
    ///
    /// - Parameter text: The note text, ending in `"\n"`.
    /// - Returns: The signed note.
    /// - Throws: ``NoteError`` `.invalidText`, or `.signingFailed` if swift-crypto fails.
    public func sign(_ text: String) throws(NoteError) -> String {
        let bytes = Array(text.utf8)
        guard bytes.last == 0x0A else { throw .invalidText("does not end in a newline") }
        guard !bytes.contains(where: { $0 < 0x20 && $0 != 0x0A }) else {
            throw .invalidText("control character other than newline")
        }
        let signature: [UInt8]
        do {
            signature = Array(try privateKey.signature(for: bytes))
        } catch {
            throw .signingFailed("\(error)")
        }
        let encoded = Base64.encode(SignedNote.bigEndianBytes(keyHash) + signature)
        return text + "\n\u{2014} \(name) \(encoded)\n"
    }
}
