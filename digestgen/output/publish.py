"""Publishing: render the pages and feeds whose inputs changed, keep the rest, write it out."""

from __future__ import annotations

import hashlib
import os
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from digestgen.config import SiteConfig
from digestgen.model import Site, Story
from digestgen.output.journal import JournaledUpdate
from digestgen.output.paths import OutputCollision, check_output_path
from digestgen.output.staging import Staging, output_files
from digestgen.rebuild.cache import OutputEntry
from digestgen.rebuild.fingerprints import feed_fingerprint, page_fingerprint, story_digests
from digestgen.render.feeds import FeedJob, FeedRenderer, plan_feeds
from digestgen.render.pages import PageJob, PageRenderer, plan_pages, render_extras
from digestgen.render.search import (
    SEARCH_FOLDER,
    SearchIndexError,
    SearchShard,
    index_shards,
    plan_shards,
)
from digestgen.util import parallel


class RenderError(Exception):
    """A template failed while rendering; the message names the template and line."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


def template_error(exc: jinja2.TemplateError) -> RenderError:
    """A RenderError saying which template and line failed, and why."""
    where = _template_frame(exc)
    return RenderError(describe_template_error(exc), *where)


_Job = tuple[PageJob | FeedJob, str]
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


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Every output of a site, planned: page and feed jobs with their fingerprints, the
    renderers for them, and the files made at planning time (sitemap, robots.txt, static)."""

    jobs: tuple[_Job, ...]
    renderer: PageRenderer
    feeds: FeedRenderer
    extras: dict[str, bytes]
    pages: int
    feed_files: int
    digests: Mapping[str, str]  # of each story, by address (see story_digests)


def plan_site(
    site: Site, config: SiteConfig, env: jinja2.Environment, static: dict[str, bytes]
) -> SitePlan:
    """Plan every page and feed with its fingerprint; a path taken twice is an OutputCollision."""
    page_jobs = plan_pages(site, config)
    feed_jobs = plan_feeds(site, config)
    renderer = PageRenderer(config, env, static)
    try:
        extras = render_extras(page_jobs, renderer, static)
    except jinja2.TemplateError as exc:
        raise template_error(exc) from None
    _check_unique_paths(page_jobs, feed_jobs, extras)
    digests = story_digests(site.stories)
    jobs: list[_Job] = [(job, page_fingerprint(job, digests)) for job in page_jobs]
    jobs += [(job, feed_fingerprint(job, digests)) for job in feed_jobs]
    feeds = FeedRenderer(config, env)
    feed_files = sum(len(job.files) for job in feed_jobs)
    return SitePlan(tuple(jobs), renderer, feeds, extras, len(page_jobs), feed_files, digests)


def render_job(plan: SitePlan, job: PageJob | FeedJob) -> dict[str, bytes]:
    """Render one page or feed pair to bytes by output path; a template failure is a RenderError."""
    try:
        if isinstance(job, PageJob):
            return {job.output_path: plan.renderer.render(job)}
        return plan.feeds.render(job)
    except jinja2.TemplateError as exc:
        raise template_error(exc) from None


# An output rendered in memory: the fingerprint of its inputs and its bytes.
RenderedFile = tuple[str, bytes]


def render_in_memory(
    plan: SitePlan, previous: Mapping[str, RenderedFile] | None = None
) -> dict[str, RenderedFile]:
    """The whole site as {output path: (fingerprint, bytes)}, writing nothing.

    A page or feed whose fingerprint is the one in `previous` is taken from there, not rendered.
    """
    previous = previous or {}
    files: dict[str, RenderedFile] = {}
    for job, fingerprint in plan.jobs:
        paths = _paths_of(job)
        kept = [previous.get(path) for path in paths]
        if all(entry is not None and entry[0] == fingerprint for entry in kept):
            files.update(zip(paths, kept, strict=True))  # type: ignore[arg-type]
            continue
        for path, data in render_job(plan, job).items():
            files[path] = (fingerprint, data)
    files.update((path, ("", data)) for path, data in plan.extras.items())
    return files


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
    to_render: list[_Job] = []
    for job, fingerprint in plan.jobs:
        paths = _paths_of(job)
        entries = [_keep(staging, path, previous.get(path), fingerprint) for path in paths]
        if all(entries):
            outputs.update(zip(paths, entries, strict=True))  # type: ignore[arg-type]
        else:
            to_render.append((job, fingerprint))
    lap("keep unchanged")
    # Pages and feeds showing stories of the same days are rendered together, so the story
    # cards and feed items a worker keeps (a bounded number) are the ones it needs next.
    to_render.sort(key=lambda entry: _newest_shown(entry[0]), reverse=True)
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


