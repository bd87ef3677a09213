import EventLog
import EventLogTesting
import Foundation
import MerkleLog
import Testing

@Suite("Event log: proofs and checkpoints from stored nodes")
struct IntegrityTests {
  @Test("Inclusion and consistency proofs from the store verify against recomputed roots")
  func proofsVerify() async throws {
    let tmp = try TemporaryStore()
    defer { tmp.remove() }
    let log = try tmp.create()
    var roots: [UInt64: Hash] = [:]
    for i in 0..<37 {
      _ = try await log.append(
        [Fixtures.sessionNote(i)], to: Fixtures.consumerStream(i % 4), expecting: .any)
      roots[UInt64(i + 1)] = try log.currentHead().rootHash
    }
    let events = try await log.read(from: 0, limit: 100)
    for size in [1, 2, 5, 16, 17, 37] as [UInt64] {
      #expect(try log.rootHash(treeSize: size) == roots[size])
      for p in [0, size / 2, size - 1] {
        let proof = try log.inclusionProof(position: p, treeSize: size)
        try Proofs.verifyInclusion(
          leafHash: events[Int(p)].leafHash, index: p, size: size, proof: proof, root: roots[size]!)
        if size > 1 {
          #expect(throws: ProofError.self) {
            try Proofs.verifyInclusion(
              leafHash: events[Int((p + 1) % size)].leafHash, index: p, size: size, proof: proof,
              root: roots[size]!)
          }
        }
      }
      for old in [1, size / 3 + 1, size] as [UInt64] where old <= size {
        let proof = try log.consistencyProof(from: old, to: size)
        try Proofs.verifyConsistency(
          oldSize: old, newSize: size, oldRoot: roots[old]!, newRoot: roots[size]!, proof: proof)
      }
    }
    #expect(throws: EventLogError.self) { try log.inclusionProof(position: 3, treeSize: 38) }
    #expect(throws: EventLogError.self) { try log.inclusionProof(position: 5, treeSize: 5) }
  }

  @Test("Checkpoints are made every N events, signed by the store's key, over the right root")
  func automaticCheckpoints() async throws {
    let tmp = try TemporaryStore()
    defer { tmp.remove() }
    let log = try tmp.create(options: .init(checkpointEveryEvents: 10, checkpointInterval: nil))
    for i in 0..<35 {
      _ = try await log.append(
        [Fixtures.sessionNote(i)], to: Fixtures.consumerStream(1), expecting: .any)
    }
    let stored = try log.storedCheckpoints()
    #expect(stored.map(\.treeSize) == [10, 20, 30])
    let verifier = try NoteVerifier(verifierKey: log.verifierKey)
    for (size, note) in stored {
      let cp = try SignedCheckpoint.open(note, verifier: verifier, expectedOrigin: log.origin)
      #expect(cp.size == size)
      #expect(cp.rootHash == (try log.rootHash(treeSize: size)))
    }
    let other = try NoteSigner(name: log.origin, privateKey: .init())
    let forged = try SignedCheckpoint.sign(
      Checkpoint(origin: log.origin, size: 35, rootHash: .zero), with: other)
    #expect(throws: (any Error).self) { try SignedCheckpoint.open(forged, verifier: verifier) }
  }
}
