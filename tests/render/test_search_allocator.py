"""Pagefind runs with its allocator's settings (huge pages, one arena), which its jemalloc accepts,
unless the user set their own."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from pagefind.service import get_executable

from digestgen.render.pagefind_runner import ALLOCATOR_SETTINGS, ALLOCATOR_VARIABLE
from tests.helpers import build_in, make_site, record


def _recording_pagefind(folder: Path) -> tuple[Path, Path]:
    """A program standing in for Pagefind that writes down its allocator variable, then runs the
    real Pagefind with the same arguments; and the file it writes to."""
    real, said = get_executable(), folder / "allocator.txt"
    assert real is not None
    program = folder / "pagefind"
    program.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "${{{ALLOCATOR_VARIABLE}-unset}}" >> {shlex.quote(str(said))}\n'
        f'exec {shlex.quote(str(real))} "$@"\n'
    )
    program.chmod(0o755)
    return program, said


def _build_recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Build a site with search through the recording Pagefind; the variable it saw each run."""
    root = make_site(tmp_path / "site", {"a.md": record()}, search=True)
    program, said = _recording_pagefind(tmp_path)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(program))
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert (root / "public" / "pagefind" / "0" / "pagefind-entry.json").is_file()
    return said.read_text().splitlines()


def test_pagefind_runs_with_the_allocator_settings(tmp_path, monkeypatch):
    monkeypatch.delenv(ALLOCATOR_VARIABLE, raising=False)
    assert _build_recording(tmp_path, monkeypatch) == [ALLOCATOR_SETTINGS]
    assert ALLOCATOR_VARIABLE not in os.environ  # the build's own environment is left alone


def test_a_users_own_allocator_setting_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv(ALLOCATOR_VARIABLE, "narenas:2")
    assert _build_recording(tmp_path, monkeypatch) == ["narenas:2"]


def _pagefind_with(settings: str) -> int:
    """Pagefind's exit status when its allocator stops it at any setting it does not accept."""
    program = get_executable()
    assert program is not None
    env = {**os.environ, ALLOCATOR_VARIABLE: f"{settings},abort_conf:true"}
    return subprocess.run([str(program), "--version"], env=env, capture_output=True).returncode


def test_pagefinds_allocator_accepts_the_settings():
    assert _pagefind_with(ALLOCATOR_SETTINGS) == 0
    assert _pagefind_with("thp:sometimes") != 0  # it does check them
