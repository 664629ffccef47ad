"""Invalid records: one fixture file per case, each with the exact problems it must produce."""

from __future__ import annotations

import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digestgen.model import Record
from digestgen.problems import Problem, Severity
from digestgen.records import parse as reader
from digestgen.records.note import MAX_BODY_BYTES, render_note
from digestgen.records.parse import RawRecord, parse_record
from digestgen.records.plain_yaml import MAX_NUMBER_CHARACTERS
from digestgen.records.scan import MAX_RECORD_BYTES
from digestgen.records.validate import (
    MAX_EXCERPT_LENGTH,
    MAX_IMAGES,
    MAX_NAME_LENGTH,
    MAX_RELATED,
    MAX_TITLE_LENGTH,
    MAX_TOPICS,
    validate_record,
)
from tests.helpers import FIXTURES, SEED_SECURED, build_in, make_site, record

INVALID = FIXTURES / "invalid"
UTC = ZoneInfo("UTC")
ALIASES = "front matter: YAML anchors and aliases are not allowed in records"
NOT_A_MAPPING = "front matter must be a mapping of field names to values"
NO_URL = "originalUrl: a usable originalUrl or webUrl (http or https) is required"
TAGS = "YAML tags are not allowed in records"
TOO_COMPLEX = "has too many unclosed or deeply nested brackets or tags to render"
JAVASCRIPT = "dropped: scheme 'javascript' is not allowed (only http and https)"

