import Crypto

/// Verifies C2SP signed notes against one trusted Ed25519 key.
///
/// The key comes as a verifier key, `<name>+<hash>+<base64(0x01 ‖ public key)>`,
/// the form ``NoteSigner/verifierKey`` prints and Go's `note.NewVerifier` reads.
/// Following [c2sp.org/signed-note](https://c2sp.org/signed-note), signature lines
/// of other keys are ignored, a failing signature of this key rejects the whole
/// note, and a note with no signature of this key is rejected.
///
/// ```swift
/// let verifier = try NoteVerifier(verifierKey: "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
/// let text = try verifier.verify(note)   // the text the signature covers
/// ```
public struct NoteVerifier: Sendable {
    /// The key name that signature lines of this key carry.
    public let name: String

    /// The key hash (C2SP "key ID") that signature lines of this key carry.
    public let keyHash: UInt32

    private let publicKey: Curve25519.Signing.PublicKey

    /// Parses a verifier key, `<name>+<hash>+<base64(0x01 ‖ 32-byte public key)>`.
    ///
    /// The hash must be 8 hexadecimal digits equal to the first 4 bytes of
    /// `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)`, and the algorithm byte 0x01 (Ed25519).
    /// The base64 part may itself contain `+`.
    ///
    /// ```swift
    /// let verifier = try NoteVerifier(verifierKey: signer.verifierKey)
    /// ```
    ///
    /// - Parameter verifierKey: The encoded verifier key.
    /// - Throws: ``NoteError`` `.invalidVerifierKey`, `.invalidName`,
    ///   `.verifierKeyHashMismatch` or `.unknownAlgorithm`.
    public init(verifierKey: String) throws(NoteError) {
        let fields = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { throw .invalidVerifierKey("want name+hash+key") }
        let name = String(fields[0])
        guard SignedNote.isValidName(name) else { throw .invalidName(name) }
        guard let hash = SignedNote.parseHex(fields[1]) else { throw .invalidVerifierKey("hash is not 8 hex digits") }
        guard let key = Base64.decode(fields[2].utf8), let algorithm = key.first else {
            throw .invalidVerifierKey("key is not base64 of at least one byte")
        }
        let want = SignedNote.keyHash(name: name, algorithm: algorithm, publicKey: key.dropFirst())
        guard hash == want else { throw .verifierKeyHashMismatch(got: hash, want: want) }
        guard algorithm == SignedNote.ed25519Algorithm else { throw .unknownAlgorithm(algorithm) }
        guard key.count == 33, let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.dropFirst())
        else { throw .invalidVerifierKey("Ed25519 public key is not 32 bytes") }
        self.name = name
        self.keyHash = hash
        self.publicKey = publicKey
    }

    /// The encoded verifier key, `<name>+<hash>+<base64(0x01 ‖ public key)>`, with the hash in lower-case hex.
    public var verifierKey: String {
        "\(name)+\(SignedNote.hex(keyHash))+"
            + Base64.encode([SignedNote.ed25519Algorithm] + Array(publicKey.rawRepresentation))
    }

    /// Parses a signed note, checks this key's signature, and returns the signed text.
    ///
    /// The note must be UTF-8 with no control characters but newline, split at its
    /// last blank line into the text and at most 100 well-formed signature lines.
    /// Lines of other keys (another name, or the same name with another hash) are
    /// ignored.
    ///
    /// ```swift
    /// let body = try verifier.verify(signedCheckpointText)
    /// ```
    ///
    /// - Parameter note: The complete signed note.
    /// - Returns: The note text, including its final newline.
    /// - Throws: ``NoteError`` `.malformedNote` when the note does not parse,
    ///   `.invalidSignature` when a line of this key does not verify, `.unknownKey`
    ///   when no line carries this key's name and hash.
    public func verify(_ note: String) throws(NoteError) -> String {
        let (text, signatures) = try SignedNote.parse(note)
        let nameBytes = Array(name.utf8)
        var verified = false
        for signature in signatures where signature.keyHash == keyHash && signature.name.elementsEqual(nameBytes) {
            guard signature.signature.count == 64, publicKey.isValidSignature(signature.signature, for: Array(text))
            else { throw .invalidSignature(name: name, keyHash: keyHash) }
            verified = true
        }
        guard verified else { throw .unknownKey(name: name, keyHash: keyHash) }
        return String(decoding: text, as: UTF8.self)
    }
}
