/// Decodes `Decodable` values straight from a ``JSONTape``, with the semantics of ``JSONValueDecoder``.
///
/// It reads the same members (snake_case names: `occurredAt` reads `occurred_at`), accepts and
/// refuses the same values, and throws the same `DecodingError` cases with the same coding
/// paths and messages (its own messages never quote a value; like ``JSONValueDecoder``, it
/// cannot change the standard library's, e.g. for an unknown enum raw value), but never builds a ``JSONValue`` tree except for
/// properties of type ``JSONValue``, which are materialized with ``JSONValue/init(tape:at:)``.
///
/// A decoder remembers the snake_case form of every property name it has met, so keep one per
/// loop rather than one per value. It is not `Sendable`: use one per task.
///
/// Differences from ``JSONValueDecoder``, all where that decoder cannot finish: `Float`, `Int8`,
/// `Int16`, `UInt8` and `UInt16` properties decode (a number; an exact integer within range)
/// instead of recursing without end; `allKeys` lists names in document order.
///
/// ```swift
/// var tape = JSONTape()
/// let decoder = JSONTapeDecoder(rejectsUnknownKeys: false)
/// for bytes in storedPayloads {
///     try tape.parse(bytes)
///     let note = try decoder.decode(SessionNote.self, from: tape, at: tape.root)
/// }
/// ```
public struct JSONTapeDecoder {
    /// Whether an object member that the type does not read is an error (as in ``JSONValueDecoder``).
    public var rejectsUnknownKeys: Bool
    private let core = TapeDecoderCore()

    /// Makes a decoder; like ``JSONValueDecoder``, it rejects unknown keys unless told otherwise.
    public init(rejectsUnknownKeys: Bool = true) {
        self.rejectsUnknownKeys = rejectsUnknownKeys
    }

    /// Decodes a `T` from the value at node `index` of `tape`.
    ///
    /// Containers handed to `T`'s `init(from:)` are valid only during this call (using one
    /// afterwards traps, or reads whatever a later call decodes).
    ///
    /// - Throws: `DecodingError`, with the coding path of the first field that is wrong.
    public func decode<T: Decodable>(_ type: T.Type, from tape: JSONTape, at index: Int) throws -> T {
        precondition(index >= 0 && index < tape.nodeCount, "JSONTapeDecoder: node index outside the tape")
        // A decode started from inside another one (a type's init calling this decoder) gets its own state.
        let core = self.core.s.pointee.busy ? TapeDecoderCore() : self.core
        return try core.run(tape, rejectsUnknownKeys: rejectsUnknownKeys) {
            let result = try T(from: TapeValueDecoder(core: core, node: index, path: 0))
            if rejectsUnknownKeys { try core.checkUnknownKeys() }
            return result
        }
    }

    /// Parses `bytes` (strictly, like ``JSONValue/init(parsing:limits:)``) and decodes a `T` from it.
    /// - Throws: ``JSONParseError`` for invalid JSON, else `DecodingError`.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>, limits: JSONLimits = .default)
        throws -> T
    {
        var tape = JSONTape()
        try tape.parse(bytes, limits: limits)
        return try decode(type, from: tape, at: tape.root)
    }
}

/// One step of a coding path, stored in ``TapeCoreState``.
enum TapePathStep {
    case key(any CodingKey)
    case index(Int)

    var codingKey: any CodingKey {
        switch self {
        case .key(let key): key
        case .index(let i): JSONKey(intValue: i)
        }
    }
}

/// A snake_case member name known to a decoder: its bytes in `namePool` and its text.
struct TapeName {
    var offset: Int
    var length: Int
    var isASCII: Bool
    /// The ordinal at which the name was last found: objects of one type tend to share a layout.
    var hint: Int
    var text: String
}

/// Everything a decoder changes while decoding, behind a pointer so that access needs no
/// dynamic exclusivity checks (containers share it through ``TapeDecoderCore``).
struct TapeCoreState {
    // The tape being decoded; set for the duration of one `decode` call.
    var tape = JSONTape()
    var nodes = UnsafeBufferPointer<JSONTape.Node>(start: nil, count: 0)
    var bytes = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    var numbers = UnsafeBufferPointer<Double>(start: nil, count: 0)
    var rejectsUnknownKeys = false
    var busy = false

