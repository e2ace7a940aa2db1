#!/usr/bin/env python3
"""Test data for tests/keytypes.rs, made fresh by the peers' own libraries.

  make.py tuf-rsa DIR           python-tuf 7.0.1 repository (root, targets,
                                snapshot, timestamp) whose every role is an
                                RSA key from securesystemslib's
                                CryptoSigner.generate_rsa() (rsassa-pss-sha256)
  make.py unknown DIR T BAD     1.root.json with root keys A, B (ed25519) and
                                C (keytype "sphincs", unknown to the tool),
                                root threshold T; A signs, B signs (its
                                signature corrupted when BAD is 1), C's
                                signature is 64 bytes of filler
  make.py sign-raw KEY.pem HASH MODE SALT MSGFILE
                                prints the hex signature of MSGFILE by the
                                private key KEY.pem: MODE pss (salt length
                                SALT), pkcs1 or ecdsa-raw (r||s, as notary
                                lays ECDSA out); HASH sha224..sha512
"""

import hashlib
import os
import sys
from datetime import datetime, timezone

from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner, Signature, SSlibKey
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)

EXPIRES = datetime(2099, 1, 1, tzinfo=timezone.utc)


def tuf_rsa(d):
    """A repository in D whose every role is a fresh RSA key; returns the
    signers by role (tests/data/rsa_rotation/make.py uses them too)."""
    return tuf_with(d, CryptoSigner.generate_rsa)


def tuf_with(d, generate):
    """A repository in D whose every role is a fresh key from GENERATE;
    returns the signers by role."""
    os.makedirs(d, exist_ok=True)
    signers = {r: generate() for r in ("root", "targets", "snapshot", "timestamp")}
    root = Root(version=1, expires=EXPIRES, consistent_snapshot=False)
    for role, s in signers.items():
        root.add_key(s.public_key, role)

    def write(signed, role, name):
        md = Metadata(signed)
        md.sign(signers[role])
        md.to_file(os.path.join(d, name))

    write(root, "root", "1.root.json")
    targets = Targets(version=1, expires=EXPIRES)
    targets.targets["a.txt"] = TargetFile(1, {"sha256": "00" * 32}, "a.txt")
    write(targets, "targets", "targets.json")
    snap = Snapshot(version=1, expires=EXPIRES)
    snap.meta["targets.json"] = MetaFile(version=1)
    write(snap, "snapshot", "snapshot.json")
    ts = Timestamp(version=1, expires=EXPIRES)
    ts.snapshot_meta = MetaFile(version=1)
    write(ts, "timestamp", "timestamp.json")
    return signers


def unknown(d, threshold, bad):
    os.makedirs(d, exist_ok=True)
    a = CryptoSigner.generate_ed25519()
    b = CryptoSigner.generate_ed25519()
    c_dict = {"keytype": "sphincs", "scheme": "sphincs-shake-256f", "keyval": {"public": "ab" * 32}}
    c_id = hashlib.sha256(encode_canonical(c_dict).encode()).hexdigest()
    c = SSlibKey(c_id, c_dict["keytype"], c_dict["scheme"], c_dict["keyval"])
    root = Root(version=1, expires=EXPIRES, consistent_snapshot=False)
    for k in (a.public_key, b.public_key, c):
        root.add_key(k, "root")
    root.roles["root"].threshold = threshold
    for role in ("targets", "snapshot", "timestamp"):
        root.add_key(a.public_key, role)
    md = Metadata(root)
    md.sign(a, append=True)
    md.sign(b, append=True)
    if bad:
        sig = md.signatures[b.public_key.keyid]
        flipped = ("0" if sig.signature[0] != "0" else "1") + sig.signature[1:]
        md.signatures[b.public_key.keyid] = Signature(sig.keyid, flipped)
    md.signatures[c_id] = Signature(c_id, "cd" * 64)
    md.to_file(os.path.join(d, "1.root.json"))


def sign_raw(key_path, hash_name, mode, salt, msg_path):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    h = {"sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}[hash_name]()
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    with open(msg_path, "rb") as f:
        msg = f.read()
    if mode == "pss":
        sig = key.sign(msg, padding.PSS(padding.MGF1(h), int(salt)), h)
    elif mode == "pkcs1":
        sig = key.sign(msg, padding.PKCS1v15(), h)
    elif mode == "ecdsa-raw":
        r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(h)))
        width = (key.curve.key_size + 7) // 8
        sig = r.to_bytes(width, "big") + s.to_bytes(width, "big")
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(sig.hex())


def main():
    cmd = sys.argv[1]
    if cmd == "tuf-rsa":
        tuf_rsa(sys.argv[2])
    elif cmd == "unknown":
        unknown(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1")
    elif cmd == "sign-raw":
        sign_raw(*sys.argv[2:7])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
