"""Pagefind runs as a service fed through its pipes: the documents and the bundle never pass
through files, and a build killed with SIGKILL leaves neither a Pagefind process nor a folder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.generate import generate
from digestgen.render.search import SearchIndexError, _PagefindService, index_files
from tests.helpers import FIXED_NOW, make_site


def real_pagefind() -> str:
    from pagefind.service import get_executable

    executable = get_executable()
    assert executable is not None
    return str(executable)


def recording_pagefind(folder: Path) -> tuple[Path, Path]:
    """A program that records its process id in a folder, then becomes the real Pagefind."""
    pids = folder / "pids"
    pids.mkdir()
    program = folder / "pagefind"
    program.write_text(f'#!/bin/sh\necho $$ > "{pids}/$$"\nexec "{real_pagefind()}" "$@"\n')
    program.chmod(0o755)
    return program, pids


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended, and waits only for its parent to reap it


def listing(folder: Path) -> set[str]:
    return set(os.listdir(folder)) if folder.is_dir() else set()


def document(title: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang='en'><head><title>{title}</title></head><body>"
            f"<h1>{title}</h1><p>{'words ' * 400}</p></body></html>")  # fmt: skip


def test_the_bundle_comes_back_through_the_pipes_without_a_file(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    before = listing(Path("/dev/shm"))
    # More documents than a pipe holds, both ways: neither side may wait on the other.
    documents = {f"2025/01/{n:04d}/index.html": document(f"Story {n}") for n in range(300)}
    files = index_files(documents, "en-GB", "pagefind/3/")
    assert files == index_files(documents, "en-GB", "pagefind/3/")  # the same bytes again
    assert "pagefind/3/pagefind.js" in files and "pagefind/3/pagefind-entry.json" in files
    assert sum(path.startswith("pagefind/3/fragment/") for path in files) == 300
    assert not any(Path(path).name.startswith("pagefind-ui.") for path in files)
    assert listing(scratch) == set() and listing(Path("/dev/shm")) <= before


def test_an_error_pagefind_answers_is_raised_with_its_words():
    with _PagefindService.run(real_pagefind()) as service:
        service.ask([{"type": "NewIndex", "config": {"force_language": "en"}}])
        unplaced = {"type": "AddFile", "index_id": 0, "file_contents": document("Nowhere")}
        with pytest.raises(SearchIndexError) as raised:
            service.ask([unplaced])
    said = "search index: pagefind failed: Either source_path or url must be provided"
    assert str(raised.value) == said


@pytest.mark.slow
def test_a_killed_build_leaves_no_pagefind_running_and_no_folder(tmp_path):
    root = make_site(tmp_path / "site", {}, search=True)
    generate(400, root / "content", seed=3)
    program, pids = recording_pagefind(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    environment = {**os.environ, "PAGEFIND_BINARY_PATH": str(program), "TMPDIR": str(scratch)}
    config = str(root / "digestgen.toml")
    command = [sys.executable, "-m", "digestgen", "build", "--config", config,
               "--now", FIXED_NOW, "--no-cache", "--quiet"]  # fmt: skip
    shm = listing(Path("/dev/shm"))
    for _ in range(5):  # the kill must land while Pagefind runs; retried if the build won
        build = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)  # fmt: skip
        while build.poll() is None and not any(pids.iterdir()):
            time.sleep(0.001)
        if build.poll() is None:
            build.send_signal(signal.SIGKILL)
            build.wait()
            break
        for pid in pids.iterdir():
            pid.unlink()
    else:
        raise AssertionError("no build could be killed while indexing")
    started = [int(pid.name) for pid in pids.iterdir()]
    deadline = time.monotonic() + 10
    while left := [pid for pid in started if running(pid)]:
        assert time.monotonic() < deadline, f"Pagefind {left} outlived the build"
        time.sleep(0.02)
    assert listing(scratch) == set()
    assert listing(Path("/dev/shm")) <= shm
    shutil.rmtree(root / "public", ignore_errors=True)
