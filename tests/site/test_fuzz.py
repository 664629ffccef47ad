"""Fuzzing with hypothesis: hostile bytes, YAML and field values never crash, hang or leak.

Every input gives either a parsed record or problems that name the file (and, from
validation, the field). The default run is short enough for CI; set DIGESTGEN_FUZZ_EXAMPLES
to a number (say 5000) for a longer one: it raises every test's example count to that number.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import html5lib
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digestgen.model import Record
from digestgen.output.paths import check_output_path, file_path
from digestgen.problems import Problem, Severity
from digestgen.records.parse import RawRecord, parse_record
from digestgen.records.validate import validate_record
from digestgen.stories.addresses import standalone_address, standalone_family
from digestgen.stories.cluster import cluster_records
from digestgen.util.slugs import MAX_SLUG_LENGTH, is_windows_device, make_slug
from digestgen.util.text import INVALID_CHARACTERS
from tests.helpers import build_in, make_site, record

pytestmark = pytest.mark.slow

NAME = "fuzz.md"
ZONES = [ZoneInfo("UTC"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo("America/St_Johns")]
LONG_RUN = int(os.environ.get("DIGESTGEN_FUZZ_EXAMPLES", "0") or 0)


def fuzz_settings(examples: int, deadline: int | None = 2000) -> settings:
    """Settings for one fuzz test: `examples` by default, DIGESTGEN_FUZZ_EXAMPLES if set."""
    return settings(
        max_examples=max(examples, LONG_RUN),
        deadline=deadline,  # a hang guard: each example takes milliseconds
        database=None,  # no .hypothesis/ folder in the checkout; failures print their example
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Characters records have broken things with: controls, NUL, bidi overrides, zero-width
# characters, a BOM, line and paragraph separators, lone surrogates, noncharacters, and the
# YAML and Markdown punctuation that changes what a line means.
SPECIAL = [
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\t", "\r", "\n",
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202a", "\u202b", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069", "\u2028", "\u2029", "\ud800", "\udfff", "\ufffe",
    "\uffff", "\U0010ffff", "\u0301", "\U0001f600", "İ", "ß", "ﬁ", "日本",
    "---", "...", "&a", "*a", "!", "!!", ":", ": ", "- ", "#", "[", "]", "{", "}", "<", ">",
    "](", "'", '"', "\\", "`", "%", "@", "|", "/", "..", "../", "javascript:", "https://",
]  # fmt: skip
characters = st.characters(codec=None, exclude_categories=())  # surrogates included
texts = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.text(characters, max_size=8)), max_size=12
).map("".join)
short_texts = st.text(characters, max_size=20)
url_parts = st.lists(
    st.one_of(
        st.sampled_from(["\ud800", "\udfff", "\ufffe", "\u202e", "\u200b", "\x85", "é", "日本"]),
        st.sampled_from(["%", "%ff", "%00", "%d8%00", "&", "=", "/", "..", "#", "?", "@", ":"]),
        st.text(
            st.characters(codec=None, exclude_categories=(), exclude_characters=" \t\n\r\"'<>`\\"),
            max_size=6,
        ),
    ),
    max_size=4,
).map("".join)
# URLs that pass for http(s) at a glance, with anything in the host, path, query and fragment.
urls = st.builds(
    "{}://{}example.com{}/{}?{}={}#{}".format,
    st.sampled_from(["https", "http", "HTTPS", "javascript", "data", "file", ""]),
    st.sampled_from(["", "www.", "a.", "xn--", "-", "user:pass@", "[::1]", "a..", "é."]),
    st.sampled_from(["", ":80", ":0", ":99999", ":x", ".", ".cdn.ampproject.org/c/s/a.com"]),
    url_parts,
    url_parts,
    url_parts,
    url_parts,
)
scalars = st.one_of(
    urls,
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**1000), max_value=10**1000),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
# What YAML can give (keys of nested mappings need not be text) ...
yaml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(short_texts, st.integers(), st.booleans()), inner, max_size=4),
    ),
    max_leaves=20,
)
# ... and what a caller could hand validation directly: numbers too long to print as well.
any_values = st.recursive(
    st.one_of(
        scalars,
        st.sampled_from([4400, -5000, 20000]).map(lambda n: 10 ** abs(n) * (1 if n > 0 else -1)),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(short_texts, st.integers(), st.none()), inner, max_size=4),
    ),
    max_leaves=20,
)


def valid_fields() -> dict[str, Any]:
    """A valid record's fields, every known field present."""
    return {
        "title": "A story",
        "excerpt": "What happened.",
        "publishedDateTime": "2021-06-04T19:51:00Z",
        "originalUrl": "https://example.com/a-story",
        "webUrl": "https://upstream.example.com/a-story",
        "ampWebUrl": "https://example.com/amp/a-story",
        "cdnAmpWebUrl": "https://example-com.cdn.ampproject.org/c/s/example.com/a-story",
        "type": "article",
        "quality": 48,
        "heat": 48,
        "published": True,
        "category": "news",
        "slug": "a-story",
        "provider": {"name": "Example", "domain": "example.com"},
        "topics": ["AI", "Computer Vision"],
        "images": [{"url": "https://example.com/a.jpg", "width": 800, "height": 450}],
        "related": [
            {
                "title": "Other coverage",
                "excerpt": "More.",
                "publishedDateTime": "2021-06-04T20:00:00Z",
                "webUrl": "https://other.example.net/b",
                "ampWebUrl": "https://other.example.net/amp/b",
                "type": "video",
                "provider": {"name": "Other", "domain": "other.example.net"},
                "quality": 30,
                "images": [{"url": "https://other.example.net/b.jpg", "width": 1, "height": 1}],
            }
        ],
        "secured": "SECRETVALUE123",
    }


