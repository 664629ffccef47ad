"""Regenerate the golden build: `python -m tests.update_golden`, then review the diff."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from digestgen.commands.cli import main

GOLDEN = Path(__file__).parent / "golden"
SITE = GOLDEN / "site"
EXPECTED = GOLDEN / "expected"
NOW = "2025-03-04T00:00:00Z"
# Pagefind's bundle (its program, WebAssembly and binary index) is Pagefind's output, not
# digestgen's: it is left out of the golden tree and checked in tests/render/test_reader_site.py.
SEARCH_BUNDLE = "pagefind"


def build_golden(output: Path) -> int:
    """Build the golden site into `output` with the fixed clock; return the exit status."""
    return main(["build", "--config", str(SITE / "digestgen.toml"), "--output", str(output),
                 "--now", NOW])  # fmt: skip


if __name__ == "__main__":
    if EXPECTED.exists():
        shutil.rmtree(EXPECTED)
    status = build_golden(EXPECTED)
    shutil.rmtree(EXPECTED / SEARCH_BUNDLE, ignore_errors=True)
    print(f"golden output written to {EXPECTED}", file=sys.stderr)
    raise SystemExit(status)
