extension JSONTape {
    /// Walks an object's members in the order they are stored, for readers that know the
    /// order to expect: in RFC 8785 canonical JSON members are sorted by their names' UTF-16
    /// code units, so a reader of canonical documents asks for its members in that order and
    /// finds each one with a single comparison, where `member(_:in:)` searches the object.
    ///
    /// ```swift
    /// var tape = JSONTape()
    /// try tape.parse(Array(#"{"a":1,"c":true}"#.utf8))
    /// var members = JSONTape.MemberCursor(tape, object: tape.root)!
    /// members.take(JSONTape.Key("a"), in: tape)   // the index of `1`
    /// members.take(JSONTape.Key("b"), in: tape)   // nil: the next member is "c"
    /// members.take(JSONTape.Key("c"), in: tape)   // the index of `true`
    /// members.isAtEnd                             // true
    /// ```
    ///
    /// A document whose members are not in the expected order simply does not match (a member
    /// is reported absent and another is left over), so such readers must fall back to a
    /// general decoder when they do not reach the end.
    public struct MemberCursor: Sendable {
        /// The index of the next member's name node.
        private var next: Int
        /// The index after the object's subtree.
        private let end: Int

        /// A cursor before the first member of the object at `object`; `nil` when the node
        /// at `object` is not an object.
        public init?(_ tape: JSONTape, object: Int) {
            let node = tape.nodes[object]
            guard node.kind == .object else { return nil }
            next = object + 1
            end = Int(node.next)
        }

        /// The value index of the next member when it is named `key`, moving past it; `nil`,
        /// without moving, when the next member has another name or none is left.
        public mutating func take(_ key: Key, in tape: JSONTape) -> Int? {
            guard next < end, tape.nameMatches(at: next, key) else { return nil }
            let value = next + 1
            next = Int(tape.nodes[value].next)
            return value
        }

        /// Whether every member has been taken.
        public var isAtEnd: Bool { next >= end }
    }
}
