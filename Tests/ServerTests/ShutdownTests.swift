import EventLog
import EventLogTesting
import Foundation
import RecordHTTP
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("imr serve: a real process, stopped with SIGTERM")
struct ShutdownTests {
    @Test("SIGTERM: appends in flight finish and are durable, the process exits 0, the store verifies")
    func gracefulShutdown() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let (p, handle, _, port) = try await Self.startServe(fx.tmp.path)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let client = APIClient(port: port, token: fx.tokens[.integrator])
        #expect(try await client.get("/healthz").status == 200)

        let accepted = Locked<[Int]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<16 {
                group.addTask {
                    if let r = try? await client.post("/v1/streams/ehr-s\(w)/events?expected-version=no-stream",
                                                      json: ["type": "com.example.shutdown.v1", "id": "s-\(w)", "data": ["w": w]]),
                       r.status == 201, let pos = (r.object["positions"] as? [Int])?.first {
                        accepted.mutate { $0.append(pos) }
                    }
                }
            }
            // Stop while the appends are on their way.
            try await Task.sleep(for: .milliseconds(30))
            kill(p.processIdentifier, SIGTERM)
            try await group.waitForAll()
        }
        #expect(try await Self.exitStatus(p) == 0, "imr serve exits 0 after SIGTERM")
        let rest = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains("stopped"))

        // Every acknowledged append is in the log, at the position it was acknowledged with.
        let log = try LMDBEventLog.open(at: fx.tmp.path)
        let size = try log.currentHead().treeSize
        for position in accepted.get() {
            let e = try #require(try log.readEvents(from: UInt64(position), limit: 1).first)
            #expect(e.type == "com.example.shutdown.v1")
        }
        #expect(size >= UInt64(accepted.get().count))
        let verifier = try log.verifyChain()
        #expect(verifier.violations.isEmpty)
    }

    /// Starts `imr serve` on `store` (through `wrapper` first, when given) and waits for its
    /// first line, which names the port. Standard error goes to a file beside the store.
    static func startServe(_ store: String, wrapper: [String] = []) async throws
        -> (process: Process, stdout: FileHandle, stderrPath: String, port: Int)
    {
        let imr = ToolProcess.path(of: "imr")
        try #require(FileManager.default.isExecutableFile(atPath: imr), "build the imr tool first")
        let p = Process()
        let command = wrapper + [imr, "serve", store, "--port", "0"]
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        let out = Pipe()
        p.standardOutput = out
        let errPath = store + "-serve.err"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try p.run()
        let handle = out.fileHandleForReading
        let firstLine = try await offPool { () -> String in
            let fd = handle.fileDescriptor
            var bytes: [UInt8] = []
            var byte: UInt8 = 0
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline {
                let n = read(fd, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                if byte == 0x0A {
                    if String(decoding: bytes, as: UTF8.self).hasPrefix("serving") { break }
                    bytes = []
                } else {
                    bytes.append(byte)
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        guard let port = firstLine.split(separator: ":").last.flatMap({ Int($0) }) else {
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8))?.suffix(600) ?? ""
            throw ServeStartFailure(description: "startup line: \(firstLine); stderr: \(stderr)")
        }
        return (p, handle, errPath, port)
    }

    /// Waits up to 30 s for `p` to exit; its status, or -1 when it is still running.
    static func exitStatus(_ p: Process) async throws -> Int32 {
        try await offPool { () -> Int32 in
            let deadline = Date().addingTimeInterval(30)
            while p.isRunning && Date() < deadline { usleep(50_000) }
            if p.isRunning { return -1 }
            return p.terminationStatus
        }
    }

    @Test("imr serve warns at start when it may not raise the writer's priority (run without CAP_SYS_NICE and with RLIMIT_NICE 0)")
    func priorityWarning() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let prlimit = "/usr/bin/prlimit", setpriv = "/usr/bin/setpriv"
        try #require(FileManager.default.isExecutableFile(atPath: prlimit) && FileManager.default.isExecutableFile(atPath: setpriv),
                     "util-linux's prlimit and setpriv are needed")
        let (p, _, errPath, port) = try await Self.startServe(
            fx.tmp.path, wrapper: [prlimit, "--nice=0:0", setpriv, "--bounding-set", "-sys_nice", "--inh-caps", "-sys_nice", "--"])
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        #expect(try await APIClient(port: port, token: fx.tokens[.integrator]).get("/healthz").status == 200)
        kill(p.processIdentifier, SIGTERM)
        #expect(try await Self.exitStatus(p) == 0)
        let stderr = try String(contentsOfFile: errPath, encoding: .utf8)
        #expect(stderr.contains("warning imr.serve: the writer may not raise its thread to nice -10: this process lacks CAP_SYS_NICE and an RLIMIT_NICE of at least 30"), "\(stderr)")
    }
}

/// `imr serve` did not print the line naming its port.
struct ServeStartFailure: Error, CustomStringConvertible {
    let description: String
}

@Suite("TLS")
struct TLSTests {
    @Test("A TLS file that is missing or not PEM, and an address in use: the server does not start, and says which file or address and why")
    func startErrors() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let garbage = fx.tmp.path + "-garbage.pem"
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: garbage))
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        func startError(_ options: RecordServer.Options) throws -> String? {
            do {
                _ = try RecordServer(store: fx.tmp.path, log: fx.log, options: options).makeApplication()
                return nil
            } catch let error as ServerStartError {
                return error.description
            }
        }
        var options = Fixture.options
        options.tlsCertificate = fx.tmp.path + "/missing.pem"
        options.tlsKey = garbage
        #expect(try startError(options) == "cannot read the TLS certificate chain \(fx.tmp.path)/missing.pem: No such file or directory")
        options.tlsCertificate = garbage
        #expect(try startError(options)?.hasPrefix("the TLS certificate chain \(garbage) is not a PEM certificate chain") == true)

        // `imr serve` on a port this process is serving on: one line, exit 74.
        try await fx.withServer { client, _ in
            let port = client.port
            let r = try await offPool { try ToolProcess.run("imr", ["serve", fx.tmp.path, "--port", "\(port)"]) }
            #expect(r.status == 74, "\(r.stderr)")
            #expect(r.stderr == "error: cannot listen on 127.0.0.1:\(port): Address already in use\n", "\(r.stderr)")
            #expect(try await client.get("/healthz").status == 200)
        }
    }

    @Test("--tls-cert/--tls-key serve HTTPS (a self-signed certificate, checked with curl)")
    func https() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let dir = fx.tmp.path + "-tls"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (made, out) = try runProcess("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                                          "-nodes", "-subj", "/CN=localhost", "-days", "1",
                                                          "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"], timeoutSeconds: 60)
        try #require(made == 0, "openssl is needed to make a test certificate: \(out)")
        var options = Fixture.options
        options.tlsCertificate = dir + "/cert.pem"
        options.tlsKey = dir + "/key.pem"
        let token = fx.tokens[.administrator]!
        try await fx.withServer(options: options) { client, _ in
            let port = client.port
            let (status, body) = try await offPool {
                try runProcess("/usr/bin/env", ["curl", "-sk", "--max-time", "20", "-H", "Authorization: Bearer \(token)",
                                                "https://127.0.0.1:\(port)/v1/caseload"], timeoutSeconds: 30)
            }
            #expect(status == 0, "curl: \(body)")
            #expect(body.contains("\"programs\""))
            // Plain HTTP on the TLS port gets no HTTP answer.
            let plain = try? await client.get("/healthz")
            #expect(plain?.status != 200)
        }
    }
}