    /// Coding paths as a parent-pointer tree; id 0 is the root.
    var pathParent: [Int32] = []
    var pathStep: [TapePathStep] = []
    /// Per keyed container: where its member name nodes are listed in `memberNodes`.
    var containers: [(base: Int, count: Int)] = []
    var memberNodes: [Int] = []
    /// Per keyed container, when rejecting unknown keys: its path, object and first `used` slot.
    var registered: [(path: Int32, object: Int, usedBase: Int)] = []
    var used: [Bool] = []

    // Property name → snake_case name, kept across calls.
    var namePool: [UInt8] = []
    var names: [TapeName] = []
    var namesByText: [String: Int] = [:]
    /// Open-addressed table from a property name's `String` representation bits to its name
    /// index: synthesized coding keys return the same literal every time, so this skips hashing.
    var namesByBits: [(bits: (UInt64, UInt64), name: Int)] = []
    /// The strings whose bits are in `namesByBits`, kept alive so their bits stay unique to them.
    var bitsOwners: [String] = []
    /// Types already asked whether they are arrays (a runtime conformance check is slow).
    var arrayTypes: [(type: ObjectIdentifier, array: (any TapeDecodableArray.Type)?)] = []
}

/// The shared, reusable decoding machinery of one ``JSONTapeDecoder``.
final class TapeDecoderCore {
    let s: UnsafeMutablePointer<TapeCoreState>
    private static let bitsCapacity = 512

    init() {
        s = .allocate(capacity: 1)
        s.initialize(to: TapeCoreState())
    }

    deinit {
        s.deinitialize(count: 1)
        s.deallocate()
    }

    /// Runs `body` with `tape` installed, then forgets the tape.
    func run<R>(_ tape: JSONTape, rejectsUnknownKeys: Bool, _ body: () throws -> R) throws -> R {
        s.pointee.busy = true
        s.pointee.rejectsUnknownKeys = rejectsUnknownKeys
        s.pointee.tape = tape
        s.pointee.pathParent.removeAll(keepingCapacity: true)
        s.pointee.pathStep.removeAll(keepingCapacity: true)
        s.pointee.pathParent.append(0)
        s.pointee.pathStep.append(.index(0))
        s.pointee.containers.removeAll(keepingCapacity: true)
        s.pointee.memberNodes.removeAll(keepingCapacity: true)
        s.pointee.registered.removeAll(keepingCapacity: true)
        s.pointee.used.removeAll(keepingCapacity: true)
        defer {
            s.pointee.nodes = UnsafeBufferPointer(start: nil, count: 0)
            s.pointee.bytes = UnsafeBufferPointer(start: nil, count: 0)
            s.pointee.numbers = UnsafeBufferPointer(start: nil, count: 0)
            s.pointee.tape = JSONTape()
            s.pointee.pathStep.removeAll(keepingCapacity: true)
            s.pointee.busy = false
        }
        return try tape.nodes.withUnsafeBufferPointer { nodes in
            try tape.bytes.withUnsafeBufferPointer { bytes in
                try tape.numbers.withUnsafeBufferPointer { numbers in
                    s.pointee.nodes = nodes
                    s.pointee.bytes = bytes
                    s.pointee.numbers = numbers
                    return try body()
                }
            }
        }
    }

    // MARK: Tape access (bounds-checked, so a container kept past its call traps instead of misreading)

    @inline(__always)
    func node(_ i: Int) -> JSONTape.Node {
        let nodes = s.pointee.nodes
        precondition(i >= 0 && i < nodes.count, "JSONTapeDecoder: container used outside its decode call")
        return nodes[i]
    }

    @inline(__always)
    func kind(_ i: Int) -> JSONTape.Kind { node(i).kind }

    @inline(__always)
    func isNull(_ i: Int) -> Bool { node(i).kind == .null }

    @inline(__always)
    func next(_ i: Int) -> Int { Int(node(i).next) }

