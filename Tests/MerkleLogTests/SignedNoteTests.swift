import Crypto
import MerkleLog
import Testing

/// Vectors of Go's golang.org/x/mod/sumdb/note (the package documentation example in
/// note.go, also used by its note_test.go): the PeterNeumann key pair and its note.
enum GoNoteVectors {
    static let peterVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let peterSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let peterLine =
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    static let note = text + "\n" + peterLine
    // The doubly signed note of the same documentation, with EnochRoot's key from note_test.go.
    static let enochVerifierKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
    static let enochLine =
        "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
    static let doublySigned = note + enochLine
}

@Suite struct SignedNoteTests {
    static func signer(_ name: String = "imr.example/agency-a1/log") throws -> NoteSigner {
        try NoteSigner(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    @Test("Sign, then verify with the matching verifier key")
    func signVerify() throws {
        let signer = try Self.signer()
        let verifier = try NoteVerifier(verifierKey: signer.verifierKey)
        let text = "hello\nworld\n"
        let note = try signer.sign(text)
        #expect(note.hasPrefix(text + "\n— imr.example/agency-a1/log "))
        #expect(note.hasSuffix("\n"))
        #expect(try verifier.verify(note) == text)
        #expect(verifier.name == signer.name)
        #expect(verifier.keyHash == signer.keyHash)
        // A text with an empty line inside is fine: the note splits at its last blank line.
        let spaced = "a\n\nb\n"
        #expect(try verifier.verify(try signer.sign(spaced)) == spaced)
    }

    @Test("The key hash is SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[0..<4], big-endian")
    func keyHash() throws {
        let key = Curve25519.Signing.PrivateKey()
        let signer = try NoteSigner(name: "example.com/log", privateKey: key)
        var hasher = SHA256()
        hasher.update(data: Array("example.com/log".utf8) + [0x0A, 0x01] + Array(key.publicKey.rawRepresentation))
        let digest = Array(hasher.finalize())
        let want = UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
        #expect(signer.keyHash == want)
        // Verifier key format: name+8 lower-case hex+base64(0x01 ‖ key), "AX…"-style since it starts with 0x01.
        let hex = String(want, radix: 16)
        let want8 = String(repeating: "0", count: 8 - hex.count) + hex
        #expect(signer.verifierKey == "example.com/log+\(want8)+" + ([0x01] + Array(key.publicKey.rawRepresentation)).base64)
        #expect(signer.verifierKey.split(separator: "+", maxSplits: 2)[2].hasPrefix("A"))
        #expect(try NoteVerifier(verifierKey: signer.verifierKey).verifierKey == signer.verifierKey)
    }

    @Test("Another key, or the same name with another key, is an unknown key")
    func otherKeys() throws {
        let signer = try Self.signer()
        let note = try signer.sign("text\n")
        let stranger = try NoteVerifier(verifierKey: try Self.signer("someone.else/log").verifierKey)
        #expect(throws: NoteError.unknownKey(name: stranger.name, keyHash: stranger.keyHash)) { try stranger.verify(note) }
        let impostor = try NoteVerifier(verifierKey: try Self.signer().verifierKey)
        #expect(throws: NoteError.unknownKey(name: impostor.name, keyHash: impostor.keyHash)) { try impostor.verify(note) }
    }

    @Test("A changed character in the text breaks the signature")
    func tamperedText() throws {
        let signer = try Self.signer()
        let verifier = try NoteVerifier(verifierKey: signer.verifierKey)
        let note = try signer.sign("imr.example/log\n42\nAAAA\n")
        var tampered = Array(note.utf8)
        tampered[16] = UInt8(ascii: "3")  // "42" → "32"
        #expect(throws: NoteError.invalidSignature(name: signer.name, keyHash: signer.keyHash)) {
            try verifier.verify(String(decoding: tampered, as: UTF8.self))
        }
        // A changed signature byte too.
        let signatureStart = note.utf8.count - 10
        var badSignature = Array(note.utf8)
        badSignature[signatureStart] = badSignature[signatureStart] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: NoteError.invalidSignature(name: signer.name, keyHash: signer.keyHash)) {
            try verifier.verify(String(decoding: badSignature, as: UTF8.self))
        }
    }

