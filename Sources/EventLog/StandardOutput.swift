#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// Standard output of the command-line tools: what they print must reach it, or they fail.
///
/// `print` writes through C's buffered `stdout`, and a failed write (a full disk, `/dev/full`,
/// a closed file) is only recorded in the stream's error flag: without a check the tool would
/// exit 0 with its output lost, and `imr checkpoint > cp.txt` on a full disk would look like
/// it worked. The tools call ``exitWithIOErrorOnFailedWrites()`` first thing in `main`; at
/// exit, the stream is flushed, and a failure prints one line and exits 74 (`EX_IOERR`).
public enum StandardOutput {
    /// Registers the check with `atexit`.
    public static func exitWithIOErrorOnFailedWrites() {
        atexit {
            let flushFailed = fflush(stdout) != 0
            guard flushFailed || ferror(stdout) != 0 else { return }
            // errno describes this flush only when it failed; an earlier failed write left the
            // error flag, not its reason.
            let reason = flushFailed && errno != 0 ? String(cString: strerror(errno)) : "the write failed"
            let line = "error: cannot write standard output: \(reason)\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
            _exit(74)
        }
    }
}
