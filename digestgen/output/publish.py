"""Publishing: render the pages and feeds whose inputs changed, keep the rest, write it out."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from digestgen.config import SiteConfig
from digestgen.model import Site
from digestgen.output.journal import JournaledUpdate
from digestgen.output.owned import current_entry, output_digest
from digestgen.output.paths import OutputCollision
from digestgen.output.staging import OutputWriter, Staging, output_files
from digestgen.rebuild.cache import OutputEntry
from digestgen.rebuild.fingerprints import story_digests
from digestgen.render.forked import Indexer
from digestgen.render.pages import PageJob
from digestgen.render.search import (
    SEARCH_FOLDER,
    SearchShard,
)
from digestgen.render.site import (
    PlannedJob,
    SitePlan,
    checked_index,
    make_search_index,
    make_sitemap,
    newest_shown,
    paths_of,
    plan_site,
    render_job,
    search_batches,
    search_shards,
)
from digestgen.util import parallel
from digestgen.util.lifetime import leave

# Up to this many search shards to make (a rebuild's changed ones, a small site's all) are made
# by a process forked early (`publish`'s indexer) while this one plans and renders the pages.
# More (a clean build's) are made after the pages, when their Pagefind runs have the cores to
# themselves: run beside the rendering, they made a clean build of 10,000 records slower. Nor
# did a few of them pay, given early to fill the core that planning leaves idle (bench.ab at
# 10,000 records, clean builds: the first two on every thread, 0.90 and 1.00 of the mean in two
# runs; an eighth, one at a time on one thread, 0.98): within the noise. They ran on into the
# rendering, and made the plan about 0.1 s slower, for what they took off the index made after
# the pages.
EARLY_SHARDS = 4


@dataclass(frozen=True, slots=True)
class Published:
    """What was written: every output file's entry, how many were rendered or kept, and counts."""

    outputs: dict[str, OutputEntry]
    written: int
    kept: int
    pages: int
    feeds: int
    others: int


@dataclass(frozen=True, slots=True)
class _Rendering:
    """What the render workers share: the plan, where output goes, the last build's files."""

    plan: SitePlan
    writer: OutputWriter
    previous: Mapping[str, OutputEntry]
    jobs: Sequence[PlannedJob]


def publish(
    site: Site,
    config: SiteConfig,
    env: jinja2.Environment,
    static: dict[str, bytes],
    previous: dict[str, OutputEntry],
    output_dir: Path,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
    lap: Callable[[str], None] = lambda stage: None,
    listing: Collection[str] | None = None,
    intact: Mapping[str, OutputEntry] | None = None,
    indexer: Indexer | None = None,
) -> Published:
    """Render what changed since `previous` (the last build's outputs, or nothing), keep the rest.

    With a previous build, its output is updated in place under a journal, else a new tree is
    swapped in. When known: `listing`, the output's files; `intact`, `OutputCheck.settled`'s;
    `indexer`, a held `index_documents` forked early, for a rebuild's few changed search shards.
    """
    digests = story_digests(site.stories)
    shards = search_shards(site, config, digests)
    writer = _writer(output_dir, previous)
    try:
        kept_index, to_index = _keep_indexes(shards, writer, previous, intact)
        indexing = _begin_indexing(to_index, config, writer, previous, workers, indexer)
        plan = plan_site(site, config, env, static, digests, shards, checked=previous)
        lap("plan")
        outputs, to_render = _keep_unchanged(plan, writer, previous, intact)
        outputs.update(kept_index)
        lap("keep unchanged")
        rendered = _render(_Rendering(plan, writer, previous, to_render), workers, progress)
        outputs.update(rendered)
        lap("render")
        others = _other_files(plan, writer, previous, indexing)
        others.update(kept_index)  # the search index counts with the other files, kept or not
        outputs.update(others)
        lap("other files")  # the sitemap, static files and the search index
        if isinstance(writer, JournaledUpdate):
            # Every file the new site lacks goes, not only those the cache lists: a build killed
            # after its commit, before its cache was saved, left files no cache describes.
            if listing is None:
                listing = {path for path, _ in output_files(output_dir)}
            writer.remove(sorted(set(listing) - set(outputs)))
    except BaseException:
        writer.abort()
        raise
    writer.commit()
    lap("commit")
    leave(plan, digests, shards, to_render)  # see util.lifetime
    return Published(
        outputs=outputs,
        written=len(rendered),  # rendered files, whether their bytes changed or not
        kept=len(outputs) - len(rendered),
        pages=plan.pages,
        feeds=plan.feed_files,
        others=len(others),
    )


