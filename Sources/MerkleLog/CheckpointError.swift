/// Why a checkpoint body could not be parsed, or a signed checkpoint was not the one expected.
///
/// A struct over a private enum, like ``ProofError``: match on ``code``, compare
/// whole values to check the details. Messages name the line at fault but never
/// quote note text beyond the origin.
///
/// ```swift
/// do { _ = try Checkpoint(body: text) } catch where error.code == .invalidSize { … }
/// ```
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of a ``CheckpointError``, without its values.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Wrapped: String, Sendable, Hashable {
            case missingFinalNewline, missingLines, invalidOrigin, invalidSize, invalidRootHash
            case emptyExtensionLine, controlCharacter, originMismatch
        }

        fileprivate let wrapped: Wrapped

        /// The body does not end in a newline.
        public static let missingFinalNewline = Code(wrapped: .missingFinalNewline)
        /// The body has fewer than the three mandatory lines.
        public static let missingLines = Code(wrapped: .missingLines)
        /// The origin line is empty.
        public static let invalidOrigin = Code(wrapped: .invalidOrigin)
        /// The size line is not a decimal `UInt64` without leading zeros.
        public static let invalidSize = Code(wrapped: .invalidSize)
        /// The root hash line is not the canonical base64 of 32 bytes.
        public static let invalidRootHash = Code(wrapped: .invalidRootHash)
        /// An extension line is empty.
        public static let emptyExtensionLine = Code(wrapped: .emptyExtensionLine)
        /// The body holds an ASCII control character other than newline.
        public static let controlCharacter = Code(wrapped: .controlCharacter)
        /// The checkpoint's origin is not the one the caller expected.
        public static let originMismatch = Code(wrapped: .originMismatch)

        /// The code's name, e.g. `invalidSize`.
        public var description: String { wrapped.rawValue }
    }

    private enum Detail: Sendable, Equatable {
        case missingFinalNewline
        case missingLines(got: Int)
        case invalidOrigin
        case invalidSize
        case invalidRootHash
        case emptyExtensionLine(line: Int)
        case controlCharacter(line: Int)
        case originMismatch(expected: String, got: String)
    }

    private let detail: Detail

    private init(_ detail: Detail) {
        self.detail = detail
    }

    /// The body does not end in a newline.
    public static var missingFinalNewline: CheckpointError { CheckpointError(.missingFinalNewline) }

    /// The body has only `got` lines; a checkpoint needs at least three.
    ///
    /// - Parameter got: The number of lines found.
    public static func missingLines(got: Int) -> CheckpointError { CheckpointError(.missingLines(got: got)) }

    /// The origin line is empty.
    public static var invalidOrigin: CheckpointError { CheckpointError(.invalidOrigin) }

    /// The size line is not the ASCII decimal form of a `UInt64` with no leading zeros.
    public static var invalidSize: CheckpointError { CheckpointError(.invalidSize) }

    /// The root hash line is not the canonical standard base64 of 32 bytes.
    public static var invalidRootHash: CheckpointError { CheckpointError(.invalidRootHash) }

    /// Line `line` (1-based), an extension line, is empty.
    ///
    /// - Parameter line: The 1-based line number.
    public static func emptyExtensionLine(line: Int) -> CheckpointError {
        CheckpointError(.emptyExtensionLine(line: line))
    }

    /// Line `line` (1-based) holds an ASCII control character other than newline.
    ///
    /// - Parameter line: The 1-based line number.
    public static func controlCharacter(line: Int) -> CheckpointError {
        CheckpointError(.controlCharacter(line: line))
    }

    /// The checkpoint names origin `got` where `expected` was required.
    ///
    /// - Parameters:
    ///   - expected: The origin the caller required.
    ///   - got: The origin in the checkpoint.
    public static func originMismatch(expected: String, got: String) -> CheckpointError {
        CheckpointError(.originMismatch(expected: expected, got: got))
    }

    /// The kind of failure.
    public var code: Code {
        switch detail {
        case .missingFinalNewline: .missingFinalNewline
        case .missingLines: .missingLines
        case .invalidOrigin: .invalidOrigin
        case .invalidSize: .invalidSize
        case .invalidRootHash: .invalidRootHash
        case .emptyExtensionLine: .emptyExtensionLine
        case .controlCharacter: .controlCharacter
        case .originMismatch: .originMismatch
        }
    }

    /// A sentence saying what is wrong.
    public var description: String {
        switch detail {
        case .missingFinalNewline: "checkpoint body does not end in a newline"
        case let .missingLines(got): "checkpoint body has \(got) lines, want at least 3"
        case .invalidOrigin: "checkpoint origin line is empty"
        case .invalidSize: "checkpoint size line is not a decimal number without leading zeros"
        case .invalidRootHash: "checkpoint root hash line is not the base64 of 32 bytes"
        case let .emptyExtensionLine(line): "checkpoint extension line \(line) is empty"
        case let .controlCharacter(line): "checkpoint line \(line) holds a control character"
        case let .originMismatch(expected, got): "checkpoint origin \(got) is not the expected \(expected)"
        }
    }
}
