/// A parsed JSON document laid out as a flat array of nodes, for reading without building a tree.
///
/// ``parse(_:limits:)`` applies exactly the rules of ``JSONValue/init(parsing:limits:)`` (same
/// ``JSONParseError`` rule, byte offset and path for every refused input) but records each
/// value as one fixed-size node instead of allocating strings, arrays and dictionaries. A tape
/// is reusable: parsing again clears and refills the same storage, so a loop over many
/// documents allocates nothing once the buffers have grown.
///
/// Nodes are addressed by `Int` index; the document's value is ``root``. An object node is
/// followed by its members, each a string node (the name) and then the value's nodes; an
/// array node is followed by its elements. ``next(after:)`` skips a whole subtree in O(1).
///
/// ```swift
/// var tape = JSONTape()
/// try tape.parse(Array(#"{"type":"note","data":{"n":[1,2]}}"#.utf8))
/// let data = tape.member("data", in: tape.root)!
/// tape.string(at: tape.member("type", in: tape.root)!)         // "note"
/// tape.elements(of: tape.member("n", in: data)!).map { tape.int(at: $0) }  // [1, 2]
/// JSONValue(tape: tape, at: data)                              // .object(["n": [1, 2]])
/// ```
///
/// Member names are matched like ``JSONValue``'s subscript: after unescaping, by Swift
/// `String` equality. Indices are only meaningful for the document last parsed. Inputs must be
/// smaller than 4 GiB.
public struct JSONTape: Sendable {
    /// What a node holds.
    public enum Kind: UInt8, Sendable, Hashable {
        /// The literal `null`.
        case null
        /// The literal `false`.
        case `false`
        /// The literal `true`.
        case `true`
        /// A number; read it with ``JSONTape/double(at:)`` or ``JSONTape/int(at:)``.
        case number
        /// A string (also every member name); read it with ``JSONTape/string(at:)``.
        case string
        /// An array; its elements follow it on the tape.
        case array
        /// An object; its members (name node, then value) follow it on the tape.
        case object
    }

    /// One node. 20 bytes; numbers keep their value in `numbers`.
    struct Node: Sendable {
        var kind: Kind
        /// Strings: ``Flags``. Numbers: 1 when the literal has no fraction or exponent.
        var flags: UInt8
        /// Containers: member or element count. Numbers: index into `numbers`.
        var count: UInt32
        /// Strings: offset after the opening quote. Others: offset of the first byte.
        var start: UInt32
        /// Strings: offset of the closing quote. Others: offset after the last byte.
        var end: UInt32
        /// The index of the first node after this node's subtree.
        var next: UInt32
    }

    /// Bits of ``Node/flags`` for strings.
    enum Flags {
        /// The literal contains at least one backslash escape.
        static let escaped: UInt8 = 1
        /// The string (after unescaping) contains a non-ASCII scalar.
        static let nonASCII: UInt8 = 2
    }

    /// A copy of the bytes last parsed; string and number nodes point into it.
    var bytes: [UInt8] = []
    var nodes: [Node] = []
    var numbers: [Double] = []
    // Parser working storage, kept between parses so that they do not allocate.
    private var frames: [TapeFrame] = []
    private var keySets: [Set<String>] = []
    private var scratch: [UInt8] = []

    /// Makes an empty tape; ``parse(_:limits:)`` fills it.
    public init() {}

    /// Parses one JSON document from UTF-8 `bytes`, replacing what the tape held.
    ///
    /// The rules are those of ``JSONValue/init(parsing:limits:)``: RFC 8259 grammar, I-JSON
    /// number range and preservation, well-formed UTF-8, paired surrogates, no duplicate member
    /// names, nesting at most `limits.maxDepth`. On failure the tape is left empty.
    ///
    /// - Throws: ``JSONParseError`` with the same rule, offset and path as the tree parser.
    public mutating func parse(_ bytes: some Collection<UInt8>, limits: JSONLimits = .default) throws(JSONParseError) {
        self.bytes.removeAll(keepingCapacity: true)
        let copied: Void? = bytes.withContiguousStorageIfAvailable { self.bytes.append(contentsOf: $0) }
        if copied == nil { self.bytes.append(contentsOf: bytes) }
        precondition(self.bytes.count < Int(UInt32.max), "JSONTape: input of 4 GiB or more")
        nodes.removeAll(keepingCapacity: true)
        numbers.removeAll(keepingCapacity: true)
        var parser = TapeParser(maxDepth: limits.maxDepth)
        swap(&parser.nodes, &nodes)
        swap(&parser.numbers, &numbers)
        swap(&parser.frames, &frames)
        swap(&parser.keySets, &keySets)
        swap(&parser.scratch, &scratch)
        let failure: JSONParseError? = self.bytes.withUnsafeBufferPointer { input in
            do throws(JSONParseError) {
                try parser.parse(input)
                return nil
            } catch {
                return error
            }
        }
        swap(&parser.nodes, &nodes)
        swap(&parser.numbers, &numbers)
        swap(&parser.frames, &frames)
        swap(&parser.keySets, &keySets)
        swap(&parser.scratch, &scratch)
        frames.removeAll(keepingCapacity: true)
        keySets.removeAll(keepingCapacity: true)
        if let failure {
            nodes.removeAll(keepingCapacity: true)
            throw failure
        }
    }

