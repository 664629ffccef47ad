"""The no-change shortcut's order of questions: a record file the cache does not know means work,
found before any file's clock marks are worked out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.generate import generate
from digestgen.build import CACHE_FOLDER
from digestgen.config import load_config
from digestgen.output.owned import OutputCheck
from digestgen.rebuild import shortcut
from digestgen.rebuild.cache import load_state, records_key, site_key
from digestgen.rebuild.keys import build_key
from digestgen.records.scan import scan_content
from digestgen.render.themes import resolve_theme
from tests.helpers import FIXED_NOW, build_in, make_site

NOW = datetime.fromisoformat(FIXED_NOW.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "site", {})
    generate(30, root / "content", seed=5)
    assert build_in(root).exit_code == 0
    return root


def ask_shortcut(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, int]:
    """`unchanged_build` over the site as it is now: its answer, and how many files it placed."""
    config = load_config(None, root)
    output = root / "public"
    state, reason = load_state(
        root / CACHE_FOLDER / "public", site_key(config.base_url, root, output),
        records_key(config.zone),
    )  # fmt: skip
    assert reason is None
    placed = []
    place = shortcut.place

    def counted_place(*arguments: object) -> shortcut.Place:
        placed.append(arguments)
        return place(*arguments)  # type: ignore[arg-type]

    monkeypatch.setattr(shortcut, "place", counted_place)
    key = build_key(config, resolve_theme(config.theme, root), False)
    files = scan_content(root / "content", state.files).files
    answer = shortcut.unchanged_build(
        files, state, key, OutputCheck(output, state.outputs, 1), NOW, False,
        config.front_window_hours, config.zone,  # the default site has a daily digest
    )  # fmt: skip
    monkeypatch.undo()
    return answer, len(placed)


def test_a_new_record_file_listed_last_ends_the_shortcut_before_any_file_is_placed(
    built, monkeypatch
):
    unchanged, placed = ask_shortcut(built, monkeypatch)
    assert unchanged is not None and placed == 30  # nothing changed: every file is placed
    source = sorted((built / "content").rglob("*.md"))[0]
    added = built / "content" / "zz-added" / "late.md"
    added.parent.mkdir()
    added.write_text(source.read_text(encoding="utf-8").replace("Synthetic", "Late", 1), "utf-8")
    answer, placed = ask_shortcut(built, monkeypatch)
    assert answer is None
    assert placed == 0
