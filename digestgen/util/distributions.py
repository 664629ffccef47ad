"""Installed distributions' versions, read off their metadata folders' names on the import path.

`importlib.metadata.version` gives the same answers, but importing it alone costs a build with
nothing to do 40 ms; it is asked only where a folder's name does not settle the answer.
"""

from __future__ import annotations

import functools
import os
import re
import sys

# `name-version.dist-info`, `name-version-py3.11.egg-info` or a version-less `name.egg-info`.
_METADATA_FOLDER = re.compile(
    r"(?P<name>[^-]+?)(?:-(?P<version>[^-]*)(?:-[^-]*)?)?\.(?:dist|egg)-info"
)
# A version as a metadata folder's name writes it (`1.5.2`, `1.0.0rc1`, `2.0.post1`).
_VERSION = re.compile(r"[0-9][0-9A-Za-z._+!]*")


def installed_version(distribution: str) -> str | None:
    """The version of `distribution` (its name on the package index) that imports find, as
    `importlib.metadata.version` gives it; None if it is not installed."""
    return _installed_version(distribution, tuple(sys.path))


@functools.cache
def _installed_version(distribution: str, path: tuple[str, ...]) -> str | None:
    versions = _metadata_folders(path).get(_normalized(distribution), [])
    if len(versions) == 1 and _VERSION.fullmatch(versions[0]):
        return versions[0]
    # Not there, more than one in the same folder (a stale one left beside it), or a folder
    # whose name gives no version: what the metadata files inside say decides.
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def _metadata_folders(path: tuple[str, ...]) -> dict[str, list[str]]:
    """Each distribution's versions, by normalised name, in the first folder of `path` that has
    any metadata folder of that name (the one importlib.metadata would read)."""
    first: dict[str, list[str]] = {}
    for entry in path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # not a folder (a zip file) or gone
            continue
        here: dict[str, list[str]] = {}
        for name in names:
            if name.endswith("-info") and (match := _METADATA_FOLDER.fullmatch(name)):
                here.setdefault(_normalized(match["name"]), []).append(match["version"] or "")
        for found, versions in here.items():
            first.setdefault(found, versions)
    return first


def _normalized(name: str) -> str:
    """A distribution's name as its metadata folder may spell it, made comparable (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()
