"""The restored-cache CI build: a fresh clone of the benchmark's site with the last build's cache
and output restored by copying (new times and inodes, same bytes, another folder), built once."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from bench.run import Run, digestgen_build

CACHE_FOLDER = ".digestgen-cache"


def restored_ci_build(site: Path) -> Run:
    """Copy the built site folder as a CI build finds it (content and config cloned; cache and
    output restored; every time new), build the copy with the same clock, and remove it."""
    clone = site.with_name(site.name + "-ci")
    shutil.rmtree(clone, ignore_errors=True)
    later = time.time() + 3600
    clone.mkdir()
    shutil.copyfile(site / "digestgen.toml", clone / "digestgen.toml")
    for folder in ("content", CACHE_FOLDER, "public"):
        if (site / folder).is_dir():
            shutil.copytree(site / folder, clone / folder, copy_function=shutil.copyfile)
    for folder, _, names in os.walk(clone):
        for name in names:
            os.utime(os.path.join(folder, name), (later, later))
    try:
        return digestgen_build(clone)
    finally:
        shutil.rmtree(clone, ignore_errors=True)
