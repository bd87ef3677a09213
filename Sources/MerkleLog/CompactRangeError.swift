/// Why a ``CompactRange`` could not be restored.
///
/// A struct over a private enum, like ``ProofError``: match on ``code``, compare
/// whole values to check the details.
///
/// ```swift
/// #expect(throws: CompactRangeError.wrongHashCount(got: 1, want: 2)) {
///     try CompactRange(size: 3, hashes: [h])
/// }
/// ```
public struct CompactRangeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of a ``CompactRangeError``, without its values.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Wrapped: String, Sendable, Hashable {
            case wrongHashCount
        }

        fileprivate let wrapped: Wrapped

        /// The number of hashes is not the number of set bits in the size.
        public static let wrongHashCount = Code(wrapped: .wrongHashCount)

        /// The code's name, e.g. `wrongHashCount`.
        public var description: String { wrapped.rawValue }
    }

    private enum Detail: Sendable, Equatable {
        case wrongHashCount(got: Int, want: Int)
    }

    private let detail: Detail

    private init(_ detail: Detail) {
        self.detail = detail
    }

    /// `got` subtree hashes were given where the size has `want` set bits.
    ///
    /// - Parameters:
    ///   - got: The number of hashes given.
    ///   - want: `popcount(size)`.
    public static func wrongHashCount(got: Int, want: Int) -> CompactRangeError {
        CompactRangeError(.wrongHashCount(got: got, want: want))
    }

    /// The kind of failure.
    public var code: Code {
        switch detail {
        case .wrongHashCount: .wrongHashCount
        }
    }

    /// A sentence naming both values involved.
    public var description: String {
        switch detail {
        case let .wrongHashCount(got, want):
            "wrong number of subtree hashes \(got), want \(want)"
        }
    }
}
