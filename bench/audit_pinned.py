"""keyd's signed-head check and a witness round trip.

    python -m bench.audit_pinned [--sizes 1000000 10000000] [--rounds 200]

1. keyd signing a checkpoint with a consistency proof from its pinned head, at
   large tree sizes: the RFC 9162 check alone, and the whole in-process `sign` op
   (parse, check, fsync'd state write, Ed25519 signature). The floor in the same
   run is one bare Ed25519 signature.
2. A `corridor-witness` add-checkpoint round trip over HTTP on loopback (proof
   check, fsync'd state, cosignature), against a bare HTTP POST to the same
   kind of server as the floor.

Only the nodes a proof needs are kept while the tree is streamed, so 10M leaves
fit in memory.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import statistics
import tempfile
import threading
import time
import urllib.request

from corridor_verify import merkle
from corridor_verify.checkpoint import Checkpoint, sign_checkpoint, verifier_key
from corridor_verify.witness import Witness, make_server
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench._common import machine
from corridor.keyd.agent import Agent
from corridor.keyd.keystore import create_keystore, load_keystore
from corridor.keyd.testing import FAST_KDF

ORIGIN = "bench.example/audit"


def build(old: int, new: int) -> tuple[bytes, bytes, list[bytes]]:
    wanted = set(merkle.nodes_needed_for_consistency(old, new))
    compact = merkle.CompactRange()
    nodes: dict[tuple[int, int], bytes] = {}
    old_root = b""
    for i in range(new):
        for level, index, h in compact.append(merkle.leaf_hash(i.to_bytes(8, "big"))):
            if (level, index) in wanted:
                nodes[(level, index)] = h
        if compact.size == old:
            old_root = compact.root()
    proof = merkle.consistency_proof(old, new, lambda lv, ix: nodes[(lv, ix)])
    return old_root, compact.root(), proof


def median_us(fn, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1e6


def bench_keyd(size: int, rounds: int) -> None:
    old = size - 1000  # the ticker signs about every minute: a few hundred to a few thousand new entries
    t = time.perf_counter()
    old_root, new_root, proof = build(old, size)
    built = time.perf_counter() - t
    check = median_us(lambda: merkle.verify_consistency(old, size, old_root, new_root, proof), rounds)
    work = tempfile.mkdtemp(prefix="bench-keyd-")
    ks_path = f"{work}/keystore.json"
    create_keystore(ks_path, mode="passphrase", passphrase="bench passphrase 123", log_origin=ORIGIN, kdf_params=FAST_KDF)
    agent = Agent(load_keystore(ks_path))
    agent.unseal_passphrase("bench passphrase 123")
    agent.handle({"op": "reset_head", "reason": "bench"})
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    first = agent.handle({"op": "sign", "principal": "bench", "message": b64(Checkpoint(ORIGIN, old, old_root).body().encode())})
    assert first["ok"], first
    request = {"op": "sign", "principal": "bench", "message": b64(Checkpoint(ORIGIN, size, new_root).body().encode()),
               "proof": [b64(p) for p in proof]}
    # After the first, each repeat is "the same head again"; re-pin the old head for every round
    # so each one runs the full consistency check.
    samples = []
    for _ in range(rounds):
        agent.heads._heads[ORIGIN] = agent.heads._heads[ORIGIN].__class__(old, old_root)
        t0 = time.perf_counter()
        answer = agent.handle(request)
        samples.append(time.perf_counter() - t0)
        assert answer["ok"], answer
    op = statistics.median(samples) * 1e6
    key = Ed25519PrivateKey.generate()
    floor = median_us(lambda: key.sign(b"x" * 120), rounds)
    agent.seal("done")
    print(f"keyd sign at {size:,} entries (old {old:,}, proof {len(proof)} hashes; tree streamed in {built:.1f} s):"
          f" check p50 {check:.0f} µs; whole sign op p50 {op / 1000:.2f} ms (incl. fsync); "
          f"Ed25519 sign floor {floor:.0f} µs; op/floor {op / floor:.1f}x")


def bench_witness(rounds: int) -> None:
    log_key = Ed25519PrivateKey.generate()
    public = log_key.public_key().public_bytes_raw()
    state = tempfile.mkdtemp(prefix="bench-witness-") + "/state.json"
    w = Witness(name="bench.example/witness", private_key=Ed25519PrivateKey.generate(), state_path=state,
                logs=[verifier_key(ORIGIN, public)])
    server = make_server(w, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/add-checkpoint"
    compact = merkle.CompactRange()
    nodes: dict[tuple[int, int], bytes] = {}
    notes = []

    def grow(n: int) -> None:
        for _ in range(n):
            for level, index, h in compact.append(merkle.leaf_hash(compact.size.to_bytes(8, "big"))):
                nodes[(level, index)] = h

    grow(1000)
    sizes = []
    for _ in range(rounds + 1):
        sizes.append(compact.size)
        cp = Checkpoint(ORIGIN, compact.size, compact.root())
        notes.append(sign_checkpoint(cp, ORIGIN, log_key.sign, public))
        grow(50)
    bodies = []
    for i, note in enumerate(notes):
        old = sizes[i - 1] if i else 0
        proof = merkle.consistency_proof(old, sizes[i], lambda lv, ix: nodes[(lv, ix)]) if old else []
        bodies.append(("".join([f"old {old}\n"] + [base64.b64encode(p).decode() + "\n" for p in proof]) + "\n" + note).encode())
    samples = []
    for body in bodies:
        t = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=10) as r:
            assert r.status == 200
            r.read()
        samples.append(time.perf_counter() - t)
    server.shutdown()

    class Echo(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    echo = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    eurl = f"http://127.0.0.1:{echo.server_address[1]}/"
    floor = []
    for body in bodies:
        t = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(eurl, data=body, method="POST"), timeout=10) as r:
            r.read()
        floor.append(time.perf_counter() - t)
    echo.shutdown()
    m, f = statistics.median(samples[1:]) * 1000, statistics.median(floor) * 1000
    print(f"witness add-checkpoint round trip on loopback ({rounds} checkpoints, 50 entries apart): p50 {m:.2f} ms, "
          f"p95 {sorted(samples)[int(len(samples) * 0.95)] * 1000:.2f} ms; bare HTTP POST floor {f:.2f} ms; "
          f"ratio {m / f:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    print(machine())
    for size in args.sizes:
        bench_keyd(size, args.rounds)
    bench_witness(args.rounds)


if __name__ == "__main__":
    main()
