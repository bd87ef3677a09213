/// Resource limits applied while parsing untrusted JSON.
///
/// The parser is iterative, so no limit is needed to protect the call stack; ``maxDepth``
/// bounds how deeply arrays and objects may nest (and therefore how deep any recursive
/// consumer of the resulting ``JSONValue`` must go).
///
/// ```swift
/// let v = try JSONValue(parsing: bytes, limits: JSONLimits(maxDepth: 16))
/// ```
public struct JSONLimits: Sendable, Hashable {
    /// The maximum number of nested arrays and objects; deeper input fails with ``JSONParseError/Rule/tooDeep``.
    ///
    /// A top-level array or object is depth 1; scalars add no depth. Defaults to 64.
    public var maxDepth: Int

    /// Creates limits; `maxDepth` defaults to 64.
    public init(maxDepth: Int = 64) {
        self.maxDepth = maxDepth
    }

    /// The limits used when none are given: `maxDepth` 64.
    public static let `default` = JSONLimits()
}
