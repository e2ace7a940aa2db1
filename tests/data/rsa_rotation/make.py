#!/usr/bin/env python3
"""Test data for tests/rsa_rotation.rs, made fresh by python-tuf 7.0.1.

  make.py tuf DIR KEYS   a TUF repository in DIR (1.root.json, targets.json,
                         snapshot.json, timestamp.json) whose every role is
                         an RSA key from securesystemslib's
                         CryptoSigner.generate_rsa() (rsassa-pss-sha256); the
                         root's private key goes to KEYS/root.pem and an RSA
                         key the root does not name to KEYS/other.pem (both
                         unencrypted PKCS#8 PEM, for openssl to sign with)
  make.py tuf-ecdsa DIR KEYS
                         the same with ECDSA P-256 keys from
                         CryptoSigner.generate_ecdsa() (ecdsa-sha2-nistp256)
"""

import os
import sys
import importlib.util

from securesystemslib.signer import CryptoSigner

# The repository itself is the one tests/keytypes.rs verifies: written once,
# in tests/data/keytypes/make.py.
_spec = importlib.util.spec_from_file_location(
    "keytypes_make", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "keytypes", "make.py")
)
keytypes_make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(keytypes_make)


def tuf(d, keys, generate):
    os.makedirs(keys, exist_ok=True)
    signers = keytypes_make.tuf_with(d, generate)
    with open(os.path.join(keys, "root.pem"), "wb") as f:
        f.write(signers["root"].private_bytes)
    with open(os.path.join(keys, "other.pem"), "wb") as f:
        f.write(generate().private_bytes)
    print(signers["root"].public_key.keyid)


def main():
    kinds = {"tuf": CryptoSigner.generate_rsa, "tuf-ecdsa": CryptoSigner.generate_ecdsa}
    if len(sys.argv) == 4 and sys.argv[1] in kinds:
        tuf(sys.argv[2], sys.argv[3], kinds[sys.argv[1]])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