    func count(_ i: Int) -> Int {
        let n = node(i)
        return n.kind == .array || n.kind == .object ? Int(n.count) : 0
    }

    func string(_ i: Int) -> String? {
        let n = node(i)
        guard n.kind == .string else { return nil }
        return JSONTape.text(of: n, in: s.pointee.bytes)
    }

    func number(_ i: Int) -> Double? {
        let n = node(i)
        guard n.kind == .number else { return nil }
        return s.pointee.numbers[Int(n.count)]
    }

    func jsonValue(_ i: Int) -> JSONValue { JSONValue(tape: s.pointee.tape, at: i) }

    // MARK: Paths

    func child(_ parent: Int32, _ step: TapePathStep) -> Int32 {
        s.pointee.pathParent.append(parent)
        s.pointee.pathStep.append(step)
        return Int32(truncatingIfNeeded: s.pointee.pathStep.count - 1)
    }

    func codingPath(_ id: Int32) -> [any CodingKey] {
        var steps: [any CodingKey] = []
        var i = Int(id)
        while i != 0 {
            steps.append(s.pointee.pathStep[i].codingKey)
            i = Int(s.pointee.pathParent[i])
        }
        return steps.reversed()
    }

    func codingPath(_ id: Int32, _ step: TapePathStep?) -> [any CodingKey] {
        guard let step else { return codingPath(id) }
        return codingPath(id) + [step.codingKey]
    }

    // MARK: Names

    /// The index in `names` of the snake_case form of property name `text`.
    func name(_ text: String) -> Int {
        let useBits = MemoryLayout<String>.size == 16
        var bits: (UInt64, UInt64) = (0, 0)
        var slot = 0
        if useBits {
            if s.pointee.namesByBits.isEmpty {
                s.pointee.namesByBits = Array(repeating: ((0, 0), -1), count: Self.bitsCapacity)
            }
            bits = unsafeBitCast(text, to: (UInt64, UInt64).self)
            var h = bits.0 &* 0x9E37_79B9_7F4A_7C15 ^ bits.1
            h ^= h >> 29
            h &*= 0xBF58_476D_1CE4_E5B9
            h ^= h >> 32
            slot = Int(truncatingIfNeeded: h) & (Self.bitsCapacity - 1)
            while true {
                let entry = s.pointee.namesByBits[slot]
                if entry.name < 0 { break }
                if entry.bits.0 == bits.0 && entry.bits.1 == bits.1 { return entry.name }
                slot = (slot + 1) & (Self.bitsCapacity - 1)
            }
        }
        let index: Int
        if let known = s.pointee.namesByText[text] {
            index = known
        } else {
            let snake = snakeCaseKey(text)
            index = s.pointee.names.count
            s.pointee.names.append(TapeName(
                offset: s.pointee.namePool.count, length: snake.utf8.count, isASCII: snake.utf8.allSatisfy { $0 < 0x80 },
                hint: 0, text: snake))
            s.pointee.namePool.append(contentsOf: snake.utf8)
            s.pointee.namesByText[text] = index
        }
        // Remember the representation while the table is at most half full.
        if useBits && s.pointee.bitsOwners.count < Self.bitsCapacity / 2 {
            s.pointee.namesByBits[slot] = (bits, index)
            s.pointee.bitsOwners.append(text)
        }
        return index
    }

    /// `T` as an array type the decoder builds in place, or `nil`; remembered per type.
    func arrayType<T>(_ type: T.Type) -> (any TapeDecodableArray.Type)? {
        let id = ObjectIdentifier(type)
        for entry in s.pointee.arrayTypes where entry.type == id { return entry.array }
        let array = type as? any TapeDecodableArray.Type
        if s.pointee.arrayTypes.count < 64 { s.pointee.arrayTypes.append((id, array)) }
        return array
    }

    // MARK: Keyed containers

    func register(object: Int, path: Int32) -> Int {
        let count = count(object)
        s.pointee.containers.append((s.pointee.memberNodes.count, count))
        var k = object + 1
        for _ in 0..<count {
            s.pointee.memberNodes.append(k)
            k = next(k + 1)
        }
        if s.pointee.rejectsUnknownKeys {
            s.pointee.registered.append((path, object, s.pointee.used.count))
            s.pointee.used.append(contentsOf: repeatElement(false, count: count))
        }
        return s.pointee.containers.count - 1
    }

