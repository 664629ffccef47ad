"""Values left unfreed: kept for good inside `unfreed(True)` only, as a build whose process ends
right after it asks."""

from __future__ import annotations

import weakref
from datetime import UTC, datetime

from digestgen.build import BuildOptions, build
from digestgen.config import load_config
from digestgen.util import lifetime
from digestgen.util.lifetime import leave, unfreed
from tests.helpers import record


class _Value:
    """Something a weak reference can watch."""


def _left_behind(process_ends: bool) -> bool:
    """Whether a value given to `leave` inside `unfreed(process_ends)` outlives its last name."""
    value = _Value()
    watch = weakref.ref(value)
    with unfreed(process_ends):
        leave(value)
    del value
    return watch() is not None


def test_leave_keeps_values_only_when_the_process_ends():
    assert _left_behind(True)
    assert not _left_behind(False)
    value = _Value()
    watch = weakref.ref(value)
    leave(value)  # outside any `unfreed`
    del value
    assert watch() is None


def test_unfreed_nests_and_restores_what_was_before():
    with unfreed(True):
        with unfreed(False):  # an inner build that would free does not stop the outer's leaving
            assert lifetime._leaving
        assert lifetime._leaving
    assert not lifetime._leaving
    with unfreed(False):
        with unfreed(True):
            assert lifetime._leaving
        assert not lifetime._leaving


def test_only_a_build_whose_process_ends_leaves_its_stages_data(tmp_path, monkeypatch):
    content = tmp_path / "content"
    content.mkdir()
    for n in range(3):
        (content / f"r{n}.md").write_text(record(f"Story {n}", f"https://example.com/{n}"))
    (tmp_path / "digestgen.toml").write_text('title = "T"\nbase_url = "https://example.org/"\n')
    config = load_config(None, tmp_path)
    monkeypatch.setattr(lifetime, "_left", [])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    build(config, BuildOptions(now=now, workers=1))  # as `serve` and library callers build
    assert lifetime._left == []
    build(config, BuildOptions(now=now, workers=1, force=True, use_cache=False, process_ends=True))
    kinds = {type(value).__name__ for left in lifetime._left for value in left}
    # The build's own data, the clusters' and the organised stories' working lists, the plan.
    assert {"Site", "Published", "SitePlan"} <= kinds, kinds
    assert len(lifetime._left) >= 5
    assert not lifetime._leaving