    /// Parses the UTF-8 form of `text`; see ``parse(_:limits:)``.
    public mutating func parse(_ text: String, limits: JSONLimits = .default) throws(JSONParseError) {
        try parse(text.utf8, limits: limits)
    }
}

// MARK: - Navigation

extension JSONTape {
    /// The index of the document's top-level value (valid after a successful parse).
    public var root: Int { 0 }

    /// Whether the tape holds no document (before the first parse, or after a failed one).
    public var isEmpty: Bool { nodes.isEmpty }

    /// The number of nodes; indices run from 0 to `nodeCount - 1`.
    public var nodeCount: Int { nodes.count }

    /// The kind of the node at `index`.
    public func kind(at index: Int) -> Kind { nodes[index].kind }

    /// The index of the first node after the subtree at `index` (its next sibling, if any).
    public func next(after index: Int) -> Int { Int(nodes[index].next) }

    /// The number of members of an object or elements of an array; 0 for other kinds.
    public func count(at index: Int) -> Int {
        let node = nodes[index]
        return node.kind == .array || node.kind == .object ? Int(node.count) : 0
    }

    /// The byte range of the value at `index` in the parsed input, quotes included for strings.
    public func byteRange(at index: Int) -> Range<Int> {
        let node = nodes[index]
        return node.kind == .string ? Int(node.start) - 1..<Int(node.end) + 1 : Int(node.start)..<Int(node.end)
    }

    /// The indices of an array's elements, in order; empty when `index` is not an array.
    public func elements(of index: Int) -> Children {
        let node = nodes[index]
        guard node.kind == .array else { return Children(tape: self, first: index + 1, end: index + 1, stride: 1) }
        return Children(tape: self, first: index + 1, end: Int(node.next), stride: 1)
    }

    /// The indices of an object's member names, in document order; the value of a member whose
    /// name is at `k` is at `k + 1`. Empty when `index` is not an object.
    public func memberNames(of index: Int) -> Children {
        let node = nodes[index]
        guard node.kind == .object else { return Children(tape: self, first: index + 1, end: index + 1, stride: 2) }
        return Children(tape: self, first: index + 1, end: Int(node.next), stride: 2)
    }

    /// The indices of an array's elements or an object's member names, skipping subtrees in O(1).
    public struct Children: Sequence, IteratorProtocol {
        let tape: JSONTape
        var position: Int
        let end: Int
        /// 1 for array elements; 2 for member names (each is followed by one value subtree).
        let stride: Int

        init(tape: JSONTape, first: Int, end: Int, stride: Int) {
            self.tape = tape
            self.position = first
            self.end = end
            self.stride = stride
        }

        /// The next index, or `nil` at the end.
        public mutating func next() -> Int? {
            guard position < end else { return nil }
            let current = position
            position = Int(tape.nodes[stride == 1 ? current : current + 1].next)
            return current
        }
    }

    /// The value index of the member named `key` in the object at `object`, or `nil` when the
    /// object has no such member or `object` is not an object.
    public func member(_ key: String, in object: Int) -> Int? {
        member(Key(key), in: object)
    }

    /// The value index of the member named `key` in the object at `object`; see the `String` overload.
    public func member(_ key: Key, in object: Int) -> Int? {
        let node = nodes[object]
        guard node.kind == .object else { return nil }
        var k = object + 1
        let end = Int(node.next)
        while k < end {
            if nameMatches(at: k, key) { return k + 1 }
            k = Int(nodes[k + 1].next)
        }
        return nil
    }

    /// A member name prepared for repeated lookups (its UTF-8 bytes and whether it is ASCII).
    public struct Key: Sendable, Hashable {
        /// The name.
        public let string: String
        let utf8: [UInt8]
        let isASCII: Bool

