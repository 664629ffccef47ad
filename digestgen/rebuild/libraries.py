"""The versions of the libraries that shape what digestgen makes of the same inputs, for the
build cache's keys: a cache made with other versions is not trusted, as one made by other code
is not (`cache.code_digest`)."""

from __future__ import annotations

import functools
import os
import re
import sys

# What each library shapes: a record's note (Markdown, its sanitiser), its slug, the front matter
# read, and the pages and feeds rendered. By their names on the package index.
OUTPUT_LIBRARIES = (
    "markdown", "nh3", "python-slugify", "pyyaml", "python-frontmatter", "jinja2", "markupsafe",
    "feedgen", "lxml",
)  # fmt: skip
# `name-version.dist-info`, or `name-version-py3.11.egg-info`: the version is the second part.
_METADATA_FOLDER = re.compile(r"(?P<name>[^-]+)-(?P<version>[^-]+)(?:-[^-]*)?\.(?:dist|egg)-info")


def library_versions() -> str:
    """Each of OUTPUT_LIBRARIES with its installed version (`name=version`), one a line."""
    return _versions(tuple(sys.path))


@functools.cache
def _versions(path: tuple[str, ...]) -> str:
    # Read off the names of the metadata folders on the import path, the first of each name as
    # imports find it, rather than with importlib.metadata, whose import alone costs a build
    # with nothing to do 40 ms.
    found: dict[str, str] = {}
    for entry in path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # not a folder (a zip file) or gone
            continue
        for name in names:
            if not name.endswith("-info"):
                continue
            match = _METADATA_FOLDER.fullmatch(name)
            if match is not None:
                found.setdefault(_normalized(match["name"]), match["version"])
    return "\n".join(f"{lib}={found.get(_normalized(lib), '')}" for lib in OUTPUT_LIBRARIES)


def _normalized(name: str) -> str:
    """A distribution's name as its metadata folder may spell it, made comparable (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()
