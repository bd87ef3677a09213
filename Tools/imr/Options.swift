import ArgumentParser
import EventLog
import Foundation

/// The store argument every command takes.
struct StoreArgument: ParsableArguments {
    @Argument(help: "The store directory (created by `imr init`).")
    var store: String

    /// Checks that the directory holds a store, with the error every command that opens the
    /// log gives (`not-a-store`, exit 74), for commands that work beside the log.
    func requireStore() throws {
        _ = try runReportingSync { try openStore(store, readOnly: true) }
    }
}

/// Output format for listings.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Turns library errors into a one-line message and exit code 1 (validation and conflicts) or 74 (I/O).
func runReporting<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as EventLogError { throw exitCode(reporting: error) }
}

/// ``runReporting(_:)`` for synchronous commands.
func runReportingSync<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as EventLogError { throw exitCode(reporting: error) }
}

/// Prints `error` in one line and returns its exit code: 74 for I/O, 1 otherwise.
func exitCode(reporting error: EventLogError) -> ExitCode {
    printError("error: \(error.code): \(error.description)")
    switch error.code {
    case .storage, .corruption, .notAStore: return ExitCode(74)
    default: return .failure
    }
}

/// Opens the store at `path`, read-only when asked.
func openStore(_ path: String, readOnly: Bool = false) throws -> LMDBEventLog {
    try LMDBEventLog.open(at: path, options: .init(readOnly: readOnly))
}

/// Writes `data` to the file at `path` (``OutputFile``: a regular file atomically, through a
/// symbolic link, a device in place). A failure
/// is reported in one line naming the file and the system's reason, with exit code 74 (I/O).
func writeOutput(_ data: Data, to path: String) throws {
    do { try OutputFile.write(Array(data), to: path) } catch {
        printError("error: \(error.description)")
        throw ExitCode(74)
    }
}

/// Writes `bytes` to standard output (unbuffered); a failure is reported in one line with the
/// system's reason, exit code 74 (I/O).
func writeStandardOutput(_ out: FileHandle, _ bytes: [UInt8]) throws {
    do { try out.write(contentsOf: bytes) } catch {
        printError("error: cannot write standard output: \(OutputFile.systemReason(error))")
        throw ExitCode(74)
    }
}

/// Creates the folder at `path` and its parents; a failure as ``writeOutput(_:to:)`` reports it.
func createOutputFolder(_ path: String) throws {
    if let failure = makeDirectories(path, mode: 0o755) {
        printError("error: cannot create the folder \(path): \(String(cString: strerror(failure)))")
        throw ExitCode(74)
    }
}