        /// Prepares `string` for lookups.
        public init(_ string: String) {
            self.string = string
            self.utf8 = Array(string.utf8)
            self.isASCII = utf8.allSatisfy { $0 < 0x80 }
        }
    }

    /// Whether the string node at `k` equals `key` as a Swift `String`.
    ///
    /// Plain ASCII on both sides compares bytes; anything else (escapes, non-ASCII, where
    /// canonical equivalence may apply) compares materialized strings.
    func nameMatches(at k: Int, _ key: Key) -> Bool {
        let node = nodes[k]
        if node.flags == 0 && key.isASCII {
            let length = Int(node.end &- node.start)
            guard length == key.utf8.count else { return false }
            return bytes.withUnsafeBufferPointer { input in
                key.utf8.withUnsafeBufferPointer { want in
                    var i = 0
                    let base = Int(node.start)
                    while i < length {
                        if input[base &+ i] != want[i] { return false }
                        i &+= 1
                    }
                    return true
                }
            }
        }
        return string(at: k) == key.string
    }

    /// Whether the strings at nodes `a` and `b` are equal as Swift `String`s.
    func namesEqual(_ a: Int, _ b: Int) -> Bool {
        let x = nodes[a], y = nodes[b]
        if x.flags == 0 && y.flags == 0 {
            let length = Int(x.end &- x.start)
            guard length == Int(y.end &- y.start) else { return false }
            return bytes.withUnsafeBufferPointer { input in
                var i = 0
                while i < length {
                    if input[Int(x.start) &+ i] != input[Int(y.start) &+ i] { return false }
                    i &+= 1
                }
                return true
            }
        }
        return string(at: a) == string(at: b)
    }

    // MARK: Scalars

    /// The string at `index` (unescaped), or `nil` when the node is not a string.
    ///
    /// A string without escapes is decoded straight from the input bytes.
    public func string(at index: Int) -> String? {
        let node = nodes[index]
        guard node.kind == .string else { return nil }
        return bytes.withUnsafeBufferPointer { input in JSONTape.text(of: node, in: input) }
    }

    /// The unescaped text of string node `node` whose bytes are in `input`.
    static func text(of node: Node, in input: UnsafeBufferPointer<UInt8>) -> String {
        let raw = UnsafeBufferPointer(rebasing: input[Int(node.start)..<Int(node.end)])
        if node.flags & Flags.escaped == 0 { return String(decoding: raw, as: UTF8.self) }
        return unescape(raw)
    }

