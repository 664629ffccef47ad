"""A site with more than 2,000 pages gets a sitemap index over parts by month, each a valid
sitemap of at most 50,000 addresses (the most a sitemap may list) at the site's root; a rebuild
remakes only the parts whose pages changed, and still equals a clean build."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digestgen.render import extras
from digestgen.render.extras import SITEMAP_FILE, SITEMAP_LIMIT, SITEMAP_SPLIT, sitemap_files
from tests.helpers import BASE_URL, build_in, cached_state, make_site, record, tree
from tests.helpers.feeds import related_item
from tests.rebuild.test_incremental import clean_build_of, edit

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
MOMENT = datetime(2025, 3, 1, 10, tzinfo=UTC)


def dated(day: str, slug: str, hours: int = 0) -> tuple[str, datetime]:
    return f"/{day.replace('-', '/')}/{slug}/", MOMENT + timedelta(hours=hours)


def test_up_to_2000_pages_the_sitemap_is_one_file_listing_every_page():
    entries = tuple((f"/2025/03/{n % 28 + 1:02d}/story-{n}/", MOMENT) for n in range(SITEMAP_SPLIT))
    (only,) = sitemap_files(entries)
    assert (only.path, only.entries, only.index) == (SITEMAP_FILE, entries, False)


def test_past_2000_pages_the_sitemap_is_an_index_of_a_part_per_month():
    entries = (*(dated(f"2025-0{1 + n % 3}-01", f"s{n}", n % 3) for n in range(SITEMAP_SPLIT)),
               ("/topics/", None))  # fmt: skip
    index, *parts = sitemap_files(entries)
    assert index.path == SITEMAP_FILE and index.index
    assert [part.path for part in parts] == [
        "sitemap-2025-01.xml", "sitemap-2025-02.xml", "sitemap-2025-03.xml", "sitemap-pages.xml"
    ]  # fmt: skip
    assert Counter(e for part in parts for e in part.entries) == Counter(entries)


def test_past_the_limit_the_sitemap_is_an_index_of_parts_that_list_every_page_once():
    entries = (("/", None), *(dated("2025-03-01", f"s{n}") for n in range(SITEMAP_LIMIT + 1)),
               dated("2025-04-02", "april", 5), ("/topics/", None))  # fmt: skip
    index, *parts = sitemap_files(entries)
    assert index.path == SITEMAP_FILE and index.index
    assert [part.path for part in parts] == [
        "sitemap-2025-03.xml", "sitemap-2025-03-2.xml", "sitemap-2025-04.xml", "sitemap-pages.xml"
    ]  # fmt: skip
    assert all(len(part.entries) <= SITEMAP_LIMIT and not part.index for part in parts)
    assert Counter(e for part in parts for e in part.entries) == Counter(entries)
    assert parts[3].entries == (("/", None), ("/topics/", None))  # in page order
    assert dict(index.entries) == {
        "/sitemap-2025-03.xml": MOMENT,
        "/sitemap-2025-03-2.xml": MOMENT,
        "/sitemap-2025-04.xml": MOMENT + timedelta(hours=5),
        "/sitemap-pages.xml": None,  # no page of it says when it changed
    }


def test_a_month_over_the_limit_is_cut_in_numbered_parts_in_page_order():
    entries = tuple(dated("2025-03-01", f"s{n}", n) for n in range(7))
    index, *parts = sitemap_files(entries, limit=3)
    assert [(p.path, p.entries) for p in parts] == [
        ("sitemap-2025-03.xml", entries[:3]),
        ("sitemap-2025-03-2.xml", entries[3:6]),
        ("sitemap-2025-03-3.xml", entries[6:]),
    ]
    assert index.entries[1] == ("/sitemap-2025-03-2.xml", MOMENT + timedelta(hours=5))


def urls(document: bytes, kind: str) -> list[str]:
    """The `<loc>` of each `<url>` or `<sitemap>` of a sitemap file, checking its root element."""
    root = ET.fromstring(document)
    assert root.tag == f"{NS}{'sitemapindex' if kind == 'sitemap' else 'urlset'}"
    assert all(child.tag == f"{NS}{kind}" for child in root)
    return [child.findtext(f"{NS}loc") or "" for child in root]


def site_of(tmp_path: Path, name: str = "site") -> Path:
    records = {
        f"{name}.md": record(f"Story {name}", url=f"https://example.com/{name}", when=when)
        for name, when in [("a", "2025-01-10T10:00:00Z"), ("b", "2025-01-20T10:00:00Z"),
                           ("c", "2025-02-03T10:00:00Z"), ("d", "2025-03-01T10:00:00Z")]
    }  # fmt: skip
    records["a.md"] = records["a.md"].replace("---\ntitle", "---\nexcerpt: First words.\ntitle")
    return make_site(tmp_path / name, records)


def sitemap_fingerprints(root: Path) -> dict[str, str]:
    """The fingerprint the build cache holds for each sitemap file it wrote."""
    outputs = cached_state(root).outputs
    return {path: e.fingerprint for path, e in outputs.items() if path.startswith("sitemap")}


def test_a_built_sitemap_index_lists_parts_that_together_list_what_one_sitemap_would(
    tmp_path, monkeypatch
):
    whole = build_in(site_of(tmp_path, "whole"))
    assert whole.exit_code == 0, whole.stderr
    listed = urls(whole.output.joinpath(SITEMAP_FILE).read_bytes(), "url")
    assert len(listed) > 4

    monkeypatch.setattr(extras, "SITEMAP_LIMIT", 4)  # the site has more pages than that
    root = site_of(tmp_path)
    split = build_in(root)
    assert split.exit_code == 0, split.stderr
    parts = urls(split.output.joinpath(SITEMAP_FILE).read_bytes(), "sitemap")
    assert all(part.startswith(BASE_URL) and "/" not in part[len(BASE_URL) :] for part in parts)
    found = []
    for part in parts:
        pages = urls(split.output.joinpath(part[len(BASE_URL) :]).read_bytes(), "url")
        assert 0 < len(pages) <= 4
        found += pages
    assert Counter(found) == Counter(listed)
    assert f"Sitemap: {BASE_URL}sitemap.xml" in split.read("robots.txt")
    assert tree(split.output) == clean_build_of(root, tmp_path)


def test_a_rebuild_remakes_only_the_sitemap_parts_whose_pages_changed(tmp_path, monkeypatch):
    monkeypatch.setattr(extras, "SITEMAP_LIMIT", 4)
    root = site_of(tmp_path)
    assert build_in(root).exit_code == 0
    before = sitemap_fingerprints(root)
    assert {"sitemap-2025-01.xml", "sitemap-2025-02.xml", "sitemap-2025-03.xml"} < set(before)

    edit(root / "content" / "a.md", "First words.", "Other words.")
    assert build_in(root).exit_code == 0
    assert sitemap_fingerprints(root) == before  # the same pages at the same times

    # Later coverage (by an outlet the site has: no new page) moves story a's last change, in
    # January's part and in the index only.
    item = related_item("Later coverage", "https://example.com/later", "example.com",
                        "example.com", "2025-03-05T08:00:00Z")  # fmt: skip
    edit(root / "content" / "a.md", "title:", f"related: [{json.dumps(item)}]\ntitle:")
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    after = sitemap_fingerprints(root)
    assert {path for path in before if after[path] != before[path]} == {
        SITEMAP_FILE,
        "sitemap-2025-01.xml",
    }
    assert "<lastmod>2025-03-05T08:00:00" in result.read("sitemap-2025-01.xml")
    assert tree(result.output) == clean_build_of(root, tmp_path)


def test_a_static_file_where_a_sitemap_part_goes_is_a_collision(tmp_path, monkeypatch):
    monkeypatch.setattr(extras, "SITEMAP_LIMIT", 4)
    root = site_of(tmp_path)
    (root / "static").mkdir()
    (root / "static" / "sitemap-pages.xml").write_text("mine", encoding="utf-8")
    result = build_in(root)
    assert result.exit_code != 0
    assert "/sitemap-pages.xml" in result.stderr


@pytest.mark.parametrize("limit", [4, SITEMAP_LIMIT])
def test_the_packaged_index_template_is_a_valid_sitemap_index(tmp_path, monkeypatch, limit):
    monkeypatch.setattr(extras, "SITEMAP_LIMIT", limit)
    result = build_in(site_of(tmp_path))
    assert result.exit_code == 0, result.stderr
    sitemap = result.output.joinpath(SITEMAP_FILE).read_bytes()
    if limit == SITEMAP_LIMIT:
        assert urls(sitemap, "url") and not list(result.output.glob("sitemap-*.xml"))
        return
    root = ET.fromstring(sitemap)
    for child in root:
        assert child[0].tag == f"{NS}loc"
        when = child.findtext(f"{NS}lastmod")
        assert when is None or datetime.fromisoformat(when).tzinfo is not None
