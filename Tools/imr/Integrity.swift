import ArgumentParser
import EventLog
import Foundation

extension Imr {
    /// `imr key STORE`: prints the log's verifier key.
    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the log's verifier key (signed-note encoding: name+hash+base64key).",
            discussion: "Give it to auditors: imr-audit checks checkpoint signatures with it.")

        @OptionGroup var store: StoreArgument

        func run() async throws {
            try await runReporting {
                let log = try openStore(store.store, readOnly: true)
                print(log.verifierKey)
            }
        }
    }

    /// `imr checkpoint STORE`: signs, stores and prints a checkpoint of the log as it stands.
    struct MakeCheckpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Sign, store and print a C2SP checkpoint of the log as it stands.",
            discussion: "Needs the store's signer key (<store>/keys/log.key). Keep the printed note: imr-audit verify --checkpoint FILE proves the log still extends it.")

        @OptionGroup var store: StoreArgument

        @Flag(help: "Print the newest stored checkpoint instead of making one.")
        var latest = false

        func run() async throws {
            try await runReporting {
                let log = try openStore(store.store, readOnly: latest)
                if latest {
                    guard let cp = try log.latestCheckpoint() else {
                        printError("error: no checkpoint stored yet (run imr checkpoint \(store.store))")
                        throw ExitCode.failure
                    }
                    print(cp.note, terminator: "")
                } else {
                    let (_, note) = try log.makeCheckpoint(signer: try log.loadSigner())
                    print(note, terminator: "")
                }
            }
        }
    }
}
