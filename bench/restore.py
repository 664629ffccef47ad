"""The restored-cache CI build's folder: a fresh clone of the benchmark's site with the last
build's cache and output restored by copying (new times and inodes, same bytes, another folder)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

CACHE_FOLDER = ".digestgen-cache"


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
