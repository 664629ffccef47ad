"""Loading the records of a content folder: parsed in workers, or taken from the cache."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from digestgen.records.load import load_records
from digestgen.records.scan import scan_content
from tests.helpers import record

UTC = ZoneInfo("UTC")


def _write(content: Path, count: int, edited: frozenset[int] = frozenset()) -> None:
    for n in range(count):
        title = f"Edited {n}" if n in edited else f"Story {n}"
        text = record(title, f"https://n{n}.example.com/a", quality=n % 90)
        if n % 7 == 3:
            text = text.replace("quality:", "heat: -1\nx_extra:")  # an error: left out
        (content / f"{n:03}.md").write_text(text, encoding="utf-8")


def test_records_parsed_now_and_taken_from_the_cache_keep_the_files_order(tmp_path):
    """The records parsed in workers (handed over chunk by chunk) and those of the cache come
    out in the files' order, with their problems, as a load without the cache gives them."""
    content = tmp_path / "content"
    content.mkdir()
    _write(content, 300)
    cache: dict = {}
    first = load_records(scan_content(content).files, UTC, 2, cached=cache)
    assert len(first.records) == 300 - 43 and first.changed
    _write(content, 320, edited=frozenset({5, 120, 299}))
    files = scan_content(content).files
    again = load_records(files, UTC, 2, cached=cache)
    fresh = load_records(files, UTC, 2)
    assert again.changed and again.records == fresh.records and again.problems == fresh.problems
    assert [r.file for r in again.records] == [f"{n:03}.md" for n in range(320) if n % 7 != 3]
    titles = {r.file: r.title for r in again.records}
    assert (titles["119.md"], titles["120.md"], titles["319.md"]) == ("Story 119", "Edited 120",
                                                                      "Story 319")  # fmt: skip
    assert again.problems and {p.file for p in again.problems} == {
        f"{n:03}.md" for n in range(320) if n % 7 == 3
    }
