"""Run every benchmark in one go, so the figures in BENCHMARKS.md come from one run
on one machine. Each benchmark is a separate process (they set up their own data).

    .venv/bin/python -m bench.run_all [--quick]
"""

from __future__ import annotations

import argparse
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

from bench._common import machine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", help="Names of benchmarks to run (default: all).")
    args = parser.parse_args()
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if not m.name.startswith("_") and m.name != "run_all")
    if args.only:
        names = [n for n in names if n in args.only]
    print(f"# machine: {machine()}")
    for name in names:
        print(f"\n## bench.{name}", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", f"bench.{name}"], text=True, capture_output=True)
        print(result.stdout.strip())
        if result.returncode != 0:
            print(f"FAILED ({result.returncode}): {result.stderr.strip()[-1500:]}")
        print(f"(took {time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
