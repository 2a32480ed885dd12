"""`make bench`: every benchmark, one after the other, each rewriting its own section of
docs/benchmarks.md (medians and ratios against its floor or baseline, with the machine).

    .venv/bin/python benchmarks/run.py [--only sync launch ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["emulator", "sync", "launch", "review", "micro_batches"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=ORDER)
    args = parser.parse_args()
    failed = []
    for name in args.only or ORDER:
        script = HERE / f"{name}.py"
        if not script.exists():
            print(f"== {name}: no benchmarks/{name}.py yet, skipped", flush=True)
            continue
        print(f"== {name}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(
            f"== {name}: exit {result.returncode} after {time.monotonic() - started:.0f}s",
            flush=True,
        )
        if result.returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
