#!/usr/bin/env python3
"""Writes the repositories tests/verify_rules.rs judges, signed with
python-tuf 7.0.1 / securesystemslib keys. Each folder OUT/<case>/ holds
N.root.json files (and root.json where the case is about it).

  verify_rules.py OUT
"""

import copy
import hashlib
import json
import os
import sys

from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Root

EXPIRES = "2099-01-01T00:00:00Z"


def keyid(obj):
    return hashlib.sha256(encode_canonical(obj).encode()).hexdigest()


def root_body(version, key_obj, kid, expires=EXPIRES):
    roles = {r: {"keyids": [kid], "threshold": 1} for r in ("root", "targets", "snapshot", "timestamp")}
    return {
        "_type": "root",
        "consistent_snapshot": False,
        "expires": expires,
        "keys": {kid: key_obj},
        "roles": roles,
        "spec_version": "1.0.31",
        "version": version,
    }


def sign(body, *signers_ids):
    data = encode_canonical(body).encode()
    sigs = [{"keyid": kid, "sig": s.sign(data).signature} for s, kid in signers_ids]
    return {"signatures": sigs, "signed": body}


def write(path, doc, indent=1):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=indent, sort_keys=True)


def main(out):
    signer = CryptoSigner.generate_ed25519()
    other = CryptoSigner.generate_ed25519()
    key = signer.public_key.to_dict()
    kid = signer.public_key.keyid
    okey = other.public_key.to_dict()
    okid = other.public_key.keyid
    one = sign(root_body(1, key, kid), (signer, kid))
    two = sign(root_body(2, key, kid), (signer, kid))

    def chain(case, root_json, indent=1):
        write(f"{out}/{case}/1.root.json", one)
        write(f"{out}/{case}/2.root.json", two)
        if root_json is not None:
            write(f"{out}/{case}/root.json", root_json, indent)

    chain("same-bytes", two)
    chain("reformatted", two, indent=4)
    extra = copy.deepcopy(two)
    extra["signatures"].append({"keyid": okid, "sig": other.sign(encode_canonical(two["signed"]).encode()).signature})
    chain("extra-uncounted-signature", extra)
    unsigned = copy.deepcopy(two)
    unsigned["signatures"] = []
    chain("same-body-unsigned", unsigned)
    forged = copy.deepcopy(two)
    forged["signatures"] = [{"keyid": kid, "sig": "00" * 64}]
    chain("same-body-bad-signature", forged)
    other_body = root_body(2, key, kid, expires="2098-01-01T00:00:00Z")
    chain("other-body", sign(other_body, (signer, kid)))

    # Expiry with fractional seconds, and with an offset (go-tuf v2, tough).
    for case, exp in (("fractional-expiry", "2099-01-01T00:00:00.5Z"), ("offset-expiry", "2099-01-01T02:00:00+02:00")):
        write(f"{out}/{case}/1.root.json", sign(root_body(1, key, kid, expires=exp), (signer, kid)))

    # A key ID python-tuf 0.x would compute: the key with its
    # keyid_hash_algorithms, which the object as written does not carry.
    legacy = dict(key, keyid_hash_algorithms=["sha256", "sha512"])
    lkid = keyid(legacy)
    write(f"{out}/legacy-keyid/1.root.json", sign(root_body(1, key, lkid), (signer, lkid)))
    # A key ID that matches nothing: refused even with --legacy-keyids.
    bad = "ab" * 32
    write(f"{out}/wrong-keyid/1.root.json", sign(root_body(1, key, bad), (signer, bad)))


def repo(out, case, snapshot_lists_targets=True, stray=None):
    """A whole repository written by python-tuf: root, targets, snapshot,
    timestamp (one Ed25519 key for every role)."""
    from datetime import datetime, timezone

    from tuf.api.metadata import MetaFile, Snapshot, Targets, Timestamp

    exp = datetime(2099, 1, 1, tzinfo=timezone.utc)
    d = f"{out}/{case}"
    os.makedirs(d, exist_ok=True)
    signer = CryptoSigner.generate_ed25519()
    root = Root(version=1, expires=exp)
    for role in ("root", "targets", "snapshot", "timestamp"):
        root.add_key(signer.public_key, role)

    def put(signed, name):
        md = Metadata(signed)
        md.sign(signer)
        md.to_file(f"{d}/{name}")
        return open(f"{d}/{name}", "rb").read()

    put(root, "1.root.json")
    put(Targets(version=1, expires=exp), "targets.json")
    snap = Snapshot(version=1, expires=exp)
    if not snapshot_lists_targets:
        snap.meta = {}
    sbytes = put(snap, "snapshot.json")
    ts = Timestamp(version=1, expires=exp)
    ts.snapshot_meta = MetaFile(version=1, length=len(sbytes), hashes={"sha256": hashlib.sha256(sbytes).hexdigest()})
    put(ts, "timestamp.json")
    if stray is not None:
        with open(f"{d}/stray.json", "w") as f:
            f.write(stray)


def repos(out):
    repo(out, "repo-whole")
    repo(out, "snapshot-without-targets", snapshot_lists_targets=False)
    repo(out, "repo-with-stray-file", stray="{ not json")


if __name__ == "__main__":
    main(sys.argv[1])
    repos(sys.argv[1])
