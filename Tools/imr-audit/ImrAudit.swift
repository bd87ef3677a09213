import ArgumentParser
import EventLog

/// `imr-audit`: the auditor's read-only verifier of an IMR Ledger store, an export or a proof.
///
/// Exit codes: 0 verified, 1 a violation was found (each printed with its position and what
/// differs), 64 a usage error, 74 an I/O error. It reads the log and hashes only: it never
/// writes to a store and never prints event data in findings or reports.
///
/// ```sh
/// imr-audit verify ./imr-data --key "$(cat auditor.key)" --checkpoint cp-2026-03.txt
/// imr-audit prove inclusion ./imr-data --position 41 > p.json && imr-audit verify-proof p.json
/// ```
@main
struct ImrAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imr-audit",
        abstract: "Verify an IMR Ledger store, export or proof, read-only.",
        discussion: "Exit codes: 0 verified, 1 violation found, 64 usage error, 74 I/O error.",
        subcommands: [Verify.self, VerifyExport.self, Prove.self, VerifyProof.self, Report.self])

    /// Installs ``FaultGuard`` (a damaged store exits 74 instead of crashing) and the check that
    /// standard output was written (else exit 74), then runs the command.
    static func main() {
        FaultGuard.install()
        StandardOutput.exitWithIOErrorOnFailedWrites()
        main(nil)
    }
}

/// Opens a store read-only (`MDB_RDONLY`), with no automatic checkpoints.
/// - Throws: `EventLogError` `.notAStore` or `.storage` (exit 74).
func openStoreReadOnly(_ path: String) throws -> LMDBEventLog {
    try LMDBEventLog.open(
        at: path, options: .init(readOnly: true, checkpointEveryEvents: nil, checkpointInterval: nil))
}
