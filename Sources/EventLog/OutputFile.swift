import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file a command-line tool writes (a report, a schema, a checkpoint copy).
///
/// A regular file is replaced atomically: a reader sees the old file or the new one, never
/// half of one. A symbolic link is followed, so the file it names is replaced and the link
/// stays. A device, FIFO or socket (`/dev/stdout`, `/dev/null`, a pipe) is written in place:
/// replacing it with a regular file (a rename over `/dev/null`) would be wrong.
public enum OutputFile {
    /// Why a file could not be written: its path and the system's reason.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The path as given.
        public var path: String
        /// The system's reason, e.g. "No space left on device".
        public var reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes `bytes` to `path` as described above.
    public static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var info = stat()
        if stat(target, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            if info.st_mode & S_IFMT == S_IFDIR { throw Failure(path: path, reason: String(cString: strerror(EISDIR))) }
            let fd = open(target, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw Failure(path: path, reason: String(cString: strerror(n < 0 ? errno : EIO))) }
                done += n
            }
            return
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: target), options: .atomic)
        } catch {
            throw Failure(path: path, reason: systemReason(error))
        }
    }

    /// The POSIX reason under a Foundation file error (its own text for a missing folder is
    /// "The file doesn't exist"), else the error's description.
    public static func systemReason(_ error: any Error) -> String {
        let underlying = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error).map { $0 as NSError }
        if let underlying, underlying.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(underlying.code))) }
        let own = error as NSError
        if own.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(own.code))) }
        return error.localizedDescription
    }
}
