import ArgumentParser
import MerkleLog

/// `imr-audit verify-export LOG.ndjson`: verifies an export with no store.
struct VerifyExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify an NDJSON export (imr export) against checkpoints you hold, with no store.",
        discussion: """
            Each line is one stored event's exact bytes. Checks the chain and canonical form of every \
            line, recomputes the RFC 9162 root, and checks that each checkpoint is signed by --key, \
            lies within the export and carries the root recomputed at its size.
            """)

    @Argument(help: "The export file: one stored event per line.")
    var export: String

    @OptionGroup var keys: KeyOptions

    func validate() throws {
        guard !keys.checkpointFiles.isEmpty else { throw ValidationError("give at least one --checkpoint file") }
        guard keys.key != nil else { throw ValidationError("give --key: the verifier key you hold") }
    }

    func run() throws {
        try AuditExit.run {
            guard let verifier = keys.givenVerifier(), let key = keys.key else {
                throw AuditError.usage("give --key: the verifier key you hold")
            }
            let result = try ExportAuditor(
                path: export, verifier: verifier, verifierKey: key, held: try keys.heldCheckpoints()
            ).run()
            result.printLines()
            if !result.isVerified { throw AuditExit.violation }
        }
    }
}