FIELD_PATHS = [
    *[(key,) for key in valid_fields()],
    ("provider", "name"),
    ("provider", "domain"),
    ("images", 0),
    ("images", 0, "url"),
    ("images", 0, "width"),
    ("related", 0),
    *[("related", 0, key) for key in valid_fields()["related"][0]],
    ("related", 0, "provider", "domain"),
    ("related", 0, "images", 0, "height"),
    ("extraField",),
]


def replace_at(fields: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set the value at a path of keys and indexes in the nested fields."""
    target: Any = fields
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


@st.composite
def mutated_fields(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> dict[str, Any]:
    """A valid record's fields with one or more of them replaced by arbitrary values."""
    fields = valid_fields()
    paths = draw(st.lists(st.sampled_from(FIELD_PATHS), min_size=1, max_size=4, unique=True))
    for path in sorted(paths, key=len, reverse=True):  # inner paths first, while they exist
        replace_at(fields, path, draw(values))
    if draw(st.booleans()):
        del fields[draw(st.sampled_from(sorted(fields)))]
    return fields


def front_matter(fields: Any, body: str = "") -> bytes:
    """A record file's bytes: the value dumped as YAML between `---` lines, then the body."""
    dumped = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)
    return ("---\n" + dumped + "---\n" + body).encode("utf-8", "surrogatepass")


def check_problems(problems: list[Problem], from_validation: bool) -> None:
    assert problems
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.file == NAME
        assert problem.message
        assert "SECRETVALUE123" not in str(problem)
        if from_validation:
            assert problem.field


def check_record(record_: Record) -> None:
    """A validated record holds only text fit for HTML and XML, and links that may be emitted."""
    for text in (record_.title, record_.excerpt, record_.provider.name, *record_.topics):
        assert not INVALID_CHARACTERS.search(text)
    assert record_.title.strip()
    assert record_.url.startswith(("http://", "https://"))
    assert record_.slug_text
    check_output_path(file_path(standalone_address(record_, ZONES[0])))


