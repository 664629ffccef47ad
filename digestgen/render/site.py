"""The whole site planned: every page and feed with the fingerprint of its inputs.

`build` writes the plan through output.publish, `check` renders it in memory, `serve` renders one
page at a time when it is asked for; all three plan alike.
"""

from __future__ import annotations

import traceback
from collections.abc import Container, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any

import jinja2

from digestgen.config import SiteConfig
from digestgen.model import Site, Story
from digestgen.output.paths import OutputCollision, check_output_path, file_path
from digestgen.rebuild.fingerprints import (
    feed_fingerprint,
    page_fingerprints,
    sitemap_fingerprint,
)
from digestgen.rebuild.keys import story_digests
from digestgen.render.errors import RenderError
from digestgen.render.extras import (
    SitemapFile,
    other_files,
    render_sitemap_file,
    sitemap_files,
)
from digestgen.render.feeds import FeedJob, plan_feeds, site_archive
from digestgen.render.jobs import PageJob
from digestgen.render.page_plan import LastPlan, ListingMemo, PagePlan, PlannedJob, UnplannedPages
from digestgen.render.pages import page_parts
from digestgen.render.paging import story_hashes
from digestgen.render.renderer import PageRenderer
from digestgen.render.search import (
    SearchShard,
)
from digestgen.util.slotted import frozen

if TYPE_CHECKING:  # feedgen and lxml: imported when a feed is first rendered
    from digestgen.render.feed_formats import FeedRenderer


def template_error(exc: jinja2.TemplateError) -> RenderError:
    """A RenderError saying which template and line failed, and why."""
    where = _template_frame(exc)
    return RenderError(describe_template_error(exc), *where)


class Renderers:
    """What renders a site's jobs: pages and feeds, from one Jinja environment.

    The feed renderer is made when first asked for: it brings feedgen and lxml and compiles two
    templates, which a rebuild whose feeds did not change never needs.
    """

    def __init__(self, config: SiteConfig, env: jinja2.Environment, static: dict[str, bytes]):
        self.pages = PageRenderer(config, env, static)
        self._config, self._env = config, env
        self._feeds: FeedRenderer | None = None

    @property
    def feeds(self) -> FeedRenderer:
        """The feed renderer, made on first use."""
        return self._feeds or self.make_feed_renderer()

    def make_feed_renderer(self) -> FeedRenderer:
        """Make the feed renderer now, if not made yet (before forking workers that share it)."""
        if self._feeds is None:
            from digestgen.render.feed_formats import FeedRenderer

            self._feeds = FeedRenderer(self._config, self._env)
        return self._feeds


def make_renderers(
    config: SiteConfig, env: jinja2.Environment, static: dict[str, bytes]
) -> Renderers:
    """The page and feed renderers of a site with this theme environment and static files."""
    return Renderers(config, env, static)


@frozen
class PlannedSitemap:
    """A file of the sitemap to make (`sitemap_files`), and the fingerprint of what it lists. It
    is rendered only when the last build's was made from other entries (at 10,000 records the
    sitemap is 13,000 pages' addresses and times, a fifth of a second of template)."""

    file: SitemapFile
    fingerprint: str

    @property
    def path(self) -> str:
        """Its output path."""
        return self.file.path


@frozen
class SitePlan:
    """Every output of a site, planned: page and feed jobs with their fingerprints (and, for a
    rebuild, pages whose jobs are made only if they must be rendered), the renderers for them,
    the sitemap, and the files made at planning time (robots.txt, static)."""

    jobs: tuple[PlannedJob, ...]
    renderers: Renderers
    extras: dict[str, bytes]  # every other file but the sitemap's, by output path
    sitemaps: tuple[PlannedSitemap, ...]  # `sitemap.xml`, and its parts when it is an index
    pages: int
    feed_files: int
    digests: Mapping[str, str]  # of each story, by address (see story_digests)
    unplanned: tuple[UnplannedPages, ...] = ()
    listings: ListingMemo = field(default_factory=dict)  # for the next build (see LastPlan)


