import Foundation

/// Runs the built `imr` executable, which sits beside the test bundle in the build folder.
enum ToolRunner {
    static var binDirectory: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        // The bundle may be a directory (…/imr-ledgerPackageTests.xctest) or a file.
        while !FileManager.default.isExecutableFile(atPath: url.deletingLastPathComponent().appendingPathComponent("imr").path),
            url.pathComponents.count > 1
        {
            url.deleteLastPathComponent()
        }
        return url.deletingLastPathComponent()
    }

    static var imr: String { binDirectory.appendingPathComponent("imr").path }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `imr args…` to completion with `input` on standard input.
    static func run(_ args: [String], input: String? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: imr)
        p.arguments = args
        let out = Pipe()
        let err = Pipe()
        let inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let input { inp.fileHandleForWriting.write(Data(input.utf8)) }
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
            status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
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
