#!/usr/bin/env python3
"""Look up targets as python-tuf 7.0.1's client does: tuf.ngclient.Updater,
whose preorder depth-first walk over delegations skips a role it has visited
and stops after max_delegations (32) roles. The repository is read from a
local folder (consistent snapshots: N.role.json), its 1.root.json trusted.

Prints `found NAME` or `missing NAME` per target; exit 0 unless the client
raised (it names why on stderr, exit 1).

Usage: tuf_lookup.py REPO_DIR TARGET...
"""

import os
import sys
import tempfile

from tuf.api.exceptions import DownloadHTTPError
from tuf.ngclient import FetcherInterface, Updater


class FolderFetcher(FetcherInterface):
    """Serves the last path component of a URL from a folder."""

    def __init__(self, folder):
        self.folder = folder

    def _fetch(self, url):
        name = url.rsplit("/", 1)[-1]
        path = os.path.join(self.folder, name)
        if not os.path.isfile(path):
            raise DownloadHTTPError(f"{name} not found", 404)
        with open(path, "rb") as f:
            return iter([f.read()])


def main():
    repo, targets = sys.argv[1], sys.argv[2:]
    with open(os.path.join(repo, "1.root.json"), "rb") as f:
        root = f.read()
    with tempfile.TemporaryDirectory() as meta:
        try:
            u = Updater(
                meta,
                "http://repo.invalid/metadata/",
                meta,
                "http://repo.invalid/targets/",
                fetcher=FolderFetcher(repo),
                bootstrap=root,
            )
            u.refresh()
            for t in targets:
                found = u.get_targetinfo(t) is not None
                print(("found " if found else "missing ") + t)
        except Exception as e:  # noqa: BLE001 - report any client refusal
            print(f"python-tuf refused: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