def _writer(output_dir: Path, previous: Mapping[str, OutputEntry]) -> OutputWriter:
    """Where the new site goes: in place under a journal over the last build's output, or a new
    tree swapped in for it. A mount point (a Docker volume) cannot be swapped: always in place."""
    in_place = output_dir.is_dir() and (bool(previous) or os.path.ismount(output_dir))
    return JournaledUpdate(output_dir) if in_place else Staging(output_dir)


def _keep_unchanged(
    plan: SitePlan,
    writer: OutputWriter,
    previous: Mapping[str, OutputEntry],
    intact: Mapping[str, OutputEntry] | None = None,
) -> tuple[dict[str, OutputEntry], list[PlannedJob]]:
    """The outputs kept as they are (each file looked at, or found in `intact`: see `publish`),
    and the jobs to render, newest stories first.

    Pages and feeds showing stories of the same days are rendered together, so the story cards
    and feed items a worker keeps (a bounded number) are the ones it needs next.
    """
    outputs: dict[str, OutputEntry] = {}
    to_render: list[PlannedJob] = []
    # As `_keep`, inlined: this runs for each of the site's files (24,000 at 10,000 records).
    prefix, keep = os.path.join(writer.output, ""), writer.keep
    for job, fingerprint in plan.jobs:
        kept = []
        for path in paths_of(job):
            entry = previous.get(path)
            if entry is None or entry.fingerprint != fingerprint:
                break
            current = current_entry(prefix + path, entry) if intact is None else intact.get(path)
            if current is None or current.digest != entry.digest or not keep(path):
                break
            kept.append((path, current))
        else:
            outputs.update(kept)
            continue
        to_render.append((job, fingerprint))
    to_render.sort(key=lambda entry: newest_shown(entry[0]), reverse=True)
    return outputs, to_render


def _renders_feeds(jobs: Sequence[PlannedJob]) -> bool:
    """Whether any of the jobs is a feed's."""
    return any(not isinstance(job, PageJob) for job, _ in jobs)


def _render(
    rendering: _Rendering, workers: int, progress: Callable[[int, int], None] | None
) -> dict[str, OutputEntry]:
    """Render and store the jobs, `workers` processes at once."""
    jobs = range(len(rendering.jobs))
    if parallel.forks(len(jobs), workers) and _renders_feeds(rendering.jobs):
        rendering.plan.renderers.make_feed_renderer()  # once here, not once in each worker
    return dict(parallel.map_chunks(_render_jobs, rendering, jobs, workers, progress))


def _begin_indexing(
    shards: Sequence[SearchShard],
    config: SiteConfig,
    writer: OutputWriter,
    previous: Mapping[str, OutputEntry],
    workers: int,
    indexer: Indexer | None,
) -> Callable[[], dict[str, OutputEntry]]:
    """What stores the search index of these shards, once asked: a few (a rebuild's changed
    ones) are given to the `indexer` now, to make on the other core while this process plans
    and renders the pages; more (a clean build's) are made when asked, after the pages."""
    if indexer is None or not 0 < len(shards) <= EARLY_SHARDS:
        if indexer is not None:
            indexer.stop()
        return functools.partial(_index_shards, shards, config, writer, previous, workers)
    indexer.release(search_batches(shards, config))

    def answered() -> Iterator[tuple[SearchShard, dict[str, bytes]]]:
        yield from zip(shards, indexer.result(), strict=True)

    return functools.partial(_store_index, checked_index(answered(), {}), writer, previous)


