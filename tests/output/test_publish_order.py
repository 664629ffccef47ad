"""The order of a build's work: a rebuild makes its sitemap while the search index is still being
made (on the other core), and waits for it only once everything else is done; the render workers
take the feeds first, then the pages, each newest stories first."""

from __future__ import annotations

from pathlib import Path

import pytest

from digestgen.config import SiteConfig
from digestgen.output.journal import PENDING_FOLDER, journal_folder
from digestgen.output.publish import render_order
from digestgen.render.environment import make_environment
from digestgen.render.jobs import PageJob
from digestgen.render.site import newest_shown, plan_site
from digestgen.render.themes import resolve_theme
from digestgen.stories.assemble import assemble_site
from tests.helpers import build_in, make_site, record
from tests.render.test_environment import NOW, small_site_records


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


def test_the_render_workers_take_the_feeds_first_then_the_pages_each_newest_first(tmp_path):
    config = SiteConfig(root=tmp_path, page_size=4)
    _, site, _ = assemble_site(small_site_records(), config, NOW, drafts=False)
    plan = plan_site(site, config, make_environment(resolve_theme("default", tmp_path)), {})
    jobs = [job for job, _ in plan.jobs]
    order = sorted(jobs, key=render_order)
    pages = [isinstance(job, PageJob) for job in order]
    assert pages == sorted(pages) and set(pages) == {False, True}  # every feed before any page
    for kind in (False, True):
        newest = [newest_shown(job) for job in order if isinstance(job, PageJob) is kind]
        assert newest == sorted(newest, reverse=True)
    assert order != sorted(jobs, key=newest_shown, reverse=True)  # not by date alone