    /// The value node of the member called `names[name]` in keyed container `slot`.
    ///
    /// Tries the ordinal where the name was found last time first, then every member.
    func find(_ name: Int, slot: Int) -> Int? {
        let (base, count) = s.pointee.containers[slot]
        guard count > 0 else { return nil }
        let hint = s.pointee.names[name].hint
        let isASCII = s.pointee.names[name].isASCII
        let length = s.pointee.names[name].length
        let offset = s.pointee.names[name].offset
        let ordinal: Int? = s.pointee.namePool.withUnsafeBufferPointer { pool in
            s.pointee.memberNodes.withUnsafeBufferPointer { members in
                let nodes = s.pointee.nodes
                let bytes = s.pointee.bytes
                func matches(_ ordinal: Int) -> Bool {
                    let key = nodes[members[base &+ ordinal]]
                    guard key.flags == 0 && isASCII else {
                        return JSONTape.text(of: key, in: bytes) == s.pointee.names[name].text
                    }
                    guard Int(key.end &- key.start) == length else { return false }
                    let start = Int(key.start)
                    var i = 0
                    while i < length {
                        if bytes[start &+ i] != pool[offset &+ i] { return false }
                        i &+= 1
                    }
                    return true
                }
                if hint < count && matches(hint) { return hint }
                for ordinal in 0..<count where ordinal != hint && matches(ordinal) { return ordinal }
                return nil
            }
        }
        guard let ordinal else { return nil }
        s.pointee.names[name].hint = ordinal
        if s.pointee.rejectsUnknownKeys { s.pointee.used[s.pointee.registered[slot].usedBase + ordinal] = true }
        return s.pointee.memberNodes[base + ordinal] + 1
    }

