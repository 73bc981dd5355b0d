"""`corridor-witness`: a partner organisation's witness for Corridor audit logs.

No Django, no database: one state file (JSON, written atomically and fsync'd
before each answer) holding, per log origin, the last tree head this witness
cosigned. It speaks c2sp.org/tlog-witness:

    POST /add-checkpoint
    old <size>\\n <base64 proof line>* \\n <signed checkpoint note>

and answers with a c2sp.org/tlog-cosignature line, or
    404 unknown origin · 403 no valid signature by the log's key · 400 malformed or old > size
    409 old size is not what we cosigned last (body: our size, text/x.tlog.size)
    422 the proof does not show consistency (a fork or rewrite), or same size with another root.

Check and update happen under one lock, as the spec requires, so two requests
can never roll the stored head back.

    corridor-witness keygen --key witness.key --name witness.example.org/corridor
    corridor-witness serve --key witness.key --name NAME --state state.json \\
        --log "corridor.example.org/audit+1a2b3c4d+AQ..." --listen 127.0.0.1:8900
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import merkle
from .checkpoint import CheckpointError, _parse_checkpoint_text, open_note, parse_verifier_key
from .cosignature import cosign

MAX_BODY = 64 * 1024
MAX_PROOF_LINES = 63


class Refusal(Exception):
    def __init__(self, status: int, message: str, body: str | None = None,
                 content_type: str = "text/plain; charset=utf-8") -> None:
        super().__init__(message)
        self.status, self.body, self.content_type = status, body if body is not None else message + "\n", content_type


class Witness:
    """The witness's logic, independent of HTTP."""

    def __init__(self, *, name: str, private_key: Ed25519PrivateKey, state_path: str, logs: list[str]) -> None:
        self.name = name
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes_raw()
        self.state_path = state_path
        self.logs = {}
        for vkey in logs:
            origin, _, key = parse_verifier_key(vkey)
            self.logs[origin] = key
        self._lock = threading.Lock()
        self.state = self._load()

    def _load(self) -> dict[str, dict]:
        try:
            with open(self.state_path, encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError:
            return {}

    def _save(self) -> None:
        directory = os.path.dirname(os.path.abspath(self.state_path))
        fd, tmp = tempfile.mkstemp(prefix=".witness-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.state, fh, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.state_path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def add_checkpoint(self, body: bytes) -> str:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refusal(400, "request is not UTF-8") from None
        header, sep, note = text.partition("\n\n")
        lines = header.split("\n")
        if not sep or not lines[0].startswith("old "):
            raise Refusal(400, "request must start with an old size line and proof lines, then a blank line")
        old_text = lines[0][4:]
        if not old_text.isdigit() or (old_text != "0" and old_text.startswith("0")):
            raise Refusal(400, "old size is not a canonical decimal")
        old = int(old_text)
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise Refusal(400, "too many proof lines")
        try:
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except ValueError:
            raise Refusal(400, "a proof line is not base64") from None
        origin = note.split("\n", 1)[0]
        key = self.logs.get(origin)
        if key is None:
            raise Refusal(404, f"this witness does not follow {origin!r}")
        try:
            checkpoint_text = open_note(note, origin, key)
            cp = _parse_checkpoint_text(checkpoint_text)
        except CheckpointError as exc:
            raise Refusal(403, f"no valid signature by the log's key: {exc}") from None
        if old > cp.size:
            raise Refusal(400, "old size is larger than the checkpoint")
        if cp.size == 0 and cp.root != merkle.EMPTY_ROOT:
            raise Refusal(422, "an empty tree must have the empty root")
        with self._lock:
            known = self.state.get(origin, {"size": 0, "root": base64.b64encode(merkle.EMPTY_ROOT).decode()})
            known_size, known_root = known["size"], base64.b64decode(known["root"])
            if old != known_size:
                raise Refusal(409, f"this witness last cosigned {known_size}", f"{known_size}\n", "text/x.tlog.size")
            if old == 0:
                if proof:
                    raise Refusal(422, "no proof is needed, or allowed, from the empty tree")
            elif old == cp.size:
                if cp.root != known_root:
                    raise Refusal(422, f"another root at size {old}: the log forked or was rewritten")
            elif not merkle.verify_consistency(old, cp.size, known_root, cp.root, proof):
                raise Refusal(422, f"not consistent with the head cosigned at {old}: the log forked or was rewritten")
            self.state[origin] = {"size": cp.size, "root": base64.b64encode(cp.root).decode()}
            self._save()  # persisted before the cosignature leaves
        return cosign(checkpoint_text, self.name, self.public_key, self._key.sign)


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "corridor-witness"

        def log_message(self, *args) -> None:  # no client addresses in any log
            pass

        def do_POST(self) -> None:  # noqa: N802 -- http.server's naming
            if self.path.rstrip("/") != "/add-checkpoint":
                return self._send(404, "not found\n")
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                return self._send(411, "length required\n")
            if not 0 <= length <= MAX_BODY:
                return self._send(413, "request too large\n")
            try:
                line = witness.add_checkpoint(self.rfile.read(length))
            except Refusal as r:
                return self._send(r.status, r.body, r.content_type)
            return self._send(200, line)

        def _send(self, status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def load_key(path: str) -> Ed25519PrivateKey:
    with open(path, "rb") as fh:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(fh.read().strip(), validate=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="corridor-witness", description="Witness Corridor audit logs (C2SP tlog-witness).")
    sub = parser.add_subparsers(dest="action", required=True)
    kg = sub.add_parser("keygen", help="create the witness key and print its public vkey")
    serve = sub.add_parser("serve", help="answer add-checkpoint requests")
    for p in (kg, serve):
        p.add_argument("--key", required=True, help="the witness's private key file")
        p.add_argument("--name", required=True, help="the witness's name, e.g. witness.example.org/corridor")
    serve.add_argument("--state", required=True, help="file keeping the last cosigned head per log")
    serve.add_argument("--log", action="append", required=True, metavar="VKEY", help="a log to follow")
    serve.add_argument("--listen", default="127.0.0.1:8900", help="host:port")
    args = parser.parse_args(argv)
    from .cosignature import witness as witness_key

    if args.action == "keygen":
        key = Ed25519PrivateKey.generate()
        fd = os.open(args.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(base64.b64encode(key.private_bytes_raw()) + b"\n")
        print(witness_key(args.name, key.public_key().public_bytes_raw()).vkey)
        return 0
    w = Witness(name=args.name, private_key=load_key(args.key), state_path=args.state, logs=args.log)
    host, _, port = args.listen.rpartition(":")
    server = make_server(w, host, int(port))
    print(f"corridor-witness {witness_key(w.name, w.public_key).vkey} listening on {args.listen}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
