import ArgumentParser
import CanonicalJSON
import EventLog
import Foundation

extension Imr {
    /// `imr debug`: tools for tests and operators, not for daily use.
    struct Debug: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Diagnostics used by the test suite.",
            shouldDisplay: false,
            subcommands: [AppendLoop.self])
    }

    /// `imr debug append-loop`: appends batches forever, printing each acknowledged batch.
    ///
    /// Used by the crash-safety test: it is killed with SIGKILL at random moments, then the
    /// store must hold every batch it acknowledged, whole.
    struct AppendLoop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "append-loop")

        @OptionGroup var store: StoreArgument

        @Option(help: "Concurrent appending tasks.")
        var tasks: Int = 4

        @Option(help: "Events per append, each to a different stream.")
        var batch: Int = 3

        @Option(help: "Stop after this many appends per task (0: never).")
        var count: Int = 0

        @Option(help: "A tag put into every event id, to tell runs apart.")
        var run: String = "r"

        @Option(name: .customLong("pause-ms"), help: "Milliseconds each task waits after each acknowledged append (0: none).")
        var pauseMilliseconds: Int = 0

        func run() async throws {
            let log = try openStore(store.store)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        var i = 0
                        while count == 0 || i < count {
                            let batchID = "\(run)-\(t)-\(i)"
                            var appends: [StreamAppend] = []
                            for k in 0..<batch {
                                let stream = try StreamID("crash-\((t * 7 + k) % 11)")
                                let data: JSONValue = .object([
                                    "batch": .string(batchID), "part": .number(Double(k)), "of": .number(Double(batch)),
                                    "note": .string("Ménage à trois \u{1F600} \"quoted\" \\ line\nbreak"),
                                ])
                                appends.append(
                                    StreamAppend(
                                        stream: stream, expected: .any,
                                        events: [
                                            EventDraft(
                                                id: "\(batchID)-\(k)", source: "/test/crash", type: "org.imr.test.crash.v1",
                                                time: "2026-01-01T00:00:00Z", data: data, recordedBy: "user:test",
                                                recordedRole: "system")
                                        ]))
                            }
                            let results = try await log.append(appends)
                            let positions = results.flatMap(\.positions).map(String.init).joined(separator: ",")
                            // One write(2) per line, after the commit returned: what the test reads was acknowledged.
                            FileHandle.standardOutput.write(Data("ack \(batchID) \(positions)\n".utf8))
                            i += 1
                            if pauseMilliseconds > 0 { try await Task.sleep(for: .milliseconds(pauseMilliseconds)) }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
