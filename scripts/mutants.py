"""Single-site mutation run over the rules the suite must guard.

Each mutant changes one place in the application code (the nth occurrence of a text
in its file is replaced) and names the tests that should notice. The run copies the
working tree to a scratch folder once, applies one mutant at a time there, runs the
named tests with this virtualenv's Python and restores the file. A mutant is

- killed: the tests failed (pytest exit code 1);
- survived: they passed, so no test guards that rule;
- invalid: the text was not found, or pytest could not even collect (exit 2+),
  which says the mutant list is out of date, not that the suite is good.

Usage: python scripts/mutants.py [--only ID ...] [--list]
The exit status is 1 when any mutant survived or is invalid.
The mutants themselves live in scripts/mutants_list.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from mutants_list import MUTANTS, Mutant  # noqa: E402

IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "var",
    "test-artifacts",
    "__pycache__",
    ".pytest_cache",
    "node_modules",
)


def _run(mutant: Mutant, tree: Path) -> tuple[str, float, str]:
    target = tree / mutant.path
    original = target.read_text()
    index = -1
    for _ in range(mutant.nth):
        index = original.find(mutant.find, index + 1)
        if index < 0:
            return "invalid", 0.0, f"text not found {mutant.nth} times"
    line = original.count("\n", 0, index) + 1
    target.write_text(
        original[:index] + mutant.replace + original[index + len(mutant.find) :]
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    try:
        proc = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "pytest",
                "-x",
                "-q",
                "-p",
                "no:cacheprovider",
                *mutant.tests,
            ],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        target.write_text(original)
    elapsed = time.monotonic() - started
    tail = f"{mutant.path}:{line}  " + (proc.stdout.strip().splitlines() or [""])[-1]
    if proc.returncode == 1:
        return "killed", elapsed, tail
    if proc.returncode == 0:
        return "survived", elapsed, tail
    return "invalid", elapsed, (proc.stdout + proc.stderr)[-400:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="mutant ids to run")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args()
    mutants = [m for m in MUTANTS if not args.only or m.id in args.only]
    if args.list:
        for m in mutants:
            print(f"{m.id:28} {m.path}: {m.rule}")
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="lifeline-mutants-") as scratch:
        tree = Path(scratch) / "tree"
        shutil.copytree(ROOT, tree, ignore=IGNORE, symlinks=True)
        for m in mutants:
            status, elapsed, detail = _run(m, tree)
            results.append((m, status))
            print(f"{status:8} {m.id:28} {elapsed:6.1f}s  {detail}", flush=True)
    killed = sum(status == "killed" for _, status in results)
    print(f"\n{killed}/{len(results)} mutants killed")
    for m, status in results:
        if status != "killed":
            print(f"  {status}: {m.id} ({m.path}): {m.rule}")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
