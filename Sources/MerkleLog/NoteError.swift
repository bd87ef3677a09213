/// Why a signed note, a key or a text to sign was refused.
///
/// A struct over a private enum, like ``ProofError``: match on ``code``, compare
/// whole values to check the details. The three outcomes of verifying a note are
/// distinct codes: `.malformedNote` (it does not parse), `.unknownKey` (no
/// signature line carries this key's name and hash) and `.invalidSignature` (one
/// does, and it is wrong). Messages name keys, never note text.
///
/// ```swift
/// do { _ = try verifier.verify(note) }
/// catch let error as NoteError where error.code == .unknownKey { … }
/// ```
public struct NoteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of a ``NoteError``, without its values.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Wrapped: String, Sendable, Hashable {
            case malformedNote, unknownKey, invalidSignature, invalidName, invalidText
            case invalidVerifierKey, verifierKeyHashMismatch, unknownAlgorithm, invalidSignerKey, signingFailed
        }

        fileprivate let wrapped: Wrapped

        /// The note does not parse as a C2SP signed note.
        public static let malformedNote = Code(wrapped: .malformedNote)
        /// No signature line has this key's name and key hash.
        public static let unknownKey = Code(wrapped: .unknownKey)
        /// A signature line of this key does not verify.
        public static let invalidSignature = Code(wrapped: .invalidSignature)
        /// A key name is empty or holds a `+`, a Unicode space or a control character.
        public static let invalidName = Code(wrapped: .invalidName)
        /// The text to sign does not end in a newline or holds a control character.
        public static let invalidText = Code(wrapped: .invalidText)
        /// A verifier key is not `name+hash+base64key` with an 8-digit hex hash and a 33-byte key.
        public static let invalidVerifierKey = Code(wrapped: .invalidVerifierKey)
        /// A key's hash field does not match the hash of its name and public key.
        public static let verifierKeyHashMismatch = Code(wrapped: .verifierKeyHashMismatch)
        /// A key's algorithm byte is not 0x01 (Ed25519).
        public static let unknownAlgorithm = Code(wrapped: .unknownAlgorithm)
        /// A signer key is not `PRIVATE+KEY+name+hash+base64key` with a 33-byte key.
        public static let invalidSignerKey = Code(wrapped: .invalidSignerKey)
        /// swift-crypto could not sign.
        public static let signingFailed = Code(wrapped: .signingFailed)

        /// The code's name, e.g. `unknownKey`.
        public var description: String { wrapped.rawValue }
    }

    private enum Detail: Sendable, Equatable {
        case malformedNote(reason: String)
        case unknownKey(name: String, keyHash: UInt32)
        case invalidSignature(name: String, keyHash: UInt32)
        case invalidName(name: String)
        case invalidText(reason: String)
        case invalidVerifierKey(reason: String)
        case verifierKeyHashMismatch(got: UInt32, want: UInt32)
        case unknownAlgorithm(UInt8)
        case invalidSignerKey(reason: String)
        case signingFailed(reason: String)
    }

    private let detail: Detail

    private init(_ detail: Detail) {
        self.detail = detail
    }

    /// The note does not parse; `reason` says which rule it breaks.
    ///
    /// - Parameter reason: The broken rule, without note text.
    public static func malformedNote(_ reason: String) -> NoteError { NoteError(.malformedNote(reason: reason)) }

    /// No signature line carries key `name` with hash `keyHash`.
    ///
    /// - Parameters:
    ///   - name: The verifier's key name.
    ///   - keyHash: The verifier's key hash.
    public static func unknownKey(name: String, keyHash: UInt32) -> NoteError {
        NoteError(.unknownKey(name: name, keyHash: keyHash))
    }

    /// The signature line of key `name` with hash `keyHash` does not verify.
    ///
    /// - Parameters:
    ///   - name: The key name.
    ///   - keyHash: The key hash.
    public static func invalidSignature(name: String, keyHash: UInt32) -> NoteError {
        NoteError(.invalidSignature(name: name, keyHash: keyHash))
    }

    /// `name` is not a valid key name.
    ///
    /// - Parameter name: The refused name.
    public static func invalidName(_ name: String) -> NoteError { NoteError(.invalidName(name: name)) }

    /// The text to sign is refused; `reason` says why.
    ///
    /// - Parameter reason: The broken rule, without the text.
    public static func invalidText(_ reason: String) -> NoteError { NoteError(.invalidText(reason: reason)) }

    /// The verifier key does not parse; `reason` says why.
    ///
    /// - Parameter reason: The broken rule.
    public static func invalidVerifierKey(_ reason: String) -> NoteError {
        NoteError(.invalidVerifierKey(reason: reason))
    }

    /// The key's hash field is `got`, but its name and public key hash to `want`.
    ///
    /// - Parameters:
    ///   - got: The hash written in the key.
    ///   - want: The hash computed from the name and public key.
    public static func verifierKeyHashMismatch(got: UInt32, want: UInt32) -> NoteError {
        NoteError(.verifierKeyHashMismatch(got: got, want: want))
    }

    /// The key's algorithm byte is `algorithm`, not 0x01 (Ed25519).
    ///
    /// - Parameter algorithm: The algorithm byte found.
    public static func unknownAlgorithm(_ algorithm: UInt8) -> NoteError { NoteError(.unknownAlgorithm(algorithm)) }

    /// The signer key does not parse; `reason` says why (never the key itself).
    ///
    /// - Parameter reason: The broken rule.
    public static func invalidSignerKey(_ reason: String) -> NoteError { NoteError(.invalidSignerKey(reason: reason)) }

    /// swift-crypto failed to sign; `reason` is its error.
    ///
    /// - Parameter reason: The underlying error's text.
    public static func signingFailed(_ reason: String) -> NoteError { NoteError(.signingFailed(reason: reason)) }

    /// The kind of failure.
    public var code: Code {
        switch detail {
        case .malformedNote: .malformedNote
        case .unknownKey: .unknownKey
        case .invalidSignature: .invalidSignature
        case .invalidName: .invalidName
        case .invalidText: .invalidText
        case .invalidVerifierKey: .invalidVerifierKey
        case .verifierKeyHashMismatch: .verifierKeyHashMismatch
        case .unknownAlgorithm: .unknownAlgorithm
        case .invalidSignerKey: .invalidSignerKey
        case .signingFailed: .signingFailed
        }
    }

    /// A sentence saying what is wrong, naming keys but never note text.
    public var description: String {
        switch detail {
        case let .malformedNote(reason): "malformed note: \(reason)"
        case let .unknownKey(name, hash): "no signature by key \(name)+\(SignedNote.hex(hash))"
        case let .invalidSignature(name, hash): "invalid signature for key \(name)+\(SignedNote.hex(hash))"
        case let .invalidName(name): "invalid key name \(name.debugDescription)"
        case let .invalidText(reason): "invalid note text: \(reason)"
        case let .invalidVerifierKey(reason): "malformed verifier key: \(reason)"
        case let .verifierKeyHashMismatch(got, want):
            "verifier key hash \(SignedNote.hex(got)) does not match name and key, want \(SignedNote.hex(want))"
        case let .unknownAlgorithm(algorithm): "unknown key algorithm \(algorithm), want 1 (Ed25519)"
        case let .invalidSignerKey(reason): "malformed signer key: \(reason)"
        case let .signingFailed(reason): "signing failed: \(reason)"
        }
    }
}
