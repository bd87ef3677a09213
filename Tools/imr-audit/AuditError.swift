import ArgumentParser
import EventLog
import Foundation

/// Why an `imr-audit` command stopped early, and the exit code that says so.
///
/// The exit codes are the auditor's contract (shared/DESIGN.md §4): 0 verified, 1 a
/// violation was found, 64 a usage error, 74 an I/O error. Messages name files, sizes and
/// positions, never event data.
///
/// ```swift
/// throw AuditError.io("cannot read checkpoint file cp.txt")
/// ```
struct AuditError: Error, CustomStringConvertible {
    /// What kind of failure: it decides the exit code.
    enum Kind {
        /// Something is not as it should be (exit 1).
        case violation
        /// The request itself cannot be served (exit 64).
        case usage
        /// A store or file could not be read (exit 74).
        case io
    }

    /// The kind of failure.
    var kind: Kind
    /// A sentence naming the file, size or position concerned.
    var message: String

    /// A violation found while verifying (exit 1).
    static func violation(_ message: String) -> AuditError { AuditError(kind: .violation, message: message) }
    /// A request that cannot be served (exit 64).
    static func usage(_ message: String) -> AuditError { AuditError(kind: .usage, message: message) }
    /// A store or file that cannot be read (exit 74).
    static func io(_ message: String) -> AuditError { AuditError(kind: .io, message: message) }

    /// The message.
    var description: String { message }

    /// The process exit code for this failure.
    var exitCode: ExitCode { AuditExit.code(for: kind) }
}

/// The exit codes of `imr-audit` and the one place errors become them.
enum AuditExit {
    /// 1: a violation was found.
    static let violation = ExitCode(1)
    /// 74 (`EX_IOERR`): a store or file could not be read.
    static let ioError = ExitCode(74)

    /// The exit code of an ``AuditError`` kind.
    static func code(for kind: AuditError.Kind) -> ExitCode {
        switch kind {
        case .violation: violation
        case .usage: .validationFailure
        case .io: ioError
        }
    }

    /// Runs a command body, printing `error: …` on standard error and exiting with the code
    /// the error maps to: ``AuditError`` by its kind; `EventLogError` `corruption` 1,
    /// `invalid-event` (a size or position out of range) 64, anything else from the store 74.
    ///
    /// ```swift
    /// func run() throws { try AuditExit.run { … } }
    /// ```
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as ValidationError {
            throw error
        } catch let error as AuditError {
            printError("error: \(error.message)")
            throw error.exitCode
        } catch let error as EventLogError {
            if error.code == .corruption {
                printError("error: \(error.message). The store is NOT verified.")
                throw violation
            }
            printError("error: \(error.message)")
            if error.code == .invalidEvent { throw ExitCode.validationFailure }
            throw ioError
        } catch {
            printError("error: \(error)")
            throw ioError
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
