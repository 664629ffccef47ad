"""bench.weight: every file of a real build is counted under the kind its address says."""

from __future__ import annotations

from pathlib import Path

from bench.weight import kind_of, table, weigh
from tests.helpers import build_in, make_site, record


def test_every_output_of_a_real_build_is_weighed_under_its_kind(tmp_path: Path) -> None:
    records = {
        "a.md": record(
            "Alpha story", "https://one.example.com/a", "2025-03-01T10:00:00Z", topics=["AI"]
        ),
        "b.md": record("Beta story", "https://two.example.com/b", "2025-03-02T10:00:00Z"),
    }
    result = build_in(make_site(tmp_path, records))
    assert result.exit_code == 0, result.stderr
    sizes, files = weigh(result.output)
    on_disk = [p for p in result.output.rglob("*") if p.is_file()]
    assert sum(files.values()) == len(on_disk) - 1  # all but digestgen's marker
    assert (
        sum(sizes.values())
        == sum(p.stat().st_size for p in on_disk)
        - (result.output / ".digestgen-site").stat().st_size
    )
    assert files["story pages"] == 2
    assert files["site feeds"] == 3
    assert files["topic pages"] >= 1 and files["outlet pages"] >= 2
    assert "total" in table(result.output, against=result.output)


def test_kinds_follow_the_address_scheme() -> None:
    assert kind_of("2026/01/10/alpha-story/index.html") == "story pages"
    assert kind_of("2026/01/10/index.html") == "edition pages"
    assert kind_of("2026/01/10/feed.json") == "edition feeds"
    assert kind_of("topics/ai/atom.xml") == "topic feeds"
    assert kind_of("sources/one.example.com/index.html") == "outlet pages"
    assert kind_of("feeds/archive/3.xml") == "feed archive"
    assert kind_of("daily/atom.xml") == "daily digest feed"
    assert kind_of("pagefind/fragment/en_1.pf_fragment") == "search index"
    assert kind_of("favicon.svg") == "theme static files"
    assert kind_of("feed.xml") == "site feeds"
