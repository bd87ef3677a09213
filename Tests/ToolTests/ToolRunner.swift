import EventLogTesting
import Foundation

/// Runs the built `imr` executable, which sits beside the test bundle in the build folder.
enum ToolRunner {
    static var imr: String { ToolProcess.path(of: "imr") }

    typealias Output = ToolProcess.Output

    /// Runs `imr args…` to completion with `input` on standard input.
    static func run(_ args: [String], input: String? = nil) throws -> Output {
        try ToolProcess.run("imr", args, input: input)
    }

    /// Starts `imr args…` with standard output going to `outputFile`.
    static func start(_ args: [String], outputFile: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: imr)
        p.arguments = args
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
}
