import Crypto
import MerkleLog
import Testing

@Suite struct RFC6962Tests {
    @Test("The empty tree's root is SHA-256 of the empty string")
    func emptyRoot() {
        // printf '' | sha256sum; python3 -c 'import hashlib; print(hashlib.sha256(b"").hexdigest())'
        #expect(RFC6962.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(CompactRange().rootHash() == RFC6962.emptyRoot)
    }

    @Test("The RFC constants keep the RFC's values")
    func prefixes() {
        #expect(RFC6962.leafHashPrefix == 0x00)
        #expect(RFC6962.nodeHashPrefix == 0x01)
    }

    @Test("Leaf hash known answers")
    func leafKnownAnswers() {
        // echo -n 00 | xxd -r -p | sha256sum; python3: hashlib.sha256(b"\x00").hexdigest()
        #expect(RFC6962.leafHash([UInt8]()).hex == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        // echo -n 004C313233343536 | xxd -r -p | sha256sum; python3: hashlib.sha256(b"\x00L123456").hexdigest()
        let want = "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
        #expect(RFC6962.leafHash(Array("L123456".utf8)).hex == want)
        // Every entry point gives the same answer: contiguous, raw buffer, non-contiguous collection.
        #expect(RFC6962.leafHash("L123456".utf8).hex == want)
        #expect(Array("L123456".utf8).withUnsafeBytes { RFC6962.leafHash($0) }.hex == want)
        #expect(RFC6962.leafHash(Array("L123456".utf8).lazy.map { $0 }).hex == want)
        #expect(RFC6962.leafHash(Array("xL123456".utf8).dropFirst()).hex == want)
    }

    @Test("Node hash known answer")
    func nodeKnownAnswer() throws {
        // The "hashes" are the raw bytes "N123" and "N456", as in transparency-dev/merkle's
        // rfc6962 test: printf '\x01N123N456' | sha256sum; python3: hashlib.sha256(b"\x01N123N456").hexdigest()
        var hasher = SHA256()
        hasher.update(data: [RFC6962.nodeHashPrefix] + Array("N123N456".utf8))
        #expect(Hash(hasher.finalize()).hex == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")
        // nodeHash itself, on 32-byte children, against SHA-256(0x01 ‖ l ‖ r) computed independently.
        let left = RFC6962.leafHash(Array("N123".utf8))
        let right = RFC6962.leafHash(Array("N456".utf8))
        var reference = SHA256()
        reference.update(data: [0x01] + left.bytes + right.bytes)
        #expect(RFC6962.nodeHash(left, right) == Hash(reference.finalize()))
    }

    @Test("Second preimage: a leaf holding l ‖ r does not hash like the node (l, r)")
    func secondPreimage() {
        let l = RFC6962.leafHash(Array("N123".utf8))
        let r = RFC6962.leafHash(Array("N456".utf8))
        let node = RFC6962.nodeHash(l, r)
        #expect(RFC6962.leafHash(l.bytes + r.bytes) != node)
        // Nor does a leaf that carries the node prefix itself.
        #expect(RFC6962.leafHash([RFC6962.nodeHashPrefix] + l.bytes + r.bytes) != node)
    }

    @Test("Roots of the RFC 6962 reference tree at sizes 1 to 8")
    func referenceRoots() {
        // Computed once with the python3 script at the top of ReferenceTree.swift, an independent Python transcription of RFC 9162
        // §2.1.1 (MTH with hashlib.sha256); the values equal transparency-dev/merkle's
        // testdata roots for the same leaves.
        let want = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        var store = MemoryNodes()
        for (i, leaf) in ReferenceTree.referenceLeaves.enumerated() {
            store.append(RFC6962.leafHash(leaf))
            #expect(store.range.rootHash().hex == want[i], "size \(i + 1)")
            #expect((try? Proofs.rootHash(size: UInt64(i + 1), reader: store))?.hex == want[i], "size \(i + 1)")
        }
    }
}

@Suite struct HashTests {
    @Test("Hex round trips, in either case, and prints lower-case")
    func hexRoundTrip() throws {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        let hash = try #require(Hash(hex: hex))
        #expect(hash == RFC6962.emptyRoot)
        #expect(Hash(hex: hex.uppercased()) == hash)
        #expect(hash.hex == hex)
        #expect(hash.description == hex)
        #expect(Hash(hash.bytes) == hash)
        #expect(hash.withUnsafeBytes { Array($0) } == hash.bytes)
    }

    @Test(
        "Malformed hex is refused",
        arguments: [
            "", "00", String(repeating: "0", count: 63), String(repeating: "0", count: 65),
            String(repeating: "g", count: 64), "0x" + String(repeating: "0", count: 62),
            " " + String(repeating: "0", count: 63), String(repeating: "é", count: 32),
        ])
    func badHex(hex: String) {
        #expect(Hash(hex: hex) == nil)
    }

    @Test("Only exactly 32 bytes make a hash")
    func byteCounts() {
        #expect(Hash(bytes: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(Hash(bytes: [UInt8](repeating: 1, count: 33)) == nil)
        #expect(Hash(bytes: (0..<32).lazy.map { UInt8($0) })?.bytes == (0..<32).map { UInt8($0) })
        #expect(Hash(bytes: (0..<33).lazy.map { UInt8($0) }) == nil)
        #expect(Hash(bytes: [UInt8](repeating: 0, count: 32)) == .zero)
        #expect(Hash.zero.hex == String(repeating: "0", count: 64))
    }

    @Test("Equal bytes hash and compare equal; one different byte does not")
    func equality() {
        var bytes = [UInt8](repeating: 7, count: 32)
        let a = Hash(bytes)
        #expect(Set([a, Hash(bytes)]).count == 1)
        for i in 0..<32 {
            bytes[i] ^= 1
            #expect(Hash(bytes) != a)
            bytes[i] ^= 1
        }
    }
}
