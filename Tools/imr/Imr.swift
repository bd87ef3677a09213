import ArgumentParser
import EventLog

/// `imr`: the command line for administrators and integrators.
@main
struct Imr: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imr",
        abstract: "IMR Ledger: an append-only, verifiable clinical event log.",
        discussion: """
            A store is a directory. Every event is one CloudEvents 1.0 JSON object in RFC 8785 \
            canonical form, chained to its predecessor by its RFC 9162 leaf hash (docs/FORMAT.md).
            """,
        subcommands: [
            Init.self, Record.self, Import.self, Schema.self, Query.self, Project.self, Report.self, Demo.self, Append.self, Log.self, Export.self, VerifyChain.self, Key.self, MakeCheckpoint.self, Debug.self, Serve.self, Token.self,
        ]
    )

    /// Runs the command, exiting 74 at the end if what it printed could not be written.
    static func main() async {
        StandardOutput.exitWithIOErrorOnFailedWrites()
        await main(nil)
    }
}
