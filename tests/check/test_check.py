"""`digestgen check`: validates and renders in memory like build, writes nothing, annotates."""

import json
from pathlib import Path

from digestgen.check.site import check_site, field_line
from digestgen.config import load_config
from digestgen.records.validate import parse_timestamp
from tests.helpers import FIXED_NOW, build_in, make_site, record, run_cli

BAD_QUALITY = (
    "---\n"
    'title: "Scored too high"\n'
    "publishedDateTime: 2025-03-01T10:00:00Z\n"
    'originalUrl: "https://example.com/high"\n'
    "quality: 300\n"
    "---\n"
)


def _check(root: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(["check", "--config", str(root / "digestgen.toml"), "--now", FIXED_NOW, *extra])


def test_valid_site_passes_and_nothing_is_written(tmp_path, monkeypatch):
    root = make_site(tmp_path, {"a.md": record(), "b.md": record("B", "https://example.com/b")})
    monkeypatch.chdir(root)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code, out, _ = _check(root)
    assert code == 0
    assert "Checked 2 records: 0 errors, 0 warnings" in out
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_in_memory_site_is_byte_identical_to_the_build(tmp_path):
    records = {
        "a.md": record(topics=["AI"], related=[{"title": "R", "webUrl": "https://r.example/x"}]),
        "b.md": record("B", "https://example.com/b", when="2025-03-02T10:00:00Z"),
    }
    root = make_site(tmp_path, records)
    config = load_config(root / "digestgen.toml", root)
    now = parse_timestamp(FIXED_NOW, config.zone, print)
    assert now is not None
    report = check_site(config, now)
    built = build_in(root)
    assert built.exit_code == 0
    assert report.files == built.files()


def test_text_format_names_file_line_field_and_exits_1(tmp_path, monkeypatch):
    root = make_site(tmp_path, {"good.md": record(), "bad.md": BAD_QUALITY})
    monkeypatch.chdir(root)
    code, out, _ = _check(root)
    assert code == 1
    assert "content/bad.md:5: error: quality: must be from 0 to 100, got 300" in out
    assert "1 errors" in out
    assert "\033[" not in out  # not a terminal: no colour


def test_github_format_annotates_the_offending_line(tmp_path, monkeypatch):
    root = make_site(tmp_path, {"good.md": record(), "bad.md": BAD_QUALITY})
    monkeypatch.chdir(root)
    code, out, _ = _check(root, "--format", "github")
    assert code == 1
    assert out.strip() == (
        "::error file=content/bad.md,line=5,title=quality::must be from 0 to 100, got 300"
    )


def test_json_format_lists_every_problem(tmp_path, monkeypatch):
    root = make_site(tmp_path, {"good.md": record(), "bad.md": BAD_QUALITY})
    monkeypatch.chdir(root)
    code, out, _ = _check(root, "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["errors"] == 1 and document["records"] == 2
    assert document["problems"] == [
        {
            "severity": "error",
            "file": "content/bad.md",
            "line": 5,
            "field": "quality",
            "message": "must be from 0 to 100, got 300",
        }
    ]


def test_warnings_fail_only_with_strict(tmp_path, monkeypatch):
    text = record(url="javascript:alert(1)", webUrl="https://news.example.net/42")
    root = make_site(tmp_path, {"warned.md": text})
    monkeypatch.chdir(root)
    code, out, _ = _check(root, "--format", "github")
    assert code == 0
    assert out.startswith("::warning file=content/warned.md,line=4,title=originalUrl::")
    assert _check(root, "--strict")[0] == 1


def test_broken_template_is_a_fatal_annotation(tmp_path, monkeypatch):
    root = make_site(tmp_path, {"a.md": record()})
    (root / "templates").mkdir()
    (root / "templates" / "story.html").write_text("{% block %}", encoding="utf-8")
    monkeypatch.chdir(root)
    code, out, err = _check(root, "--format", "github")
    assert code == 1
    assert out.startswith("::error file=templates/story.html,line=1::template ")
    assert "story.html" in err


def test_field_line_finds_top_level_keys_in_front_matter_only(tmp_path):
    path = tmp_path / "r.md"
    path.write_text(
        "---\ntitle: x\nrelated:\n  - title: y\n---\nquality: 5 in the body\n", encoding="utf-8"
    )
    assert field_line(path, "title") == 2
    assert field_line(path, "related[0].title") == 3
    assert field_line(path, "quality") is None


def test_help_has_examples():
    code, out, _ = run_cli(["check", "--help"])
    assert code == 0 and "examples:" in out and "--format github" in out
