import EventLogTesting
import Foundation
import Testing

/// `imr-bench` runs whichever `imr-audit` sits beside it for item 6b; when that tool fails, the
/// benchmark must stop with the tool's own words, not a bare precondition failure.
@Suite struct BenchToolTests {
    @Test func auditToolFailureIsReportedWithItsStandardError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = dir.appendingPathComponent("imr-bench").path
        try FileManager.default.copyItem(atPath: ToolProcess.path(of: "imr-bench"), toPath: bench)
        // A stand-in for a stale imr-audit: says why on standard error and exits 3.
        let audit = dir.appendingPathComponent("imr-audit").path
        try "#!/bin/sh\necho 'stale imr-audit: this build cannot read format 2' >&2\nexit 3\n".write(
            toFile: audit, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: audit)

        let r = try ToolProcess.run(
            executableAt: bench, ["--events", "2000", "--runs", "1", "--items", "6", "--dir", dir.appendingPathComponent("stores").path])
        #expect(!r.crashed, "imr-bench crashed instead of reporting the tool's failure")
        #expect(r.status != 0)
        #expect(r.stderr.contains("exited with status 3"))
        #expect(r.stderr.contains("stale imr-audit: this build cannot read format 2"))
    }

    @Test func warmUpPerEventIsAnOptionAndRefusesANegativeSize() throws {
        let help = try ToolProcess.run("imr-bench", ["--help"])
        #expect(help.stdout.contains("--warm-per-event"))
        let r = try ToolProcess.run("imr-bench", ["--events", "1000", "--items", "1", "--warm-per-event=-1"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--warm-per-event must be 0 or more"))
    }
}
