import Crypto
import EventLog
import Foundation
import LMDBKit
import MerkleLog
import ProgramSimulator

extension ImrBench {
    /// Item 6: full verification (chain and Merkle, as imr-audit verify does it) against a raw
    /// cursor that SHA-256-hashes every stored event once.
    func verifyFigure(store: String, raw: String, report: (Figure) -> Void) throws {
        let log = try LMDBEventLog.open(at: store, options: .init(readOnly: true))
        let rawEnv = try RawLMDB(path: raw)
        var ours: [Double] = []
        var base: [Double] = []
        var total = 0
        var count = 0
        for _ in 0..<runs {
            var t0 = now()
            var acc: UInt8 = 0
            total = try rawEnv.scan { v in
                acc ^= SHA256.hash(data: v).withUnsafeBytes { $0[0] }
            }
            base.append(now() - t0)
            t0 = now()
            let verifier = try log.verifyChain(strict: false)
            ours.append(now() - t0)
            if let first = verifier.violations.first {
                throw ValidationFailure("item 6: the benchmark store does not verify (\(verifier.violations.count) violations; first: \(first))")
            }
            count = Int(verifier.count)
            if acc == 42 { print("") }
        }
        report(Figure(
            name: "6 verify chain + Merkle", events: count, seconds: median(ours), bytes: total,
            baselineSeconds: median(base), baselineBytes: total, baselineName: "raw cursor + SHA-256 each"))

        // The auditor's tool itself, as a process, when it was built beside this one
        // (`swift build -c release`): the same pass plus every stored checkpoint.
        let audit = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("imr-audit")
        guard FileManager.default.isExecutableFile(atPath: audit.path) else { return }
        var tool: [Double] = []
        // The tool's standard error goes to a file, read only when it fails: a stale imr-audit
        // beside this binary (a scratch build of another commit) must say why it stopped.
        let errors = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("imr-bench-audit-\(getpid()).err")
        defer { try? FileManager.default.removeItem(at: errors) }
        for _ in 0..<runs {
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            let p = Process()
            p.executableURL = audit
            p.arguments = ["verify", store, "--key", log.verifierKey]
            p.standardOutput = FileHandle.nullDevice
            let errorFile = try FileHandle(forWritingTo: errors)
            p.standardError = errorFile
            let t0 = now()
            try p.run()
            p.waitUntilExit()
            tool.append(now() - t0)
            try errorFile.close()
            if p.terminationReason != .exit || p.terminationStatus != 0 {
                let said = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                let how = p.terminationReason == .exit ? "exited with status \(p.terminationStatus)" : "was killed by signal \(p.terminationStatus)"
                throw ValidationFailure(
                    "item 6b: \(audit.path) verify \(how) on the benchmark store; its standard error:\n"
                        + (said.isEmpty ? "(empty)" : String(said.suffix(4000))))
            }
        }
        report(Figure(
            name: "6b imr-audit verify (process)", events: count, seconds: median(tool), bytes: total,
            baselineSeconds: median(base), baselineBytes: total, baselineName: "raw cursor + SHA-256 each"))
    }

    /// Item 7: inclusion and consistency proofs, generated from stored nodes and verified, at
    /// the workload's size and at `proofSize` (a Merkle tree of synthetic leaves stored in the
    /// same `merkle` layout). Each figure is proofs/s beside raw `mdb_get` of the same nodes.
    func proofFigures(store: String, base: String, report: (Figure) -> Void) throws {
        let log = try LMDBEventLog.open(at: store, options: .init(readOnly: true))
        let size = try log.currentHead().treeSize
        try measureProofs(label: "\(size)", size: size, reader: StoredNodeReader(log: log), rawGet: { node in
            _ = try log.merkleNode(node)
        }, report: report)

        // A large tree: synthetic leaves, nodes stored with MDB_APPEND under post-order keys.
        let path = base + "/merkle-\(proofSize)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let env = try Environment(path: path, configuration: .init(mapSize: 1 << 34, maxDatabases: 2))
        let db = try env.openDatabase("merkle", create: true)
        var range = CompactRange()
        var next: UInt64 = 0
        let target = UInt64(proofSize)
        while next < target {
            let end = min(target, next + 200_000)
            try env.write { txn in
                for i in next..<end {
                    var be = i.bigEndian
                    let leaf = withUnsafeBytes(of: &be) { RFC6962.leafHash($0) }
                    try range.append(leaf) { node, hash in
                        try hash.withUnsafeBytes { h in try txn.put(db, key: node.postOrderKey, value: h, flags: .append) }
                    }
                }
            }
            next = end
        }
        let reader = RawNodes(env: env, db: db)
        try measureProofs(label: "\(proofSize)", size: target, reader: reader, rawGet: { node in _ = try reader.hash(of: node) }, report: report)
        try? FileManager.default.removeItem(atPath: path)
    }

