"""What the search index holds of a story: its prose first, the headline, outlets, topics and
coverage after a heading the search page's excerpts stop at, and its date to sort by."""

from __future__ import annotations

import gzip
import json

from tests.helpers import BuildResult, build_in, make_site, record
from tests.helpers.feeds import corpus


def fragments(result: BuildResult) -> dict[str, dict[str, object]]:
    """Every story's Pagefind fragment (what a search result's data() gives), by address."""
    found = {}
    for path, data in result.files().items():
        if path.startswith("pagefind/") and path.endswith(".pf_fragment"):
            text = gzip.decompress(data).decode("utf-8").removeprefix("pagefind_dcd")
            fragment = json.loads(text)
            found[fragment["url"]] = fragment
    return found


def test_the_prose_comes_first_and_no_outlet_name_is_spliced_into_it(tmp_path):
    result = build_in(make_site(tmp_path / "site", corpus(), search=True))
    assert result.exit_code == 0, result.stderr
    alpha = fragments(result)["/2025/03/01/rockets-reach-orbit/"]
    content = str(alpha["content"])
    prose = "A rocket reached orbit on its first try. The launch was flawless, says our curator."
    assert content.startswith(prose)
    [heading] = alpha["anchors"]  # type: ignore[misc]
    assert heading["id"] == "headline" and heading["text"] == "Rockets reach orbit"
    assert heading["location"] == len(prose.split())  # the excerpts' prose ends there
    after = " ".join(content.split()[heading["location"] :])
    assert after.startswith("Rockets reach orbit")
    for searched in ("Alpha Post", "Beta Times", "Space", "Orbit reached at last"):
        assert searched in after and searched not in content[: len(prose)]
    assert alpha["meta"] == {
        "title": "Rockets reach orbit",
        "outlet": "Alpha Post",
        "date": "1 March 2025",
        "published": "2025-03-01T08:00:00Z",
    }


def test_the_index_can_sort_stories_by_date(tmp_path):
    result = build_in(make_site(tmp_path / "site", corpus(), search=True))
    assert result.exit_code == 0, result.stderr
    meta = [
        p for p in result.files() if p.startswith("pagefind/0/pagefind.") and p.endswith("_meta")
    ]
    assert len(meta) == 1
    # Pagefind's meta file lists the sorts it can apply by name (CBOR strings hold it as text).
    assert b"published" in gzip.decompress(result.files()[meta[0]])


def test_a_shard_keeps_only_the_webassembly_its_language_loads(tmp_path):
    """Pagefind writes a stemming build for the language and one for languages without; the
    search page loads the one pagefind-entry.json names, so the other is left out of each shard."""
    for language, kept in (("en", "en"), ("tlh", "unknown")):
        site = make_site(tmp_path / language, corpus(), f'language = "{language}"\n', search=True)
        result = build_in(site)
        assert result.exit_code == 0, result.stderr
        files = result.files()
        entry = json.loads(files["pagefind/0/pagefind-entry.json"])
        assert [value.get("wasm") or "unknown" for value in entry["languages"].values()] == [kept]
        wasm = sorted(p for p in files if p.startswith("pagefind/") and ".pagefind" in p)
        assert wasm == [f"pagefind/0/wasm.{kept}.pagefind"]


def test_markup_in_a_headline_or_outlet_name_is_indexed_as_text(tmp_path):
    # The documents are written as HTML for Pagefind to read: every value is escaped, so a
    # headline or an outlet name holding markup is searched and shown as the text it is.
    title = "Rockets <img src=x onerror=\"alert(1)\"> & 'quotes' <b>bold</b>"
    outlet = 'Alpha "Post" <script>x</script>'
    text = record(
        title=title,
        url="https://alpha.example/rockets",
        provider={"name": outlet, "domain": "alpha.example"},
    )
    result = build_in(make_site(tmp_path / "site", {"a.md": text}, search=True))
    assert result.exit_code == 0, result.stderr
    (fragment,) = fragments(result).values()
    assert fragment["meta"]["title"] == title  # type: ignore[index]
    assert fragment["meta"]["outlet"] == outlet  # type: ignore[index]
    assert "alert(1)" in str(fragment["content"]) and "<script>" in str(fragment["content"])
