"""The `digestgen` program ends its process at once when a command returns (`cli.run`): its
output still reaches the reader, its exit status is the command's, and a reader that has gone
away (`digestgen build | head -1`) costs no traceback; nor does Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.generate import generate
from tests.helpers import FIXED_NOW, build_in, count_files, make_site, record, tree

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


@pytest.mark.slow
def test_ctrl_c_during_a_build_ends_it_quietly_as_interrupted_and_keeps_the_last_site(tmp_path):
    root = make_site(tmp_path / "site", {})
    generate(300, root / "content", seed=11)
    assert build_in(root).exit_code == 0
    output = root / "public"
    before = tree(output)
    staging = output.with_name(".public.staging")
    # A clean build into a staging folder, in a process group of its own, as a terminal runs it:
    # Ctrl-C sends SIGINT to the whole group (the build, its workers and forked helpers).
    command = _command(root, "--no-cache", "--jobs", "1")
    with _interruptible_children():
        build = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=_ENV, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while count_files(staging) < 20 and build.poll() is None:
        assert time.monotonic() < deadline, "the build never got that far"
        time.sleep(0.002)
    assert build.poll() is None, "the build finished before it could be interrupted"
    os.killpg(build.pid, signal.SIGINT)
    _, stderr = build.communicate(timeout=60)
    # Ended by the signal, as a shell script running digestgen needs to see to stop too.
    assert build.returncode == -signal.SIGINT
    assert stderr.strip().splitlines()[-1] == "digestgen: interrupted"
    assert "Traceback" not in stderr
    assert tree(output) == before
    assert not staging.exists()
    deadline = time.monotonic() + 10
    while _group_alive(build.pid):  # the workers and forked helpers are gone too
        assert time.monotonic() < deadline, "a process of the build outlived it"
        time.sleep(0.01)


@contextlib.contextmanager
def _interruptible_children() -> Iterator[None]:
    """Programs started meanwhile take SIGINT as a terminal's foreground job does. A shell's
    background job (tests run with `&`) has it ignored, its children too, and Python then never
    raises KeyboardInterrupt: the build would run to its end whatever the test sent."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # default again on exec
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
