"""Keys of a whole build (what every output depends on, the whole input of a build) and the
digest of each story's own data.

A build with nothing to do needs only these, not the page and feed fingerprints (`fingerprints`),
which import the renderers' planning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen import __version__
from digestgen.config import SiteConfig
from digestgen.rebuild.cache import code_digest
from digestgen.rebuild.libraries import library_versions
from digestgen.render.themes import Theme

if TYPE_CHECKING:  # a build with nothing to do never makes the model's classes
    from digestgen.model import Story


def digest_of(parts: Iterable[str]) -> str:
    """A short hash (32 hex digits) of the parts, each ended by a NUL."""
    # Each part ends with a NUL; one join and one update, not two updates a part (it is run
    # for every page and story of every build).
    text = "\0".join([*parts, ""])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def story_digests(stories: Iterable[Story]) -> dict[str, str]:
    """A digest of each story's own data, by address: its records' bytes, its topics, its place;
    a story a rebuild kept from the last build (`stories.rows.LazyStory`) has its digest then."""
    from digestgen.stories.rows import DIGEST, LazyStory

    return {
        story.path: story.row[DIGEST]
        if isinstance(story, LazyStory)
        else digest_of(
            [
                story.path,
                story.lead.file,
                *(member.fingerprint or repr(member) for member in story.members),
                *(f"{t.key}|{t.name}|{t.slug}" for t in story.topics),
                # Coverage falls due with the clock, not only with the records' bytes.
                story.updated.isoformat(),
                str(len(story.coverage)),
            ]
        )
        for story in stories
    }


def build_key(config: SiteConfig, theme: Theme, drafts: bool) -> str:
    """What every output depends on: digestgen's version and code, the versions of the libraries
    that shape its outputs, the config, theme files."""
    files = []
    for layer in theme.layers:
        for folder in ("templates", "static", "theme.toml"):
            base = layer / folder
            paths = sorted(base.rglob("*")) if base.is_dir() else [base]
            for path in paths:
                if path.is_file():
                    content = hashlib.sha256(path.read_bytes()).hexdigest()
                    files.append(f"{path.relative_to(layer)}={content}")
    versions = library_versions()
    return digest_of([__version__, code_digest(), versions, repr(_portable(config)), str(drafts),
                      *files])  # fmt: skip


def _portable(config: SiteConfig) -> SiteConfig:
    """The config without where the project lies: a cache restored into another folder (a CI
    build's fresh clone) is as good there. The folders' own names change no output byte."""
    here = Path(".")
    return replace(config, root=here, source="", content_dir=here, output_dir=here)


def inputs_key(build: str, selected: Iterable[tuple[str, str]]) -> str:
    """The whole input of a build: its build key and the (file, hash) of each record used."""
    return digest_of([build, *(f"{name}={content}" for name, content in sorted(selected))])