@dataclass(frozen=True, slots=True)
class _Indexing:
    """What the index workers share: the site's config, where output goes, the last build's
    files."""

    config: SiteConfig
    writer: OutputWriter
    previous: Mapping[str, OutputEntry]


def _index_shards(
    shards: Sequence[SearchShard],
    config: SiteConfig,
    writer: OutputWriter,
    previous: Mapping[str, OutputEntry],
    workers: int,
) -> dict[str, OutputEntry]:
    """Make the search index of these shards and store its files, in up to `workers` forked
    processes (here, with one), each indexing a shard at a time and storing its files itself.

    Stored here while threads made the shards, a clean build's index files (10,000 at 10,000
    records) each waited for the interpreter's lock behind the threads' Python: their storing
    outlasted the last Pagefind run by more than a second. Nor did the render workers pay as
    index workers, each shard a task after the pages' so that neither pool waits for the other's
    last chunk (one core idled ~0.3 s between them at 10,000 records): bench.ab, clean builds,
    0.94 and 1.02 of the mean at 10,000 records (6 and 8 rounds), 1.02 at 50,000 (3 rounds, none
    faster). Why was not measured: perhaps a worker grown by rendering indexes more slowly.
    """
    indexing = _Indexing(config, writer, previous)
    return dict(parallel.map_chunks(_index_and_store, indexing, shards, workers, per_worker=1))


def _index_and_store(
    indexing: _Indexing, shards: Sequence[SearchShard]
) -> list[tuple[str, OutputEntry]]:
    """Make the search index of these shards, one at a time, and store its files (in an index
    worker)."""
    made = make_search_index(shards, indexing.config, {}, 1)
    return list(_store_index(made, indexing.writer, indexing.previous).items())


def _store_index(
    made: Iterator[tuple[SearchShard, dict[str, bytes]]],
    writer: OutputWriter,
    previous: Mapping[str, OutputEntry],
) -> dict[str, OutputEntry]:
    """Store the search index files of each shard as they are made."""
    outputs = {}
    for shard, files in made:
        for path, data in files.items():
            outputs[path] = _store(writer, path, data, shard.key, previous.get(path))
    return outputs


def _keep_indexes(
    shards: Sequence[SearchShard],
    writer: OutputWriter,
    previous: Mapping[str, OutputEntry],
    intact: Mapping[str, OutputEntry] | None = None,
) -> tuple[dict[str, OutputEntry], list[SearchShard]]:
    """The search index files kept as they are (see `_keep_unchanged`), and the shards whose
    stories changed."""
    outputs: dict[str, OutputEntry] = {}
    to_index = []
    last_index = _by_shard(previous)
    for shard in shards:
        kept = _keep_index(writer, last_index.get(shard.folder, {}), shard, intact)
        if kept is None:
            to_index.append(shard)
        else:
            outputs.update(kept)
    return outputs, to_index


def _store_extras(
    extras: Mapping[str, bytes], writer: OutputWriter, previous: Mapping[str, OutputEntry]
) -> dict[str, OutputEntry]:
    """Store the extras (sitemap, static files...)."""
    return {
        path: _store(writer, path, data, "", previous.get(path)) for path, data in extras.items()
    }


def _sitemaps(
    plan: SitePlan, writer: OutputWriter, previous: Mapping[str, OutputEntry]
) -> dict[str, OutputEntry]:
    """Keep each of the last build's sitemap files that lists the same pages at the same times,
    make and store the others."""
    stored = {}
    for sitemap in plan.sitemaps:
        path, fingerprint = sitemap.path, sitemap.fingerprint
        entry = previous.get(path)
        kept = _keep(writer, path, entry, fingerprint)
        if kept is None:
            kept = _store(writer, path, make_sitemap(plan, sitemap), fingerprint, entry)
        stored[path] = kept
    return stored


