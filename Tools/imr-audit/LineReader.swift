#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file line by line with `getline(3)`, so an export of any size streams through.
///
/// Each line is handed over without its final newline (0x0A) and with every other byte kept,
/// so a stray carriage return stays part of the line and changes its hash.
///
/// ```swift
/// let reader = try LineReader(path: "log.ndjson")
/// try reader.forEachLine { number, bytes in … }
/// ```
final class LineReader {
    private let file: UnsafeMutablePointer<FILE>
    /// The file being read.
    let path: String

    /// Opens `path` for reading.
    /// - Throws: ``AuditError`` `.io` when the file cannot be opened.
    init(path: String) throws {
        guard let file = fopen(path, "rb") else {
            throw AuditError.io("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.file = file
        self.path = path
    }

    deinit { fclose(file) }

    /// Calls `body` with each line's 0-based number and bytes.
    /// - Important: The bytes are valid only during the call.
    /// - Throws: ``AuditError`` `.io` on a read error; whatever `body` throws.
    func forEachLine(_ body: (UInt64, UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(buffer) }
        var number: UInt64 = 0
        while true {
            let length = getline(&buffer, &capacity, file)
            if length < 0 { break }
            guard let buffer else { break }
            var count = length
            if count > 0, buffer[count - 1] == 0x0A { count -= 1 }
            try body(number, UnsafeRawBufferPointer(start: buffer, count: count))
            number += 1
        }
        if ferror(file) != 0 { throw AuditError.io("cannot read \(path)") }
    }
}
