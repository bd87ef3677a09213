import ArgumentParser
import EventLog

/// `imr-audit verify STORE`: verifies a whole store read-only.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a store: every event's hash and chain, the stored Merkle tree, every checkpoint.",
        discussion: """
            Re-hashes every event in one pass and checks gapless positions, each event's position \
            attribute, its predecessorhash and canonical bytes, every stored Merkle node and the root. \
            Every stored checkpoint and every --checkpoint file must be signed by the key, name a size \
            within the log and carry the root recomputed at that size; successive checkpoints must be \
            consistent. Prints one line per violation, then a summary.
            """)

    @Argument(help: "The store directory.")
    var store: String

    @OptionGroup var keys: KeyOptions

    @Flag(help: "Also decode every event and check that its bytes are RFC 8785 canonical, and recompute the stream and id indexes (links, ids, streams, heads) from the events (slower).")
    var strict = false

    func run() throws {
        try AuditExit.run {
            let result = try audit(store: store, keys: keys, strict: strict)
            result.printLines()
            if !result.isVerified { throw AuditExit.violation }
        }
    }
}

/// Opens `store` read-only and runs a ``StoreAuditor`` with the given keys and checkpoints.
func audit(store: String, keys: KeyOptions, strict: Bool = false) throws -> AuditResult {
    let held = try keys.heldCheckpoints()
    let log = try openStoreReadOnly(store)
    let (verifier, key, source) = keys.verifier(for: log)
    return try StoreAuditor(log: log, verifier: verifier, verifierKey: key, keySource: source, held: held, strict: strict).run()
}
