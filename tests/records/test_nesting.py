"""Deeply nested values: in the front matter a record error, in the body rendered as far as the
Markdown parser nests them with the rest kept as text; never a crash."""

from __future__ import annotations

import pytest

from digestgen.records.note import render_note
from digestgen.records.parse import RawRecord, _load_measured, parse_record
from digestgen.records.plain_yaml import MAX_NESTING, nesting_depth
from tests.helpers import build_in, make_site, record

GOOD = record("Good", "https://example.com/good")
NESTED_TOO_DEEPLY = f"is nested more than {MAX_NESTING} levels deep"


def nested_lists(levels: int) -> str:
    """A flow YAML value of `levels` lists, one inside the other."""
    return "[" * levels + "1" + "]" * levels


def nested_mappings(levels: int) -> str:
    """A block YAML value of `levels` mappings, one inside the other."""
    return "".join(f"\n{'  ' * level}k:" for level in range(1, levels + 1)) + " 1"


def with_extra(field: str, value: str) -> str:
    """A valid record with one more front-matter line, `field: value`."""
    return (
        record("Deep", "https://example.com/deep").removesuffix("---\n")
        + f"{field}: {value}\n---\n"
    )


@pytest.mark.parametrize("cache", [(), ("--no-cache",)], ids=["cache", "no-cache"])
@pytest.mark.parametrize("value", [nested_lists(500), nested_mappings(500)], ids=["lists", "maps"])
def test_a_deeply_nested_extra_field_skips_only_that_record(tmp_path, value, cache):
    root = make_site(tmp_path / "site", {"deep.md": with_extra("deep", value), "good.md": GOOD})
    result = build_in(root, *cache)
    assert result.exit_code == 0, result.stderr
    assert f"error: deep.md: deep: {NESTED_TOO_DEEPLY}" in result.stderr
    assert "Traceback" not in result.stderr
    assert (result.output / "2025/03/01/good/index.html").is_file()
    assert not (result.output / "2025/03/01/deep").exists()


def test_nesting_up_to_the_limit_is_kept_and_one_more_level_is_refused():
    def parse(value: str) -> RawRecord | object:
        return parse_record(with_extra("deep", value).encode(), "deep.md")

    kept = parse(nested_lists(MAX_NESTING))
    assert isinstance(kept, RawRecord) and nesting_depth(kept.fields["deep"]) == MAX_NESTING
    refused = parse(nested_lists(MAX_NESTING + 1))
    assert str(refused) == f"error: deep.md: deep: {NESTED_TOO_DEEPLY}"
    assert str(parse(nested_mappings(MAX_NESTING + 1))) == str(refused)


@pytest.mark.parametrize("make", [nested_lists, nested_mappings])
def test_the_quick_loading_measures_nesting_up_to_the_limit_and_leaves_deeper_to_pyyaml(make):
    value, shallow = _load_measured(f"deep: {make(MAX_NESTING)}\n")
    assert shallow and nesting_depth(value) == MAX_NESTING + 1  # with the front matter's own
    value, shallow = _load_measured(f"deep: {make(MAX_NESTING + 1)}\n")
    assert not shallow and nesting_depth(value, limit=100) == MAX_NESTING + 2


def test_a_known_field_nested_too_deeply_is_refused_by_its_name():
    related = "[{title: R, webUrl: 'https://r.example/x', images: " + nested_lists(30) + "}]"
    problem = parse_record(with_extra("related", related).encode(), "deep.md")
    assert str(problem) == f"error: deep.md: related: {NESTED_TOO_DEEPLY}"


def test_nesting_depth_is_measured_without_recursion():
    value: object = 1
    for level in range(100_000):
        value = [value] if level % 2 else {"k": value}
    assert nesting_depth(value, limit=200_000) == 100_000
    assert nesting_depth(value) == MAX_NESTING + 1  # stops counting past the limit
    assert nesting_depth("text") == 0
    assert nesting_depth([{"images": [{"url": "u"}]}]) == 4  # a related item's image URL


# The body: deep Markdown nesting is rendered as deep as the parser nests it within render_note's
# stack (see MARKDOWN_STACK_FRAMES), deep raw HTML is flattened or kept by the sanitiser; neither
# may crash a build, with or without cache.
BODIES = {
    "quotes": ">" * 5000 + " x\n",
    "spaced_quotes": "> " * 5000 + "x\n",
    "list_items": "- " * 5000 + "x\n",
    "numbered_items": "1. " * 5000 + "x\n",
    "quoted_lists": "> - " * 2500 + "x\n",
    "html_quotes": "<q>" * 5000 + "x\n",
    "html_lists": "<ul><li>" * 1800 + "x\n",
    "html_tables": "<table><tr><td>" * 1000 + "x\n",
}


@pytest.mark.parametrize("cache", [(), ("--no-cache",)], ids=["cache", "no-cache"])
@pytest.mark.parametrize("case", sorted(BODIES))
def test_a_deeply_nested_body_is_built_never_a_crash(tmp_path, case, cache):
    root = make_site(tmp_path / "site", {"deep.md": record("Deep") + BODIES[case], "good.md": GOOD})
    result = build_in(root, *cache)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (result.output / "2025/03/01/good/index.html").is_file()
    assert "deep.md" not in result.stderr
    assert (result.output / "2025/03/01/deep/index.html").is_file()


@pytest.mark.parametrize(("marker", "tag"), [("-", "<ul>"), ("1.", "<ol>")])
def test_a_list_nested_deeper_than_the_parser_goes_keeps_every_marker_past_it_as_text(marker, tag):
    # Python-Markdown (3.11.4 on) stops nesting short of the recursion limit: each of the 5,000
    # markers is a list or, past the deepest, text in the deepest item, which ends with the note's
    # last word. Nothing the curator wrote is lost.
    html, problems = render_note(f"{marker} " * 5000 + "x\n", "deep.md")
    assert problems == []
    nested = html.count(tag)
    assert 100 <= nested < 5000
    deepest = html[html.rfind("<li>") + len("<li>") : html.find("</li>")].split()
    assert deepest == [marker] * (5000 - nested) + ["x"]
