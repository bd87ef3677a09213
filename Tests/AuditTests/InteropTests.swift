import EventLog
import EventLogTesting
import Foundation
import MerkleLog
import Testing

/// True when python3 with the `cryptography` package can run the independent verifier.
private let pythonAvailable: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import cryptography.hazmat.primitives.asymmetric.ed25519"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
}()

@Suite("Interoperability: an independent Python verifier agrees")
struct InteropTests {
    /// scripts/interop_verify.py, found from this file's path.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/interop_verify.py").path

    func python(_ args: [String]) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.script] + args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(
        "Export, checkpoint, verifier key and inclusion proof verify with RFC 9162 / C2SP code written in Python",
        .enabled(if: pythonAvailable, "needs python3 with the cryptography package"))
    func pythonVerifies() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create(origin: "interop.example/imr", options: .init(checkpointEveryEvents: nil, checkpointInterval: nil))
        for i in 0..<37 {
            _ = try await log.append([Fixtures.sessionNote(i)], to: Fixtures.consumerStream(i % 5), expecting: .any)
        }
        let (_, note) = try log.makeCheckpoint(signer: try log.loadSigner())
        let dir = tmp.path + "-interop"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var export = Data()
        try log.forEachRaw(from: 0) { _, bytes in
            export.append(contentsOf: bytes)
            export.append(0x0A)
            return true
        }
        try export.write(to: URL(fileURLWithPath: dir + "/log.ndjson"))
        try note.write(toFile: dir + "/cp.txt", atomically: true, encoding: .utf8)
        let prove = try AuditRunner.audit(["prove", "inclusion", tmp.path, "--position", "22", "--size", "30"])
        #expect(prove.status == 0)
        try prove.stdout.write(toFile: dir + "/proof.json", atomically: true, encoding: .utf8)
        let key = log.verifierKey

        var r = try python([dir + "/log.ndjson", dir + "/cp.txt", key, dir + "/proof.json"])
        #expect(r.status == 0, "\(r.stderr)")

        // The independent verifier can fail: one changed byte of one event breaks it.
        var damaged = export
        let at = damaged.firstRange(of: Data(#""minutes":"#.utf8))!.upperBound
        damaged[at] = damaged[at] == UInt8(ascii: "5") ? UInt8(ascii: "6") : UInt8(ascii: "5")
        try damaged.write(to: URL(fileURLWithPath: dir + "/damaged.ndjson"))
        r = try python([dir + "/damaged.ndjson", dir + "/cp.txt", key, dir + "/proof.json"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("chain break") || r.stderr.contains("differs"))

        // And a key that did not sign the checkpoint is refused.
        let other = try NoteSigner(name: "interop.example/imr", privateKey: .init())
        r = try python([dir + "/log.ndjson", dir + "/cp.txt", other.verifierKey, dir + "/proof.json"])
        #expect(r.status == 1)
    }
}