    @Test(
        "Malformed notes are refused as malformed",
        arguments: [
            "text\n— name AAAAAAA=\n",  // no blank line
            "text\n\n",  // no signature lines
            "text\n\n— name AAAAAAA=",  // no final newline
            "text\n\n-- name AAAAAAA=\n",  // not an em dash
            "text\n\n—name AAAAAAA=\n",  // no space after the dash
            "text\n\n— name\n",  // no signature
            "text\n\n— name \n",  // empty signature
            "text\n\n— name AAAA\n",  // fewer than 5 bytes
            "text\n\n— name AAAA AAAA\n",  // not base64
            "text\n\n— na+me AAAAAAA=\n",  // '+' in name
            "text\r\n\n— name AAAAAAA=\n",  // control character
            "text\n\n— name AAAAAAA=\n\n",  // empty signature line
        ])
    func malformed(note: String) throws {
        let verifier = try NoteVerifier(verifierKey: try Self.signer().verifierKey)
        #expect {
            try verifier.verify(note)
        } throws: { error in
            (error as? NoteError)?.code == .malformedNote
        }
    }

    @Test("More than 100 signature lines are refused")
    func tooManySignatures() throws {
        let signer = try Self.signer()
        let verifier = try NoteVerifier(verifierKey: signer.verifierKey)
        let note = try signer.sign("t\n")
        let line = note.split(separator: "\n").last.map { String($0) + "\n" }!
        #expect(try verifier.verify(note + String(repeating: "— other AAAAAAA=\n", count: 99)) == "t\n")
        #expect {
            try verifier.verify(note + String(repeating: line, count: 100))
        } throws: { error in
            (error as? NoteError)?.code == .malformedNote
        }
    }

    @Test("Signer names and texts are checked")
    func signerChecks() throws {
        for name in ["", "a+b", "a b", "a\tb", "a\u{00A0}b", "a\nb"] {
            #expect(throws: NoteError.invalidName(name)) {
                try NoteSigner(name: name, privateKey: Curve25519.Signing.PrivateKey())
            }
        }
        let signer = try Self.signer()
        #expect { try signer.sign("no newline") } throws: { ($0 as? NoteError)?.code == .invalidText }
        #expect { try signer.sign("") } throws: { ($0 as? NoteError)?.code == .invalidText }
        #expect { try signer.sign("bell\u{7}\n") } throws: { ($0 as? NoteError)?.code == .invalidText }
    }

    @Test("Malformed verifier keys are refused")
    func badVerifierKeys() throws {
        let good = GoNoteVectors.peterVerifierKey
        let codes: [(String, NoteError.Code)] = [
            ("PeterNeumann", .invalidVerifierKey),
            ("PeterNeumann+c74f20a3", .invalidVerifierKey),
            ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .invalidVerifierKey),
            ("PeterNeumann+c74f20ag+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .invalidVerifierKey),
            ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", .invalidVerifierKey),
            ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .verifierKeyHashMismatch),
            ("PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .verifierKeyHashMismatch),
            ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .invalidName),
        ]
        #expect(throws: Never.self) { try NoteVerifier(verifierKey: good) }
        for (key, code) in codes {
            #expect { try NoteVerifier(verifierKey: key) } throws: { ($0 as? NoteError)?.code == code }
        }
        // A well-formed key of algorithm 0x02, its hash computed for that algorithm.
        let publicKey = Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation)
        var hasher = SHA256()
        hasher.update(data: Array("k".utf8) + [0x0A, 0x02] + publicKey)
        let digest = Array(hasher.finalize())
        let hex = digest.prefix(4).map { String($0 >> 4, radix: 16) + String($0 & 0xF, radix: 16) }.joined()
        #expect(throws: NoteError.unknownAlgorithm(2)) {
            try NoteVerifier(verifierKey: "k+\(hex)+" + ([0x02] + publicKey).base64)
        }
    }

    @Test("Go sumdb/note vector: the PeterNeumann note verifies")
    func goVectorVerifies() throws {
        let verifier = try NoteVerifier(verifierKey: GoNoteVectors.peterVerifierKey)
        #expect(verifier.name == "PeterNeumann")
        #expect(verifier.keyHash == 0xc74f_20a3)
        #expect(verifier.verifierKey == GoNoteVectors.peterVerifierKey)
        #expect(try verifier.verify(GoNoteVectors.note) == GoNoteVectors.text)
        #expect(try verifier.verify(GoNoteVectors.doublySigned) == GoNoteVectors.text)
        let tampered = GoNoteVectors.note.replacingFirst("cryptography", with: "cryptographY")
        #expect(throws: NoteError.invalidSignature(name: "PeterNeumann", keyHash: 0xc74f_20a3)) {
            try verifier.verify(tampered)
        }
    }

    @Test("Go sumdb/note vector: the EnochRoot cosignature verifies")
    func goVectorCosignature() throws {
        let enoch = try NoteVerifier(verifierKey: GoNoteVectors.enochVerifierKey)
        #expect(try enoch.verify(GoNoteVectors.doublySigned) == GoNoteVectors.text)
        #expect(throws: NoteError.unknownKey(name: "EnochRoot", keyHash: 0xaf0c_fe78)) { try enoch.verify(GoNoteVectors.note) }
    }

    @Test("Go sumdb/note vector: signing with the PeterNeumann signer key")
    func goVectorSigns() throws {
        let signer = try NoteSigner(signerKey: GoNoteVectors.peterSignerKey)
        #expect(signer.verifierKey == GoNoteVectors.peterVerifierKey)
        #expect(signer.signerKey == GoNoteVectors.peterSignerKey)
        let note = try signer.sign(GoNoteVectors.text)
        #expect(try NoteVerifier(verifierKey: GoNoteVectors.peterVerifierKey).verify(note) == GoNoteVectors.text)
        #if os(Linux)
            // BoringSSL's Ed25519 is deterministic (RFC 8032), so the bytes equal Go's output.
            // (CryptoKit on Apple platforms randomises signatures; they still verify.)
            #expect(note == GoNoteVectors.note)
        #endif
        #expect { try NoteSigner(signerKey: "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz") } throws: {
            ($0 as? NoteError)?.code == .verifierKeyHashMismatch
        }
        #expect { try NoteSigner(signerKey: GoNoteVectors.peterVerifierKey) } throws: { ($0 as? NoteError)?.code == .invalidSignerKey }
    }

    @Test("A verifier key whose base64 holds '+' parses (transparency-dev/formats note test key)")
    func plusInKey() throws {
        // From transparency-dev/formats note/note_cosigv1_test.go (a type 0x01 key).
        let verifier = try NoteVerifier(verifierKey: "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
        #expect(verifier.name == "TEST")
        #expect(verifier.keyHash == 0x7997_405c)
    }
}

