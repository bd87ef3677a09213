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

/// An option value refused while the command runs: one that can only be judged against the
/// store (an `--as-of` position past the end of the log) or against the other options and
/// today's date (`--from` after the day the report is taken on).
///
/// ArgumentParser prints a `ValidationError` thrown from `run()` with the usage of `imr`
/// itself, which is not the command that was run; this one is printed as `error: <option>
/// <rule>` alone, and exits 64 (`EX_USAGE`), as an option refused while parsing does. Values
/// given in options are never patient data; messages still name the option and the rule.
///
/// ```swift
/// throw OptionError(option: "--as-of", rule: "position 90 is beyond the end of the log (17 events)")
/// ```
struct OptionError: Error, CustomStringConvertible {
    /// The option at fault, e.g. `--as-of`.
    var option: String
    /// The rule it breaks, as the rest of a sentence that begins with the option.
    var rule: String

    var description: String { "\(option) \(rule)" }
}

/// Turns library errors into a one-line message and exit code 1 (validation and conflicts) or
/// 74 (I/O), and an ``OptionError`` into one line and exit code 64.
func runReporting<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as EventLogError {
        throw exitCode(reporting: error)
    } catch let error as OptionError {
        throw exitCode(reporting: error)
    }
}

/// ``runReporting(_:)`` for synchronous commands.
func runReportingSync<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as EventLogError {
        throw exitCode(reporting: error)
    } catch let error as OptionError {
        throw exitCode(reporting: error)
    }
}

/// Prints `error` in one line and returns exit code 64 (`EX_USAGE`), without the usage text.
func exitCode(reporting error: OptionError) -> ExitCode {
    printError("error: \(error.description)")
    return .validationFailure
}

/// Prints `error` in one line and returns its exit code: 74 for I/O, 1 otherwise.
func exitCode(reporting error: EventLogError) -> ExitCode {
    printError("error: \(error.code): \(error.description)")
    switch error.code {
    case .storage, .corruption, .notAStore: return ExitCode(74)
    default: return .failure
    }
}

/// Opens the store at `path`, read-only when asked. When there is no store at all, the error
/// says how to make one (`imr init`): `imr` makes stores, so the hint is its own to give.
func openStore(_ path: String, readOnly: Bool = false) throws -> LMDBEventLog {
    do {
        return try LMDBEventLog.open(at: path, options: .init(readOnly: readOnly))
    } catch var error as EventLogError where error.code == .notAStore && !LMDBEventLog.exists(at: path) {
        error.message += " (run `imr init \(path)` first)"
        throw error
    }
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

