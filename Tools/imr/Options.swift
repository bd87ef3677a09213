import ArgumentParser
import EventLog
import Foundation

/// The store argument every command takes.
struct StoreArgument: ParsableArguments {
    @Argument(help: "The store directory (created by `imr init`).")
    var store: String
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
