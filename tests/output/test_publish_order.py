"""A rebuild makes its sitemap while the search index is still being made: the search index is
made beside the pages (on the other core), and the build waits for it only once everything else
is done."""

from __future__ import annotations

from pathlib import Path

import pytest

from digestgen.output.journal import PENDING_FOLDER, journal_folder
from tests.helpers import build_in, make_site, record


def _waiting_pagefind(folder: Path, sitemap: Path, marker: Path) -> Path:
    """A real program standing in for Pagefind: it waits (up to ten seconds) for the rebuild's
    new sitemap, says in `marker` whether it came, then runs the real Pagefind."""
    real = _installed_pagefind()
    program = folder / "pagefind"
    program.write_text(
        "#!/bin/sh\n"
        "for _ in $(seq 100); do\n"
        f'  if [ -e "{sitemap}" ]; then echo seen > "{marker}"; exec "{real}" "$@"; fi\n'
        "  sleep 0.1\n"
        "done\n"
        f'echo late > "{marker}"\n'
        f'exec "{real}" "$@"\n'
    )
    program.chmod(0o755)
    return program


def _installed_pagefind() -> str:
    from pagefind.service import get_executable

    found = get_executable()
    assert found is not None, "the tests need Pagefind installed"
    return str(found)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_sitemap_is_made_before_the_build_waits_for_the_search_index(
    tmp_path, monkeypatch, jobs
):
    root = make_site(tmp_path / "site", {"a.md": record()}, search=True)
    assert build_in(root).exit_code == 0
    (root / "content" / "a.md").write_text(record("An edited story"))  # a new address
    pending = journal_folder((root / "public").resolve()) / PENDING_FOLDER
    marker = tmp_path / "marker"
    program = _waiting_pagefind(tmp_path, pending / "sitemap.xml", marker)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(program))
    result = build_in(root, "--jobs", jobs)
    assert result.exit_code == 0, result.stderr
    assert marker.read_text().strip() == "seen"
    assert "/2025/03/01/an-edited-story/" in result.read("sitemap.xml")
