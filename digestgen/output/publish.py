"""Publishing: render the pages and feeds whose inputs changed, keep the rest, write it out."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from digestgen.config import SiteConfig
from digestgen.model import Site
from digestgen.output.journal import JournaledUpdate
from digestgen.output.staging import Staging, output_files
from digestgen.rebuild.cache import OutputEntry
from digestgen.render.search import (
    SEARCH_FOLDER,
    SearchShard,
)
from digestgen.render.site import (
    PlannedJob,
    SitePlan,
    make_search_index,
    newest_shown,
    paths_of,
    plan_site,
    render_job,
    search_shards,
)
from digestgen.util import parallel

_RENDER: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Published:
    """What was written: every output file's entry, how many were rendered or kept, and counts."""

    outputs: dict[str, OutputEntry]
    written: int
    kept: int
    pages: int
    feeds: int
    others: int


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
) -> Published:
    """Render what changed since `previous` (the last build's outputs, or nothing), keep the rest.

    With a previous build, its output is updated in place under a journal; otherwise a new
    tree is written beside it and swapped in.
    """
    plan = plan_site(site, config, env, static)
    extras = plan.extras
    shards = search_shards(site, config, plan.digests)
    lap("plan")
    # A build over the last one's output changes it in place, with a journal to undo a failed
    # update; any other build writes a new tree beside it and swaps it in. A mount point (a
    # Docker volume, say) cannot be swapped, so it is always updated in place.
    in_place = output_dir.is_dir() and (bool(previous) or os.path.ismount(output_dir))
    staging: Staging | JournaledUpdate = (
        JournaledUpdate(output_dir) if in_place else Staging(output_dir)
    )
    outputs: dict[str, OutputEntry] = {}
    to_render: list[PlannedJob] = []
    for job, fingerprint in plan.jobs:
        paths = paths_of(job)
        entries = [_keep(staging, path, previous.get(path), fingerprint) for path in paths]
        if all(entries):
            outputs.update(zip(paths, entries, strict=True))  # type: ignore[arg-type]
        else:
            to_render.append((job, fingerprint))
    lap("keep unchanged")
    # Pages and feeds showing stories of the same days are rendered together, so the story
    # cards and feed items a worker keeps (a bounded number) are the ones it needs next.
    to_render.sort(key=lambda entry: newest_shown(entry[0]), reverse=True)
    _RENDER.update(
        plan=plan,
        staging=staging,
        previous=previous,
        jobs=to_render,
    )
    try:
        rendered = parallel.map_chunks(_render_jobs, range(len(to_render)), workers, progress)
    except BaseException:
        staging.abort()
        raise
    finally:
        _RENDER.clear()
    for path, entry in rendered:
        outputs[path] = entry
    lap("render")
    try:
        for path, data in extras.items():
            outputs[path] = _store(staging, path, data, "", previous.get(path))
        index: dict[str, OutputEntry] = {}
        to_index = []
        last_index = _by_shard(previous)
        for shard in shards:
            kept = _keep_index(staging, last_index.get(shard.folder, {}), shard)
            if kept is None:
                to_index.append(shard)
            else:
                index.update(kept)
        for shard, files in make_search_index(to_index, config, extras, workers):
            for path, data in files.items():
                index[path] = _store(staging, path, data, shard.key, previous.get(path))
        outputs.update(index)
        lap("search index")
        if isinstance(staging, JournaledUpdate):
            # Every file the new site lacks goes, not only those the cache lists: a build killed
            # after its commit, before its cache was saved, left files no cache describes.
            staging.remove(sorted({path for path, _ in output_files(output_dir)} - set(outputs)))
    except BaseException:
        staging.abort()
        raise
    staging.commit()
    lap("commit")
    return Published(
        outputs=outputs,
        written=len(rendered),  # rendered files, whether their bytes changed or not
        kept=len(outputs) - len(rendered),
        pages=plan.pages,
        feeds=plan.feed_files,
        others=len(extras) + len(index),
    )


def _by_shard(previous: dict[str, OutputEntry]) -> dict[str, dict[str, OutputEntry]]:
    """The last build's search index files, by shard folder (`pagefind/3/`)."""
    shards: dict[str, dict[str, OutputEntry]] = {}
    prefix = f"{SEARCH_FOLDER}/"
    for path, entry in previous.items():
        if path.startswith(prefix):
            folder = path[: path.find("/", len(prefix)) + 1]
            shards.setdefault(folder, {})[path] = entry
    return shards


def _keep_index(
    staging: Staging | JournaledUpdate, previous: dict[str, OutputEntry], shard: SearchShard
) -> dict[str, OutputEntry] | None:
    """A shard's index from the last build (`previous`: its files then), when made from the
    same stories and intact."""
    if not previous or any(entry.fingerprint != shard.key for entry in previous.values()):
        return None
    kept = {path: _keep(staging, path, entry, shard.key) for path, entry in previous.items()}
    return kept if all(kept.values()) else None  # type: ignore[return-value]


def _keep(
    staging: Staging | JournaledUpdate, path: str, entry: OutputEntry | None, fingerprint: str
) -> OutputEntry | None:
    """Reuse the current output's file when its inputs did not change and nobody touched it."""
    if entry is None or entry.fingerprint != fingerprint:
        return None
    try:
        current = os.stat(os.path.join(staging.output, path))  # no Path: called per output
    except OSError:
        return None
    if current.st_size != entry.size or current.st_mtime_ns != entry.mtime_ns:
        return None
    return entry if staging.keep(path) else None


def _store(
    staging: Staging | JournaledUpdate,
    path: str,
    data: bytes,
    fingerprint: str,
    entry: OutputEntry | None,
) -> OutputEntry:
    """Write a file, or keep the current one when its bytes are the same."""
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    if entry is not None and entry.digest == digest:
        kept = _keep(staging, path, entry, entry.fingerprint)
        if kept is not None:
            return OutputEntry(fingerprint, digest, kept.size, kept.mtime_ns)
    stat = staging.write(path, data)
    return OutputEntry(fingerprint, digest, stat.st_size, stat.st_mtime_ns)


def _render_jobs(indexes: Sequence[int]) -> list[tuple[str, OutputEntry]]:
    plan: SitePlan = _RENDER["plan"]
    staging: Staging | JournaledUpdate = _RENDER["staging"]
    previous: dict[str, OutputEntry] = _RENDER["previous"]
    results = []
    for index in indexes:
        job, fingerprint = _RENDER["jobs"][index]
        for path, data in render_job(plan, job).items():
            results.append((path, _store(staging, path, data, fingerprint, previous.get(path))))
    return results
