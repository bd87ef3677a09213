import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file a command-line tool writes (a report, a schema, a checkpoint copy).
///
/// A regular file is replaced atomically: a reader sees the old file or the new one, never
/// half of one, and the new file keeps the old one's permissions (a private report stays
/// private). A symbolic link is followed, even one naming a file not yet there, so the file it
/// names is written and the link stays. A device, FIFO or socket (`/dev/stdout`, `/dev/null`,
/// a pipe) is written in place: replacing it with a regular file (a rename over `/dev/null`)
/// would be wrong.
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
        // The standard streams by name are the process's own descriptors: resolving them would
        // find the file the shell redirected to and replace it (losing what `>>` appended to).
        let streams = ["/dev/stdout": STDOUT_FILENO, "/dev/fd/1": STDOUT_FILENO, "/proc/self/fd/1": STDOUT_FILENO,
                       "/dev/stderr": STDERR_FILENO, "/dev/fd/2": STDERR_FILENO, "/proc/self/fd/2": STDERR_FILENO]
        if let fd = streams[path] {
            try writeAll(bytes, to: fd, path: path)
            return
        }
        let target = try finalTarget(of: path)
        var info = stat()
        let exists = stat(target, &info) == 0
        if exists, info.st_mode & S_IFMT != S_IFREG {
            if info.st_mode & S_IFMT == S_IFDIR { throw Failure(path: path, reason: String(cString: strerror(EISDIR))) }
            let fd = open(target, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            try writeAll(bytes, to: fd, path: path)
            return
        }
        // A new file beside the target, renamed over it once complete and on disk.
        let folder = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        let temporary = (folder.isEmpty ? "." : folder) + "/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, exists ? info.st_mode & 0o7777 : 0o666)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        do throws(Failure) {
            // The umask narrows a new file's mode; an existing file's mode is kept exactly.
            if exists { _ = fchmod(fd, info.st_mode & 0o7777) }
            try writeAll(bytes, to: fd, path: path)
            guard fsync(fd) == 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
            close(fd)
            guard rename(temporary, target) == 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
    }

    /// The file `path` names after following symbolic links, including a last link whose
    /// target does not exist yet (which is then created, and the link kept).
    private static func finalTarget(of path: String) throws(Failure) -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
            let destination = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = destination.hasPrefix("/") ? destination : (current as NSString).deletingLastPathComponent + "/" + destination
        }
        throw Failure(path: path, reason: String(cString: strerror(ELOOP)))
    }

    /// Writes every byte to `fd`, retrying after interruptions and short writes.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(Failure) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(path: path, reason: String(cString: strerror(n < 0 ? errno : EIO))) }
            done += n
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

/// `write(2)` (the name is taken by ``OutputFile/write(_:to:)`` inside the enum).
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