    func checkUnknownKeys() throws {
        for entry in s.pointee.registered {
            var extra: String?
            var ordinal = 0
            var k = entry.object + 1
            let end = next(entry.object)
            while k < end {
                if !s.pointee.used[entry.usedBase + ordinal], let name = string(k), extra.map({ name < $0 }) ?? true {
                    extra = name
                }
                ordinal += 1
                k = next(k + 1)
            }
            // The smallest unknown name, so the message is the same on every run.
            if let extra {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: codingPath(entry.path) + [JSONKey(extra)],
                    debugDescription: "unknown field: not part of this type"))
            }
        }
    }

    // MARK: Values

    func kindName(_ node: Int) -> String {
        switch kind(node) {
        case .null: "null"
        case .true, .false: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    func mismatch(_ expected: String, _ node: Int, _ path: [any CodingKey]) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: path, debugDescription: "expected \(expected), found \(kindName(node))"))
    }

    // The readers below take the path as a closure, so that no path is built unless an error needs it.

    func string(_ node: Int, _ path: () -> [any CodingKey]) throws -> String {
        guard let s = string(node) else { throw mismatch("a string", node, path()) }
        return s
    }

    func bool(_ node: Int, _ path: () -> [any CodingKey]) throws -> Bool {
        switch kind(node) {
        case .true: return true
        case .false: return false
        default: throw mismatch("a boolean", node, path())
        }
    }

    func double(_ node: Int, _ path: () -> [any CodingKey]) throws -> Double {
        guard let d = number(node) else { throw mismatch("a number", node, path()) }
        return d
    }

    func float(_ node: Int, _ path: () -> [any CodingKey]) throws -> Float {
        let f = Float(try double(node, path))
        guard f.isFinite else {
            throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "expected a number within Float's range"))
        }
        return f
    }

    func integer<I: FixedWidthInteger>(_: I.Type, _ node: Int, _ path: () -> [any CodingKey]) throws -> I {
        guard let d = number(node) else { throw mismatch("an integer", node, path()) }
        guard d.rounded(.towardZero) == d, let i = I(exactly: d) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: path(), debugDescription: "expected an integer within \(I.self)'s range"))
        }
        return i
    }

    /// Decodes any `T` at `node`. Its coding path is `path` followed by array index
    /// `pendingIndex` (when not negative) or by `key()` (when not `nil`).
    func value<T: Decodable>(
        _ type: T.Type, _ node: Int, _ path: Int32, pendingIndex: Int32, key: () -> (any CodingKey)?
    ) throws -> T {
        func p() -> [any CodingKey] {
            if pendingIndex >= 0 { return codingPath(path, .index(Int(pendingIndex))) }
            return codingPath(path, key().map { .key($0) })
        }
        // Metatype identity rather than `is` casts: cheap in unspecialized generic code. The bit
        // casts below only ever convert a value to its own type.
        if T.self == String.self { return unsafeBitCast(try string(node, p), to: T.self) }
        if T.self == Int.self { return unsafeBitCast(try integer(Int.self, node, p), to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try bool(node, p), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(try double(node, p), to: T.self) }
        if T.self == JSONValue.self { return jsonValue(node) as! T }
        if T.self == Int64.self { return unsafeBitCast(try integer(Int64.self, node, p), to: T.self) }
        if T.self == UInt64.self { return unsafeBitCast(try integer(UInt64.self, node, p), to: T.self) }
        if T.self == Int32.self { return unsafeBitCast(try integer(Int32.self, node, p), to: T.self) }
        if T.self == UInt32.self { return unsafeBitCast(try integer(UInt32.self, node, p), to: T.self) }
        if T.self == UInt.self { return unsafeBitCast(try integer(UInt.self, node, p), to: T.self) }
        if let array = arrayType(T.self) {
            // Arrays are built in place: what `Array.init(from:)` would do, minus per-element appends.
            guard kind(node) == .array else { throw mismatch("an array", node, p()) }
            let arrayPath: Int32
            if pendingIndex >= 0 {
                arrayPath = child(path, .index(Int(pendingIndex)))
            } else if let key = key() {
                arrayPath = child(path, .key(key))
            } else {
                arrayPath = path
            }
            return try array.decodeElements(core: self, array: node, path: arrayPath) as! T
        }
        if pendingIndex < 0, let key = key() {
            return try T(from: TapeValueDecoder(core: self, node: node, path: child(path, .key(key))))
        }
        return try T(from: TapeValueDecoder(core: self, node: node, path: path, pendingIndex: pendingIndex))
    }
}

/// Arrays whose elements the tape decoder builds in place.
protocol TapeDecodableArray {
    static func decodeElements(core: TapeDecoderCore, array: Int, path: Int32) throws -> Self
}

extension Array: TapeDecodableArray where Element: Decodable {
    static func decodeElements(core: TapeDecoderCore, array: Int, path: Int32) throws -> [Element] {
        let count = core.count(array)
        var node = array + 1
        return try [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                let element = try core.value(Element.self, node, path, pendingIndex: Int32(truncatingIfNeeded: i)) { nil }
                (buffer.baseAddress! + i).initialize(to: element)
                initialized = i + 1
                node = core.next(node)
            }
        }
    }
}

/// The `Decoder` for one node. An array element's index joins the coding path only when a
/// container or the path itself is asked for.
struct TapeValueDecoder: Decoder {
    let core: TapeDecoderCore
    private let node: UInt32
    private let parent: Int32
    private let pendingIndex: Int32

    init(core: TapeDecoderCore, node: Int, path: Int32, pendingIndex: Int32 = -1) {
        self.core = core
        self.node = UInt32(truncatingIfNeeded: node)
        self.parent = path
        self.pendingIndex = pendingIndex
    }

    private var resolvedPath: Int32 {
        pendingIndex >= 0 ? core.child(parent, .index(Int(pendingIndex))) : parent
    }

