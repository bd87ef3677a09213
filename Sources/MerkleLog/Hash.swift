import Crypto

/// A 32-byte SHA-256 hash: a Merkle leaf, node or root, or a chain link.
///
/// The 32 bytes are stored inline as four machine words, so making, copying and
/// comparing a `Hash` never touches the heap; the log makes millions per second.
/// The in-memory order of the words is the byte order of the hash, so
/// ``withUnsafeBytes(_:)`` hands out the hash bytes exactly as SHA-256 produced them.
///
/// ```swift
/// let root = Hash(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")!
/// print(root.hex, root.bytes.count)   // lower-case hex, 32
/// ```
public struct Hash: Sendable, Hashable, CustomStringConvertible {
    /// The number of bytes in a SHA-256 hash.
    public static let byteCount = 32

    /// The raw bytes, in hash order, held in four words (not interpreted as integers).
    @usableFromInline
    internal var storage: (UInt64, UInt64, UInt64, UInt64)

    @inlinable
    internal init(storage: (UInt64, UInt64, UInt64, UInt64)) {
        self.storage = storage
    }

    /// Makes a hash from exactly 32 bytes.
    ///
    /// Use this initialiser for bytes the program itself produced; for bytes read
    /// from disk or the network, use the failable ``init(bytes:)``.
    ///
    /// ```swift
    /// let h = Hash([UInt8](repeating: 0, count: 32))   // == Hash.zero
    /// ```
    ///
    /// - Parameter bytes: The 32 bytes of the hash.
    /// - Precondition: `bytes` holds exactly 32 bytes.
    public init(_ bytes: some Sequence<UInt8>) {
        guard let hash = Hash(bytes: bytes) else {
            preconditionFailure("a Hash needs exactly \(Hash.byteCount) bytes")
        }
        self = hash
    }

    /// Makes a hash from untrusted bytes, or returns `nil` unless there are exactly 32.
    ///
    /// ```swift
    /// guard let h = Hash(bytes: storedValue) else { throw … }
    /// ```
    ///
    /// - Parameter bytes: The candidate bytes.
    public init?(bytes: some Sequence<UInt8>) {
        self.init(storage: (0, 0, 0, 0))
        let copied: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            guard buffer.count == Hash.byteCount else { return false }
            Swift.withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(buffer)) }
            return true
        }
        switch copied {
        case true?:
            return
        case false?:
            return nil
        case nil:
            var count = 0
            let fits: Bool = Swift.withUnsafeMutableBytes(of: &storage) { destination in
                for byte in bytes {
                    guard count < Hash.byteCount else { return false }
                    destination[count] = byte
                    count += 1
                }
                return count == Hash.byteCount
            }
            if !fits { return nil }
        }
    }

    /// Makes a hash from a swift-crypto SHA-256 digest without going through an array.
    ///
    /// ```swift
    /// let h = Hash(SHA256.hash(data: Array("abc".utf8)))
    /// ```
    ///
    /// - Parameter digest: A SHA-256 digest.
    @inlinable
    public init(_ digest: SHA256.Digest) {
        self.init(storage: (0, 0, 0, 0))
        digest.withUnsafeBytes { source in
            Swift.withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) }
        }
    }

    /// Parses 64 hexadecimal digits, upper- or lower-case, or returns `nil`.
    ///
    /// ```swift
    /// Hash(hex: String(repeating: "0", count: 64)) == .zero   // true
    /// Hash(hex: "abc")                                        // nil: not 64 digits
    /// ```
    ///
    /// - Parameter hex: Exactly 64 hexadecimal digits, no prefix or spaces.
    public init?(hex: String) {
        var hex = hex
        hex.makeContiguousUTF8()  // a no-op for native strings; makes the fast path below always apply
        guard hex.utf8.count == 2 * Hash.byteCount else { return nil }
        var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let parsed = hex.utf8.withContiguousStorageIfAvailable { digits in
            Swift.withUnsafeMutableBytes(of: &storage) { destination in
                for i in 0..<Hash.byteCount {
                    guard let high = Hash.nibble(digits[2 * i]), let low = Hash.nibble(digits[2 * i + 1]) else {
                        return false
                    }
                    destination[i] = high << 4 | low
                }
                return true
            }
        }
        guard parsed == true else { return nil }
        self.init(storage: storage)
    }

    /// The 32 zero bytes: the chain predecessor of the event at position 0.
    ///
    /// ```swift
    /// Hash.zero.hex == String(repeating: "0", count: 64)   // true
    /// ```
    public static let zero = Hash(storage: (0, 0, 0, 0))

    /// The 32 bytes of the hash as a new array.
    ///
    /// Prefer ``withUnsafeBytes(_:)`` on hot paths; this property allocates.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// The hash as 64 lower-case hexadecimal digits.
    ///
    /// ```swift
    /// RFC6962.emptyRoot.hex   // "e3b0c442…b855"
    /// ```
    public var hex: String {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: 2 * Hash.byteCount) { out in
                digits.withUTF8Buffer { table in
                    for (i, byte) in raw.enumerated() {
                        out[2 * i] = table[Int(byte >> 4)]
                        out[2 * i + 1] = table[Int(byte & 0x0f)]
                    }
                }
                return 2 * Hash.byteCount
            }
        }
    }

    /// The lower-case hexadecimal form, as ``hex``.
    public var description: String { hex }

    /// Calls `body` with the 32 hash bytes, without copying them to the heap.
    ///
    /// ```swift
    /// hash.withUnsafeBytes { cursor.put(key, UnsafeRawBufferPointer($0)) }
    /// ```
    ///
    /// - Parameter body: A closure that reads the bytes.
    /// - Returns: What `body` returns.
    /// - Important: The buffer is valid only during `body`; do not let it escape.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// Reports whether two hashes have the same 32 bytes.
    @inlinable
    public static func == (lhs: Hash, rhs: Hash) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
            && lhs.storage.2 == rhs.storage.2 && lhs.storage.3 == rhs.storage.3
    }

    /// Feeds the 32 bytes to `hasher`.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }

    /// The value of one ASCII hexadecimal digit, or `nil`.
    private static func nibble(_ ascii: UInt8) -> UInt8? {
        switch ascii {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): ascii - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): ascii - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): ascii - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
