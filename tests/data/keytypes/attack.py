#!/usr/bin/env python3
"""Raw RSA for tests/keytypes_attack.rs: signatures over crafted encodings.

  attack.py raw KEY.pem EMHEX   prints EM^d mod n (hex, as long as the
                                modulus): a "signature" whose encoded
                                message is exactly EMHEX, so the test can
                                craft paddings no signer would make
"""

import sys

from cryptography.hazmat.primitives import serialization


def raw(key_path, em_hex):
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    priv = key.private_numbers()
    n = priv.public_numbers.n
    k = (n.bit_length() + 7) // 8
    m = int(em_hex, 16)
    if m >= n:
        raise SystemExit("encoded message is not below the modulus")
    print(pow(m, priv.d, n).to_bytes(k, "big").hex())


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "raw":
        raw(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
