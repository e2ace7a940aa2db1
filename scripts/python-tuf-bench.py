#!/usr/bin/env python3
"""Data and the python-tuf side for scripts/compare-python-tuf.sh.

  python-tuf-bench.py gen-repo  DIR N   TUF repository with N targets
  python-tuf-bench.py gen-chain DIR N   root chain 1.root.json .. N.root.json
                                        (one key, kept by every version)
  python-tuf-bench.py gen-rotation DIR N  root chain of N versions, three
                                        root keys (threshold 2), one of
                                        them replaced in each version
  python-tuf-bench.py verify    DIR     python-tuf 7's client checks (the
                                        TrustedMetadataSet the ngclient
                                        Updater runs) over what DIR holds
  python-tuf-bench.py verify-updater DIR
                                        the ngclient Updater itself (its
                                        public API) over DIR, through a
                                        fetcher that reads DIR, with a fresh
                                        cache folder it writes each file to

Everything is written by python-tuf itself (Metadata.to_file, the default
pretty JSON serializer), signed with fresh Ed25519 keys.
"""

import os
import sys
from datetime import datetime, timedelta, timezone

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


def _root(version, signer):
    root = Root(version=version, expires=EXPIRES, consistent_snapshot=False)
    for role in ("root", "targets", "snapshot", "timestamp"):
        root.add_key(signer.public_key, role)
    return root


def _write(signed, signer, path):
    md = Metadata(signed)
    md.sign(signer)
    md.to_file(path)
    return path


def gen_repo(d, n):
    os.makedirs(d, exist_ok=True)
    signer = CryptoSigner.generate_ed25519()
    _write(_root(1, signer), signer, os.path.join(d, "1.root.json"))
    targets = Targets(version=1, expires=EXPIRES)
    for i in range(n):
        path = f"pkg/{i:07d}.tar.gz"
        digest = f"{i:064x}"
        targets.targets[path] = TargetFile(1000 + i, {"sha256": digest}, path)
    tpath = _write(targets, signer, os.path.join(d, "targets.json"))
    snap = Snapshot(version=1, expires=EXPIRES)
    snap.meta["targets.json"] = MetaFile(version=1)
    spath = _write(snap, signer, os.path.join(d, "snapshot.json"))
    ts = Timestamp(version=1, expires=EXPIRES)
    ts.snapshot_meta = MetaFile(version=1)
    _write(ts, signer, os.path.join(d, "timestamp.json"))
    return tpath, spath


def gen_chain(d, n):
    """Each version is signed by one root key, which every version keeps:
    a client checks each signature against the old and the new root."""
    os.makedirs(d, exist_ok=True)
    signer = CryptoSigner.generate_ed25519()
    for v in range(1, n + 1):
        _write(_root(v, signer), signer, os.path.join(d, f"{v}.root.json"))


def gen_rotation(d, n):
    """The shape of a root history kept by a ceremony: three root keys,
    threshold 2, and keys of their own for targets, snapshot and
    timestamp. Each version replaces the oldest root key with a new one
    and is signed by the two keys it keeps (the previous root's threshold)
    and by the new key (its own threshold of 2 then holds twice over)."""
    os.makedirs(d, exist_ok=True)
    others = {r: CryptoSigner.generate_ed25519() for r in ("targets", "snapshot", "timestamp")}
    keys = [CryptoSigner.generate_ed25519() for _ in range(3)]
    for v in range(1, n + 1):
        if v > 1:
            keys = keys[1:] + [CryptoSigner.generate_ed25519()]
        root = Root(version=v, expires=EXPIRES, consistent_snapshot=False)
        for k in keys:
            root.add_key(k.public_key, "root")
        root.roles["root"].threshold = 2
        for role, signer in others.items():
            root.add_key(signer.public_key, role)
        md = Metadata(root)
        for k in keys:
            md.sign(k, append=True)
        md.to_file(os.path.join(d, f"{v}.root.json"))


def verify(d):
    # The ngclient Updater's own verification core, fed from local files.
    from tuf.ngclient.config import EnvelopeType
    from tuf.ngclient._internal.trusted_metadata_set import TrustedMetadataSet

    def read(name):
        with open(os.path.join(d, name), "rb") as f:
            return f.read()

    tset = TrustedMetadataSet(read("1.root.json"), EnvelopeType.METADATA)
    v = 2
    while os.path.exists(os.path.join(d, f"{v}.root.json")):
        tset.update_root(read(f"{v}.root.json"))
        v += 1
    if os.path.exists(os.path.join(d, "timestamp.json")):
        tset.update_timestamp(read("timestamp.json"))
        tset.update_snapshot(read("snapshot.json"))
        tset.update_targets(read("targets.json"))
        print(f"python-tuf: trusted, {len(tset.targets.targets)} targets")
    else:
        print(f"python-tuf: trusted root version {tset.root.version}")


def verify_updater(d):
    # The public client: Updater.refresh() as an application calls it,
    # with files "downloaded" from DIR and persisted to a new cache.
    import tempfile

    from tuf.api import exceptions
    from tuf.ngclient import Updater, UpdaterConfig
    from tuf.ngclient.fetcher import FetcherInterface

    class Local(FetcherInterface):
        def _fetch(self, url):
            path = os.path.join(d, url.rsplit("/", 1)[-1])
            try:
                with open(path, "rb") as f:
                    return iter([f.read()])
            except FileNotFoundError:
                raise exceptions.DownloadHTTPError("not found", 404) from None

    with open(os.path.join(d, "1.root.json"), "rb") as f:
        boot = f.read()
    # Limits raised to fit the data (a 12 MB targets.json, 1,000 roots).
    config = UpdaterConfig(max_root_rotations=1_000_000, targets_max_length=1 << 30)
    with tempfile.TemporaryDirectory() as cache:
        updater = Updater(cache, "file:///repo/", fetcher=Local(), config=config, bootstrap=boot)
        try:
            updater.refresh()
        except exceptions.DownloadHTTPError:
            # A chain without a timestamp: the root walk is done, then the
            # timestamp is not found. Anything else is a failure.
            if os.path.exists(os.path.join(d, "timestamp.json")):
                raise
        trusted = {md.type: md for md in updater._trusted_set}
        if Targets.type in trusted:
            print(f"python-tuf Updater: trusted, {len(trusted[Targets.type].targets)} targets")
        else:
            print(f"python-tuf Updater: trusted root version {trusted[Root.type].version}")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "gen-repo" and len(sys.argv) == 4:
        gen_repo(sys.argv[2], int(sys.argv[3]))
    elif cmd == "gen-chain" and len(sys.argv) == 4:
        gen_chain(sys.argv[2], int(sys.argv[3]))
    elif cmd == "gen-rotation" and len(sys.argv) == 4:
        gen_rotation(sys.argv[2], int(sys.argv[3]))
    elif cmd == "verify" and len(sys.argv) == 3:
        verify(sys.argv[2])
    elif cmd == "verify-updater" and len(sys.argv) == 3:
        verify_updater(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
