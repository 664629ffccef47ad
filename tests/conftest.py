"""Pytest fixtures shared by every test; the helpers they use are in tests/helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import FIXED_NOW, SEED_PATH, BuildResult, build_in, make_site


@pytest.fixture
def seed_text() -> str:
    """The seed record exactly as the upstream tool exports it (a draft)."""
    return SEED_PATH.read_text(encoding="utf-8")


@pytest.fixture
def site_builder(tmp_path: Path) -> Callable[..., BuildResult]:
    """Make a site from records and build it: `site_builder({"a.md": text}, "--drafts")`;
    search=True for a site with search on (see make_site)."""

    def _build(
        records: dict[str, str | bytes],
        *extra: str,
        config: str = "",
        now: str = FIXED_NOW,
        search: bool = False,
    ) -> BuildResult:
        root = make_site(tmp_path / "site", records, config, search=search)
        return build_in(root, *extra, now=now)

    return _build