def parse_and_validate(data: bytes, zone: ZoneInfo = ZONES[0]) -> None:
    """The whole property: parse, then validate; a record or problems naming the file."""
    raw = parse_record(data, NAME)
    if isinstance(raw, Problem):
        check_problems([raw], from_validation=False)
        assert raw.severity is Severity.ERROR
        return
    assert isinstance(raw, RawRecord) and raw.file == NAME
    assert all(isinstance(key, str) for key in raw.fields)
    validate(raw, zone)


def validate(raw: RawRecord, zone: ZoneInfo = ZONES[0]) -> None:
    record_, problems = validate_record(raw, zone)
    if record_ is None:
        check_problems(problems, from_validation=True)
        assert any(p.severity is Severity.ERROR for p in problems)
    else:
        assert not any(p.severity is Severity.ERROR for p in problems)
        if problems:
            check_problems(problems, from_validation=True)
        check_record(record_)
        check_worked_out(record_, zone)


def check_worked_out(record_: Record, zone: ZoneInfo) -> None:
    """What validation works out once for every build (url keys, slug, standalone address and
    family in the zone it read the record in) is what the record's own fields give."""
    bare = replace(record_, keys=(), slug_text="", address="", family="", address_zone=None)
    assert record_.address_zone is zone
    assert record_.url_keys == bare.url_keys
    assert record_.slug_text == (make_slug(record_.slug or record_.title) or "story")
    assert standalone_family(record_, zone) == standalone_family(bare, zone)


# (a) arbitrary bytes, and bytes that at least look like a record.


@fuzz_settings(300)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data):
    parse_and_validate(data)


@fuzz_settings(300)
@given(st.binary(max_size=500), st.binary(max_size=500))
def test_arbitrary_bytes_between_dashes(front, body):
    parse_and_validate(b"---\n" + front + b"\n---\n" + body)


# (b) arbitrary YAML documents: dumped Python values, and raw text YAML may not parse.


@fuzz_settings(300)
@given(yaml_values, texts)
def test_arbitrary_yaml_documents(value, body):
    parse_and_validate(front_matter(value, body))


@fuzz_settings(200)
@given(st.dictionaries(texts, yaml_values, max_size=6), st.sampled_from(ZONES))
def test_arbitrary_yaml_mappings(fields, zone):
    parse_and_validate(front_matter(fields), zone)


yaml_lines = st.one_of(
    texts,
    st.builds(lambda key, value: f"{key}: {value}", st.sampled_from(sorted(valid_fields())), texts),
    st.sampled_from(
        [
            "quality: " + "9" * 5000,
            "heat: -" + "1" * 4400,
            "quality: 0x" + "f" * 5000,
            "quality: 1e400",
            "quality: .nan",
            "title: [" * 50,
            "title: {a: " * 50,
            "? [a, b]\n: c",
            "? {a: b}\n: c",
            "1: one",
            "null: x",
            "title: &a x\nexcerpt: *a",
            "title: !!str x",
            "<<: {title: merged}",
            "publishedDateTime: 2021-06-04",
            "publishedDateTime: 2021-06-04 19:51:00",
            "publishedDateTime: 0001-01-01T00:00:00+14:00",
            "publishedDateTime: 9999-12-31T23:59:59-14:00",
            "publishedDateTime: '+002021-06-04'",
            "%YAML 1.1",
            "--- !!map",
            "...",
            '"\\ud800": x',
            'title: "\\ud800\\x00\\u202e"',
        ]
    ),
)


@fuzz_settings(300)
@given(st.lists(yaml_lines, max_size=8), texts)
def test_raw_yaml_text(lines, body):
    text = "---\n" + record("A story").removeprefix("---\n").removesuffix("---\n")
    text += "\n".join(lines) + "\n---\n" + body
    parse_and_validate(text.encode("utf-8", "surrogatepass"))


# (c) structurally valid records with arbitrary values in some fields.


@fuzz_settings(400)
@given(mutated_fields(any_values), texts, st.sampled_from(ZONES))
def test_valid_record_with_arbitrary_field_values(fields, body, zone):
    validate(RawRecord(file=NAME, fields=fields, body=body), zone)


