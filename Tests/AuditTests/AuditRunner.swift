import EventLogTesting
import Foundation

/// Runs the built `imr-audit` (and `imr`) executables, which sit beside the test bundle.
enum AuditRunner {
    /// What a run printed and how it exited.
    typealias Output = ToolProcess.Output

    /// The build folder holding the executables.
    static var binDirectory: URL { ToolProcess.binDirectory }

    /// Runs `imr-audit args…` to completion.
    static func audit(_ args: [String]) throws -> Output { try ToolProcess.run("imr-audit", args) }

    /// Runs `imr args…` to completion.
    static func imr(_ args: [String]) throws -> Output { try ToolProcess.run("imr", args) }
}