def search_index(site: Site, config: SiteConfig, taken: dict[str, bytes]) -> dict[str, bytes]:
    """The site's whole search index by output path, made in memory as `publish` makes it."""
    index: dict[str, bytes] = {}
    shards = search_shards(site, config)
    for _shard, files in make_search_index(shards, config, taken, 1):
        index.update(files)
    return index


def search_shards(
    site: Site, config: SiteConfig, digests: Mapping[str, str] | None = None
) -> list[SearchShard]:
    """The search index's shards; none when search is turned off."""
    if not config.search:
        return []
    digests = story_digests(site.stories) if digests is None else digests
    settings = f"{config.language}\0{config.timezone}\0{config.link('/')}"
    return plan_shards(site.stories, digests, settings, config.search_shard_size)


def make_search_index(
    shards: Sequence[SearchShard], config: SiteConfig, taken: dict[str, bytes], workers: int
) -> Iterator[tuple[SearchShard, dict[str, bytes]]]:
    """Each shard with its index files, by output path, `workers` shards at a time; a file
    already `taken` (a theme's static file in their folder) is an OutputCollision."""
    try:
        language, zone = config.language, config.zone
        for shard, files in index_shards(shards, config.link, language, zone, workers):
            for path in files:
                check_output_path(path)
                if path in taken:
                    raise OutputCollision(f"search index: two outputs for the same path /{path}")
            yield shard, files
    except SearchIndexError as exc:
        raise RenderError(str(exc)) from None


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


def stories_shown(job: PageJob | FeedJob) -> list[Story]:
    """The stories a page or feed shows, wherever they stand in its context."""
    if isinstance(job, FeedJob):
        return list(job.stories)
    found: list[Story] = []
    pending: list[Any] = [value for _, value in job.context]
    while pending:
        value = pending.pop()
        if isinstance(value, Story):
            found.append(value)
        elif isinstance(value, tuple):
            pending.extend(value)
    return found


def _newest_shown(job: PageJob | FeedJob) -> float:
    return max((story.published.timestamp() for story in stories_shown(job)), default=0.0)


def _paths_of(job: PageJob | FeedJob) -> tuple[str, ...]:
    return (job.output_path,) if isinstance(job, PageJob) else job.output_paths


def _check_unique_paths(
    page_jobs: Sequence[PageJob], feed_jobs: Sequence[FeedJob], extras: dict[str, bytes]
) -> None:
    seen: dict[str, str] = {}
    claims = [(job.output_path, f"page {job.page.path}") for job in page_jobs]
    claims += [(path, f"feed {job.page_path}") for job in feed_jobs for path in job.output_paths]
    claims += [(path, f"file {path}") for path in extras]
    for path, origin in claims:
        check_output_path(path)
        if path in seen:
            raise OutputCollision(f"{origin}: two outputs for the same path /{path}")
        seen[path] = origin


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


def fatal_message(exc: BaseException) -> str:
    """The message of an error that stops the whole build, for a person."""
    if isinstance(exc, jinja2.TemplateError):
        return describe_template_error(exc)
    return str(exc)


def describe_template_error(exc: jinja2.TemplateError) -> str:
    """Say which template and line failed, and why."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"template {exc.filename or exc.name}, line {exc.lineno}: {exc.message}"
    file, line = _template_frame(exc)
    where = f" in {file}, line {line}" if file else ""
    return f"template error{where}: {exc}"


def _template_frame(exc: jinja2.TemplateError) -> tuple[str | None, int | None]:
    """The template file and line where an error happened, when known."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name, exc.lineno
    # Jinja rewrites tracebacks so that template frames carry the template's file and line.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.endswith(".py")]
    return (frames[-1].filename, frames[-1].lineno) if frames else (None, None)
