/// A transparency log checkpoint: the C2SP `tlog-checkpoint` note text naming a tree head.
///
/// The body is the note text that a ``NoteSigner`` signs
/// ([c2sp.org/tlog-checkpoint](https://c2sp.org/tlog-checkpoint)):
///
/// ```text
/// imr.example/agency-a1/log
/// 20852163
/// CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
/// ```
///
/// the origin, the tree size in decimal, the base64 of the RFC 9162 root hash,
/// then any extension lines, each line ending in a newline. Extension lines are
/// opaque and, per the specification, not recommended.
///
/// ```swift
/// let cp = Checkpoint(origin: "imr.example/agency-a1/log", size: range.size, rootHash: range.rootHash())
/// let parsed = try Checkpoint(body: cp.body)   // == cp
/// ```
public struct Checkpoint: Sendable, Hashable {
    /// The log's identity, e.g. `imr.example/agency-a1/log`: non-empty, one line.
    ///
    /// C2SP recommends a schema-less URL with neither spaces nor `+`, equal to the
    /// signing key's name; neither is required.
    public var origin: String

    /// The number of leaves in the tree.
    public var size: UInt64

    /// The RFC 9162 root hash of the first ``size`` leaves.
    public var rootHash: Hash

    /// Optional extra lines after the root hash, each non-empty and without a newline; usually none.
    public var extensionLines: [String]

    /// Makes a checkpoint from its parts.
    ///
    /// The parts are not checked here; ``validate()`` and
    /// ``SignedCheckpoint/sign(_:with:)`` refuse a checkpoint whose ``body`` would not
    /// parse back to it (an empty origin, or a newline or control character in a line).
    ///
    /// ```swift
    /// let cp = Checkpoint(origin: "imr.example/log", size: 8, rootHash: root)
    /// ```
    ///
    /// - Parameters:
    ///   - origin: The log's identity.
    ///   - size: The tree size.
    ///   - rootHash: The root hash of the tree of `size` leaves.
    ///   - extensionLines: Extra lines, usually none.
    public init(origin: String, size: UInt64, rootHash: Hash, extensionLines: [String] = []) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensionLines = extensionLines
    }

    /// The note text: `origin\nsize\nbase64(root)\n`, then each extension line and a newline.
    ///
    /// ```swift
    /// Checkpoint(origin: "o", size: 0, rootHash: RFC6962.emptyRoot).body
    /// // "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    /// ```
    public var body: String {
        var text = "\(origin)\n\(size)\n\(rootHash.withUnsafeBytes { Base64.encode($0) })\n"
        for line in extensionLines {
            text += line
            text += "\n"
        }
        return text
    }

    /// Parses a checkpoint body strictly, per C2SP `tlog-checkpoint`.
    ///
    /// The body must end in a newline and have at least three lines: a non-empty
    /// origin; the size in ASCII decimal with no sign and no leading zeros (only
    /// `0` itself may start with `0`); the canonical standard base64 of 32 bytes.
    /// Any further lines are extension lines and must be non-empty. No line may
    /// hold an ASCII control character.
    ///
    /// ```swift
    /// let cp = try Checkpoint(body: try verifier.verify(note))
    /// ```
    ///
    /// - Parameter body: The note text.
    /// - Throws: ``CheckpointError`` naming the first fault: `.missingFinalNewline`,
    ///   `.controlCharacter`, `.missingLines`, `.invalidOrigin`, `.invalidSize`,
    ///   `.invalidRootHash` or `.emptyExtensionLine`.
    public init(body: String) throws(CheckpointError) {
        let bytes = Array(body.utf8)
        guard bytes.last == UInt8(ascii: "\n") else { throw .missingFinalNewline }
        let lines = bytes.dropLast().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (number, line) in lines.enumerated() where line.contains(where: { $0 < 0x20 }) {
            throw .controlCharacter(line: number + 1)
        }
        guard lines.count >= 3 else { throw .missingLines(got: lines.count) }
        guard !lines[0].isEmpty else { throw .invalidOrigin }
        guard let size = Checkpoint.parseSize(lines[1]) else { throw .invalidSize }
        guard let rootBytes = Base64.decode(lines[2]), let rootHash = Hash(bytes: rootBytes) else {
            throw .invalidRootHash
        }
        for (offset, line) in lines.dropFirst(3).enumerated() where line.isEmpty {
            throw .emptyExtensionLine(line: offset + 4)
        }
        self.init(
            origin: String(decoding: lines[0], as: UTF8.self),
            size: size,
            rootHash: rootHash,
            extensionLines: lines.dropFirst(3).map { String(decoding: $0, as: UTF8.self) }
        )
    }

    /// Checks that ``body`` parses back to this checkpoint.
    ///
    /// ```swift
    /// try Checkpoint(origin: "", size: 0, rootHash: RFC6962.emptyRoot).validate()   // throws .invalidOrigin
    /// ```
    ///
    /// - Throws: ``CheckpointError`` `.invalidOrigin` when the origin holds a newline,
    ///   `.controlCharacter` when an extension line does, or whatever ``init(body:)``
    ///   throws for ``body``.
    public func validate() throws(CheckpointError) {
        if origin.utf8.contains(UInt8(ascii: "\n")) { throw .invalidOrigin }
        for (offset, line) in extensionLines.enumerated() where line.utf8.contains(UInt8(ascii: "\n")) {
            throw .controlCharacter(line: offset + 4)
        }
        _ = try Checkpoint(body: body)
    }

    /// ASCII decimal with no leading zeros, within `UInt64`.
    private static func parseSize(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard let first = digits.first, digits.count == 1 || first != UInt8(ascii: "0") else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}
