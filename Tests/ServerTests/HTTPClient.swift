import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A response read off a real socket.
struct HTTPResult: Sendable {
    var status: Int
    /// Header names in lower case.
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
    var object: [String: Any] { (json as? [String: Any]) ?? [:] }
}

struct ClientError: Error, CustomStringConvertible { var description: String }

/// A deliberately small HTTP/1.1 client over a blocking TCP socket to 127.0.0.1, so the tests
/// go through a real socket and can send anything (wrong types, huge bodies, bad headers).
/// Blocking I/O runs on its own threads, never on the cooperative pool.
enum RawHTTP {
    static func connect(port: Int, timeoutSeconds: Int = 30) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket failed") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw ClientError(description: "connect failed: \(String(cString: strerror(errno)))") }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// The request head; `rawLines` are header lines sent as bytes (each ending in CRLF), for
    /// values that are not UTF-8.
    static func head(_ method: String, _ path: String, _ headers: [String: String], bodyLength: Int?, rawLines: [UInt8] = []) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        if let bodyLength, headers.keys.first(where: { $0.lowercased() == "content-length" }) == nil {
            text += "Content-Length: \(bodyLength)\r\n"
        }
        return Array(text.utf8) + rawLines + Array("\r\n".utf8)
    }

    /// One request on a fresh connection; the body is sent from another thread while the
    /// response is read, so a server that answers early (413) is seen.
    static func request(port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]? = nil,
                        rawLines: [UInt8] = []) throws -> HTTPResult {
        let fd = try connect(port: port)
        defer { close(fd) }
        guard sendAll(fd, head(method, path, headers, bodyLength: body?.count ?? (method == "POST" ? 0 : nil), rawLines: rawLines)) else {
            throw ClientError(description: "send failed")
        }
        let sent = DispatchSemaphore(value: 0)
        if let body {
            let t = Thread { _ = sendAll(fd, body); sent.signal() }
            t.start()
        } else {
            sent.signal()
        }
        defer {
            // Stop a sender the server no longer reads from, and wait for it before closing.
            shutdown(fd, Int32(SHUT_RDWR))
            sent.wait()
        }
        var raw: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { raw += buffer[0..<n] } else { break }
            // A response with a length is complete at that length, whether or not the peer
            // closes the connection then (chromedriver keeps it open).
            if let end = findHeaderEnd(raw), let head = parse(Array(raw[0..<(end + 4)])),
               let length = head.headers["content-length"].flatMap({ Int($0) }), raw.count >= end + 4 + length {
                break
            }
        }
        guard let result = parse(raw) else { throw ClientError(description: "no HTTP response (\(raw.count) bytes)") }
        return result
    }

    static func parse(_ raw: [UInt8]) -> HTTPResult? {
        guard let end = findHeaderEnd(raw) else { return nil }
        let headText = String(decoding: raw[0..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for l in lines {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var decoder = ChunkDecoder()
            body = decoder.feed(body)
        }
        return HTTPResult(status: status, headers: headers, body: body)
    }

    static func findHeaderEnd(_ raw: [UInt8]) -> Int? {
        guard raw.count >= 4 else { return nil }
        for i in 0...(raw.count - 4) where raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 { return i }
        return nil
    }
}

/// Incremental decoder of HTTP/1.1 chunked transfer coding.
struct ChunkDecoder {
    private var pending: [UInt8] = []
    private(set) var finished = false

    mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
        pending += bytes
        var out: [UInt8] = []
        while !finished {
            guard let lineEnd = indexOfCRLF(pending, from: 0) else { break }
            let sizeText = String(decoding: pending[0..<lineEnd], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { finished = true; break }
            if size == 0 { finished = true; break }
            let start = lineEnd + 2
            guard pending.count >= start + size + 2 else { break }
            out += pending[start..<(start + size)]
            pending.removeFirst(start + size + 2)
        }
        return out
    }

    private func indexOfCRLF(_ b: [UInt8], from: Int) -> Int? {
        guard b.count >= 2 else { return nil }
        var i = from
        while i < b.count - 1 { if b[i] == 13 && b[i + 1] == 10 { return i }; i += 1 }
        return nil
    }
}

/// Runs blocking work on a new thread and awaits it.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let t = Thread { continuation.resume(with: Result { try work() }) }
        t.stackSize = 1 << 20
        t.start()
    }
}