# Each case file and every problem it must produce, in order, as `str(problem)` minus the
# "<severity>: <file>: " prefix (added by `expected`, so the table stays readable).
CASES: dict[str, list[str]] = {
    "no_front_matter.md": ["E no front matter: the file must start with a '---' line"],
    "unclosed_front_matter.md": ["E front matter is not closed: no second '---' line"],
    "front_matter_list.md": [f"E {NOT_A_MAPPING}"],
    "front_matter_scalar.md": [f"E {NOT_A_MAPPING}"],
    "empty_front_matter.md": ["E front matter is empty"],
    "python_tag.md": [f"E {TAGS} (line 5)"],
    "tag_int_on_secured.md": [f"E {TAGS} (line 5)"],
    "tag_float.md": [f"E {TAGS} (line 5)"],
    "tag_bool.md": [f"E {TAGS} (line 5)"],
    "tag_timestamp.md": [f"E {TAGS} (line 3)"],
    "tag_set.md": [f"E {TAGS} (line 5)"],
    "tag_binary.md": [f"E {TAGS} (line 5)"],
    "tag_str.md": [f"E {TAGS} (line 2)"],
    "tag_local.md": [f"E {TAGS} (line 5)"],
    "tag_non_specific.md": [f"E {TAGS} (line 5)"],
    "tag_verbatim.md": [f"E {TAGS} (line 5)"],
    "tag_after_flow_colon.md": [f"E {TAGS} (line 5)"],
    "alias_bomb.md": ["E YAML anchors and aliases are not allowed in records"],
    "alias_after_flow_colon.md": ["E YAML anchors and aliases are not allowed in records"],
    "yaml_error_after_secured.md": [
        "E front matter is not valid YAML at line 6, column 12:"
        " mapping values are not allowed in this context"
    ],
    "nested_too_deeply.md": [
        "E front matter is not valid YAML at line 5, column 1009: exceeded maximum nesting depth"
    ],
    "body_too_large.md": [f"E body: is 16385 bytes, over the {MAX_BODY_BYTES} limit"],
    "body_unclosed_brackets.md": [f"E body: {TOO_COMPLEX}"],
    "body_unclosed_link_destinations.md": [f"E body: {TOO_COMPLEX}"],
    "missing_title.md": ["E title: is required"],
    "title_not_string.md": ["E title: must be text, not a number"],
    "title_is_list.md": ["E title: must be text, not a list"],
    "title_blank.md": ["E title: is required and must not be blank"],
    "missing_published_date.md": ["E publishedDateTime: is required"],
    "impossible_date.md": [
        "E publishedDateTime: is not a valid ISO 8601 date or timestamp: '2021-02-30T10:00:00Z'"
    ],
    "timestamp_is_number.md": ["E publishedDateTime: must be an ISO 8601 timestamp, not a number"],
    "timestamp_is_prose.md": [
        "E publishedDateTime: is not a valid ISO 8601 date or timestamp: 'last Friday'"
    ],
    "date_out_of_range.md": [
        "E publishedDateTime: is out of the range of usable dates: '9999-12-31T23:30:00-01:00'"
    ],
    "date_year_typo.md": [
        "E publishedDateTime: is in the year 202, before 1800: check the year"
        " ('0202-06-01T10:00:00Z')"
    ],
    "published_string_false.md": ["E published: must be true or false, not a string"],
    "quality_over_100.md": ["E quality: must be from 0 to 100, got 101"],
    "heat_negative.md": ["E heat: must be from 0 to 100, got -1"],
    "quality_text.md": ["E quality: must be a whole number from 0 to 100, not a string"],
    "quality_boolean.md": ["E quality: must be a whole number from 0 to 100, not a boolean"],
    "quality_fraction.md": ["E quality: must be a whole number from 0 to 100, got 50.5"],
    "several_bad_fields.md": [
        "E published: must be true or false, not a string",
        "E quality: must be from 0 to 100, got 101",
        "E heat: must be from 0 to 100, got -1",
    ],
    "no_url.md": [f"E {NO_URL}"],
    "no_usable_url.md": [
        f"W originalUrl: {JAVASCRIPT}",
        "W webUrl: dropped: scheme 'ftp' is not allowed (only http and https)",
        f"E {NO_URL}",
    ],
    "topics_not_list.md": ["E topics: must be a list, not a string"],
    "topic_not_text.md": ["E topics[1]: must be text, not a number"],
    "provider_not_mapping.md": ["E provider: must be a mapping with name and domain, not a string"],
    "number_too_long.md": [
        "E front matter at line 5, column 10: a number may be at most 100 characters long"
    ],
    "title_too_long.md": [f"E title: is 501 characters, over the {MAX_TITLE_LENGTH} limit"],
    "topic_name_too_long.md": [f"E topics[1]: is 203 characters, over the {MAX_NAME_LENGTH} limit"],
    "category_too_long.md": [f"E category: is 203 characters, over the {MAX_NAME_LENGTH} limit"],
    "provider_name_too_long.md": [
        f"E provider.name: is 203 characters, over the {MAX_NAME_LENGTH} limit"
    ],
    # Limits that drop or cut a part keep the record (see RECORD_KEPT).
    "excerpt_too_long.md": [
        f"W excerpt: is 5001 characters, over the {MAX_EXCERPT_LENGTH} limit;"
        " cut to 4999 characters"
    ],
    "related_too_many.md": [
        f"W related: has 101 items, over the limit of {MAX_RELATED}:"
        f" kept the first {MAX_RELATED}, dropped 1"
    ],
    "images_too_many.md": [
        f"W images: has 21 items, over the limit of {MAX_IMAGES}:"
        f" kept the first {MAX_IMAGES}, dropped 1"
    ],
    "related_title_too_long.md": [
        f"W related[0].title: is 501 characters, over the {MAX_TITLE_LENGTH} limit; item dropped",
        f"W related[0].excerpt: is 5001 characters, over the {MAX_EXCERPT_LENGTH} limit;"
        " cut to 4999 characters",
    ],
}
# The cases whose problems are all warnings: the record is built without the dropped parts.
RECORD_KEPT = {case for case, problems in CASES.items() if all(p[0] == "W" for p in problems)}


def expected(name: str, short: str) -> str:
    """The full `str(problem)` for a table entry like "E title: is required"."""
    severity = {"E": "error", "W": "warning"}[short[0]]
    return f"{severity}: {name}: {short[2:]}"


