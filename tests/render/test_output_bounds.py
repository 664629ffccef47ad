"""No record can blow up the output: its size is linear in what one record holds, never worse.

Each topic of a record is a page and three feeds, and so is each outlet of its coverage; each of
those lists the story. If a story's listing entry grew with the record's own lists too, one
record would grow the output with the square of them (1,000 topics made 280 MB; 100 related
items from 100 outlets, each outlet's feeds listing all 100).
"""

from __future__ import annotations

import json
from pathlib import Path

from digestgen.records.validate import MAX_TOPICS
from tests.helpers import BuildResult, build_in, make_site

WORDS = "word " * 1000


def hostile_record(topics: int = 0, related: int = 0, excerpt: int = 4990) -> str:
    """A valid record holding as much as it may: topics, and coverage from distinct outlets."""
    lines = ["---", f"title: {json.dumps('Headline ' * 50)}",
             "publishedDateTime: 2025-03-01T10:00:00Z", "originalUrl: https://example.com/a",
             f"excerpt: {json.dumps(WORDS[:excerpt])}", "topics:"]  # fmt: skip
    lines += [f"  - Topic number {i}" for i in range(topics)]
    lines.append("related:" if related else "related: []")
    for i in range(related):
        lines += [
            f"  - title: {json.dumps('Coverage headline ' * 25)}",
            f"    webUrl: https://outlet{i}.example/story",
            f"    excerpt: {json.dumps(WORDS[:excerpt])}",
            f"    provider: {{name: Outlet {i}, domain: outlet{i}.example}}",
            "    publishedDateTime: 2025-03-01T11:00:00Z",
        ]
    lines.append("---")
    return "\n".join(lines) + "\n" + "A curator's note. " * 800 + "\n"


def output_size(tmp_path: Path, name: str, text: str) -> tuple[int, int]:
    """Build a site of this one record: (bytes, files) of its output."""
    root = make_site(tmp_path / name, {"a.md": text})
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert "stories built:      1" in result.stdout, result.stderr
    files = BuildResult(0, "", "", result.output).files()
    return sum(len(data) for data in files.values()), len(files)


def test_a_record_with_a_thousand_topics_makes_pages_for_the_first_few(tmp_path):
    size, files = output_size(tmp_path, "topics", hostile_record(topics=1000))
    small, small_files = output_size(tmp_path, "one", hostile_record(topics=1))
    assert files - small_files == (MAX_TOPICS - 1) * 4  # a page and three feeds a topic
    assert size < 20 * small


def test_output_grows_linearly_with_a_records_coverage(tmp_path):
    half, _ = output_size(tmp_path, "half", hostile_record(topics=20, related=50))
    full, files = output_size(tmp_path, "full", hostile_record(topics=20, related=100))
    assert full < 2.3 * half  # quadratic growth would be nearly 4 times
    assert full < 20_000_000 and files < 600
