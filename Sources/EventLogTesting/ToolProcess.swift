import Foundation

/// Runs the project's built executables (`imr`, `imr-audit`) from tests; they sit beside the
/// test bundle in the build folder.
///
/// ```swift
/// let r = try ToolProcess.run("imr", ["log", store])
/// #expect(r.status == 0)
/// ```
public enum ToolProcess {
    /// What a run printed and how it exited.
    public struct Output: Sendable {
        /// The exit status (or the signal number when `crashed`).
        public var status: Int32
        /// True when the process was killed by a signal.
        public var crashed: Bool
        /// Standard output.
        public var stdout: String
        /// Standard error.
        public var stderr: String
    }

    /// The build folder holding the executables.
    public static var binDirectory: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        // The bundle may be a directory (…/imr-ledgerPackageTests.xctest) or a file.
        while !FileManager.default.isExecutableFile(atPath: url.deletingLastPathComponent().appendingPathComponent("imr").path),
            url.pathComponents.count > 1
        {
            url.deleteLastPathComponent()
        }
        return url.deletingLastPathComponent()
    }

    /// The path of the built executable `tool`.
    public static func path(of tool: String) -> String { binDirectory.appendingPathComponent(tool).path }

    /// Runs `tool args…` to completion with `input` on standard input (none: an empty input).
    /// With `outputFile`, standard output goes to that file (e.g. `/dev/full`) instead of
    /// being captured.
    public static func run(_ tool: String, _ args: [String], input: String? = nil, outputFile: String? = nil) throws -> Output {
        try run(tool, args, inputBytes: input.map { Array($0.utf8) }, outputFile: outputFile)
    }

    /// ``run(_:_:input:outputFile:)`` with raw bytes on standard input (e.g. invalid UTF-8).
    public static func run(_ tool: String, _ args: [String], inputBytes input: [UInt8]?, outputFile: String? = nil) throws -> Output {
        try run(executableAt: path(of: tool), args, inputBytes: input, outputFile: outputFile)
    }

    /// ``run(_:_:inputBytes:outputFile:)`` for the executable at `executable` (e.g. a copy of
    /// a built tool in a folder of the test's own).
    public static func run(executableAt executable: String, _ args: [String], inputBytes input: [UInt8]? = nil, outputFile: String? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let out = Pipe()
        let err = Pipe()
        let inp = Pipe()
        if let outputFile {
            p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
            try out.fileHandleForWriting.close()
        } else {
            p.standardOutput = out
        }
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let input { inp.fileHandleForWriting.write(Data(input)) }
        try inp.fileHandleForWriting.close()
        // Read both pipes before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Output(
            status: p.terminationStatus, crashed: p.terminationReason == .uncaughtSignal,
            stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}
