import Crypto
import Foundation
import MerkleLog
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A role a bearer token acts in. What each role may append and read is ``Role/capabilities``
/// (the matrix in docs/API.md).
public enum Role: String, CaseIterable, Codable, Sendable {
    /// An IMR practitioner (or the EHR acting for one): clinical and intake commands, consumer records, queries.
    case practitioner
    /// An IMR supervisor: what a practitioner may do, plus supervision and fidelity reviews.
    case supervisor
    /// A program leader: program set-up, intake, supervision records, queries, checkpoints, metrics.
    case administrator
    /// A compliance auditor: reads everything (the feed, the audit view, proofs); appends nothing.
    case auditor
    /// A system integrator (EHR import, state authority, warehouse): raw events, the feed, proofs.
    case integrator
}

/// One issued bearer token, as stored: never the token itself, only its SHA-256.
public struct TokenRecord: Codable, Sendable, Equatable {
    /// A short public id (the first 12 hex digits of the hash), for listing and revoking.
    public var id: String
    /// Lower-case hex SHA-256 of the token's UTF-8 bytes.
    public var hash: String
    /// The role the token acts in.
    public var role: Role
    /// The program the token is limited to; `nil` for every program.
    public var program: String?
    /// The user id recorded as `recordedby` and in access events.
    public var user: String
    /// When it was issued (RFC 3339 UTC).
    public var created: String
    /// When it was revoked, if it was.
    public var revoked: String?
}

/// An error of the token file.
public struct TokenStoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var description: String
}

/// The bearer tokens of a store, kept as SHA-256 hashes in `<store>/tokens.json` (mode 0600),
/// outside the log environment.
///
/// ```swift
/// let tokens = TokenStore(store: "/var/lib/imr")
/// let (token, record) = try tokens.create(role: .practitioner, program: "north", user: "u-17")
/// print(token)                                 // shown once
/// tokens.authenticate(token)?.role             // .practitioner
/// ```
public final class TokenStore: Sendable {
    /// The token file.
    public let path: String
    private let cache = Mutex(TokenCache())

    /// The token file of a store.
    public static func file(of store: String) -> String { store + "/tokens.json" }

    /// The tokens of the store at `store`.
    public init(store: String) { self.path = Self.file(of: store) }

