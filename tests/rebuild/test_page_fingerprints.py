"""`page_fingerprints`, which a build plans every page with: each page's fingerprint is the one
`page_fingerprint` gives it alone, story pages (described the quick way) included."""

from __future__ import annotations

import pytest

from digestgen.config import SiteConfig
from digestgen.model import Record
from digestgen.rebuild import fingerprints
from digestgen.rebuild.fingerprints import page_fingerprint, page_fingerprints
from digestgen.rebuild.keys import digest_of, story_digests
from digestgen.render.pages import plan_pages
from digestgen.stories.assemble import assemble_site
from tests.helpers.factories import at, cov, rec

NOW = at("2025-03-04T12:00:00+00:00")


def _records() -> list[Record]:
    """Stories over three days: several in each of two topics (so most story pages list earlier
    stories of their topic, under a topic shared with others), some with no topic at all."""
    records = []
    for n in range(12):
        topics = (("AI",), ("Space", "AI"), ())[n % 3]
        records.append(
            rec(
                f"r{n}.md",
                f"https://outlet{n % 4}.example/{n}",
                title=f"Story number {n}",
                when=f"2025-03-0{1 + n % 3}T{n:02d}:00:00+00:00",
                topics=topics,
                related=(cov(f"https://other.example/{n}", when="2025-03-02T00:00:00+00:00"),),
            )
        )
    return records


@pytest.mark.parametrize("edition_pages", [True, False])  # breadcrumbs with and without the day
def test_every_page_gets_the_fingerprint_page_fingerprint_gives_it(edition_pages):
    config = SiteConfig(title="T", base_url="https://example.com/", edition_pages=edition_pages)
    _, site, _ = assemble_site(_records(), config, NOW, False)
    jobs = plan_pages(site, config)
    digests = story_digests(site.stories)

    fingerprints = page_fingerprints(jobs, digests)

    assert fingerprints == [page_fingerprint(job, digests) for job in jobs]
    story_pages = [job for job in jobs if job.story is not None]
    assert len(story_pages) == 12
    earlier = [job for job in story_pages if dict(job.context)["earlier"]]
    assert earlier and len(earlier) < len(story_pages)  # both kinds of story page are there
    assert len(set(fingerprints)) == len(jobs)  # and no two pages are described alike


def test_a_story_page_fingerprint_moves_with_an_earlier_story_of_its_topic():
    config = SiteConfig(title="T", base_url="https://example.com/")
    records = _records()
    first, _ = _fingerprints(records, config)

    old = records[0]
    records[0] = rec(old.file, old.url, title="Retitled", when="2025-03-01T00:00:00+00:00",
                     topics=old.topics, related=old.related)  # fmt: skip
    second, jobs = _fingerprints(records, config)

    listing_it = [
        job.output_path
        for job in jobs
        if job.story is not None
        and job.story.lead.file != old.file
        and any(s.lead.file == old.file for s in (dict(job.context)["earlier"] or (None, ()))[1])
    ]
    assert listing_it  # a later story of its topic lists it
    for path in listing_it:
        assert first[path] != second[path]


def _fingerprints(records: list[Record], config: SiteConfig) -> tuple[dict[str, str], list]:
    """Each page's fingerprint by output path, and the pages."""
    _, site, _ = assemble_site(records, config, NOW, False)
    jobs = plan_pages(site, config)
    fingerprints = page_fingerprints(jobs, story_digests(site.stories))
    return dict(zip([job.output_path for job in jobs], fingerprints, strict=True)), jobs


def test_a_story_page_is_described_as_its_context_would_be_one_value_at_a_time(monkeypatch):
    """The story page's quick description (its story and earlier stories, told at once, without
    `_value_digest`) says exactly what `_value_digest` says of each value of its context."""
    config = SiteConfig(title="T", base_url="https://example.com/")
    _, site, _ = assemble_site(_records(), config, NOW, False)
    digests = story_digests(site.stories)
    story_pages = [job for job in plan_pages(site, config) if job.story is not None]
    value_digest = fingerprints._value_digest
    expected = []
    for job in story_pages:
        shared = fingerprints._SharedTexts()
        told = [f"{key}={value_digest(value, digests, shared)}" for key, value in job.context]
        expected.append(
            digest_of([job.template, digests[job.story.path], shared.page(job.page), *told])
        )

    def not_called(*_):
        raise AssertionError("a story page described value by value")

    monkeypatch.setattr(fingerprints, "_value_digest", not_called)
    assert [page_fingerprint(job, digests) for job in story_pages] == expected
    assert {dict(job.context)["earlier"] is None for job in story_pages} == {True, False}
