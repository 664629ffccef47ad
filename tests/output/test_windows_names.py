"""No file or folder of a site is named like a Windows device (`con`, `nul`, `aux.example.com`):
such a site could not be checked out or unpacked on Windows. Topics, outlets, titles and slugs
that would make one get `_` after their first part, and every link follows."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import lxml.etree
import pytest

from digestgen.output.paths import UnsafeOutputPath, check_output_path
from tests.helpers import BASE_URL, BuildResult, parse_html, record

# Written out here rather than taken from digestgen: Microsoft's list ("Naming Files, Paths, and
# Namespaces"), any case, with any extension; and a name may not end in a dot or a space.
DEVICES = {"con", "prn", "aux", "nul", "conin$", "conout$"} | {
    f"{port}{n}" for port in ("com", "lpt") for n in "0123456789¹²³"
}


def windows_refuses(name: str) -> bool:
    return name.split(".", 1)[0].rstrip(" ").casefold() in DEVICES or name.endswith((".", " "))


def device_site(site_builder) -> BuildResult:
    records = {
        "con.md": record("Con", url="https://con.example.com/a", topics=["con", "PRN", "Com1"],
                         provider={"name": "Nul News", "domain": "nul.example.com"}),
        "slug.md": record("A fine title", url="https://b.example.com/b", slug="NUL",
                          topics=["LPT9", "Aux"], provider={"name": "Con", "domain": "con"},
                          related=[{"title": "Aux take", "webUrl": "https://aux.example.org/x",
                                    "provider": {"name": "Aux", "domain": "aux.example.org"}}]),
        "aux.md": record("AUX", url="https://com1.example.net/c", when="2025-03-02T10:00:00Z"),
        # Names that only start like a device keep their own names.
        "console.md": record("Console com10 auxiliary", url="https://lpt.example.com/d",
                             topics=["Nullable", "LPT"]),
    }  # fmt: skip
    result = site_builder(records)
    assert result.exit_code == 0, result.stderr
    return result


def site_links(result: BuildResult) -> set[str]:
    """Every link from a page, feed or sitemap of the site to an address on the site."""
    links: set[str] = set()
    for path in result.files():
        data = (result.output / path).read_bytes()
        if path.endswith(".html"):
            doc = parse_html(data)
            links |= {str(h) for h in doc.xpath("//a/@href | //link/@href")}
        elif path.endswith(".xml"):
            root = lxml.etree.fromstring(data)
            links |= {str(h) for h in root.xpath("//@href | //@url | //@domain | //@scheme")}
            links |= {str(t) for t in root.xpath("//*[local-name()='loc']/text()")}
    root = BASE_URL.rstrip("/")
    local = {link.removeprefix(root) for link in links if link.startswith((root, "/"))}
    return {unquote(urlsplit(link).path) for link in local if not link.startswith("//")}


def test_no_path_segment_is_a_windows_device_name_and_links_follow(site_builder):
    result = device_site(site_builder)
    files = result.files()
    refused = {p for p in files if any(windows_refuses(s) for s in p.split("/"))}
    assert not refused
    for folder in ("topics/con_/", "topics/prn_/", "topics/com1_/", "topics/lpt9_/",
                   "topics/aux_/", "sources/nul_.example.com/", "sources/con_/",
                   "sources/aux_.example.org/", "sources/com1_.example.net/",
                   "2025/03/01/con_/", "2025/03/01/nul_/", "2025/03/02/aux_/",
                   "2025/03/01/console-com10-auxiliary/", "topics/nullable/", "topics/lpt/",
                   "sources/lpt.example.com/"):  # fmt: skip
        assert folder + "index.html" in files, folder
    for folder in ("topics/con_/", "sources/nul_.example.com/"):
        assert {folder + name for name in ("feed.xml", "atom.xml", "feed.json")} <= set(files)
    links = site_links(result)
    assert "/topics/con_/" in links and "/sources/con_/" in links and "/2025/03/01/nul_/" in links
    for link in links:
        target = link.lstrip("/")
        target += "index.html" if target.endswith("/") or not target else ""
        assert target in files, link
    assert not any(re.search(r"/(con|nul|aux|prn)/", link) for link in links)


@pytest.mark.parametrize(
    "path", ["topics/con/index.html", "nul.txt", "a/COM1.png", "LPT9", "css/site.", "aux.tar.gz"]
)
def test_a_windows_device_name_is_refused_as_an_output_path(path):
    with pytest.raises(UnsafeOutputPath, match="Windows"):
        check_output_path(path)


def test_a_static_file_named_like_a_device_stops_the_build_naming_it(site_builder, tmp_path):
    static = tmp_path / "site" / "static"
    static.mkdir(parents=True)
    (static / "nul.txt").write_text("x", encoding="utf-8")
    result = site_builder({"a.md": record("A")})
    assert result.exit_code != 0
    assert "nul.txt" in result.stderr and "Windows" in result.stderr