def check(path: Path, name: str | None = None) -> tuple[Record | None, list[Problem]]:
    """Read and validate one file the way the build does; return the record and problems."""
    raw = parse_record(path.read_bytes(), name or path.name)
    if not isinstance(raw, RawRecord):
        return None, [raw]
    return validate_record(raw, UTC)


def test_every_fixture_has_a_case_and_every_case_a_fixture():
    assert sorted(p.name for p in INVALID.iterdir()) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_record_gives_the_exact_problems(case):
    record_, problems = check(INVALID / case)
    assert [str(p) for p in problems] == [expected(case, short) for short in CASES[case]]
    assert (record_ is not None) == (case in RECORD_KEPT)
    assert all(p.file == case for p in problems)


@pytest.mark.parametrize("case", sorted(CASES))
def test_parse_record_on_bytes_agrees_with_reading_the_file(case):
    data = (INVALID / case).read_bytes()
    raw = parse_record(data, case)
    if isinstance(raw, Problem):
        assert [str(raw)] == [expected(case, short) for short in CASES[case]]
    else:
        assert (validate_record(raw, UTC)[0] is not None) == (case in RECORD_KEPT)


def test_field_errors_name_the_field():
    _, problems = check(INVALID / "several_bad_fields.md")
    assert [(p.severity, p.field) for p in problems] == [
        (Severity.ERROR, "published"),
        (Severity.ERROR, "quality"),
        (Severity.ERROR, "heat"),
    ]


def test_yaml_error_names_line_and_column_but_never_quotes_the_source():
    path = INVALID / "yaml_error_after_secured.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[4].startswith("secured: ") and lines[5] == "quality: 48: 49"
    _, problems = check(path)
    message = str(problems[0])
    assert "line 6, column 12" in message
    assert SEED_SECURED not in message
    assert "j5fues" not in message and "fNV0Vl" not in message
    assert "48" not in message and "quality" not in message


def test_alias_bomb_is_refused_quickly_without_expanding():
    levels = ["a: &a [" + ", ".join(['"lol"'] * 10) + "]"]
    for index in range(1, 25):  # 10**25 leaves if expanded: only a refusal can be this fast
        prev, name = chr(ord("a") + index - 1), chr(ord("a") + index)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    text = record("Bomb").replace("\n---\n", "\n" + "\n".join(levels) + "\n---\n")
    started = time.perf_counter()
    result = parse_record(text.encode(), "bomb.md")
    assert time.perf_counter() - started < 1.0
    assert str(result) == "error: bomb.md: YAML anchors and aliases are not allowed in records"


def test_ampersands_and_stars_in_plain_text_are_not_mistaken_for_aliases():
    text = record(
        "Q&A: *the* answer & more",
        url="https://example.com/a?x=1&y=2",
        excerpt="Tom&Jerry *starring* & co",
    )
    raw = parse_record(text.encode(), "plain.md")
    assert isinstance(raw, RawRecord)
    assert raw.fields["title"] == "Q&A: *the* answer & more"


