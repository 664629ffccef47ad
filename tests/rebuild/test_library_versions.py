"""The build cache is keyed by the versions of the libraries that shape the outputs: after an
upgrade (a CI run whose install took a new Markdown), nothing made with the old one is kept."""

from __future__ import annotations

import importlib.metadata
from zoneinfo import ZoneInfo

from digestgen.rebuild.cache import records_key
from digestgen.rebuild.libraries import OUTPUT_LIBRARIES, library_versions
from tests.helpers import build_in, make_site, record, tree


def test_each_librarys_version_is_the_installed_one():
    lines = library_versions().splitlines()
    assert lines == [f"{name}={importlib.metadata.version(name)}" for name in OUTPUT_LIBRARIES]


def test_another_markdown_first_on_the_import_path_changes_the_keys(tmp_path, monkeypatch):
    before, zone = library_versions(), ZoneInfo("UTC")
    records_before, version = records_key(zone), importlib.metadata.version("markdown")
    (tmp_path / "Markdown-99.0.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    after = library_versions()
    assert "markdown=99.0" in after.splitlines()
    assert after.replace("markdown=99.0", f"markdown={version}") == (before)
    assert records_key(zone) != records_before


def test_a_rebuild_after_a_library_upgrade_makes_every_file_again(tmp_path, monkeypatch):
    records = {
        "a.md": record("Alpha") + "A *note*.\n",
        "b.md": record("Beta", "https://b.example/"),
    }
    root = make_site(tmp_path / "site", records)
    first = build_in(root, "--verbose")
    assert first.exit_code == 0, first.stderr
    built = tree(first.output)
    again = build_in(root, "--verbose")
    assert "nothing to do:" in again.stdout
    (tmp_path / "path" / "jinja2-99.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(tmp_path / "path"))
    upgraded = build_in(root, "--verbose")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert "nothing to do:" not in upgraded.stdout
    # Every page and feed rendered again, as by the first build (the other files are copied).
    rewritten = [line for line in first.stdout.splitlines() if "files rewritten:" in line]
    assert rewritten == ["  files rewritten:    23 (kept 10 unchanged)"]
    assert rewritten[0] in upgraded.stdout.splitlines()
    assert tree(upgraded.output) == built  # the same library really: the same bytes
    assert "nothing to do:" in build_in(root, "--verbose").stdout
