#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// The server's log handler: one line per message on standard error,
/// `2026-11-23T21:07:03Z info imr.serve: key=value … message`.
///
/// Unlike swift-log's `StreamLogHandler`, it formats metadata only when a message is written.
/// Hummingbird sets request metadata (a request id) on every request, and re-rendering the
/// metadata text on each of those sets cost about 3 % of the server's CPU under load.
/// Nothing here adds patient data: the server logs no request bodies, paths or identifiers.
struct ServerLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        var line = Self.timestamp() + " \(event.level) \(label):"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " \(event.message)\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { b in
            var offset = 0
            while offset < b.count {
                let n = write(STDERR_FILENO, b.baseAddress! + offset, b.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
        }
    }

    /// Now as RFC 3339 UTC, to the second.
    static func timestamp() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
