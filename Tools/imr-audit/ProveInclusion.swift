import ArgumentParser
import EventLog
import MerkleLog

/// `imr-audit prove inclusion STORE`: proves that an event is in the log at a tree size.
struct ProveInclusion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inclusion",
        abstract: "Prove that one event is in the log (RFC 9162 inclusion proof, JSON).",
        discussion: """
            Prints {"position","treeSize","leafHash","rootHash","proof","event"}: the proof is read from \
            stored nodes and checked before it is printed. "event" is the stored event's exact text.
            """)

    @Argument(help: "The store directory.")
    var store: String

    @Option(help: "The event's log position.")
    var position: UInt64?

    @Option(help: ArgumentHelp("The event's CloudEvents id.", valueName: "id"))
    var event: String?

    @Option(help: "The event's CloudEvents source (needed when the id is used by several sources).")
    var source: String?

    @Option(help: "The tree size to prove inclusion in (default: the log's current size).")
    var size: UInt64?

    func validate() throws {
        guard (position == nil) != (event == nil) else { throw ValidationError("give exactly one of --position and --event") }
        if source != nil, event == nil { throw ValidationError("--source goes with --event") }
    }

    func run() throws {
        try AuditExit.run {
            let log = try openStoreReadOnly(store)
            let treeSize = try size ?? log.currentHead().treeSize
            let index = try position ?? findEvent(in: log)
            guard index < treeSize else {
                throw AuditError.usage("position \(index) is not below the tree size \(treeSize)")
            }
            guard let stored = try log.readRaw(from: index, limit: 1).first, stored.position == index else {
                throw AuditError.violation("the event at position \(index) is missing from the store")
            }
            let text = String(decoding: stored.bytes, as: UTF8.self)
            guard Array(text.utf8) == stored.bytes else {
                throw AuditError.violation("the event at position \(index) is not UTF-8 text")
            }
            let leaf = RFC6962.leafHash(stored.bytes)
            let proof = try log.inclusionProof(position: index, treeSize: treeSize)
            let root = try log.rootHash(treeSize: treeSize)
            do {
                try Proofs.verifyInclusion(leafHash: leaf, index: index, size: treeSize, proof: proof, root: root)
            } catch {
                throw AuditError.violation("the stored tree does not prove position \(index) at size \(treeSize): \(error)")
            }
            let document = InclusionProofDocument(
                position: index, treeSize: treeSize, leafHash: leaf.hex, rootHash: root.hex, proof: proof.map(\.hex),
                event: text)
            print(try ProofJSON.render(document))
        }
    }

    /// The position of `--event` (and `--source`): from the id index, or by scanning the log when
    /// no source is given.
    private func findEvent(in log: LMDBEventLog) throws -> UInt64 {
        guard let event else { throw AuditError.usage("give --position or --event") }
        if let source {
            guard let found = try log.position(ofEventID: event, source: source) else {
                throw AuditError.usage("no event with id \(event) and source \(source)")
            }
            return found
        }
        var matches: [(UInt64, String)] = []
        var next: UInt64 = 0
        while true {
            let batch = try log.readEvents(from: next, limit: 4096)
            for stored in batch where stored.id == event { matches.append((stored.position, stored.source)) }
            guard let last = batch.last else { break }
            next = last.position + 1
        }
        guard let first = matches.first else { throw AuditError.usage("no event with id \(event)") }
        guard matches.count == 1 else {
            let sources = matches.map(\.1).joined(separator: ", ")
            throw AuditError.usage("id \(event) is used by several sources (\(sources)); give --source")
        }
        return first.0
    }
}
