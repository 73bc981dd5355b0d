"""`corridor-verify`: the court's tool. Reads files, prints a verdict, writes nothing.

    corridor-verify bundle BUNDLE.age --identity KEY.txt --log-key VKEY [--witness VKEY]... [--require K]
    corridor-verify checkpoint CHECKPOINT.txt --log-key VKEY [--witness VKEY]... [--require K]

Exit status: 0 verified, 1 not verified, 2 the inputs could not be read.
"""

from __future__ import annotations

import argparse
import sys

from .bundle import read_identities, render, verify_bundle
from .checkpoint import CheckpointError, open_checkpoint, parse_verifier_key
from .cosignature import parse_witness_key, require_quorum


def _witnesses(values: list[str]) -> list:
    return [parse_witness_key(v) for v in values]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="corridor-verify", description=(
        "Verify a Corridor evidence bundle or a signed audit-log checkpoint offline."))
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("bundle", help="an evidence bundle (.age)")
    b.add_argument("bundle")
    b.add_argument("--identity", "-i", required=True, help="age identity file (AGE-SECRET-KEY-1...)")
    c = sub.add_parser("checkpoint", help="a signed checkpoint (checkpoint.txt)")
    c.add_argument("checkpoint")
    for p in (b, c):
        p.add_argument("--log-key", required=p is c, help="the log's verifier key as the organisation "
                       "publishes it (origin+keyid+base64)")
        p.add_argument("--witness", action="append", default=[], metavar="VKEY",
                       help="a witness's key (name+keyid+base64), as published; repeat for each")
        p.add_argument("--require", type=int, default=0, metavar="K",
                       help="require cosignatures from at least K of the given witnesses")
    args = parser.parse_args(argv)
    try:
        witnesses = _witnesses(args.witness)
        if args.require > len(witnesses):
            raise CheckpointError(f"--require {args.require} but only {len(witnesses)} witness keys given")
    except (CheckpointError, TypeError) as exc:
        print(f"corridor-verify: {exc}", file=sys.stderr)
        return 2
    if args.what == "bundle":
        try:
            identities = read_identities(args.identity)
        except (OSError, ValueError) as exc:
            print(f"corridor-verify: cannot read the identity: {exc}", file=sys.stderr)
            return 2
        report = verify_bundle(args.bundle, identities, pinned_key=args.log_key,
                               witnesses=witnesses, quorum=args.require)
        print(render(report))
        return 0 if report.ok else 1
    try:
        with open(args.checkpoint, "rb") as fh:
            note = fh.read()
    except OSError as exc:
        print(f"corridor-verify: cannot read {args.checkpoint}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        name, _, public_key = parse_verifier_key(args.log_key)
        cp = open_checkpoint(note, name, public_key, origin=name)
        print(f"OK    checkpoint: signed by {name}; tree of {cp.size} entries")
        if args.require:
            found = require_quorum(note, witnesses, args.require)
            print("OK    cosignatures: " + ", ".join(f"{w.witness.name} at {w.timestamp}" for w in found))
    except (CheckpointError, TypeError) as exc:
        print(f"FAIL  {exc}\n\nNOT VERIFIED.")
        return 1
    print("\nVERIFIED.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