/// An HTTP client bound to one port and (optionally) one bearer token.
struct APIClient: Sendable {
    var port: Int
    var token: String?

    func with(token: String?) -> APIClient { APIClient(port: port, token: token) }

    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]? = nil) async throws -> HTTPResult {
        var h = headers
        if let token, h["Authorization"] == nil { h["Authorization"] = "Bearer \(token)" }
        let (port, m, p, hh, b) = (port, method, path, h, body)
        return try await offPool { try RawHTTP.request(port: port, m, p, headers: hh, body: b) }
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> HTTPResult {
        try await send("GET", path, headers: headers)
    }

    func post(_ path: String, json: Any, headers: [String: String] = [:]) async throws -> HTTPResult {
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        var h = headers
        if h["Content-Type"] == nil { h["Content-Type"] = "application/json" }
        return try await send("POST", path, headers: h, body: Array(data))
    }
}

/// A Server-Sent Events reader on a raw socket: reads events until told to stop, then
/// disconnects (closing the socket), as a real consumer that goes away would.
final class SSEReader: @unchecked Sendable {
    struct Event: Sendable { var id: String?; var data: String; var heartbeat = false }

    let fd: Int32
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    private var pending: [UInt8] = []
    private var decoder = ChunkDecoder()
    private var textBuffer = ""
    private(set) var comments = 0

    init(port: Int, path: String, headers: [String: String], timeoutSeconds: Int = 30) throws {
        fd = try RawHTTP.connect(port: port, timeoutSeconds: timeoutSeconds)
        var h = headers
        h["Accept"] = "text/event-stream"
        guard RawHTTP.sendAll(fd, RawHTTP.head("GET", path, h, bodyLength: nil)) else { throw ClientError(description: "send failed") }
        // Read the response head.
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while RawHTTP.findHeaderEnd(pending) == nil {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw ClientError(description: "connection closed before the response head") }
            pending += buffer[0..<n]
        }
        let end = RawHTTP.findHeaderEnd(pending)!
        let parsed = RawHTTP.parse(Array(pending[0..<(end + 4)]))!
        status = parsed.status
        self.headers = parsed.headers
        let rest = Array(pending[(end + 4)...])
        pending = []
        textBuffer = String(decoding: decoder.feed(rest), as: UTF8.self)
    }

    /// The next event (blocking); nil when the stream ends or times out.
    func next() -> Event? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let range = textBuffer.range(of: "\n\n") {
                let block = String(textBuffer[..<range.lowerBound])
                textBuffer = String(textBuffer[range.upperBound...])
                var id: String?
                var data: [String] = []
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(":") { comments += 1; continue }
                    if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                    if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
                }
                if data.isEmpty {
                    if block.contains(": heartbeat") { return Event(id: nil, data: "", heartbeat: true) }
                    continue
                }
                return Event(id: id, data: data.joined(separator: "\n"))
            }
            if decoder.finished { return nil }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return nil }
            textBuffer += String(decoding: decoder.feed(Array(buffer[0..<n])), as: UTF8.self)
        }
    }

    /// Reads until `count` heartbeat comments were seen (or the stream ends).
    func waitForComments(_ count: Int) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let c = textBuffer.components(separatedBy: "\n").filter { $0.hasPrefix(": heartbeat") }.count
            if c >= count { return true }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return false }
            textBuffer += String(decoding: decoder.feed(Array(buffer[0..<n])), as: UTF8.self)
        }
    }

    func disconnect() { close(fd) }
}

/// A value shared between tasks and threads, behind a lock.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func mutate(_ body: (inout T) -> Void) { lock.lock(); body(&value); lock.unlock() }
}