    private func measureProofs(
        label: String, size: UInt64, reader: some NodeReader, rawGet: (NodeID) throws -> Void, report: (Figure) -> Void
    ) throws {
        var rng = SplitMix64(seed: 7)
        let n = 2000
        let root = try Proofs.rootHash(size: size, reader: reader)
        var nodesRead = 0
        // Inclusion: generate + verify.
        let indices = (0..<n).map { _ in rng.next() % size }
        var t0 = now()
        for i in indices {
            let proof = try Proofs.inclusion(index: i, size: size, reader: reader)
            let leaf = try reader.hash(of: NodeID(level: 0, index: i))
            try Proofs.verifyInclusion(leafHash: leaf, index: i, size: size, proof: proof, root: root)
            nodesRead += proof.count + 1
        }
        let inclusion = now() - t0
        // Baseline: raw reads of as many stored nodes as the proofs used.
        t0 = now()
        var k = 0
        for i in indices {
            let depth = 64 - (size - 1).leadingZeroBitCount
            for level in 0..<max(1, depth) where k < nodesRead {
                try rawGet(NodeID(level: 0, index: (i >> level) << level))
                k += 1
            }
        }
        let raw = now() - t0
        report(Figure(
            name: "7a inclusion proof @\(label)", events: n, seconds: inclusion, bytes: nodesRead * 32,
            baselineSeconds: raw, baselineBytes: nodesRead * 32, baselineName: "raw get of as many nodes"))
        // Consistency: generate + verify between random sizes.
        let pairs = (0..<n).map { _ -> (UInt64, UInt64) in
            let a = 1 + rng.next() % size
            let b = a + rng.next() % (size - a + 1)
            return (a, b)
        }
        var roots: [UInt64: Hash] = [:]
        for (a, b) in pairs.prefix(200) {
            roots[a] = try Proofs.rootHash(size: a, reader: reader)
            roots[b] = try Proofs.rootHash(size: b, reader: reader)
        }
        var consistencyNodes = 0
        t0 = now()
        for (a, b) in pairs.prefix(200) {
            let proof = try Proofs.consistency(from: a, to: b, reader: reader)
            try Proofs.verifyConsistency(oldSize: a, newSize: b, oldRoot: roots[a]!, newRoot: roots[b]!, proof: proof)
            consistencyNodes += proof.count
        }
        let consistency = now() - t0
        report(Figure(
            name: "7b consistency proof @\(label)", events: 200, seconds: consistency, bytes: consistencyNodes * 32,
            baselineSeconds: raw / Double(n) * 200, baselineBytes: consistencyNodes * 32, baselineName: "raw get of as many nodes"))
        if !json {
            print(String(format: "   (per proof, generate + verify: inclusion %.1f µs, consistency %.1f µs)", inclusion / Double(n) * 1e6, consistency / 200 * 1e6))
        }
    }
}

struct RawNodes: NodeReader {
    let env: Environment
    let db: Database
    func hash(of node: NodeID) throws -> Hash {
        try env.read { txn in
            guard let v = try txn.get(db, key: node.postOrderKey), let h = Hash(bytes: v) else {
                throw LMDBError(code: .MDB_NOTFOUND, operation: "mdb_get")
            }
            return h
        }
    }
}