    /// Every token record, oldest first (none when the file does not exist).
    public func list() throws -> [TokenRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenStoreError(description: "cannot read \(path)")
        }
        guard let records = Self.records(in: data) else {
            throw TokenStoreError(description: "\(path) is not a token file")
        }
        return records
    }

    /// Issues a token. The token text is returned once and never stored.
    /// - Throws: ``TokenStoreError`` for an invalid user or program id, or when the file cannot be written.
    public func create(role: Role, program: String? = nil, user: String? = nil) throws -> (token: String, record: TokenRecord) {
        var random = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in random.indices { random[i] = UInt8.random(in: .min ... .max, using: &generator) }
        let token = "imr_" + Data(random).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let hash = Self.hash(token)
        let id = String(hash.prefix(12))
        try Self.validate(program: program, user: user)
        let who = user ?? "token-\(id)"
        let record = TokenRecord(id: id, hash: hash, role: role, program: program, user: who,
                                 created: Self.now(), revoked: nil)
        try write(try list() + [record])
        return (token, record)
    }

    /// Checks a token's program and user: each 1–64 letters, digits, `.`, `_` or `-`, starting
    /// with a letter or digit (a missing user is named after the token id, which always is).
    public static func validate(program: String?, user: String?) throws(TokenStoreError) {
        if let user, !isIdentifier(user) {
            throw TokenStoreError(description: "--user must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        if let program, !isIdentifier(program) {
            throw TokenStoreError(description: "--program must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
    }

    /// Revokes the token with `id`; `false` when there is none (or it was already revoked).
    @discardableResult
    public func revoke(id: String) throws -> Bool {
        var records = try list()
        guard let i = records.firstIndex(where: { $0.id == id && $0.revoked == nil }) else { return false }
        records[i].revoked = Self.now()
        try write(records)
        return true
    }

    /// The live (unrevoked) record of `token`, or nil. Re-reads the file when it changed, so
    /// `imr token create/revoke` take effect on a running server at once.
    ///
    /// The file read last is kept open, and each call asks only whether that file is still the
    /// one at the path and unchanged: one `fstat` of the open descriptor (a rewrite renames a
    /// new file into place, which leaves the old one with no links). A `stat` of the path on
    /// every request cost more than any other step of a cached query.
    public func authenticate(_ token: String) -> TokenRecord? {
        let table: [Hash: TokenRecord] = cache.withLock { c in
            if c.fd >= 0, let now = FileStamp(descriptor: c.fd), now == c.stamp, now.links > 0 { return c.byHash }
            if c.fd >= 0 { close(c.fd) }
            c = Self.load(path)
            return c.byHash
        }
        return table[Self.digest(of: token)]
    }

    deinit {
        let fd = cache.withLock { $0.fd }
        if fd >= 0 { close(fd) }
    }

    /// Opens and reads the token file: its descriptor (kept open), stamp and live records by
    /// hash; no descriptor and no records when it is missing or unreadable.
    private static func load(_ path: String) -> TokenCache {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return TokenCache() }
        // The stamp is taken before reading: a change during the read shows at the next call.
        guard let stamp = FileStamp(descriptor: fd) else { close(fd); return TokenCache() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 { bytes += chunk[0..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { close(fd); return TokenCache() }
            break
        }
        let records = records(in: Data(bytes)) ?? []
        let live = Dictionary(
            records.filter { $0.revoked == nil }.compactMap { r in Hash(hex: r.hash).map { ($0, r) } },
            uniquingKeysWith: { a, _ in a })
        return TokenCache(fd: fd, stamp: stamp, byHash: live)
    }

    /// The records of a token file's contents, or nil when they are not a token file.
    private static func records(in data: Data) -> [TokenRecord]? {
        try? JSONDecoder().decode([TokenRecord].self, from: data)
    }

    /// What ``authenticate(_:)`` keeps: the open token file, its stamp, its live records.
    struct TokenCache {
        var fd: Int32 = -1
        var stamp: FileStamp?
        var byHash: [Hash: TokenRecord] = [:]
    }

    /// What tells one version of the token file from another: its inode, size and
    /// modification time, and whether it still has a name (link count).
    struct FileStamp: Equatable, Sendable {
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
        var links: UInt64

        /// The stamp of an open file, or nil when `fstat` fails.
        init?(descriptor: Int32) {
            var st = stat()
            guard fstat(descriptor, &st) == 0 else { return nil }
            inode = UInt64(st.st_ino)
            size = Int64(st.st_size)
            seconds = Int(st.st_mtim.tv_sec)
            nanoseconds = Int(st.st_mtim.tv_nsec)
            links = UInt64(st.st_nlink)
        }
    }

    /// The token of an `Authorization` header value: `Bearer <token>` (the scheme in any case,
    /// spaces or tabs around the token), or nil for another scheme or an empty token.
    public static func bearerToken(fromAuthorization header: String) -> Substring? {
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        let utf8 = header.utf8
        guard let schemeEnd = utf8.firstIndex(where: isSpace) else { return nil }
        guard String(header[..<schemeEnd]).lowercased() == "bearer" else { return nil }
        guard let start = utf8[schemeEnd...].firstIndex(where: { !isSpace($0) }),
              let last = utf8.lastIndex(where: { !isSpace($0) }) else { return nil }
        return header[start...last]
    }

    /// A token's SHA-256, the key of the live records: four words (MerkleLog's `Hash`),
    /// cheaper to make and to hash than the hex text (this runs on every request).
    static func digest(of token: String) -> Hash {
        var token = token
        return token.withUTF8 { Hash(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
    }

    /// Lower-case hex SHA-256 of `token`.
    public static func hash(_ token: String) -> String { digest(of: token).hex }

    static func isIdentifier(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
        guard let first = b.first, b.count <= 64, alnum(first) else { return false }
        return b.allSatisfy { alnum($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }

    /// Writes the records to a new 0600 file beside the old one and renames it into place.
    private func write(_ records: [TokenRecord]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = Array(try encoder.encode(records)) + [0x0A]
        let tmp = path + ".tmp-\(getpid())"
        unlink(tmp)
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw TokenStoreError(description: "cannot create \(tmp): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw TokenStoreError(description: "cannot write \(path)")
        }
        chmod(path, 0o600)
    }
}
