"""Field encryption and decryption operations per second (AES-256-GCM with the
row-binding associated data), on a typical 200-byte value.

    .venv/bin/python -m bench.fields
"""

from __future__ import annotations

import os
import time

from bench._common import machine
from corridor.crypto import aead


def main() -> None:
    key = os.urandom(32)
    value = ("Иван Петров, +79281234567, заметки " * 5)[:200].encode()
    ad = aead.field_ad("cases.Person", "notes", "4b8f3f0e-7f1a-4c43-9f53-0f3c2a7e9a11",
                       "b0a3a8e2-7c5b-4b70-8c26-2d6bb9e7a0c1", 1)
    n = 200_000
    start = time.perf_counter()
    blobs = [aead.encrypt(key, value, ad, 1) for _ in range(n)]
    enc = time.perf_counter() - start
    start = time.perf_counter()
    for blob in blobs:
        aead.decrypt(key, blob, ad, 1)
    dec = time.perf_counter() - start
    print(f"machine: {machine()}")
    print(f"encrypt: {n / enc:,.0f} ops/s ({enc / n * 1e6:.1f} µs each)")
    print(f"decrypt: {n / dec:,.0f} ops/s ({dec / n * 1e6:.1f} µs each)")


if __name__ == "__main__":
    main()