    /// Calls `body` with the UTF-8 bytes of the string at `index`, as they stand in the input,
    /// when the string holds no escape; `nil` (without calling it) for any other node.
    public func withUnescapedUTF8<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        let node = nodes[index]
        guard node.kind == .string, node.flags & Flags.escaped == 0 else { return nil }
        return try bytes.withUnsafeBufferPointer { input in
            try body(UnsafeBufferPointer(rebasing: input[Int(node.start)..<Int(node.end)]))
        }
    }

    /// Whether the value at `index` is a string without escapes whose UTF-8 bytes equal `utf8`.
    public func stringEquals(at index: Int, utf8: some Sequence<UInt8>) -> Bool {
        let node = nodes[index]
        guard node.kind == .string else { return false }
        if node.flags & Flags.escaped != 0 {
            return string(at: index).map { $0.utf8.elementsEqual(utf8) } ?? false
        }
        // Contiguous bytes (a String's, an array's) compare in place: this is called per event,
        // and the generic comparison below costs more than the parse around it.
        let start = Int(node.start), count = Int(node.end) - start
        let contiguous = utf8.withContiguousStorageIfAvailable { expected in
            guard expected.count == count else { return false }
            return bytes.withUnsafeBufferPointer { input in
                for i in 0..<count where input[start + i] != expected[i] { return false }
                return true
            }
        }
        return contiguous ?? bytes[start..<(start + count)].elementsEqual(utf8)
    }

    /// The number at `index`, or `nil` when the node is not a number.
    public func double(at index: Int) -> Double? {
        let node = nodes[index]
        guard node.kind == .number else { return nil }
        return numbers[Int(node.count)]
    }

    /// The number at `index` as an `Int` when it is an exact integer (`2.0` counts), else `nil`.
    public func int(at index: Int) -> Int? {
        guard let d = double(at: index), d >= -9_223_372_036_854_775_808.0, d < 9_223_372_036_854_775_808.0 else {
            return nil
        }
        let integer = Int64(d)
        return Double(integer) == d ? Int(integer) : nil
    }

    /// The Boolean at `index`, or `nil` when the node is not `true` or `false`.
    public func bool(at index: Int) -> Bool? {
        switch nodes[index].kind {
        case .true: true
        case .false: false
        default: nil
        }
    }

    /// Whether the node at `index` is `null`.
    public func isNull(at index: Int) -> Bool { nodes[index].kind == .null }

    /// Decodes the escapes of a validated string literal body.
    private static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        // Unescaped text is never longer than its literal.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { out in
            var n = 0
            var i = 0
            @inline(__always) func put(_ b: UInt8) { out[n] = b; n &+= 1 }
            @inline(__always) func hex4(_ j: Int) -> UInt32 {
                var v: UInt32 = 0
                for k in j..<(j + 4) {
                    let h = raw[k]
                    let d: UInt32 = h <= 0x39 ? UInt32(h &- 0x30) : UInt32((h | 0x20) &- 0x61 &+ 10)
                    v = v << 4 | d
                }
                return v
            }
            while i < raw.count {
                let b = raw[i]
                guard b == 0x5C else { put(b); i &+= 1; continue }
                let c = raw[i + 1]
                switch c {
                case UInt8(ascii: "b"): put(0x08); i += 2
                case UInt8(ascii: "f"): put(0x0C); i += 2
                case UInt8(ascii: "n"): put(0x0A); i += 2
                case UInt8(ascii: "r"): put(0x0D); i += 2
                case UInt8(ascii: "t"): put(0x09); i += 2
                case UInt8(ascii: "u"):
                    var s = hex4(i + 2)
                    i += 6
                    if s >= 0xD800 && s <= 0xDBFF {  // validated: a low surrogate escape follows
                        s = 0x10000 + ((s - 0xD800) << 10) + (hex4(i + 2) - 0xDC00)
                        i += 6
                    }
                    if s < 0x80 {
                        put(UInt8(s))
                    } else if s < 0x800 {
                        put(UInt8(0xC0 | (s >> 6))); put(UInt8(0x80 | (s & 0x3F)))
                    } else if s < 0x10000 {
                        put(UInt8(0xE0 | (s >> 12))); put(UInt8(0x80 | ((s >> 6) & 0x3F))); put(UInt8(0x80 | (s & 0x3F)))
                    } else {
                        put(UInt8(0xF0 | (s >> 18))); put(UInt8(0x80 | ((s >> 12) & 0x3F)))
                        put(UInt8(0x80 | ((s >> 6) & 0x3F))); put(UInt8(0x80 | (s & 0x3F)))
                    }
                default: put(c); i += 2  // \" \\ \/
                }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: out[0..<n]), as: UTF8.self)
        }
    }
}

// MARK: - Materializing

extension JSONValue {
    /// Builds the ``JSONValue`` tree of the subtree at `index` of `tape`.
    ///
    /// Use it for the parts of a document that are read as free-form JSON; the result equals
    /// what ``init(parsing:limits:)`` gives for the same bytes.
    public init(tape: JSONTape, at index: Int) {
        let node = tape.nodes[index]
        switch node.kind {
        case .null: self = .null
        case .false: self = .bool(false)
        case .true: self = .bool(true)
        case .number: self = .number(tape.numbers[Int(node.count)])
        case .string: self = .string(tape.string(at: index)!)
        case .array:
            var elements: [JSONValue] = []
            elements.reserveCapacity(Int(node.count))
            var i = index + 1
            let end = Int(node.next)
            while i < end {
                elements.append(JSONValue(tape: tape, at: i))
                i = Int(tape.nodes[i].next)
            }
            self = .array(elements)
        case .object:
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(Int(node.count))
            var k = index + 1
            let end = Int(node.next)
            while k < end {
                members[tape.string(at: k)!] = JSONValue(tape: tape, at: k + 1)
                k = Int(tape.nodes[k + 1].next)
            }
            self = .object(members)
        }
    }
}

// MARK: - Parser

/// One open container while parsing.
struct TapeFrame {
    /// Node index of the container.
    var node: Int
    var isObject: Bool
    /// Members or elements completed so far.
    var count: Int = 0
    /// Objects: node index of the name being read or just read; -1 before it is complete.
    var key: Int = -1
    /// Objects: byte offset of that name's opening quote.
    var keyOffset: Int = 0
    /// Objects: index into `keySets` once names are tracked in a set, else -1.
    var keySet: Int = -1
    /// Objects: whether every name so far was plain ASCII and bytewise greater than the one
    /// before (as in canonical JSON), so that none can repeat an earlier one.
    var ascending = true
    /// Objects: the name node of the last completed member.
    var previousKey: Int = -1
}

