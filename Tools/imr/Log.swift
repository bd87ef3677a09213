import ArgumentParser
import EventLog
import Foundation

extension Imr {
    /// `imr log`: lists events of the global log.
    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List events of the log, oldest first.")

        @OptionGroup var store: StoreArgument

        @Option(help: "The first position to show.")
        var from: UInt64 = 0

        @Option(help: "The most events to show.")
        var limit: Int = 100

        enum LogFormat: String, ExpressibleByArgument { case table, json }

        @Option(help: "table or json (one stored event per line).")
        var format: LogFormat = .table

        func validate() throws {
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            try await runReporting {
                let log = try openStore(store.store, readOnly: true)
                let events = try log.readEvents(from: from, limit: limit)
                switch format {
                case .json:
                    for e in events { print(String(decoding: e.bytes, as: UTF8.self)) }
                case .table:
                    print(pad("POS", 8) + pad("STREAM", 28) + pad("VER", 5) + pad("TYPE", 40) + pad("TIME", 22) + "RECORDED")
                    for e in events {
                        print(pad(String(e.position), 8) + pad(e.stream.rawValue, 28) + pad(String(e.streamVersion), 5)
                            + pad(e.type, 40) + pad(e.time, 22) + e.recordedAt)
                    }
                    let head = try log.currentHead()
                    print("\(events.count) of \(head.treeSize) events shown; root \(head.rootHash.hex)")
                }
            }
        }

        private func pad(_ s: String, _ width: Int) -> String {
            s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
        }
    }

    /// `imr export`: writes the exact stored bytes, one event per line.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the exact stored bytes of every event, one per line (NDJSON).")

        @OptionGroup var store: StoreArgument

        @Option(help: "The first position to export.")
        var from: UInt64 = 0

        func run() async throws {
            try await runReporting {
                let log = try openStore(store.store, readOnly: true)
                let out = FileHandle.standardOutput
                var buffer: [UInt8] = []
                buffer.reserveCapacity(1 << 20)
                try log.forEachRaw(from: from) { _, bytes in
                    buffer.append(contentsOf: bytes)
                    buffer.append(0x0A)
                    if buffer.count >= 1 << 20 {
                        try writeStandardOutput(out, buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                    return true
                }
                try writeStandardOutput(out, buffer)
            }
        }
    }

    /// `imr verify-chain`: re-hashes every event and checks the chain and the Merkle root.
    struct VerifyChain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-chain",
            abstract: "Check every event: gapless positions, canonical bytes, predecessor hashes, Merkle root.",
            discussion: "Exits 0 when verified, 1 with each violation's position when not, 74 on I/O errors.")

        @OptionGroup var store: StoreArgument

        func run() async throws {
            try await runReporting {
                let log = try openStore(store.store, readOnly: true)
                let verifier = try log.verifyChain()
                if verifier.violations.isEmpty {
                    print("verified: \(verifier.count) events, chain intact, root \(verifier.rootHash.hex)")
                } else {
                    for v in verifier.violations { print("violation: \(v)") }
                    print("NOT verified: \(verifier.violations.count) violation(s) in \(verifier.count) events")
                    throw ExitCode.failure
                }
            }
        }
    }
}
