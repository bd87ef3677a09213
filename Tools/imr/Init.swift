import ArgumentParser
import EventLog

extension Imr {
    /// `imr init STORE`: creates a new, empty store.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new, empty store.")

        @OptionGroup var store: StoreArgument

        @Option(help: "The log origin named in checkpoints (default: imr-ledger/<random id>).")
        var origin: String?

        func run() async throws {
            try await runReporting {
                let log = try LMDBEventLog.create(at: store.store, origin: origin)
                print("initialised \(store.store) (origin \(log.origin))")
                print("verifier key: \(log.verifierKey)")
            }
        }
    }
}
