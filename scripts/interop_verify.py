#!/usr/bin/env python3
"""An independent verifier for IMR Ledger exports, checkpoints and inclusion proofs.

Written from RFC 9162 section 2.1 and the C2SP signed-note and tlog-checkpoint specifications
only (hashlib, base64, json; the `cryptography` package for Ed25519). It shares no code with the
Swift implementation, so agreement between the two is evidence that the formats are standard.

usage: interop_verify.py LOG.ndjson CHECKPOINT VERIFIER_KEY PROOF.json
exits 0 when everything verifies, 1 otherwise (with the reason on stderr).
"""
import base64, hashlib, json, struct, sys


def fail(msg):
    print("interop: " + msg, file=sys.stderr)
    sys.exit(1)


def leaf_hash(b):
    return hashlib.sha256(b"\x00" + b).digest()


def node_hash(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def mth(leaves):  # RFC 9162 2.1.1
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index, size, leaf, proof, root):  # RFC 9162 2.1.3.2
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def main():
    log_path, cp_path, key_text, proof_path = sys.argv[1:5]
    lines = open(log_path, "rb").read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    leaves = []
    prev = "0" * 64
    for i, line in enumerate(lines):
        event = json.loads(line)
        if event["position"] != i:
            fail(f"position {i}: attribute says {event['position']}")
        if event["predecessorhash"] != prev:
            fail(f"position {i}: chain break")
        h = leaf_hash(line)
        prev = h.hex()
        leaves.append(h)

    # Verifier key: name+hash+base64(0x01 || pubkey); key hash = SHA-256(name || 0x0A || 0x01 || pubkey)[:4]
    name, khash, kdata = key_text.strip().split("+", 2)
    raw = base64.b64decode(kdata)
    if raw[0] != 1 or len(raw) != 33:
        fail("not an Ed25519 verifier key")
    pub = raw[1:]
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() != khash:
        fail("verifier key hash does not match")

    note = open(cp_path, "rb").read().decode()
    body, _, sigs = note.rpartition("\n\n")
    body += "\n"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    verified = False
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            continue
        sig_name, sig_b64 = line[2:].split(" ")
        sig = base64.b64decode(sig_b64)
        if sig_name == name and sig[:4].hex() == khash:
            Ed25519PublicKey.from_public_bytes(pub).verify(sig[4:], body.encode())
            verified = True
    if not verified:
        fail("no signature by the verifier key")
    origin, size, root_b64 = body.split("\n")[:3]
    size = int(size)
    if size > len(leaves):
        fail("checkpoint is beyond the export")
    root = base64.b64decode(root_b64)
    if mth(leaves[:size]) != root:
        fail("checkpoint root differs from the export's root at its size")

    proof = json.load(open(proof_path))
    p_index, p_size = proof["position"], proof["treeSize"]
    p_root = bytes.fromhex(proof["rootHash"])
    if p_root != mth(leaves[:p_size]):
        fail("proof root differs from the export's root")
    if bytes.fromhex(proof["leafHash"]) != leaves[p_index]:
        fail("proof leaf differs from the export")
    if not verify_inclusion(p_index, p_size, leaves[p_index], [bytes.fromhex(x) for x in proof["proof"]], p_root):
        fail("inclusion proof does not verify")
    print(f"interop: verified {len(leaves)} events, checkpoint of size {size}, inclusion of {p_index} in {p_size}")


main()