def _other_files(
    plan: SitePlan,
    writer: OutputWriter,
    previous: Mapping[str, OutputEntry],
    indexing: Callable[[], dict[str, OutputEntry]],
) -> dict[str, OutputEntry]:
    """The extras and sitemaps stored, while the search index may still be under way on the
    other core; then the search index's files, once it is done (`indexing` stores them)."""
    stored = _store_extras(plan.extras, writer, previous)
    stored.update(_sitemaps(plan, writer, previous))
    others = _index_outputs(indexing(), plan.extras)
    others.update(stored)
    return others


def _index_outputs(
    index: dict[str, OutputEntry], taken: Mapping[str, bytes]
) -> dict[str, OutputEntry]:
    """The search index files stored; one of the `taken` paths (a theme's static file in their
    folder) is an OutputCollision."""
    for path in index:
        if path in taken:
            raise OutputCollision(f"search index: two outputs for the same path /{path}")
    return index


def _by_shard(previous: Mapping[str, OutputEntry]) -> dict[str, dict[str, OutputEntry]]:
    """The last build's search index files, by shard folder (`pagefind/3/`)."""
    shards: dict[str, dict[str, OutputEntry]] = {}
    prefix = f"{SEARCH_FOLDER}/"
    for path, entry in previous.items():
        if path.startswith(prefix):
            folder = path[: path.find("/", len(prefix)) + 1]
            shards.setdefault(folder, {})[path] = entry
    return shards


def _keep_index(
    staging: OutputWriter,
    previous: dict[str, OutputEntry],
    shard: SearchShard,
    intact: Mapping[str, OutputEntry] | None = None,
) -> dict[str, OutputEntry] | None:
    """A shard's index from the last build (`previous`: its files then), when made from the
    same stories and intact (see `_keep`)."""
    if not previous or any(entry.fingerprint != shard.key for entry in previous.values()):
        return None
    kept = {
        path: _keep(staging, path, entry, shard.key, intact) for path, entry in previous.items()
    }
    return kept if all(kept.values()) else None  # type: ignore[return-value]


def _keep(
    staging: OutputWriter,
    path: str,
    entry: OutputEntry | None,
    fingerprint: str,
    intact: Mapping[str, OutputEntry] | None = None,
) -> OutputEntry | None:
    """Reuse the current output's file when its inputs did not change and its bytes are the ones
    digestgen wrote (its time may be new: a restored output), as the file says or, when given,
    as `intact` (the output check's answer: see `publish`) says."""
    if entry is None or entry.fingerprint != fingerprint:
        return None
    if intact is None:
        current = current_entry(os.path.join(staging.output, path), entry)  # no Path: per output
    else:
        current = intact.get(path)
    if current is None or current.digest != entry.digest:
        return None
    return current if staging.keep(path) else None


def _store(
    staging: OutputWriter,
    path: str,
    data: bytes,
    fingerprint: str,
    entry: OutputEntry | None,
) -> OutputEntry:
    """Write a file, or keep the current one when its bytes are the same."""
    digest = output_digest(data)
    if entry is not None and entry.digest == digest:
        kept = _keep(staging, path, entry, entry.fingerprint)
        if kept is not None:
            return OutputEntry(fingerprint, digest, kept.size, kept.mtime_ns)
    stat = staging.write(path, data)
    return OutputEntry(fingerprint, digest, stat.st_size, stat.st_mtime_ns)


def _render_jobs(rendering: _Rendering, indexes: Sequence[int]) -> list[tuple[str, OutputEntry]]:
    """Render the jobs at these indexes and store each file (in a render worker)."""
    results = []
    for index in indexes:
        job, fingerprint = rendering.jobs[index]
        for path, data in render_job(rendering.plan.renderers, job).items():
            entry = _store(rendering.writer, path, data, fingerprint, rendering.previous.get(path))
            results.append((path, entry))
    return results
