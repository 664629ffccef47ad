"""The `digestgen` program ends its process at once when a command returns (`cli.run`): its
output still reaches the reader, its exit status is the command's, and a reader that has gone
away (`digestgen build | head -1`) costs no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import FIXED_NOW, make_site, record

_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))


def _command(root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "digestgen", "build", "--config", str(root / "digestgen.toml"),
            "--now", FIXED_NOW, *extra]  # fmt: skip


def test_the_summary_and_the_strict_exit_status_come_through_the_quick_exit(tmp_path):
    records = {"good.md": record(), "odd.md": record("B", url="https://b.example.com/", heat=500)}
    root = make_site(tmp_path / "site", records)
    done = subprocess.run(_command(root, "--strict", "--verbose"), capture_output=True,
                          text=True, env=_ENV)  # fmt: skip
    assert done.returncode == 1  # --strict, and odd.md has an error
    assert "error: odd.md: heat:" in done.stderr
    # The whole summary, to its last line (the stage timings), was flushed before the exit.
    assert "stories built:      1" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].strip().startswith("save cache:")
    assert (root / "public" / "index.html").is_file()


def test_a_build_whose_reader_has_gone_still_succeeds_without_a_traceback(tmp_path):
    root = make_site(tmp_path / "site", {"a.md": record()})
    reading, writing = os.pipe()
    os.close(reading)  # the reader is gone before anything is printed (`| head -0`)
    # Buffered, as a pipe's output is by default: the summary is written out when the process
    # ends, and the pipe is found closed then.
    env = {key: value for key, value in _ENV.items() if key != "PYTHONUNBUFFERED"}
    try:
        done = subprocess.run(_command(root), stdout=writing, stderr=subprocess.PIPE,
                              text=True, env=env)  # fmt: skip
    finally:
        os.close(writing)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
    assert (root / "public" / "index.html").is_file()
