#!/usr/bin/env python3
"""Test data for tests/rsa_rotation.rs, made fresh by python-tuf 7.0.1.

  make.py tuf DIR KEYS   a TUF repository in DIR (1.root.json, targets.json,
                         snapshot.json, timestamp.json) whose every role is
                         an RSA key from securesystemslib's
                         CryptoSigner.generate_rsa() (rsassa-pss-sha256); the
                         root's private key goes to KEYS/root.pem and an RSA
                         key the root does not name to KEYS/other.pem (both
                         unencrypted PKCS#8 PEM, for openssl to sign with)
"""

import os
import sys
from datetime import datetime, timezone

from securesystemslib.signer import CryptoSigner
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


def tuf(d, keys):
    os.makedirs(d, exist_ok=True)
    os.makedirs(keys, exist_ok=True)
    signers = {r: CryptoSigner.generate_rsa() for r in ("root", "targets", "snapshot", "timestamp")}
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
    with open(os.path.join(keys, "root.pem"), "wb") as f:
        f.write(signers["root"].private_bytes)
    with open(os.path.join(keys, "other.pem"), "wb") as f:
        f.write(CryptoSigner.generate_rsa().private_bytes)
    print(signers["root"].public_key.keyid)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "tuf":
        tuf(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