def test_not_utf8_names_the_offset(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes(record().replace("A story", "Caf\u00e9").encode("latin-1"))
    offset = path.read_bytes().index(b"\xe9")
    _, problems = check(path)
    assert [str(p) for p in problems] == [
        f"error: latin1.md: not UTF-8 text (bad byte at offset {offset})"
    ]


def test_not_utf8_offset_counts_the_bom(tmp_path):
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf---\ntitle: \xff\n---\n")
    _, problems = check(path)
    assert [str(p) for p in problems] == ["error: bom.md: not UTF-8 text (bad byte at offset 14)"]


def test_nul_character_is_refused(tmp_path):
    path = tmp_path / "nul.md"
    path.write_bytes(record().replace("A story", "Nul\x00byte").encode())
    _, problems = check(path)
    assert [str(p) for p in problems] == ["error: nul.md: contains a NUL character"]


def test_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.md"
    text = record("Huge")
    path.write_bytes(text.encode() + b"x" * (MAX_RECORD_BYTES + 1 - len(text)))
    size = MAX_RECORD_BYTES + 1
    assert path.stat().st_size == size
    message = f"error: huge.md: file is {size} bytes, over the {MAX_RECORD_BYTES} limit"
    assert [str(p) for p in check(path)[1]] == [message]
    assert str(parse_record(path.read_bytes(), "huge.md")) == message


def test_file_exactly_at_the_size_limit_is_read(tmp_path):
    path = tmp_path / "big.md"
    text = record("Big").replace("\n---\n", "\npadding: ") + "\n---\n"
    path.write_bytes(
        text.replace("padding: ", "padding: " + "x" * (MAX_RECORD_BYTES - len(text))).encode()
    )
    assert path.stat().st_size == MAX_RECORD_BYTES
    record_, problems = check(path)
    assert problems == [] and record_ is not None and record_.title == "Big"


def test_yaml_error_line_counts_blank_lines_after_the_opening_dashes():
    problem = parse_record(b"---\n\n\ntitle: x\nbad: : :\n---\n", "blank.md")
    assert isinstance(problem, Problem)
    assert problem.message == (
        "front matter is not valid YAML at line 5, column 6: "
        "mapping values are not allowed in this context"
    )


@pytest.mark.parametrize("case", ["tag_int_on_secured.md", "tag_float.md", "tag_verbatim.md"])
def test_tagged_secured_value_is_refused_without_being_quoted(case):
    text = (INVALID / case).read_text(encoding="utf-8")
    assert "SECRETVALUE123" in text
    _, problems = check(INVALID / case)
    assert "SECRETVALUE123" not in str(problems) and "secretvalue123" not in str(problems)


def test_tagged_secured_value_never_reaches_the_build_output(tmp_path):
    bad = (INVALID / "tag_int_on_secured.md").read_text(encoding="utf-8")
    root = make_site(tmp_path / "site", {"bad.md": bad, "good.md": record("Good")})
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert f"error: bad.md: {TAGS} (line 5)" in result.stderr
    assert "Traceback" not in result.stderr
    everything = (
        result.stdout
        + result.stderr
        + "".join(data.decode("utf-8", "replace") for data in result.files().values())
    )
    assert "SECRETVALUE123" not in everything and "secretvalue123" not in everything
    assert "Good" in result.read("index.html")


def test_any_other_failure_while_loading_is_an_error_that_never_quotes_the_value(monkeypatch):
    def failing_load(*args: object, **kwargs: object) -> object:
        raise ValueError("invalid literal for int() with base 10: 'SECRETVALUE123'")

    monkeypatch.setattr(reader, "_load_measured", failing_load)
    problem = parse_record(record("Fine").encode(), "odd.md")
    assert isinstance(problem, Problem)
    assert str(problem) == "error: odd.md: front matter cannot be loaded (ValueError)"


def test_exclamation_marks_in_text_are_not_mistaken_for_tags_and_skip_the_event_scan(
    monkeypatch,
):
    def no_scan(front: str) -> object:
        raise AssertionError("the event scan ran")

    monkeypatch.setattr(reader, "_events", no_scan)
    text = record("Wow! It works!!", excerpt="Yes!")
    raw = parse_record(text.encode(), "plain.md")
    assert isinstance(raw, RawRecord) and raw.fields["title"] == "Wow! It works!!"


def test_exclamation_marks_in_quoted_text_are_not_tags():
    text = record("!important", excerpt="! not a tag", category="!!int 5")
    raw = parse_record(text.encode(), "quoted.md")
    assert isinstance(raw, RawRecord)
    assert raw.fields["excerpt"] == "! not a tag" and raw.fields["category"] == "!!int 5"


def test_body_exactly_at_the_size_limit_is_rendered():
    body = ("word " * MAX_BODY_BYTES)[:MAX_BODY_BYTES]
    html, problems = render_note(body, "at_limit.md")
    assert problems == [] and html.startswith("<p>word word")


@pytest.mark.parametrize(
    "unit", ["[", "[a](", "![", "![a](", "[a][", "<a ", '<a b="', "<![CDATA[", "](", "<p "]
)
def test_pathological_body_at_the_size_limit_is_rendered_or_refused_quickly(unit):
    body = (unit * MAX_BODY_BYTES)[:MAX_BODY_BYTES]
    started = time.perf_counter()
    _, problems = render_note(body, "slow.md")
    assert time.perf_counter() - started < 10.0  # a hang guard only: it takes milliseconds
    assert [str(p) for p in problems] == [f"error: slow.md: body: {TOO_COMPLEX}"]


@pytest.mark.parametrize(
    "body",
    [
        "A [link](https://example.com/a) and [another](https://example.com/b (c)). " * 200,
        "Prices rose (a lot: x < y, 3 < 4) and :-( fell. [sic] <b>bold</b> " * 200,
        "- item\n    - nested\n        - deeper\n" * 200,
    ],
)
def test_ordinary_long_bodies_are_rendered(body):
    html, problems = render_note(body, "long.md")
    assert not [p for p in problems if p.severity is Severity.ERROR]
    assert html


def test_nesting_limit_does_not_depend_on_the_callers_stack():
    def at_depth(levels: int, body: str) -> list[str]:
        if levels:
            return at_depth(levels - 1, body)
        return [str(p) for p in render_note(body, "deep.md")[1]]

    for body in ("1. " * 150 + "x", "1. " * 300 + "x"):
        assert at_depth(0, body) == at_depth(500, body)
    assert at_depth(500, "1. " * 150 + "x") == []


def test_body_errors_skip_only_that_record_in_a_real_build(tmp_path):
    root = make_site(
        tmp_path / "site",
        {
            "brackets.md": (INVALID / "body_unclosed_brackets.md").read_text(encoding="utf-8"),
            "good.md": record("Good") + "A *fine* note.\n",
        },
    )
    started = time.perf_counter()
    result = build_in(root)
    assert time.perf_counter() - started < 10.0
    assert result.exit_code == 0, result.stderr
    assert f"error: brackets.md: body: {TOO_COMPLEX}" in result.stderr
    assert "<em>fine</em>" in result.read("2025/03/01/good/index.html")


def test_a_note_after_one_nested_deeper_than_the_parser_goes_renders_normally():
    html, problems = render_note("1. " * 300 + "x", "deep.md")
    assert not problems and html.endswith("</ol>")
    assert render_note("A *fine* note.", "next.md") == ("<p>A <em>fine</em> note.</p>", [])


# Limits on a record's size: title, excerpt, related items, images and numbers.


def fields(**overrides: object) -> dict[str, object]:
    """A valid record's fields with some replaced."""
    base: dict[str, object] = {
        "title": "A story",
        "publishedDateTime": "2021-06-04T19:51:00Z",
        "originalUrl": "https://example.com/a-story",
    }
    return base | overrides


def validate_fields(**overrides: object) -> tuple[Record | None, list[str]]:
    record_, problems = validate_record(RawRecord("limits.md", fields(**overrides), ""), UTC)
    return record_, [str(p) for p in problems]


def test_title_at_the_limit_is_kept_whole():
    title = ("word " * MAX_TITLE_LENGTH)[: MAX_TITLE_LENGTH - 1] + "x"
    record_, problems = validate_fields(title=title)
    assert problems == [] and record_ is not None and record_.title == title


def test_title_limit_counts_characters_after_whitespace_is_collapsed():
    record_, problems = validate_fields(title="a" + " " * 1000 + "b")
    assert problems == [] and record_ is not None and record_.title == "a b"


def test_excerpt_over_the_limit_is_cut_at_a_word_with_an_ellipsis():
    excerpt = "alpha beta gamma " * 400  # 6800 characters, 6799 without the trailing space
    record_, problems = validate_fields(excerpt=excerpt)
    assert record_ is not None
    assert len(record_.excerpt) <= MAX_EXCERPT_LENGTH
    assert record_.excerpt.endswith("\u2026")
    assert excerpt.startswith(record_.excerpt.removesuffix("\u2026") + " ")
    assert problems == [
        f"warning: limits.md: excerpt: is 6799 characters, over the {MAX_EXCERPT_LENGTH} limit;"
        f" cut to {len(record_.excerpt)} characters"
    ]


def test_excerpt_of_one_huge_word_is_cut_inside_it():
    record_, problems = validate_fields(excerpt="x" * 10_000)
    assert record_ is not None and record_.excerpt == "x" * (MAX_EXCERPT_LENGTH - 1) + "\u2026"
    assert len(problems) == 1


def test_excerpt_at_the_limit_is_kept_whole():
    excerpt = "y" * MAX_EXCERPT_LENGTH
    record_, problems = validate_fields(excerpt=excerpt)
    assert problems == [] and record_ is not None and record_.excerpt == excerpt


def test_related_items_past_the_limit_are_dropped_and_counted():
    related = [
        {"title": f"Coverage {i}", "webUrl": f"https://o{i}.example.com/s"} for i in range(250)
    ]
    record_, problems = validate_fields(related=related)
    assert record_ is not None
    assert [c.title for c in record_.related] == [f"Coverage {i}" for i in range(MAX_RELATED)]
    assert problems == [
        f"warning: limits.md: related: has 250 items, over the limit of {MAX_RELATED}:"
        f" kept the first {MAX_RELATED}, dropped {250 - MAX_RELATED}"
    ]


def test_images_past_the_limit_are_dropped_and_counted_also_in_related_items():
    images = [{"url": f"https://example.com/{i}.jpg"} for i in range(MAX_IMAGES + 5)]
    related = [{"title": "Other", "webUrl": "https://other.example.net/b", "images": images}]
    record_, problems = validate_fields(images=images, related=related)
    assert record_ is not None and len(record_.images) == MAX_IMAGES
    assert record_.related[0].image is not None
    assert problems == [
        f"warning: limits.md: images: has {MAX_IMAGES + 5} items, over the limit of"
        f" {MAX_IMAGES}: kept the first {MAX_IMAGES}, dropped 5",
        f"warning: limits.md: related[0].images: has {MAX_IMAGES + 5} items, over the limit"
        f" of {MAX_IMAGES}: kept the first {MAX_IMAGES}, dropped 5",
    ]


def test_topics_past_the_first_distinct_ones_are_dropped_and_counted():
    topics = [f"Topic {i}" for i in range(1000)]
    record_, problems = validate_fields(topics=topics)
    assert record_ is not None and record_.topics == tuple(topics[:MAX_TOPICS])
    assert problems == [
        f"warning: limits.md: topics: has 1000 distinct topics, over the limit of {MAX_TOPICS}:"
        f" kept the first {MAX_TOPICS}, dropped {1000 - MAX_TOPICS}"
    ]


def test_topics_that_are_one_topic_count_once_towards_the_limit():
    topics = [name for i in range(MAX_TOPICS) for name in (f"AI {i}", f"ai-{i}", f"Ai  {i}")]
    record_, problems = validate_fields(topics=[*topics, "AI 0", "ai 1"])
    assert problems == []
    assert record_ is not None and record_.topics == tuple(f"AI {i}" for i in range(MAX_TOPICS))
    _, problems = validate_fields(topics=[*topics, "AI 0", "New", "new", "Other"])
    assert problems == [
        f"warning: limits.md: topics: has {MAX_TOPICS + 2} distinct topics, over the limit of"
        f" {MAX_TOPICS}: kept the first {MAX_TOPICS}, dropped 2"
    ]


def test_topics_past_the_limit_are_only_counted_never_checked():
    topics = [f"T{i}" for i in range(MAX_TOPICS)] + [7, "x" * (MAX_NAME_LENGTH + 1), " "]
    record_, problems = validate_fields(topics=topics)
    assert record_ is not None and len(record_.topics) == MAX_TOPICS
    assert problems == [
        f"warning: limits.md: topics: has {MAX_TOPICS + 1} distinct topics, over the limit of"
        f" {MAX_TOPICS}: kept the first {MAX_TOPICS}, dropped 1"
    ]


def test_a_record_with_a_thousand_topics_builds_only_the_first_topic_pages(tmp_path):
    topics = [f"Topic {i}" for i in range(1000)]
    root = make_site(tmp_path / "site", {"many.md": record("Many", topics=topics)})
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert (
        f"warning: many.md: topics: has 1000 distinct topics, over the limit of {MAX_TOPICS}:"
        f" kept the first {MAX_TOPICS}, dropped {1000 - MAX_TOPICS}"
    ) in result.stderr
    pages = sorted(p.parent.name for p in (result.output / "topics").glob("*/index.html"))
    assert pages == sorted(f"topic-{i}" for i in range(MAX_TOPICS))


def test_exactly_the_limit_of_related_items_and_images_is_kept():
    related = [{"title": f"C{i}", "webUrl": f"https://o{i}.example.com/"} for i in range(100)]
    images = [{"url": f"https://example.com/{i}.jpg"} for i in range(MAX_IMAGES)]
    record_, problems = validate_fields(related=related[:MAX_RELATED], images=images)
    assert problems == [] and record_ is not None
    assert len(record_.related) == MAX_RELATED and len(record_.images) == MAX_IMAGES


@pytest.mark.parametrize("number", ["1" + ":59" * 300_000, "0x" + "f" * 100_000, "-" + "9" * 101])
def test_a_number_too_long_is_refused_quickly_before_it_is_built(number):
    text = record().replace("\n---\n", f"\nheat: {number}\n---\n")
    started = time.perf_counter()
    problem = parse_record(text.encode(), "long.md")
    assert time.perf_counter() - started < 1.0  # building `1:59:59...` would take a minute
    assert str(problem) == (
        f"error: long.md: front matter at line 5, column 7: a number may be at most"
        f" {MAX_NUMBER_CHARACTERS} characters long"
    )


def test_a_number_at_the_length_limit_is_read():
    text = record().replace("\n---\n", f"\nviews: {'9' * MAX_NUMBER_CHARACTERS}\n---\n")
    raw = parse_record(text.encode(), "long.md")
    assert isinstance(raw, RawRecord) and raw.fields["views"] == int("9" * 100)


# Regressions found by tests/site/test_fuzz.py.


def test_a_huge_number_in_a_score_or_size_is_an_error_not_a_crash():
    # Python refuses to print an int of over 4300 digits; the message gives its length instead.
    huge = 10**5000
    _, problems = validate_fields(
        quality=huge, images=[{"url": "https://e.com/a.jpg", "width": huge, "height": [huge]}]
    )
    assert problems == [
        "warning: limits.md: images[0].width: must be a whole number of pixels,"
        " got a number of about 5001 digits; ignored",
        "warning: limits.md: images[0].height: must be a whole number of pixels,"
        " got a list; ignored",
        "error: limits.md: quality: must be from 0 to 100, got a number of about 5001 digits",
    ]


@pytest.mark.parametrize("bad", ["\ud800", "\udfff", "\ufffe", "\x85", "\x7f"])
def test_a_url_with_characters_that_are_not_valid_text_is_dropped_not_a_crash(bad):
    # A lone surrogate in a query used to crash the canonical form (it cannot be encoded).
    related = [{"title": "Other", "webUrl": f"https://other.example.net/?q={bad}"}]
    record_, problems = validate_fields(webUrl=f"https://example.com/{bad}", related=related)
    assert record_ is not None and record_.web_url is None and record_.related == ()
    assert problems == [
        "warning: limits.md: webUrl: dropped: contains characters that are not valid text",
        "warning: limits.md: related[0].webUrl: dropped: contains characters that are not"
        " valid text",
    ]


def test_quote_never_prints_what_cannot_or_should_not_be_printed():
    from digestgen.problems import quote

    nested: list[object] = []
    for _ in range(100_000):
        nested = [nested]
    assert quote(10**5000) == "a number of about 5001 digits"
    assert quote(nested) == "a list"
    assert quote({"a": 1}) == "a mapping"
    assert quote("x" * 100) == "'" + "x" * 56 + "..."
    assert quote(3.5) == "3.5"
