import ArgumentParser

/// `imr-audit prove`: makes inclusion and consistency proofs from a store's stored Merkle nodes.
struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make an inclusion or consistency proof (JSON) from a store.",
        subcommands: [ProveInclusion.self, ProveConsistency.self])
}
