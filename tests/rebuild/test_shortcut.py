"""The no-change shortcut: its order of questions (a record file the cache does not know means
work, found before any file's clock marks are worked out), and the clock marks of a daily digest's
records, which say whether each record's day has ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.generate import generate
from digestgen.build import CACHE_FOLDER
from digestgen.config import load_config
from digestgen.output.owned import OutputCheck
from digestgen.rebuild import shortcut
from digestgen.rebuild.cache import load_state, records_key, site_key
from digestgen.rebuild.keys import build_key
from digestgen.rebuild.results import NO_RECORD
from digestgen.records.scan import ContentFile, scan_content
from digestgen.render.themes import resolve_theme
from digestgen.util.dates import day_end
from tests.helpers import FIXED_NOW, build_in, make_site

NOW = datetime.fromisoformat(FIXED_NOW.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "site", {})
    generate(30, root / "content", seed=5)
    assert build_in(root).exit_code == 0
    return root


def ask_shortcut(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, int]:
    """`unchanged_build` over the site as it is now: its answer, and how many files it worked out
    the clock marks of (`used_inputs`)."""
    config = load_config(None, root)
    output = root / "public"
    state, reason = load_state(
        root / CACHE_FOLDER / "public", site_key(config.base_url, root, output),
        records_key(config.zone),
    )  # fmt: skip
    assert reason is None
    marked = []
    used_inputs = shortcut.used_inputs

    def counted_inputs(*arguments: Any) -> list[tuple[str, str]]:
        used = used_inputs(*arguments)
        marked.extend(used)
        return used

    monkeypatch.setattr(shortcut, "used_inputs", counted_inputs)
    key = build_key(config, resolve_theme(config.theme, root), False)
    files = scan_content(root / "content", state.files).files
    answer = shortcut.unchanged_build(
        files, state, key, OutputCheck(output, state.outputs, 1), NOW, False,
        config.front_window_hours, config.zone,  # the default site has a daily digest
    )  # fmt: skip
    monkeypatch.undo()
    return answer, len(marked)


def test_a_new_record_file_listed_last_ends_the_shortcut_before_any_file_is_marked(
    built, monkeypatch
):
    unchanged, marked = ask_shortcut(built, monkeypatch)
    assert unchanged is not None and marked == 30  # nothing changed: every file is marked
    source = sorted((built / "content").rglob("*.md"))[0]
    added = built / "content" / "zz-added" / "late.md"
    added.parent.mkdir()
    added.write_text(source.read_text(encoding="utf-8").replace("Synthetic", "Late", 1), "utf-8")
    answer, marked = ask_shortcut(built, monkeypatch)
    assert answer is None
    assert marked == 0


# Zones whose midnights are unusual: a gap at midnight (Santiago, Havana), a day skipped (Apia,
# 30 December 2011), quarter hours (Kathmandu), half-hour summer time (Lord Howe).
ZONES = ("UTC", "America/New_York", "America/Santiago", "America/Havana", "Pacific/Apia",
         "Asia/Kathmandu", "Australia/Lord_Howe", "Europe/London")  # fmt: skip
CLOCKS = st.datetimes(datetime(2005, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    clock=CLOCKS,
    days=st.integers(-3, 0),
    microseconds=st.integers(-5_000_000, 5_000_000),
)
def test_a_records_day_has_ended_in_its_clock_marks_when_its_day_end_is_past_the_clock(
    zone, clock, days, microseconds
):
    # Dated near a midnight before the clock (within seconds of one, in the zone), or near the
    # clock itself; as `render.feed_items`'s daily digest decides, the day has ended when its
    # end (the next midnight there) is at the clock or before. Records are dated to the
    # microsecond (a float a fraction of one before midnight reads back as midnight).
    zone = ZoneInfo(zone)
    day = clock.astimezone(zone).date() + timedelta(days=days)
    near = day_end(day, zone) + timedelta(microseconds=microseconds)
    stamp = min(near.timestamp(), clock.timestamp())
    source = ContentFile("a.md", "a.md", "d" * 32, 1, 1)
    facts = {source.digest: (NO_RECORD, (), (stamp, True, ()))}
    (used,) = shortcut.used_inputs([source], facts, clock, False, 24, zone)
    published = datetime.fromtimestamp(stamp, zone).date()
    assert used[1].endswith("e") == (day_end(published, zone) <= clock)
    (without_digest,) = shortcut.used_inputs([source], facts, clock, False, 24, None)
    assert not without_digest[1].endswith("e")  # no daily digest: no day ends
