"""The render stage's work begun in processes forked early in a build, before it loads the
records (a process forked later copies the whole site, and the build then copies its own pages
as it writes them): the theme's templates compiled, the search index of a few shards made."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from digestgen.config import SiteConfig
from digestgen.render.themes import Theme
from digestgen.util import parallel

if TYPE_CHECKING:  # Jinja: not for a build with nothing to do
    from digestgen.render.environment import CompiledTemplates

# A held `index_documents(language, workers, batches)`, given its batches and how many Pagefind
# runs at a time when released: each batch's Pagefind bundle, in order.
Indexer = parallel.Forked[list[dict[str, bytes]]]


def template_compiler(
    theme: Theme, config: SiteConfig, workers: int
) -> parallel.Forked[CompiledTemplates]:
    """The compiling of the theme's templates, begun now in a forked process: by a build that
    knows it has something to do (one with nothing to do never compiles), once it has imported
    Jinja and the renderer, which the child then shares rather than imports again (74 ms)."""
    return parallel.Forked(workers, _compile_theme, theme, config)


def _compile_theme(theme: Theme, config: SiteConfig) -> CompiledTemplates:
    """The theme's templates compiled, in a forked process that yields to the build's others
    (the output's check, the search index, the build itself)."""
    os.nice(10)
    from digestgen.render.environment import compile_templates
    from digestgen.render.renderer import PageRenderer

    return compile_templates(theme, lambda env: PageRenderer(config, env, {}))


def compiled(templates: parallel.Forked[CompiledTemplates]) -> CompiledTemplates | None:
    """The templates a forked process compiled; none when it was not forked, is not done yet (a
    small site's build gets here first, and compiles only the few templates it uses sooner than
    it would wait) or failed. Each template is then compiled when first used, and its errors
    reported there."""
    if not templates.answered():
        templates.stop()  # its core is the render workers' now
        return None
    try:
        return templates.result()
    except Exception:
        return None


def search_indexer(config: SiteConfig, workers: int) -> Indexer:
    """The search index of a few shards (a rebuild's changed ones, a clean build's first), in a
    process forked now, by a build with something to do before it loads the records, and held
    until publishing gives it the shards' documents (`output.indexing.begin_indexing`). Forked
    only then, a copy of the whole site, it cost the build half a second at 50,000 records, in
    pages copied as it planned the site."""
    forks = workers if config.search else 1
    return parallel.Forked(
        forks, _index_documents, config.language, workers, held=True, prepare=_ready_to_index
    )


def _ready_to_index() -> None:
    """What indexing imports (Pagefind's launcher brings asyncio: 30 ms in all), done while the
    indexer waits for its documents rather than after, when the build may be waiting for it. A
    failure is the call's to report, when it is made."""
    with contextlib.suppress(ImportError):
        from pagefind.service import get_executable

        import digestgen.render.search  # noqa: F401

        get_executable()


def _index_documents(
    language: str, workers: int, batches: Sequence[tuple[str, dict[str, str]]], runs: int
) -> list[dict[str, bytes]]:
    """`render.search.index_documents`, `runs` Pagefind runs at a time (at most `workers`),
    imported only by a build that indexes."""
    from digestgen.render.search import index_documents

    return index_documents(language, min(runs, workers), batches)