    var codingPath: [any CodingKey] {
        core.codingPath(parent, pendingIndex >= 0 ? .index(Int(pendingIndex)) : nil)
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let node = Int(node)
        guard core.kind(node) == .object else { throw core.mismatch("an object", node, codingPath) }
        let path = resolvedPath
        let slot = core.register(object: node, path: path)
        return KeyedDecodingContainer(TapeKeyed<Key>(core: core, object: node, path: path, slot: slot))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let node = Int(node)
        guard core.kind(node) == .array else { throw core.mismatch("an array", node, codingPath) }
        return TapeUnkeyed(core: core, array: node, path: resolvedPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        TapeSingle(core: core, node: node, parent: parent, pendingIndex: pendingIndex)
    }
}

private struct TapeKeyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let core: TapeDecoderCore
    let object: Int
    let path: Int32
    let slot: Int

    var codingPath: [any CodingKey] { core.codingPath(path) }

    var allKeys: [Key] {
        var keys: [Key] = []
        var k = object + 1
        let end = core.next(object)
        while k < end {
            if let name = core.string(k), let key = Key(stringValue: name) { keys.append(key) }
            k = core.next(k + 1)
        }
        return keys
    }

    @inline(__always)
    private func find(_ key: Key) -> Int? {
        core.find(core.name(key.stringValue), slot: slot)
    }

    private func require(_ key: Key) throws -> Int {
        guard let node = find(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required field is missing"))
        }
        return node
    }

    /// The value node when present and not `null`.
    private func present(_ key: Key) -> Int? {
        guard let node = find(key), !core.isNull(node) else { return nil }
        return node
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func contains(_ key: Key) -> Bool { find(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let node = find(key) else { return true }
        return core.isNull(node)
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try core.string(try require(key)) { path(key) }
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try core.bool(try require(key)) { path(key) }
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try core.double(try require(key)) { path(key) }
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try core.float(try require(key)) { path(key) }
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try core.integer(Int.self, try require(key)) { path(key) }
    }

    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
        try core.integer(Int8.self, try require(key)) { path(key) }
    }

    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        try core.integer(Int16.self, try require(key)) { path(key) }
    }

    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        try core.integer(Int32.self, try require(key)) { path(key) }
    }

    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        try core.integer(Int64.self, try require(key)) { path(key) }
    }

    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        try core.integer(UInt.self, try require(key)) { path(key) }
    }

    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        try core.integer(UInt8.self, try require(key)) { path(key) }
    }

    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try core.integer(UInt16.self, try require(key)) { path(key) }
    }

    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try core.integer(UInt32.self, try require(key)) { path(key) }
    }

    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try core.integer(UInt64.self, try require(key)) { path(key) }
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try core.value(type, try require(key), path, pendingIndex: -1) { key }
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard let node = present(key) else { return nil }
        return try core.string(node) { path(key) }
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        guard let node = present(key) else { return nil }
        return try core.bool(node) { path(key) }
    }

    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        guard let node = present(key) else { return nil }
        return try core.double(node) { path(key) }
    }

    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        guard let node = present(key) else { return nil }
        return try core.integer(Int.self, node) { path(key) }
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let node = present(key) else { return nil }
        return try core.value(type, node, path, pendingIndex: -1) { key }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let node = try require(key)
        return try TapeValueDecoder(core: core, node: node, path: core.child(path, .key(key))).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let node = try require(key)
        return try TapeValueDecoder(core: core, node: node, path: core.child(path, .key(key))).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        TapeValueDecoder(core: core, node: object, path: path)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        let node = try require(key)
        return TapeValueDecoder(core: core, node: node, path: core.child(path, .key(key)))
    }
}

private struct TapeUnkeyed: UnkeyedDecodingContainer {
    let core: TapeDecoderCore
    let path: Int32
    let count: Int?
    private let elementCount: Int
    private(set) var currentIndex = 0
    /// The node of the element at `currentIndex`.
    private var node: Int

    init(core: TapeDecoderCore, array: Int, path: Int32) {
        self.core = core
        self.path = path
        self.elementCount = core.count(array)
        self.count = elementCount
        self.node = array + 1
    }

    var codingPath: [any CodingKey] { core.codingPath(path) }
    var isAtEnd: Bool { currentIndex >= elementCount }

    private func elementPath(_ index: Int) -> [any CodingKey] { core.codingPath(path, .index(index)) }

