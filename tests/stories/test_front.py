"""The front page's stories: the top stories of the window before the build's clock, never fewer
than a page when the digest has them, ranked as editions are; "More by topic" never repeats."""

from datetime import datetime, timedelta

import pytest

from digestgen.config import SiteConfig
from digestgen.model import Record, Site
from digestgen.render.pages import SECTION_SIZE, SECTIONS
from digestgen.stories.cluster import cluster_records
from digestgen.stories.front import clock_marks, sections_since, topic_sections
from digestgen.stories.organize import organize
from digestgen.stories.select import waiting_items
from tests.helpers.factories import at, rec

LAST_DAY = datetime.fromisoformat("2025-11-30T00:00:00+00:00")


def sparse_records(days: int = 30, per_day: int = 2) -> list[Record]:
    """`per_day` stories a day (from 09:00 UTC, evenly over 14 hours) for `days` days ending on
    30 November."""
    records = []
    for back in range(days):
        day = LAST_DAY - timedelta(days=back)
        for n in range(per_day):
            when = day + timedelta(hours=9) + n * timedelta(hours=14) / per_day
            records.append(
                rec(
                    f"{when:%m%d}-{n:02d}.md",
                    f"https://o{n}.example.com/{when:%m%d}",
                    title=f"Story {when:%m-%d} {n}",
                    when=when.isoformat(),
                    heat=(back * 7 + n * 3) % 11,
                    topics=("Cloud",) if n else ("Policy", "Cloud"),
                )
            )
    return records


def site_of(records: list[Record], now: datetime, **config: object) -> Site:
    settings = SiteConfig(**config)  # type: ignore[arg-type]
    clusters, _ = cluster_records(records, settings.zone)
    return organize(clusters, settings, now)


def titles(stories) -> list[str]:
    return [story.title for story in stories]


def test_a_sparse_digest_fills_a_whole_page_from_before_the_window():
    site = site_of(sparse_records(), at("2025-11-30T20:00:00+00:00"))
    assert len(site.front) == 20  # page_size, though the window holds 2
    newest = sorted(site.stories, key=lambda s: s.published, reverse=True)[:20]
    assert set(titles(site.front)) == set(titles(newest))


def test_just_after_midnight_the_front_page_is_still_full():
    site = site_of(sparse_records(), at("2025-12-01T00:01:00+00:00"))
    assert site.editions[0].day.isoformat() == "2025-11-30"
    assert len(site.front) == 20


def test_the_front_page_is_ranked_as_an_edition_is():
    site = site_of(sparse_records(), at("2025-12-01T00:01:00+00:00"))
    for edition in site.editions[:10]:
        order = [s for s in site.front if s in edition.stories]
        assert order == list(edition.stories)  # the same ranking within each day
    heats = [story.lead.heat for story in site.front[:2]]
    assert heats[0] is not None and heats[1] is not None


def test_a_busy_window_is_shown_whole_ranked():
    busy = sparse_records(days=2, per_day=15)
    site = site_of(busy, at("2025-12-01T00:00:00+00:00"), page_size=10, front_window_hours=48)
    assert len(site.front) == 30
    quieter = site_of(busy, at("2025-12-01T00:00:00+00:00"), page_size=10, front_window_hours=1)
    assert len(quieter.front) == 10


def test_the_window_is_measured_from_the_build_clock():
    records = sparse_records(days=3, per_day=10)
    newest = max(record.published for record in records)
    inside = site_of(records, newest + timedelta(hours=1), page_size=2, front_window_hours=24)
    later = site_of(records, newest + timedelta(days=5), page_size=2, front_window_hours=24)
    window = [s for s in inside.stories if s.published > newest + timedelta(hours=1 - 24)]
    assert len(inside.front) == len(window) > 2
    assert len(later.front) == 2  # the window is empty: the newest page_size stories


def test_a_story_exactly_window_hours_old_is_out_of_the_window():
    records = sparse_records(days=1, per_day=3)
    oldest = min(record.published for record in records)
    edge = site_of(records, oldest + timedelta(hours=24), page_size=1)
    just_in = site_of(records, oldest + timedelta(hours=24) - timedelta(seconds=1), page_size=1)
    assert len(edge.front) == 2 and len(just_in.front) == 3


def test_the_same_records_and_clock_give_the_same_front_page():
    now = at("2025-12-01T00:01:00+00:00")
    first, second = site_of(sparse_records(), now), site_of(sparse_records()[::-1], now)
    assert [s.path for s in first.front] == [s.path for s in second.front]


def test_more_by_topic_never_repeats_a_story_and_stays_recent():
    now = at("2025-12-01T00:01:00+00:00")
    site = site_of(sparse_records(days=30, per_day=6), now, page_size=5)
    shown = {story.path for story in site.front[:5]}
    since = sections_since(now, site.front)
    sections = topic_sections(site.topics, shown, since, SECTIONS, SECTION_SIZE)
    listed = [story.path for _, stories in sections for story in stories]
    assert listed and len(listed) == len(set(listed))  # no story in two sections
    assert not shown & set(listed)  # nor one shown above them
    assert all(story.published > now - timedelta(days=7) for _, s in sections for story in s)


def test_more_by_topic_reaches_back_as_far_as_the_front_page_when_that_is_older():
    now = at("2025-12-01T00:01:00+00:00")
    site = site_of(sparse_records(), now)
    assert sections_since(now, site.front) < min(story.published for story in site.front)


@pytest.mark.parametrize(
    ("hours_old", "marks"), [(1, "ws"), (24, "s"), (23.9, "ws"), (24 * 7 + 1, "")]
)
def test_clock_marks_say_where_the_clock_puts_a_story(hours_old, marks):
    now = 1_000_000_000.0
    assert clock_marks(now, 24)(now - hours_old * 3600) == marks


@pytest.mark.parametrize(
    ("stamps", "waiting"),
    [((), 0), ((1.0, 2.0), 0), ((4.0,), 0), ((5.0, 1.0, 9.0), 2), ((4.5,), 1)],
)
def test_waiting_items_are_those_dated_after_the_clock(stamps, waiting):
    assert waiting_items(stamps, 4.0) == waiting
