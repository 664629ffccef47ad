"""The restored-cache CI build: a fresh clone of the benchmark's site with the last build's cache
and output restored by copying (new times and inodes, same bytes, another folder), built once."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # bench.run imports this module; run as a script, it is __main__
    from bench.run import Run

CACHE_FOLDER = ".digestgen-cache"


def restored_ci_build(site: Path, build: Callable[[Path], Run]) -> Run:
    """Copy the built site folder as a CI build finds it (content and config cloned; cache and
    output restored; every time new), build the copy with `build` (the bench's
    `digestgen_build`: the same clock), and remove the copy."""
    clone = site.with_name(site.name + "-ci")
    shutil.rmtree(clone, ignore_errors=True)
    try:
        return build(restored_copy(site, clone))
    finally:
        shutil.rmtree(clone, ignore_errors=True)


def restored_copy(site: Path, clone: Path) -> Path:
    """The built site folder copied to `clone` as a CI build finds it: content and config as
    cloned, cache and output as restored, every file's time an hour ahead."""
    later = time.time() + 3600
    clone.mkdir()
    shutil.copyfile(site / "digestgen.toml", clone / "digestgen.toml")
    for folder in ("content", CACHE_FOLDER, "public"):
        if (site / folder).is_dir():
            shutil.copytree(site / folder, clone / folder, copy_function=shutil.copyfile)
    for folder, _, names in os.walk(clone):
        for name in names:
            os.utime(os.path.join(folder, name), (later, later))
    return clone