    /// The next element's node and index; throws at the end of the array.
    private mutating func next() throws -> (node: Int, index: Int) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, .init(codingPath: elementPath(currentIndex), debugDescription: "array ended early"))
        }
        let current = (node, currentIndex)
        node = core.next(node)
        currentIndex += 1
        return current
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, core.isNull(node) else { return false }
        node = core.next(node)
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: String.Type) throws -> String {
        let e = try next()
        return try core.string(e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        let e = try next()
        return try core.bool(e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: Double.Type) throws -> Double {
        let e = try next()
        return try core.double(e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: Float.Type) throws -> Float {
        let e = try next()
        return try core.float(e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: Int.Type) throws -> Int {
        let e = try next()
        return try core.integer(Int.self, e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: Int8.Type) throws -> Int8 {
        let e = try next()
        return try core.integer(Int8.self, e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: Int16.Type) throws -> Int16 {
        let e = try next()
        return try core.integer(Int16.self, e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: Int32.Type) throws -> Int32 {
        let e = try next()
        return try core.integer(Int32.self, e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: Int64.Type) throws -> Int64 {
        let e = try next()
        return try core.integer(Int64.self, e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: UInt.Type) throws -> UInt {
        let e = try next()
        return try core.integer(UInt.self, e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: UInt8.Type) throws -> UInt8 {
        let e = try next()
        return try core.integer(UInt8.self, e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: UInt16.Type) throws -> UInt16 {
        let e = try next()
        return try core.integer(UInt16.self, e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: UInt32.Type) throws -> UInt32 {
        let e = try next()
        return try core.integer(UInt32.self, e.node) { elementPath(e.index) }
    }

    mutating func decode(_ type: UInt64.Type) throws -> UInt64 {
        let e = try next()
        return try core.integer(UInt64.self, e.node) { elementPath(e.index) }
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let e = try next()
        return try core.value(type, e.node, path, pendingIndex: Int32(truncatingIfNeeded: e.index)) { nil }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let e = try next()
        return try TapeValueDecoder(core: core, node: e.node, path: core.child(path, .index(e.index))).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let e = try next()
        return try TapeValueDecoder(core: core, node: e.node, path: core.child(path, .index(e.index))).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let e = try next()
        return TapeValueDecoder(core: core, node: e.node, path: core.child(path, .index(e.index)))
    }
}

private struct TapeSingle: SingleValueDecodingContainer {
    let core: TapeDecoderCore
    let node: UInt32
    let parent: Int32
    let pendingIndex: Int32

    var codingPath: [any CodingKey] {
        core.codingPath(parent, pendingIndex >= 0 ? .index(Int(pendingIndex)) : nil)
    }

    private var n: Int { Int(node) }

    func decodeNil() -> Bool { core.isNull(n) }

    func decode(_ type: String.Type) throws -> String { try core.string(n) { codingPath } }
    func decode(_ type: Bool.Type) throws -> Bool { try core.bool(n) { codingPath } }
    func decode(_ type: Double.Type) throws -> Double { try core.double(n) { codingPath } }
    func decode(_ type: Float.Type) throws -> Float { try core.float(n) { codingPath } }
    func decode(_ type: Int.Type) throws -> Int { try core.integer(Int.self, n) { codingPath } }
    func decode(_ type: Int8.Type) throws -> Int8 { try core.integer(Int8.self, n) { codingPath } }
    func decode(_ type: Int16.Type) throws -> Int16 { try core.integer(Int16.self, n) { codingPath } }
    func decode(_ type: Int32.Type) throws -> Int32 { try core.integer(Int32.self, n) { codingPath } }
    func decode(_ type: Int64.Type) throws -> Int64 { try core.integer(Int64.self, n) { codingPath } }
    func decode(_ type: UInt.Type) throws -> UInt { try core.integer(UInt.self, n) { codingPath } }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try core.integer(UInt8.self, n) { codingPath } }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try core.integer(UInt16.self, n) { codingPath } }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try core.integer(UInt32.self, n) { codingPath } }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try core.integer(UInt64.self, n) { codingPath } }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try core.value(type, n, parent, pendingIndex: pendingIndex) { nil }
    }
}
