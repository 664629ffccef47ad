"""The memos `serve` keeps between rebuilds: after any edits, the same site as a fresh assembly."""

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digestgen.config import SiteConfig
from digestgen.stories.addresses import address_family, first_free
from digestgen.stories.assemble import SiteMemo, assemble_site
from tests.helpers.factories import at, cov, rec

NOW = at("2025-03-03T12:00:00+00:00")
CONFIG = SiteConfig(title="Memo", base_url="https://example.com/", timezone="America/New_York")

# Few URLs, titles, days and topics, so that edits make duplicates, related links, shared
# addresses (with suffixes), renamed topics and coverage falling due all the time.
URLS = [f"https://outlet{n % 3}.example/{n}" for n in range(5)]
records = st.builds(
    lambda source, url, title, day, hour, heat, topics, related, draft: rec(
        f"{source}.md",
        URLS[url],
        title=title,
        when=f"2025-03-0{day}T{hour:02d}:00:00+00:00",
        heat=heat,
        topics=topics,
        related=tuple(
            cov(URLS[n], when=f"2025-03-03T{hour:02d}:00:00+00:00" if later else None)
            for n, later in related
        ),
        is_published=not draft,
    ),
    source=st.sampled_from("abcdef"),
    url=st.integers(0, len(URLS) - 1),
    title=st.sampled_from(["Same title", "Other title", "Deadbeef 12345678"]),
    day=st.integers(1, 3),
    hour=st.integers(0, 23),
    heat=st.none() | st.integers(0, 3),
    topics=st.lists(st.sampled_from(["AI", "ai", "A.I.", "Space", "space-flight"]), max_size=2),
    related=st.lists(st.tuples(st.integers(0, len(URLS) - 1), st.booleans()), max_size=2),
    draft=st.booleans(),
)
edits = st.lists(
    st.tuples(st.booleans(), records, st.integers(0, 12), st.booleans()), min_size=1, max_size=12
)  # (remove?, the record to write or whose file to remove, hours the clock moves on, and
# whether the list names one record object twice, as a caller might by mistake)


@settings(max_examples=200, deadline=None)
@given(edits)
def test_memoised_assembly_equals_a_fresh_one_after_any_edits(steps):
    files: dict[str, object] = {}
    memo = SiteMemo()
    now = NOW
    for remove, record, hours, twice in steps:
        if remove:
            files.pop(record.file, None)
        else:
            files[record.file] = record
        now += timedelta(hours=hours)
        current = sorted(files.values(), key=lambda r: r.file)
        current += current[:1] if twice else []
        assert assemble_site(current, CONFIG, now, False, memo) == assemble_site(
            current, CONFIG, now, False
        )


def test_a_memo_keeps_unchanged_stories_and_remakes_only_the_changed_one():
    records = [rec(f"{n}.md", f"https://example.com/{n}", title=f"Story {n}") for n in range(50)]
    memo = SiteMemo()
    _, first, _ = assemble_site(records, CONFIG, NOW, False, memo)
    edited = [*records[:7], replace(records[7], title="Story 7, edited"), *records[8:]]
    _, again, _ = assemble_site(edited, CONFIG, NOW, False, memo)
    assert again == assemble_site(edited, CONFIG, NOW, False)[1]
    before = {id(story) for story in first.stories}
    remade = [story for story in again.stories if id(story) not in before]
    assert [story.title for story in remade] == ["Story 7, edited"]


def test_a_memo_follows_a_change_of_time_zone():
    records = [rec("a.md", "https://example.com/a", when="2025-03-02T03:00:00+00:00")]
    memo = SiteMemo()
    assemble_site(records, CONFIG, NOW, False, memo)
    tokyo = replace(CONFIG, timezone="Asia/Tokyo")
    _, site, _ = assemble_site(records, tokyo, NOW, False, memo)
    assert site == assemble_site(records, tokyo, NOW, False)[1]
    assert site.stories[0].path.startswith("/2025/03/02/")


def test_a_memo_recovers_after_a_failed_call():
    first = rec("x.md", "https://example.com/x", title="Zed", when="2025-03-01T15:00:00+00:00")
    second = rec("y.md", "https://example.com/y", title="Zed", when="2025-03-01T16:00:00+00:00")
    memo = SiteMemo()
    _, site, _ = assemble_site([first, second], CONFIG, NOW, False, memo)
    assert sorted(len(story.path) for story in site.stories)[0] == len("/2025/03/01/zed/")
    # No URL at all (validation never makes such a record): addressing it fails, after the
    # memo had begun to take `first` out, and before it gave `second` its plain address.
    broken = rec("broken.md", "", title="Aardvark")
    with pytest.raises(IndexError):
        assemble_site([second, broken], CONFIG, NOW, False, memo)
    _, again, _ = assemble_site([second], CONFIG, NOW, False, memo)
    assert again == assemble_site([second], CONFIG, NOW, False)[1]
    assert again.stories[0].path == "/2025/03/01/zed/"


@given(
    st.sampled_from(["a", "a-1", "a-deadbeef", "12345678", "a-0123456789abcdef", "x-y-2"]),
    st.text("ab", min_size=1, max_size=3),
)
def test_every_address_a_base_can_get_is_of_the_base_family(slug, identity):
    base = f"/2025/03/01/{slug}"
    taken: set[str] = set()
    for _ in range(8):
        address = first_free(base, identity, taken)
        assert address_family(address) == address_family(base)
        taken.add(address)
