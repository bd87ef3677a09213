import ArgumentParser

/// `imr-audit`: the auditor's read-only verifier (placeholder until its subcommands land).
@main
struct ImrAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imr-audit", abstract: "Verify an IMR Ledger store or export, read-only.")
}