def plan_site(
    site: Site,
    config: SiteConfig,
    env: jinja2.Environment,
    static: dict[str, bytes],
    digests: Mapping[str, str] | None = None,
    shards: Sequence[SearchShard] | None = None,
    checked: Container[str] = frozenset(),
    last: LastPlan | None = None,
) -> SitePlan:
    """Plan every page and feed with its fingerprint; a path taken twice is an OutputCollision.

    `digests` are the stories' (`story_digests`) and `shards` the search index's
    (`search_shards`), when the caller has made them already; `checked` are output paths known
    to be safe (`check_output_path`), say those the last build wrote. With `last`, the story
    pages and the listings planned as `last` planned them are left unplanned (`UnplannedPages`).
    """
    numbers = None if shards is None else [shard.number for shard in shards]
    hashes = story_hashes(site.stories)  # where listing pages and archive documents end
    archive = site_archive(site, config, hashes)  # the feeds and the /feeds/ page list it
    digests = story_digests(site.stories) if digests is None else digests
    parts = page_parts(site, config, shards=numbers, archive=archive, hashes=hashes)
    pages = PagePlan(digests, last)
    for part in parts:
        pages.add(part)
    feed_jobs = plan_feeds(site, config, archive)
    renderers = make_renderers(config, env, static)
    try:
        extras = other_files(site.stories, renderers.pages, static)
    except jinja2.TemplateError as exc:
        raise template_error(exc) from None
    files = sitemap_files(tuple(pages.entries))
    _check_unique_paths(pages.addresses, feed_jobs, extras, [file.path for file in files], checked)
    sitemaps = tuple(PlannedSitemap(f, sitemap_fingerprint(f.entries, f.index)) for f in files)
    jobs: list[PlannedJob] = list(
        zip(pages.jobs, page_fingerprints(pages.jobs, digests), strict=True)
    )
    jobs += [(job, feed_fingerprint(job, digests)) for job in feed_jobs]
    feed_files = sum(len(job.files) for job in feed_jobs)
    return SitePlan(
        tuple(jobs), renderers, extras, sitemaps, len(pages.addresses), feed_files, digests,
        tuple(pages.unplanned), pages.listings,
    )  # fmt: skip


def make_sitemap(plan: SitePlan, sitemap: PlannedSitemap) -> bytes:
    """A planned sitemap file's bytes; a template failure is a RenderError."""
    try:
        return render_sitemap_file(sitemap.file, plan.renderers.pages)
    except jinja2.TemplateError as exc:
        raise template_error(exc) from None


def render_job(renderers: Renderers, job: PageJob | FeedJob) -> dict[str, bytes]:
    """Render one page or feed pair to bytes by output path; a template failure is a RenderError."""
    try:
        if isinstance(job, PageJob):
            return {job.output_path: renderers.pages.render(job)}
        return renderers.feeds.render(job)
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
        paths = paths_of(job)
        kept = [previous.get(path) for path in paths]
        if all(entry is not None and entry[0] == fingerprint for entry in kept):
            files.update(zip(paths, kept, strict=True))  # type: ignore[arg-type]
            continue
        for path, data in render_job(plan.renderers, job).items():
            files[path] = (fingerprint, data)
    for sitemap in plan.sitemaps:
        made = previous.get(sitemap.path)
        if made is None or made[0] != sitemap.fingerprint:
            made = (sitemap.fingerprint, make_sitemap(plan, sitemap))
        files[sitemap.path] = made
    files.update((path, ("", data)) for path, data in plan.extras.items())
    return files


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


def newest_shown(job: PageJob | FeedJob) -> float:
    """When the newest story a page or feed shows was published (0 if none)."""
    # One timestamp made, of the newest: this orders every job of a clean build (0.1 s of its
    # planning at 10,000 records, now half). Datetimes compare as instants, but two with the same
    # zone in its repeated hour compare by the clock: only the order of rendering can differ.
    published = [story.lead.published for story in stories_shown(job)]
    return max(published).timestamp() if published else 0.0


def paths_of(job: PageJob | FeedJob) -> tuple[str, ...]:
    """The output paths a page or feed job writes."""
    return (job.output_path,) if isinstance(job, PageJob) else job.output_paths


def _check_unique_paths(
    addresses: Sequence[str],
    feed_jobs: Sequence[FeedJob],
    extras: dict[str, bytes],
    sitemaps: Sequence[str],
    checked: Container[str],
) -> None:
    paths = [file_path(address) for address in addresses]
    paths += [path for job in feed_jobs for path in job.output_paths]
    paths += [*sitemaps, *extras]
    for path in paths:
        if path not in checked:
            check_output_path(path)
    if len(set(paths)) == len(paths):
        return
    # Who claimed each path is worked out only now: a site has tens of thousands of paths.
    claims = [f"page {address}" for address in addresses]
    claims += [f"feed {job.page_path}" for job in feed_jobs for _ in job.output_paths]
    claims += [*(["sitemap"] * len(sitemaps)), *(f"file {path}" for path in extras)]
    seen: set[str] = set()
    for path, origin in zip(paths, claims, strict=True):
        if path in seen:
            raise OutputCollision(f"{origin}: two outputs for the same path /{path}")
        seen.add(path)


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
