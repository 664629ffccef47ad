"""The sitemap is made again only when what it lists changed; a rebuild still equals a clean
build."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import build_in, cached_state, make_site, record, tree
from tests.helpers.feeds import related_item
from tests.rebuild.test_incremental import clean_build_of, edit

STORY = "/2025/03/01/a-story/"


def sitemap_fingerprint(root: Path) -> str:
    """The fingerprint the build cache holds for the sitemap it wrote."""
    return cached_state(root).outputs["sitemap.xml"].fingerprint


def site_of(tmp_path: Path) -> Path:
    other = record("Another story", url="https://example.com/b", when="2025-02-01T10:00:00Z")
    return make_site(
        tmp_path / "site", {"a.md": record(related=[], excerpt="First words."), "b.md": other}
    )


def test_the_sitemap_is_kept_until_a_page_it_lists_changes_time(tmp_path):
    root = site_of(tmp_path)
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    listed = sitemap_fingerprint(root)
    assert listed  # made from its entries, not left unfingerprinted
    edit(root / "content" / "a.md", "First words.", "Other words.")
    assert build_in(root).exit_code == 0
    assert sitemap_fingerprint(root) == listed  # same pages, same times: kept
    # Later coverage moves the story's last change: its lastmod must reach the sitemap.
    item = related_item("Later coverage", "https://later.example.net/a", "Later",
                        "later.example.net", "2025-03-05T08:00:00Z")  # fmt: skip
    edit(root / "content" / "a.md", "related: []", f"related: [{json.dumps(item)}]")
    second = build_in(root)
    assert second.exit_code == 0, second.stderr
    assert sitemap_fingerprint(root) != listed
    sitemap = second.read("sitemap.xml")
    assert f"{STORY}</loc><lastmod>2025-03-05T08:00:00" in sitemap
    assert tree(second.output) == clean_build_of(root, tmp_path)


def test_a_site_override_of_the_sitemap_template_takes_effect_and_follows_its_edits(tmp_path):
    root = site_of(tmp_path)
    assert build_in(root).exit_code == 0
    (root / "templates").mkdir()
    override = root / "templates" / "sitemap.xml"
    override.write_text("{% for path, lastmod in entries %}{{ path }}\n{% endfor %}", "utf-8")
    first = build_in(root)
    assert first.exit_code == 0, first.stderr
    listed = first.read("sitemap.xml")
    assert "<urlset" not in listed and f"\n{STORY}\n/2025/02/01/another-story/\n" in listed
    override.write_text("{{ entries|length }} pages\n", "utf-8")
    second = build_in(root)
    assert second.exit_code == 0, second.stderr
    assert second.read("sitemap.xml") == f"{listed.count(chr(10))} pages\n"
    assert tree(second.output) == clean_build_of(root, tmp_path)
