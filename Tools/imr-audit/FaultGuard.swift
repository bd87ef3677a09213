#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a memory fault while reading the store into exit 74 with a message, instead of a crash.
///
/// LMDB maps the store into memory and trusts its page headers: it keeps no page checksums, so
/// a damaged node header can claim a value larger than the file, and copying that value faults
/// (`SIGBUS` past the end of the file, `SIGSEGV` past the map). For an auditor that is a
/// finding about the store, not a crash to debug: the handler writes one line to standard
/// error and exits 74 (`EX_IOERR`). It only calls `write(2)` and `_exit(2)`, which are
/// async-signal-safe. A fault from a bug in this tool would get the same exit code, so the
/// message says both.
///
/// ```swift
/// FaultGuard.install()   // first thing in main
/// ```
enum FaultGuard {
    /// Installs the handler for `SIGBUS` and `SIGSEGV`.
    static func install() {
        signal(SIGBUS, faultHandler)
        signal(SIGSEGV, faultHandler)
    }
}

/// Writes the message and exits 74; async-signal-safe.
private let faultHandler: @convention(c) (Int32) -> Void = { _ in
    let message: StaticString = """
        error: reading the store faulted (a memory fault in the LMDB map): its pages are damaged \
        (or imr-audit has a bug). The store is NOT verified.

        """
    _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
    _exit(74)
}
