/// Why a Merkle proof could not be made or did not verify.
///
/// A struct over a private enum, so new reasons can be added without breaking
/// callers' `switch` statements. Each value carries the numbers or hashes involved,
/// and ``description`` states both sides in the style of transparency-dev/merkle
/// ("wrong proof size 3, want 4"). Match on ``code`` to handle a kind of failure;
/// compare whole values (`==`) to check the details.
///
/// ```swift
/// do {
///     try Proofs.verifyInclusion(leafHash: h, index: 5, size: 8, proof: proof, root: root)
/// } catch where error.code == .rootMismatch {
///     print(error)   // calculated root … does not match expected root …
/// }
/// ```
public struct ProofError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of a ``ProofError``, without its values.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Wrapped: String, Sendable, Hashable {
            case indexOutOfRange, wrongProofSize, rootMismatch, sizeOrder, emptyOldTree
        }

        fileprivate let wrapped: Wrapped

        /// The leaf index is not below the tree size.
        public static let indexOutOfRange = Code(wrapped: .indexOutOfRange)
        /// The proof has more or fewer hashes than the sizes call for.
        public static let wrongProofSize = Code(wrapped: .wrongProofSize)
        /// The root computed from the proof differs from the expected root.
        public static let rootMismatch = Code(wrapped: .rootMismatch)
        /// The old tree size is larger than the new one.
        public static let sizeOrder = Code(wrapped: .sizeOrder)
        /// A consistency proof was asked for from the empty tree, which RFC 9162 does not define.
        public static let emptyOldTree = Code(wrapped: .emptyOldTree)

        /// The code's name, e.g. `wrongProofSize`.
        public var description: String { wrapped.rawValue }
    }

    private enum Detail: Sendable, Equatable {
        case indexOutOfRange(index: UInt64, size: UInt64)
        case wrongProofSize(got: Int, want: Int)
        case rootMismatch(expected: Hash, calculated: Hash)
        case sizeOrder(old: UInt64, new: UInt64)
        case emptyOldTree(new: UInt64)
    }

    private let detail: Detail

    private init(_ detail: Detail) {
        self.detail = detail
    }

    /// The leaf index is not below the tree size: `index ≥ size`.
    ///
    /// - Parameters:
    ///   - index: The requested leaf index.
    ///   - size: The tree size.
    public static func indexOutOfRange(index: UInt64, size: UInt64) -> ProofError {
        ProofError(.indexOutOfRange(index: index, size: size))
    }

    /// The proof holds `got` hashes where the sizes call for `want`.
    ///
    /// - Parameters:
    ///   - got: The number of hashes in the proof.
    ///   - want: The number the tree sizes call for.
    public static func wrongProofSize(got: Int, want: Int) -> ProofError {
        ProofError(.wrongProofSize(got: got, want: want))
    }

    /// The root computed from the proof differs from the one the caller trusts.
    ///
    /// - Parameters:
    ///   - expected: The root the caller supplied.
    ///   - calculated: The root the proof leads to.
    public static func rootMismatch(expected: Hash, calculated: Hash) -> ProofError {
        ProofError(.rootMismatch(expected: expected, calculated: calculated))
    }

    /// The old tree is larger than the new one: `old > new`.
    ///
    /// - Parameters:
    ///   - old: The old (first) tree size.
    ///   - new: The new (second) tree size.
    public static func sizeOrder(old: UInt64, new: UInt64) -> ProofError {
        ProofError(.sizeOrder(old: old, new: new))
    }

    /// A consistency proof from the empty tree to one of `new` leaves was requested or offered.
    ///
    /// - Parameter new: The new (second) tree size.
    public static func emptyOldTree(new: UInt64) -> ProofError {
        ProofError(.emptyOldTree(new: new))
    }

    /// The kind of failure.
    public var code: Code {
        switch detail {
        case .indexOutOfRange: .indexOutOfRange
        case .wrongProofSize: .wrongProofSize
        case .rootMismatch: .rootMismatch
        case .sizeOrder: .sizeOrder
        case .emptyOldTree: .emptyOldTree
        }
    }

    /// A sentence naming both values involved.
    public var description: String {
        switch detail {
        case let .indexOutOfRange(index, size):
            "index is beyond size: \(index) >= \(size)"
        case let .wrongProofSize(got, want):
            "wrong proof size \(got), want \(want)"
        case let .rootMismatch(expected, calculated):
            "calculated root \(calculated.hex) does not match expected root \(expected.hex)"
        case let .sizeOrder(old, new):
            "old size \(old) > new size \(new)"
        case let .emptyOldTree(new):
            "consistency proof from the empty tree to size \(new) is not defined"
        }
    }
}
