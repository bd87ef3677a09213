import Foundation

/// Runs the built `imr-audit` (and `imr`) executables, which sit beside the test bundle.
enum AuditRunner {
    /// The build folder holding the executables.
    static var binDirectory: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        // The bundle may be a directory (…/imr-ledgerPackageTests.xctest) or a file.
        while !FileManager.default.isExecutableFile(
            atPath: url.deletingLastPathComponent().appendingPathComponent("imr-audit").path),
            url.pathComponents.count > 1
        {
            url.deleteLastPathComponent()
        }
        return url.deletingLastPathComponent()
    }

    /// What a run printed and how it exited.
    struct Output {
        /// The exit status (or the signal number when `crashed`).
        var status: Int32
        /// True when the process was killed by a signal.
        var crashed: Bool
        var stdout: String
        var stderr: String
    }

    /// Runs `imr-audit args…` to completion.
    static func audit(_ args: [String]) throws -> Output { try run("imr-audit", args) }

    /// Runs `imr args…` to completion.
    static func imr(_ args: [String]) throws -> Output { try run("imr", args) }

    private static func run(_ tool: String, _ args: [String]) throws -> Output {
        let p = Process()
        p.executableURL = binDirectory.appendingPathComponent(tool)
        p.arguments = args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
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
