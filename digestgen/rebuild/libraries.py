"""The versions of the libraries that shape what digestgen makes of the same inputs, for the
build cache's keys: a cache made with other versions is not trusted, as one made by other code
is not (`cache.code_digest`)."""

from __future__ import annotations

from digestgen.util.distributions import installed_version

# What each library shapes: a record's note (Markdown, its sanitiser), its slug, the front matter
# read, and the pages and feeds rendered. By their names on the package index.
OUTPUT_LIBRARIES = (
    "markdown", "nh3", "python-slugify", "pyyaml", "python-frontmatter", "jinja2", "markupsafe",
    "feedgen", "lxml",
)  # fmt: skip


def library_versions() -> str:
    """Each of OUTPUT_LIBRARIES with its installed version (`name=version`), one a line."""
    return "\n".join(f"{name}={installed_version(name) or ''}" for name in OUTPUT_LIBRARIES)
