"""Publishing: render the pages and feeds whose inputs changed, keep the rest, write it out."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

import jinja2

from digestgen.config import SiteConfig
from digestgen.model import Site
from digestgen.output.indexing import SearchIndexing, begin_search_index, index_outputs
from digestgen.output.journal import JournaledUpdate
from digestgen.output.owned import current_entry
from digestgen.output.staging import OutputWriter, Staging, output_files
from digestgen.output.storing import keep_output, store_output
from digestgen.rebuild.cache import OutputEntry
from digestgen.render.feeds import FeedJob
from digestgen.render.jobs import PageJob
from digestgen.render.page_plan import LastPlan, ListingMemo, PlannedJob
from digestgen.render.site import (
    SitePlan,
    make_sitemap,
    newest_shown,
    paths_of,
    plan_site,
    render_job,
)
from digestgen.util import parallel
from digestgen.util.lifetime import leave
from digestgen.util.slotted import frozen


@frozen
class Published:
    """What was written: every output file's entry, how many were rendered or kept, and counts."""

    outputs: dict[str, OutputEntry]
    written: int
    kept: int
    pages: int
    feeds: int
    others: int
    listings: ListingMemo  # for the next build (see `render.page_plan.LastPlan`)


@frozen
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
    search: SearchIndexing | None = None,
    listings: ListingMemo | None = None,
    settled: Collection[str] = frozenset(),
) -> Published:
    """Render what changed since `previous` (the last build's outputs, or nothing), keep the rest.

    With a previous build, its output is updated in place under a journal, else a new tree is
    swapped in. When known: `listing`, the output's files; `intact`, `OutputCheck.settled`'s;
    `search`, the search index begun (`begin_search_index`);
    `listings`, the last build's (`SitePlan.listings`), whose unchanged ones are not planned;
    `settled`, the stories whose pages show what they showed in the last build (`LastPlan`).
    """
    if search is None:
        search = begin_search_index(site, config, previous, workers, None)
    digests = search.digests
    writer = _writer(output_dir, previous)
    try:
        kept_index, indexing = search.finish(writer, previous, intact, config, workers)
        last = LastPlan(listings or {}, previous, settled) if previous else None
        plan = plan_site(site, config, env, static, digests, search.shards, previous, last)
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
        _remove_gone(writer, outputs, listing)
    except BaseException:
        writer.abort()
        raise
    writer.commit()
    lap("commit")
    leave(plan, search, to_render)  # see util.lifetime
    return Published(
        outputs=outputs,
        written=len(rendered),  # rendered files, whether their bytes changed or not
        kept=len(outputs) - len(rendered),
        pages=plan.pages,
        feeds=plan.feed_files,
        others=len(others),
        listings=plan.listings,
    )


def _remove_gone(
    writer: OutputWriter, outputs: Mapping[str, OutputEntry], listing: Collection[str] | None
) -> None:
    """Remove, from an output updated in place, every file the new site lacks (`listing`: the
    output's files, when known): not only those the cache lists, for a build killed after its
    commit, before its cache was saved, left files no cache describes."""
    if isinstance(writer, JournaledUpdate):
        if listing is None:
            listing = {path for path, _ in output_files(writer.output)}
        writer.remove(sorted(set(listing) - set(outputs)))


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
    and the jobs to render, in the order the workers take them (`render_order`)."""
    outputs: dict[str, OutputEntry] = {}
    to_render: list[PlannedJob] = []
    # As `keep_output`, inlined: this runs for each of the site's files (24,000 at 10,000 records).
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
    _keep_unplanned(plan, writer, previous, intact, outputs, to_render)
    to_render.sort(key=lambda entry: render_order(entry[0]))
    return outputs, to_render


def render_order(job: PageJob | FeedJob) -> tuple[bool, float]:
    """Where a job goes in the order the workers take them: the feeds first, then the pages,
    each newest stories first.

    Jobs showing stories of the same days are rendered together, so that the story cards and
    feed items a worker keeps (a bounded number) are the ones it needs next. The feeds together,
    before the pages rather than among them by their dates, took 1.4 CPU-s instead of 2.3, and
    the pages 4.3 instead of 5.1-5.3 (10,000 records, rendered in one process, not written).
    """
    return isinstance(job, PageJob), -newest_shown(job)


def _keep_unplanned(
    plan: SitePlan,
    writer: OutputWriter,
    previous: Mapping[str, OutputEntry],
    intact: Mapping[str, OutputEntry] | None,
    outputs: dict[str, OutputEntry],
    to_render: list[PlannedJob],
) -> None:
    """`_keep_unchanged` for the plan's unplanned pages: each kept in `outputs`, or planned now
    and added to `to_render`."""
    # As `keep_output`, inlined, as in `_keep_unchanged`: 13,500 pages at 10,000 records.
    prefix, keep = os.path.join(writer.output, ""), writer.keep
    for group in plan.unplanned:  # one path a page
        pages = zip(group.paths, group.fingerprints, strict=True)
        for position, (path, fingerprint) in enumerate(pages):
            entry = previous.get(path)
            if entry is not None and entry.fingerprint == fingerprint:
                current = (
                    current_entry(prefix + path, entry) if intact is None else intact.get(path)
                )
                if current is not None and current.digest == entry.digest and keep(path):
                    outputs[path] = current
                    continue
            to_render.append(group.job(position))


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


def _store_extras(
    extras: Mapping[str, bytes], writer: OutputWriter, previous: Mapping[str, OutputEntry]
) -> dict[str, OutputEntry]:
    """Store the extras (sitemap, static files...)."""
    return {
        path: store_output(writer, path, data, "", previous.get(path))
        for path, data in extras.items()
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
        kept = keep_output(writer, path, entry, fingerprint)
        if kept is None:
            kept = store_output(writer, path, make_sitemap(plan, sitemap), fingerprint, entry)
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
    others = index_outputs(indexing(), plan.extras)
    others.update(stored)
    return others


def _render_jobs(rendering: _Rendering, indexes: Sequence[int]) -> list[tuple[str, OutputEntry]]:
    """Render the jobs at these indexes and store each file (in a render worker)."""
    results = []
    for index in indexes:
        job, fingerprint = rendering.jobs[index]
        for path, data in render_job(rendering.plan.renderers, job).items():
            entry = store_output(
                rendering.writer, path, data, fingerprint, rendering.previous.get(path)
            )
            results.append((path, entry))
    return results