@Suite struct SignedCheckpointTests {
    @Test("Sign and open a checkpoint, with and without an expected origin")
    func roundTrip() throws {
        let signer = try NoteSigner(name: "imr.example/agency-a1/log", privateKey: Curve25519.Signing.PrivateKey())
        let verifier = try NoteVerifier(verifierKey: signer.verifierKey)
        var range = CompactRange()
        for i in 0..<10 { range.append(RFC6962.leafHash(testLeaf(i))) }
        let cp = Checkpoint(origin: "imr.example/agency-a1/log", size: range.size, rootHash: range.rootHash())
        let note = try SignedCheckpoint.sign(cp, with: signer)
        #expect(note.hasPrefix(cp.body + "\n— imr.example/agency-a1/log "))
        #expect(try SignedCheckpoint.open(note, verifier: verifier) == cp)
        #expect(try SignedCheckpoint.open(note, verifier: verifier, expectedOrigin: cp.origin) == cp)
        #expect(throws: CheckpointError.originMismatch(expected: "other/log", got: cp.origin)) {
            try SignedCheckpoint.open(note, verifier: verifier, expectedOrigin: "other/log")
        }
        // The key name may differ from the origin.
        let other = try NoteSigner(name: "witness.example", privateKey: Curve25519.Signing.PrivateKey())
        #expect(
            try SignedCheckpoint.open(try SignedCheckpoint.sign(cp, with: other), verifier: try NoteVerifier(verifierKey: other.verifierKey)) == cp)
    }

    @Test("A rewritten size or root fails; a bad body is refused before signing")
    func tampering() throws {
        let signer = try NoteSigner(name: "log", privateKey: Curve25519.Signing.PrivateKey())
        let verifier = try NoteVerifier(verifierKey: signer.verifierKey)
        let cp = Checkpoint(origin: "log", size: 10, rootHash: RFC6962.emptyRoot)
        let note = try SignedCheckpoint.sign(cp, with: signer)
        #expect { try SignedCheckpoint.open(note.replacingFirst("\n10\n", with: "\n11\n"), verifier: verifier) } throws: {
            ($0 as? NoteError)?.code == .invalidSignature
        }
        #expect(throws: CheckpointError.invalidOrigin) {
            try SignedCheckpoint.sign(Checkpoint(origin: "a\nb", size: 1, rootHash: .zero), with: signer)
        }
        // A validly signed note whose text is not a checkpoint.
        #expect(throws: CheckpointError.missingLines(got: 1)) {
            try SignedCheckpoint.open(try signer.sign("hello\n"), verifier: verifier)
        }
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        replacing(target, with: replacement, maxReplacements: 1)
    }
}