/// The strict tape parser. Its control flow mirrors `JSONParser` step by step so that both
/// report every violation with the same rule, offset and path.
struct TapeParser {
    private var input = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    private var end = 0
    private let maxDepth: Int
    private var pos = 0
    var nodes: [JSONTape.Node] = []
    var numbers: [Double] = []
    var frames: [TapeFrame] = []
    var keySets: [Set<String>] = []
    var scratch: [UInt8] = []

    /// Above this many members an object's names are checked for duplicates with a hash set.
    private static let pairwiseLimit = 32

    init(maxDepth: Int) { self.maxDepth = maxDepth }

    mutating func parse(_ input: UnsafeBufferPointer<UInt8>) throws(JSONParseError) {
        self.input = input
        self.end = input.count
        self.pos = 0
        skipWhitespace()
        if pos == end { throw fail(.empty, at: pos) }
        nextValue: while true {
            guard pos < end else { throw fail(.unexpectedEnd, at: pos) }
            switch input[pos] {
            case UInt8(ascii: "{"):
                try openContainer(isObject: true)
                pos += 1
                skipWhitespace()
                if pos < end && input[pos] == UInt8(ascii: "}") {
                    pos += 1
                    closeContainer()
                } else {
                    try readMemberName()
                    continue nextValue
                }
            case UInt8(ascii: "["):
                try openContainer(isObject: false)
                pos += 1
                skipWhitespace()
                if pos < end && input[pos] == UInt8(ascii: "]") {
                    pos += 1
                    closeContainer()
                } else {
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                try parseString()
            case UInt8(ascii: "t"):
                try expectLiteral(0x74, 0x72, 0x75, 0x65, 0)
                emit(.true, start: pos - 4)
            case UInt8(ascii: "f"):
                try expectLiteral(0x66, 0x61, 0x6C, 0x73, 0x65)
                emit(.false, start: pos - 5)
            case UInt8(ascii: "n"):
                try expectLiteral(0x6E, 0x75, 0x6C, 0x6C, 0)
                emit(.null, start: pos - 4)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try parseNumber()
            case UInt8(ascii: "+"), UInt8(ascii: "."):
                throw fail(.invalidNumber, at: pos)
            default:
                throw fail(.syntax, at: pos)
            }

            // A value just ended: attach it to its container; close containers that end here.
            while true {
                guard let top = frames.indices.last else {
                    skipWhitespace()
                    if pos != end { throw fail(.trailingData, at: pos) }
                    return
                }
                if frames[top].isObject {
                    try checkDuplicate(top)
                    frames[top].count += 1
                    skipWhitespace()
                    guard pos < end else { throw fail(.unexpectedEnd, at: pos, afterElement: true) }
                    let c = input[pos]
                    if c == UInt8(ascii: ",") {
                        pos += 1
                        skipWhitespace()
                        try readMemberName()
                        continue nextValue
                    }
                    guard c == UInt8(ascii: "}") else { throw fail(.syntax, at: pos, afterElement: true) }
                    pos += 1
                    closeContainer()
                } else {
                    frames[top].count += 1
                    skipWhitespace()
                    guard pos < end else { throw fail(.unexpectedEnd, at: pos, afterElement: true) }
                    let c = input[pos]
                    if c == UInt8(ascii: ",") {
                        pos += 1
                        skipWhitespace()
                        continue nextValue
                    }
                    guard c == UInt8(ascii: "]") else { throw fail(.syntax, at: pos, afterElement: true) }
                    pos += 1
                    closeContainer()
                }
            }
        }
    }

    @inline(__always)
    private mutating func emit(_ kind: JSONTape.Kind, flags: UInt8 = 0, count: Int = 0, start: Int) {
        let index = nodes.count
        nodes.append(JSONTape.Node(
            kind: kind, flags: flags, count: UInt32(truncatingIfNeeded: count), start: UInt32(truncatingIfNeeded: start),
            end: UInt32(truncatingIfNeeded: pos), next: UInt32(truncatingIfNeeded: index + 1)))
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while pos < end {
            let b = input[pos]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            pos += 1
        }
    }

    private mutating func openContainer(isObject: Bool) throws(JSONParseError) {
        if frames.count >= maxDepth { throw fail(.tooDeep, at: pos) }
        frames.append(TapeFrame(node: nodes.count, isObject: isObject, keyOffset: pos))
        emit(isObject ? .object : .array, start: pos)
    }

    /// Completes the innermost container's node (`pos` is just past its closing bracket).
    private mutating func closeContainer() {
        let frame = frames.removeLast()
        if frame.keySet >= 0 { keySets.removeLast() }
        nodes[frame.node].count = UInt32(truncatingIfNeeded: frame.count)
        nodes[frame.node].end = UInt32(truncatingIfNeeded: pos)
        nodes[frame.node].next = UInt32(truncatingIfNeeded: nodes.count)
    }

    /// Reads `"name"` and `:` at `pos` into the innermost object's pending member name.
    private mutating func readMemberName() throws(JSONParseError) {
        let top = frames.count - 1
        frames[top].key = -1  // the previous name no longer describes the position
        guard pos < end else { throw fail(.unexpectedEnd, at: pos) }
        guard input[pos] == UInt8(ascii: "\"") else { throw fail(.syntax, at: pos) }
        frames[top].keyOffset = pos
        try parseString()
        frames[top].key = nodes.count - 1
        skipWhitespace()
        guard pos < end else { throw fail(.unexpectedEnd, at: pos) }
        guard input[pos] == UInt8(ascii: ":") else { throw fail(.syntax, at: pos) }
        pos += 1
        skipWhitespace()
    }

    /// Refuses the innermost object's newest member name if an earlier member has it.
    ///
    /// Names are compared as Swift `String`s, like the tree parser's dictionary: plain ASCII
    /// names pairwise by bytes; once a name has escapes or non-ASCII text, or the object grows
    /// large, all names go into a `Set<String>`.
    private mutating func checkDuplicate(_ top: Int) throws(JSONParseError) {
        let frame = frames[top]
        let newKey = frame.key
        frames[top].previousKey = newKey
        if frame.ascending && nodes[newKey].flags != 0 { frames[top].ascending = false }
        if frame.keySet < 0 && frame.ascending && nodes[newKey].flags == 0 {
            // Canonical input: one comparison with the previous name settles it.
            if frame.count == 0 { return }
            let previous = nodes[frame.previousKey]
            let a = UnsafeBufferPointer(rebasing: input[Int(previous.start)..<Int(previous.end)])
            let b = UnsafeBufferPointer(rebasing: input[Int(nodes[newKey].start)..<Int(nodes[newKey].end)])
            if a.lexicographicallyPrecedes(b) { return }
            frames[top].ascending = false
        }
        if frame.keySet < 0 {
            if nodes[newKey].flags == 0 && frame.count < Self.pairwiseLimit {
                let (start, length) = (Int(nodes[newKey].start), Int(nodes[newKey].end - nodes[newKey].start))
                var k = frame.node + 1
                while k < newKey {
                    let other = nodes[k]
                    if Int(other.end - other.start) == length {
                        var i = 0
                        let otherStart = Int(other.start)
                        while i < length && input[start &+ i] == input[otherStart &+ i] { i &+= 1 }
                        if i == length { throw fail(.duplicateKey, at: frame.keyOffset) }
                    }
                    k = Int(nodes[k + 1].next)
                }
                return
            }
            // Switch this object to set tracking, seeded with the (distinct) earlier names.
            var names = Set<String>(minimumCapacity: frame.count + 1)
            var k = frame.node + 1
            while k < newKey {
                names.insert(stringValue(k))
                k = Int(nodes[k + 1].next)
            }
            keySets.append(names)
            frames[top].keySet = keySets.count - 1
        }
        if !keySets[frames[top].keySet].insert(stringValue(newKey)).inserted {
            throw fail(.duplicateKey, at: frame.keyOffset)
        }
    }

    /// The unescaped text of the string node at `k` (names only; used off the fast path).
    private func stringValue(_ k: Int) -> String {
        JSONTape.text(of: nodes[k], in: input)
    }

    private mutating func expectLiteral(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8) throws(JSONParseError) {
        let length = e == 0 ? 4 : 5
        let expected = (a, b, c, d, e)
        var i = 0
        while i < length {
            let want: UInt8
            switch i {
            case 0: want = expected.0
            case 1: want = expected.1
            case 2: want = expected.2
            case 3: want = expected.3
            default: want = expected.4
            }
            guard pos + i < end else { throw fail(.unexpectedEnd, at: pos + i) }
            guard input[pos + i] == want else { throw fail(.syntax, at: pos + i) }
            i += 1
        }
        pos += length
    }

    // MARK: Strings

    /// Validates the string literal whose opening quote is at `pos` and emits its node; leaves
    /// `pos` after the closing quote.
    private mutating func parseString() throws(JSONParseError) {
        let start = pos + 1
        var i = start
        // Fast path: printable ASCII without escapes, eight bytes at a time while none of the
        // eight is a quote, a backslash, a control character or non-ASCII. (SWAR: `(v − 0x01…)
        // & ~v & 0x80…` is non-zero exactly when some byte of v is zero, and `(w − 0x20…) & ~w`
        // flags a byte below 0x20 among ASCII bytes; `w & 0x80…` flags non-ASCII.)
        if let base = input.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs = ones &* 0x80
            while i &+ 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                let hits = ((word &- ones &* 0x20) & ~word) | ((quote &- ones) & ~quote)
                    | ((backslash &- ones) & ~backslash) | word
                if hits & highs != 0 { break }
                i &+= 8
            }
        }
        while i < end {
            let b = input[i]
            if b == 0x22 {
                pos = i + 1
                appendString(start: start, end: i, flags: 0)
                return
            }
            if b == 0x5C || b < 0x20 || b >= 0x80 { break }
            i += 1
        }
        var flags: UInt8 = 0
        while i < end {
            let b = input[i]
            if b == 0x22 {
                pos = i + 1
                appendString(start: start, end: i, flags: flags)
                return
            }
            if b == 0x5C {
                flags |= JSONTape.Flags.escaped
                i = try checkEscape(at: i, flags: &flags)
                continue
            }
            if b < 0x20 { throw fail(.controlCharacter, at: i) }
            if b < 0x80 {
                i += 1
                continue
            }
            flags |= JSONTape.Flags.nonASCII
            i += try utf8SequenceLength(at: i)
        }
        throw fail(.unexpectedEnd, at: end)
    }

    @inline(__always)
    private mutating func appendString(start: Int, end: Int, flags: UInt8) {
        let index = nodes.count
        nodes.append(JSONTape.Node(
            kind: .string, flags: flags, count: 0, start: UInt32(truncatingIfNeeded: start),
            end: UInt32(truncatingIfNeeded: end), next: UInt32(truncatingIfNeeded: index + 1)))
    }

    /// Validates the multi-byte UTF-8 sequence at `i` (RFC 3629 §4) and returns its length.
    @inline(__always)
    private func utf8SequenceLength(at i: Int) throws(JSONParseError) -> Int {
        @inline(__always) func byte(_ j: Int) -> UInt8 { j < end ? input[j] : 0 }
        @inline(__always) func isContinuation(_ x: UInt8) -> Bool { x & 0xC0 == 0x80 }
        let b0 = input[i]
        if b0 < 0xC2 { throw fail(.invalidUTF8, at: i) }
        if b0 < 0xE0 {
            guard isContinuation(byte(i + 1)) else { throw fail(.invalidUTF8, at: i) }
            return 2
        }
        if b0 < 0xF0 {
            let b1 = byte(i + 1)
            let ok: Bool
            switch b0 {
            case 0xE0: ok = b1 >= 0xA0 && b1 <= 0xBF
            case 0xED: ok = b1 >= 0x80 && b1 <= 0x9F
            default: ok = isContinuation(b1)
            }
            guard ok, isContinuation(byte(i + 2)) else { throw fail(.invalidUTF8, at: i) }
            return 3
        }
        if b0 < 0xF5 {
            let b1 = byte(i + 1)
            let ok: Bool
            switch b0 {
            case 0xF0: ok = b1 >= 0x90 && b1 <= 0xBF
            case 0xF4: ok = b1 >= 0x80 && b1 <= 0x8F
            default: ok = isContinuation(b1)
            }
            guard ok, isContinuation(byte(i + 2)), isContinuation(byte(i + 3)) else {
                throw fail(.invalidUTF8, at: i)
            }
            return 4
        }
        throw fail(.invalidUTF8, at: i)
    }

    /// Validates the escape whose backslash is at `i`; returns the index after it.
    private func checkEscape(at i: Int, flags: inout UInt8) throws(JSONParseError) -> Int {
        guard i + 1 < end else { throw fail(.unexpectedEnd, at: end) }
        switch input[i + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return i + 2
        case UInt8(ascii: "u"):
            let unit = try readHex4(at: i + 2, escapeAt: i)
            var next = i + 6
            switch unit {
            case 0xD800...0xDBFF:
                guard next + 1 < end, input[next] == 0x5C, input[next + 1] == UInt8(ascii: "u") else {
                    throw fail(.loneSurrogate, at: i)
                }
                let low = try readHex4(at: next + 2, escapeAt: next)
                guard (0xDC00...0xDFFF).contains(low) else { throw fail(.loneSurrogate, at: i) }
                next += 6
                flags |= JSONTape.Flags.nonASCII
            case 0xDC00...0xDFFF:
                throw fail(.loneSurrogate, at: i)
            default:
                if unit >= 0x80 { flags |= JSONTape.Flags.nonASCII }
            }
            return next
        default:
            throw fail(.invalidEscape, at: i)
        }
    }

    private func readHex4(at j: Int, escapeAt i: Int) throws(JSONParseError) -> UInt16 {
        guard j + 4 <= end else { throw fail(.unexpectedEnd, at: end) }
        var v: UInt16 = 0
        for k in j..<(j + 4) {
            let h = input[k]
            let d: UInt8
            switch h {
            case 0x30...0x39: d = h - 0x30
            case 0x61...0x66: d = h - 0x61 + 10
            case 0x41...0x46: d = h - 0x41 + 10
            default: throw fail(.invalidEscape, at: i)
            }
            v = v << 4 | UInt16(d)
        }
        return v
    }

    // MARK: Numbers

    /// Parses a number at `pos` per RFC 8259 §6 and the I-JSON rules, and emits its node.
    private mutating func parseNumber() throws(JSONParseError) {
        let start = pos
        var i = pos
        let negative = input[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        @inline(__always) func isDigit(_ j: Int) -> Bool { j < end && input[j] &- 0x30 < 10 }
        guard isDigit(i) else { throw fail(.invalidNumber, at: i) }
        let intStart = i
        if input[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw fail(.invalidNumber, at: intStart) }
        } else {
            while isDigit(i) { i += 1 }
        }
        let intEnd = i
        var fracStart = i, fracEnd = i
        var exponent = 0
        var hasFractionOrExponent = false
        if i < end && input[i] == UInt8(ascii: ".") {
            hasFractionOrExponent = true
            i += 1
            fracStart = i
            while isDigit(i) { i += 1 }
            fracEnd = i
            if fracStart == fracEnd { throw fail(.invalidNumber, at: i) }
        }
        if i < end && (input[i] | 0x20) == UInt8(ascii: "e") {
            hasFractionOrExponent = true
            i += 1
            var expNegative = false
            if i < end && (input[i] == UInt8(ascii: "+") || input[i] == UInt8(ascii: "-")) {
                expNegative = input[i] == UInt8(ascii: "-")
                i += 1
            }
            guard isDigit(i) else { throw fail(.invalidNumber, at: i) }
            while isDigit(i) {
                if exponent < 100_000_000 { exponent = exponent * 10 + Int(input[i] - 0x30) }
                i += 1
            }
            if expNegative { exponent = -exponent }
        }
        pos = i

        let value: Double
        if !hasFractionOrExponent {
            let count = intEnd - intStart
            guard count <= 16 else { throw fail(.numberOutOfRange, at: start) }
            var magnitude: Int64 = 0
            for j in intStart..<intEnd { magnitude = magnitude * 10 + Int64(input[j] - 0x30) }
            guard magnitude <= 9_007_199_254_740_991 else { throw fail(.numberOutOfRange, at: start) }
            let d = Double(magnitude)
            value = negative ? -d : d
        } else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<i]), as: UTF8.self)
            guard let d = Double(text), d.isFinite else { throw fail(.numberOutOfRange, at: start) }
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[intStart..<intEnd]))
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[fracStart..<fracEnd]))
            let preserved = scratch.withUnsafeBufferPointer { literal -> Bool in
                let (lo, hi, n) = ShortestDecimal.strip(literal, intCount: intEnd - intStart, exponent: exponent)
                if lo == hi { return true }
                if d == 0 || hi - lo > 17 { return false }
                return ShortestDecimal.withDigits(of: d) { digits, dn in
                    dn == n && digits.elementsEqual(UnsafeBufferPointer(rebasing: literal[lo..<hi]))
                }
            }
            guard preserved else { throw fail(.numberNotPreserved, at: start) }
            value = d
        }
        emit(.number, flags: hasFractionOrExponent ? 0 : 1, count: numbers.count, start: start)
        numbers.append(value)
    }

    // MARK: Errors

    /// Builds an error whose path names the innermost open position, as `JSONParser` does.
    private func fail(_ rule: JSONParseError.Rule, at offset: Int, afterElement: Bool = false) -> JSONParseError {
        var path = "$"
        for (depth, frame) in frames.enumerated() {
            if frame.isObject {
                guard frame.key >= 0 else { break }
                JSONParseError.appendMember(stringValue(frame.key), to: &path)
            } else {
                var index = frame.count
                if afterElement && depth == frames.count - 1 { index -= 1 }
                path += "[\(index)]"
            }
        }
        return JSONParseError(rule: rule, offset: offset, path: path)
    }
}
