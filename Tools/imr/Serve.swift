import ArgumentParser
import EventLog
import Foundation
import RecordHTTP

extension Imr {
    /// `imr serve STORE`: the HTTP API (docs/API.md) until SIGTERM or SIGINT.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the HTTP API: appends, the feed, queries, consumer records, proofs (docs/API.md).",
            discussion: """
                Every request but /healthz and /openapi.json needs a bearer token from `imr token create`. \
                SIGTERM or SIGINT stops accepting connections, lets requests in flight (appends among them) \
                finish, ends live feeds and closes the store. TLS needs both --tls-cert and --tls-key (PEM).
                """)

        @OptionGroup var store: StoreArgument

        @Option(help: "The address to listen on.")
        var host: String = "127.0.0.1"

        @Option(help: "The port to listen on (0 picks a free one).")
        var port: Int = 8080

        @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (with --tls-key).")
        var tlsCert: String?

        @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
        var tlsKey: String?

        @Option(help: "The CloudEvents source of events written by commands.")
        var source: String = "/agencies/local/programs/imr"

        @Option(name: .customLong("max-body-bytes"), help: "The largest request body (413 beyond).")
        var maxBodyBytes: Int = 1 << 20

        @Option(help: "Seconds between heartbeat comments on idle live feeds.")
        var heartbeat: Double = 5

        @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may wait between request parts before it is closed.")
        var idleTimeout: Double = 30

        func validate() throws {
            if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
            if !(0...65_535).contains(port) { throw ValidationError("--port must be 0-65535") }
            if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024") }
            if !(heartbeat > 0 && heartbeat <= 3600) { throw ValidationError("--heartbeat must be more than 0 and at most 3600 seconds") }
            if !(idleTimeout >= 1 && idleTimeout <= 86_400) { throw ValidationError("--idle-timeout must be 1 to 86400 seconds") }
        }

        func run() async throws {
            try await runReporting {
                let options = RecordServer.Options(
                    host: host, port: port, source: source, maxBodyBytes: maxBodyBytes, heartbeatSeconds: heartbeat,
                    tlsCertificate: tlsCert, tlsKey: tlsKey, idleTimeoutSeconds: idleTimeout)
                let server = try RecordServer(store: store.store, log: openStore(store.store), options: options)
                let scheme = tlsCert == nil ? "http" : "https"
                let (path, address) = (store.store, host)
                do {
                    try await server.run(onServerRunning: { port in
                        FileHandle.standardOutput.write(Data("serving \(path) on \(scheme)://\(address):\(port)\n".utf8))
                    })
                } catch let error as ServerStartError {
                    printError("error: \(error.description)")
                    throw ExitCode(74)
                }
                FileHandle.standardOutput.write(Data("stopped; the store is closed\n".utf8))
            }
        }
    }
}
