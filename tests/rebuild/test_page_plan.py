"""A rebuild's plan (`render.page_plan`): story pages fingerprinted without their jobs, and the
listings the last build planned from the same inputs left unplanned, with the very fingerprints,
addresses and sitemap a plan of every page gives."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from bench.generate import generate
from digestgen.config import SiteConfig
from digestgen.model import Record
from digestgen.rebuild.cache import OutputEntry
from digestgen.rebuild.fingerprints import page_fingerprints, story_page_fingerprints
from digestgen.rebuild.keys import story_digests
from digestgen.render.page_plan import LastPlan
from digestgen.render.pages import StoryPages, page_parts
from digestgen.render.site import SitePlan, paths_of, plan_site
from digestgen.stories.assemble import assemble_site
from tests.helpers import build_in, make_site, tree
from tests.helpers.factories import at, rec
from tests.rebuild.test_incremental import CONFIG, clean_build_of, edit
from tests.rebuild.test_page_fingerprints import _records

NOW = at("2025-03-04T12:00:00+00:00")
ENV = jinja2.Environment(loader=jinja2.DictLoader({"robots.txt": "", "sitemap.xml": ""}))


def _config(**fields: object) -> SiteConfig:
    return SiteConfig(title="T", base_url="https://example.com/", page_size=2, **fields)


@pytest.mark.parametrize("edition_pages", [True, False])  # breadcrumbs with and without the day
def test_story_pages_are_fingerprinted_without_their_jobs_as_with_them(edition_pages):
    config = _config(edition_pages=edition_pages)
    _, site, _ = assemble_site(_records(), config, NOW, False)
    digests = story_digests(site.stories)
    pages = next(part for part in page_parts(site, config) if isinstance(part, StoryPages))

    expected = page_fingerprints([pages.job(story) for story in site.stories], digests)

    assert story_page_fingerprints(pages, digests) == expected
    assert len(set(expected)) == len(site.stories)


def _plan(records: list[Record], config: SiteConfig, last: LastPlan | None = None) -> SitePlan:
    _, site, _ = assemble_site(records, config, NOW, False)
    return plan_site(site, config, ENV, {}, last=last)


def _every_page(plan: SitePlan) -> dict[str, str]:
    """Each page's and feed's fingerprint by output path, planned or not."""
    pages = {path: fingerprint for job, fingerprint in plan.jobs for path in paths_of(job)}
    for group in plan.unplanned:
        pages.update(zip(group.paths, group.fingerprints, strict=True))
    return pages


def _as_written(plan: SitePlan) -> LastPlan:
    """What a build of this plan leaves the next: its listings and its outputs."""
    written = {path: OutputEntry(fingerprint, "", 0, 0) for path, fingerprint in
               _every_page(plan).items()}  # fmt: skip
    assert plan.listings is not None
    return LastPlan(plan.listings, written)


def test_a_replan_plans_only_the_listings_whose_stories_changed():
    config = _config()
    records = _records()
    first = _plan(records, config, LastPlan({}, {}))
    old = records[4]  # in Space and AI, from outlet0
    records[4] = rec(old.file, old.url, title="Retitled", when="2025-03-02T04:00:00+00:00",
                     topics=old.topics, related=old.related)  # fmt: skip

    again = _plan(records, config, _as_written(first))
    whole = _plan(records, config)

    assert _every_page(again) == _every_page(whole)  # the same pages, fingerprints and all
    assert again.sitemaps == whole.sitemaps and again.pages == whole.pages
    assert again.listings == _as_written(whole).listings
    assert first.listings is not None and again.listings is not None
    changed = {key for key, known in again.listings.items() if first.listings[key] != known}
    assert {"topic ai", "topic space", "source outlet0.example", "edition 2025-03-02"} <= changed
    assert "edition 2025-03-01" not in changed and "source outlet1.example" not in changed
    planned = {job.page.path for job, _ in again.jobs if hasattr(job, "page")}
    listed = {address for key, (_, addresses) in again.listings.items() for address in addresses}
    replanned = {a for key in changed for a in again.listings[key][1]}
    assert planned & listed == replanned  # only the listings whose stories changed
    assert not any(job.story for job, _ in again.jobs if hasattr(job, "story"))


def test_without_the_last_plan_every_page_is_planned():
    plan = _plan(_records(), _config())
    assert not plan.unplanned
    assert len({path for job, _ in plan.jobs for path in paths_of(job)}) > plan.pages


def test_pages_edited_by_hand_whose_listing_is_not_planned_again_are_rewritten(tmp_path: Path):
    site = make_site(tmp_path / "site", {}, config=CONFIG, search=True)
    generate(60, site / "content", seed=7)
    first = build_in(site)
    assert first.exit_code == 0, first.stderr
    vandalised = ["topics/index.html", "sources/index.html"]  # planned at every build
    # A topic's and an outlet's listing page, and a day's edition, left unplanned by a rebuild
    # after an edit elsewhere: each is planned when its file is found changed.
    for folder in ("topics", "sources"):
        listing = sorted((first.output / folder).glob("*/index.html"))[-1]
        vandalised.append(str(listing.relative_to(first.output)))
    vandalised.append(str(sorted(first.output.glob("20??/??/??/index.html"))[0].relative_to(
        first.output)))  # fmt: skip
    for relative in vandalised:
        (first.output / relative).write_text("vandalised", encoding="utf-8")
    edit(site / "content" / "000" / "synthetic-000010.md", 'title: "Synthetic', 'title: "Edited')

    result = build_in(site)

    assert result.exit_code == 0, result.stderr
    assert tree(result.output) == clean_build_of(site, tmp_path)


def test_a_search_shard_edited_by_hand_is_made_again_beside_a_changed_one(tmp_path: Path):
    # The changed shards are given to Pagefind before the pages are planned, on their keys
    # alone; an unchanged shard whose files are found changed on disk is made after the pages.
    site = make_site(tmp_path / "site", {}, config=CONFIG + "search_shard_size = 20\n", search=True)
    generate(60, site / "content", seed=7)
    first = build_in(site)
    assert first.exit_code == 0, first.stderr
    edit(site / "content" / "000" / "synthetic-000010.md", 'title: "Synthetic', 'title: "Edited')
    shards = sorted((first.output / "pagefind").iterdir())
    assert len(shards) > 2
    for shard in shards:
        (shard / "pagefind-entry.json").write_text("{}", encoding="utf-8")  # each one damaged

    result = build_in(site)

    assert result.exit_code == 0, result.stderr
    assert tree(result.output) == clean_build_of(site, tmp_path)