@fuzz_settings(300)
@given(mutated_fields(yaml_values), texts)
def test_valid_record_with_arbitrary_field_values_through_yaml(fields, body):
    parse_and_validate(front_matter(fields, body))


def test_the_unmutated_record_is_valid():
    record_, problems = validate_record(RawRecord(NAME, valid_fields(), "A *note*."), ZONES[0])
    assert problems == [] and record_ is not None
    raw = parse_record(front_matter(valid_fields(), "A *note*."), NAME)
    assert isinstance(raw, RawRecord)
    assert validate_record(raw, ZONES[0]) == (record_, [])


# A whole site from fuzzed records and one good one.


def parse_html(text: str) -> None:
    html5lib.HTMLParser(strict=False).parse(text)


@fuzz_settings(15, deadline=30_000)  # a whole build, on a machine that may be busy
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=300),
            mutated_fields(yaml_values).map(front_matter),
            st.tuples(mutated_fields(yaml_values), texts).map(lambda pair: front_matter(*pair)),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_site_with_fuzzed_records_builds(fuzzed):
    records: dict[str, str | bytes] = {f"fuzz{i}.md": data for i, data in enumerate(fuzzed)}
    records["good.md"] = record("The good story", url="https://good.example.com/story")
    with tempfile.TemporaryDirectory() as folder:
        result = build_in(make_site(Path(folder) / "site", records))
        assert result.exit_code == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert (result.output / "2025/03/01/the-good-story/index.html").is_file()
        for path, data in result.files().items():
            if path.startswith("pagefind/"):  # the search index: compressed, checked unpacked
                data = gzip.decompress(data) if path.endswith(("_fragment", "_index")) else data
                assert b"SECRETVALUE123" not in data
                continue
            assert b"SECRETVALUE123" not in data
            if path.endswith(".png"):  # the theme's icons
                continue
            text = data.decode("utf-8")
            if path.endswith(".html"):
                parse_html(text)
            elif path.endswith(("feed.xml", "atom.xml")):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    feed = feedparser.parse(data)
                assert not feed.bozo, (path, feed.get("bozo_exception"))


# Story addresses from arbitrary titles and slugs stay safe.


@fuzz_settings(500)
@given(texts, st.integers(min_value=1, max_value=300))
def test_slugs_are_short_safe_ascii(text, length):
    slug = make_slug(text, max_length=length)
    assert len(slug) <= length
    assert slug == "" or check_output_path(slug) == slug
    plain = slug.removesuffix("_")  # `_` only after a name Windows reserves: `con_`
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in plain)
    assert plain == slug or is_windows_device(plain)
    assert not slug.startswith("-") and not slug.endswith("-")


@fuzz_settings(200)
@given(
    st.lists(st.tuples(texts, st.one_of(st.none(), texts)), min_size=1, max_size=6),
    st.datetimes(timezones=st.sampled_from(ZONES)),
    st.sampled_from(ZONES),
)
def test_story_addresses_stay_inside_the_output_folder(titles, when, zone):
    records = []
    for index, (title, slug) in enumerate(titles):
        fields = {
            "title": title if title.strip() else "x",
            "publishedDateTime": when.isoformat(),
            "originalUrl": f"https://example.com/{index}",
            "slug": slug,
        }
        record_, _ = validate_record(RawRecord(NAME, fields, ""), zone)
        if record_ is not None:
            records.append(record_)
    clusters, _ = cluster_records(records, zone)
    for cluster in clusters:
        for address in (cluster.path, standalone_address(cluster.lead, zone)):
            path = check_output_path(file_path(address))
            segments = path.split("/")
            assert all(len(s.encode("utf-8")) <= 255 for s in segments)
            assert all(s not in ("", ".", "..") for s in segments)
            assert len(segments[3]) <= MAX_SLUG_LENGTH + 1 + 40 + 8
            root = Path("/out")
            assert (root / path).resolve().is_relative_to(root)
