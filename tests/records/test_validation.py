"""Valid records: one fixture per behaviour, checked field by field; problems through the CLI."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from digestgen.config import SiteConfig
from digestgen.model import Coverage, Image, Provider, Record
from digestgen.problems import Problem, Severity
from digestgen.records.parse import RawRecord, parse_record
from digestgen.records.validate import validate_record
from digestgen.render.paging import story_hash
from digestgen.stories.cluster import cluster_records
from digestgen.stories.organize import organize
from digestgen.util.urls import canonical_url
from tests.helpers import FIXTURES, SEED_PATH, SEED_SECURED, record
from tests.helpers.factories import at

VALID = FIXTURES / "valid"
UTC = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
JAVASCRIPT = "dropped: scheme 'javascript' is not allowed (only http and https)"


def load(name: str, zone: ZoneInfo = UTC, path: Path | None = None) -> tuple[Record, list[str]]:
    """Read and validate a valid fixture; return the record and its problems as strings."""
    raw = parse_record((path or VALID / name).read_bytes(), name)
    assert isinstance(raw, RawRecord), raw
    result, problems = validate_record(raw, zone)
    assert result is not None, [str(p) for p in problems]
    return result, [str(p) for p in problems]


def test_bom_and_crlf_are_read_as_plain_text():
    data = (VALID / "bom_crlf.md").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf---\r\n") and data.count(b"\r\n") == 10
    result, problems = load("bom_crlf.md")
    assert problems == []
    assert result.title == "Saved by a Windows editor"
    assert result.url == "https://example.com/windows"
    assert result.topics == ("Caf\u00e9 culture",)
    assert result.published == datetime(2021, 6, 4, 19, 51, tzinfo=UTC)
    assert "\r" not in result.note_html
    assert result.note_html == "<p>A note written on Windows,\ntwo lines long.</p>"


def test_timestamp_without_offset_is_read_in_the_site_zone():
    in_paris, problems = load("naive_timestamp.md", PARIS)
    assert problems == []
    assert (in_paris.published.hour, in_paris.published.minute) == (19, 51)
    assert in_paris.published.utcoffset() == timedelta(hours=2)  # summer time in June
    assert in_paris.published == datetime(2021, 6, 4, 17, 51, tzinfo=UTC)
    in_utc, _ = load("naive_timestamp.md", UTC)
    assert in_utc.published == datetime(2021, 6, 4, 19, 51, tzinfo=UTC)


def test_bare_date_is_midnight_in_the_site_zone():
    result, problems = load("bare_date.md", PARIS)
    assert problems == []
    assert result.published == datetime(2021, 1, 15, 0, 0, tzinfo=PARIS)
    assert result.published.utcoffset() == timedelta(hours=1)  # winter time in January
    assert result.published == datetime(2021, 1, 14, 23, 0, tzinfo=UTC)


def test_timestamp_with_offset_keeps_its_instant():
    result, _ = load("published_missing.md", PARIS)
    assert result.published == datetime(2021, 6, 4, 19, 51, tzinfo=UTC)


def test_missing_published_means_published():
    result, problems = load("published_missing.md")
    assert problems == []
    assert result.is_published is True


def test_published_false_is_a_draft():
    result, problems = load("draft.md")
    assert problems == []
    assert result.is_published is False


def test_javascript_original_url_falls_back_to_web_url():
    result, problems = load("javascript_original_url.md")
    assert problems == [f"warning: javascript_original_url.md: originalUrl: {JAVASCRIPT}"]
    assert result.url == "https://news.example.net/stories/42"
    assert result.web_url == "https://news.example.net/stories/42"
    assert "javascript:" not in repr(result)
    assert result.provider == Provider(name="news.example.net", domain="news.example.net")


def test_bad_amp_url_is_dropped_with_a_warning():
    result, problems = load("bad_amp_url.md")
    assert problems == [
        "warning: bad_amp_url.md: ampWebUrl: dropped: scheme 'data' is not allowed"
        " (only http and https)"
    ]
    assert result.amp_url is None
    assert result.cdn_amp_url == (
        "https://example-com.cdn.ampproject.org/c/s/example.com/amp-story?amp"
    )
    assert "data:" not in repr(result)


def test_bad_related_items_are_dropped_and_the_record_kept():
    result, problems = load("related_items.md")
    assert problems == [
        "warning: related_items.md: related[0].webUrl: is required; item dropped",
        "warning: related_items.md: related[1].title: is required; item dropped",
        f"warning: related_items.md: related[2].webUrl: {JAVASCRIPT}",
    ]
    assert result.related == (
        Coverage(
            title="Good coverage",
            url="https://kvia.com/news/border/2021/06/04/story/",
            provider=Provider(name="KVIA", domain="kvia.com"),
            excerpt="Another outlet's take.",
            published=datetime(2021, 6, 4, 23, 34, tzinfo=UTC),
            type="article",
            quality=37,
            image=Image(url="https://kvia.b-cdn.net/2020/04/hypatia.jpg", width=2560, height=1707),
        ),
    )


def test_topics_differing_in_case_are_one_topic_keeping_the_first_spelling():
    result, problems = load("topics_case.md")
    assert problems == []
    assert result.topics == ("AI", "Computer Vision")


def test_unknown_fields_are_kept_as_extra():
    result, problems = load("unknown_fields.md")
    assert problems == []
    assert dict(result.extra or {}) == {
        "readingMinutes": 7,
        "sponsor": {"name": "Acme", "tier": "gold"},
        "labels": ["exclusive", "longread"],
    }


def test_secured_is_never_stored_on_the_record():
    result, problems = load("secured.md")
    assert problems == []
    assert dict(result.extra or {}) == {"mood": "calm"}
    assert "secured" not in (result.extra or {})
    assert SEED_SECURED not in repr(result)
    assert "fNV0VlkpHKAfZXub" not in repr(result)


def test_seed_record_validates_cleanly_without_its_secured_value():
    seed = SEED_PATH.read_text(encoding="utf-8")
    full_secret = seed.split('secured: "', 1)[1].split('"', 1)[0]
    assert full_secret.startswith(SEED_SECURED)
    result, problems = load(SEED_PATH.name, path=SEED_PATH)
    assert problems == []
    assert result.title.startswith("The Biden administration's new facial recognition app")
    assert result.published == datetime(2021, 6, 4, 19, 51, tzinfo=UTC)
    assert result.is_published is False
    assert (result.quality, result.heat, result.category) == (48, 48, "news")
    assert result.provider == Provider(name="THE WEEK", domain="theweek.com")
    assert result.topics == ("Computer Vision", "AI")
    assert result.images[0].width == 814 and result.images[0].height == 458
    assert [c.provider.domain for c in result.related] == ["kvia.com", "dailymail.co.uk"]
    assert result.extra is not None and dict(result.extra) == {}
    for piece in (full_secret, SEED_SECURED, full_secret[-24:]):
        assert piece not in repr(result)


def test_images_with_bad_urls_are_dropped_and_sizes_kept():
    result, problems = load("images.md")
    assert problems == [
        f"warning: images.md: images[0].url: {JAVASCRIPT}",
        "warning: images.md: images[2].url: dropped: scheme 'file' is not allowed"
        " (only http and https)",
    ]
    assert result.images == (
        Image(url="https://mediacloud.example.com/image/lead.jpg", width=814, height=458),
        Image(url="https://mediacloud.example.com/image/second.jpg", width=636, height=382),
    )
    assert result.image == result.images[0]


def test_provider_domain_given_as_url_falls_back_to_the_host():
    result, problems = load("provider_domain_url.md")
    assert problems == [
        "warning: provider_domain_url.md: provider.domain: 'https://theweek.com/immigration'"
        " is not a bare host name; using 'theweek.com'"
    ]
    assert result.provider == Provider(name="THE WEEK", domain="theweek.com")


def test_markdown_body_is_sanitised():
    result, problems = load("markdown_body.md")
    assert problems == [f"warning: markdown_body.md: body: <a href> {JAVASCRIPT}"]
    html = result.note_html
    assert "<strong>fine</strong>" in html
    assert "<script" not in html and "alert" not in html
    assert "onerror" not in html
    assert "javascript" not in html
    assert '<img src="https://img.example.com/pic.png" alt="a picture">' in html
    assert (
        '<a href="https://safe.example.org/read" rel="nofollow noopener noreferrer">'
        "safe link</a>" in html
    )
    assert "<a>click here</a>" in html


def test_links_the_url_rule_refuses_are_dropped_not_only_warned_about(tmp_path):
    path = tmp_path / "quote.md"
    path.write_text(
        record() + "See [it's here](https://example.com/it's) and <a href='http://bad_host/'>x</a>",
        encoding="utf-8",
    )
    result, problems = load("quote.md", path=path)
    assert problems == [
        "warning: quote.md: body: <a href> dropped: contains spaces, quotes or control characters",
        "warning: quote.md: body: <a href> dropped: has no valid host name",
    ]
    assert "href" not in result.note_html
    assert "it's here" in result.note_html


def test_explicit_slug_is_kept():
    result, problems = load("explicit_slug.md")
    assert problems == []
    assert result.slug == "short-and-sweet"
    assert result.title == "A very long headline that the curator wanted shortened"


def test_slug_is_none_when_absent():
    result, _ = load("published_missing.md")
    assert result.slug is None


# Bad records next to a good one, built through the real command line.
BAD_RECORDS: dict[str, str | bytes] = {
    "good.md": record("A good story"),
    "bad_quality.md": record("Bad quality", url="https://example.com/q", quality=400),
    "no_title.md": record("", url="https://example.com/t"),
    "bad_date.md": record("Bad date", url="https://example.com/d", when="2021-02-30T10:00:00Z"),
    "draft_string.md": record("String draft", url="https://example.com/p", published="false"),
    "latin1.md": "---\ntitle: Caf\u00e9\n---\n".encode("latin-1"),
    "warned.md": record(
        "Warned story",
        url="javascript:alert(1)",
        when="2025-03-02T10:00:00Z",
        webUrl="https://example.com/warned",
    ),
}
EXPECTED_STDERR = [
    "error: bad_date.md: publishedDateTime: is not a valid ISO 8601 date or timestamp:"
    " '2021-02-30T10:00:00Z'",
    "error: bad_quality.md: quality: must be from 0 to 100, got 400",
    "error: draft_string.md: published: must be true or false, not a string",
    "error: latin1.md: not UTF-8 text (bad byte at offset 14)",
    "error: no_title.md: title: is required",
    f"warning: warned.md: originalUrl: {JAVASCRIPT}",
]


def test_cli_reports_every_problem_in_one_run_and_still_builds(site_builder):
    result = site_builder(BAD_RECORDS)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == EXPECTED_STDERR
    assert "records skipped:    5" in result.stdout
    assert "warnings:           1" in result.stdout
    assert "A good story" in result.read("2025/03/01/a-good-story/index.html")
    assert "Warned story" in result.read("2025/03/02/warned-story/index.html")
    built = "\n".join(result.files())
    for skipped in ("bad-quality", "bad-date", "string-draft"):
        assert skipped not in built


def test_cli_strict_fails_on_the_same_problems(site_builder):
    result = site_builder(BAD_RECORDS, "--strict")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == EXPECTED_STDERR
    assert "A good story" in result.read("2025/03/01/a-good-story/index.html")


def test_cli_strict_fails_on_a_warning_alone(site_builder):
    result = site_builder({"warned.md": BAD_RECORDS["warned.md"]}, "--strict")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"warning: warned.md: originalUrl: {JAVASCRIPT}"]


def test_cli_strict_passes_a_clean_folder(site_builder):
    result = site_builder({"good.md": record("A good story")}, "--strict")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_problem_severity_and_field_for_the_cli_cases():
    found: list[Problem] = []
    for name, text in BAD_RECORDS.items():
        data = text if isinstance(text, bytes) else text.encode()
        raw = parse_record(data, name)
        if isinstance(raw, Problem):
            found.append(raw)
            continue
        found.extend(validate_record(raw, UTC)[1])
    assert sorted((p.file, p.field, p.severity) for p in found) == [
        ("bad_date.md", "publishedDateTime", Severity.ERROR),
        ("bad_quality.md", "quality", Severity.ERROR),
        ("draft_string.md", "published", Severity.ERROR),
        ("latin1.md", "", Severity.ERROR),
        ("no_title.md", "title", Severity.ERROR),
        ("warned.md", "originalUrl", Severity.WARNING),
    ]


def test_records_of_one_outlet_share_its_provider_object():
    # The build cache pickles records in batches: an outlet's one object is stored once a batch.
    def validated(title: str, provider: dict[str, str], related: list[object]) -> Record:
        text = record(title, f"https://example.com/{title}", provider=provider, related=related)
        raw = parse_record(text.encode(), f"{title}.md")
        assert isinstance(raw, RawRecord)
        result, problems = validate_record(raw, UTC)
        assert result is not None and not problems, problems
        return result

    week = {"name": "The Week", "domain": "theweek.com"}
    piece = {"title": "Its take", "webUrl": "https://theweek.com/take", "provider": week}
    first = validated("first", week, [piece])
    second = validated("second", dict(week), [])
    other = validated("other", {"name": "Other", "domain": "theweek.com"}, [])
    assert first.provider == Provider(name="The Week", domain="theweek.com")
    assert second.provider is first.provider
    assert first.related[0].provider is first.provider
    assert other.provider == Provider(name="Other", domain="theweek.com")
    assert other.provider is not first.provider


def test_a_record_carries_its_related_items_as_its_own_storys_coverage():
    # Worked out once when the record is read (and cached), not by every build's clustering:
    # each article once, never the record's own, best first; `related` itself when in order.
    def validated(name: str, related: list[object]) -> Record:
        text = record(name, "https://lead.example/story", related=related)
        raw = parse_record(text.encode(), f"{name}.md")
        assert isinstance(raw, RawRecord)
        result, _ = validate_record(raw, UTC)
        assert result is not None
        return result

    def item(url: str, quality: int) -> dict[str, object]:
        return {"title": url, "webUrl": url, "quality": quality, "provider": {"name": "X"}}

    mixed = validated(
        "mixed",
        [
            item("https://b.example/1", 10),
            item("https://lead.example/story/?amp", 90),  # the record's own article
            item("https://a.example/2", 50),
            item("https://b.example/1?utm_source=feed", 99),  # the first item again
        ],
    )
    assert len(mixed.related) == 4  # the record keeps every item it was given
    assert mixed.own_coverage is not None
    assert [c.url for c in mixed.own_coverage] == ["https://a.example/2", "https://b.example/1"]
    in_order = validated(
        "ordered", [item("https://a.example/2", 50), item("https://b.example/1", 10)]
    )
    assert in_order.own_coverage is in_order.related
    assert validated("alone", []).own_coverage == ()


def test_a_records_address_crc_is_the_one_listing_pages_end_by():
    # render.paging.story_hash reads it off the record rather than hashing the address again
    # for every story of every build; the numbered pages of a site depend on its value.
    text = record("Crc", "https://www.example.com/amp/news/1?utm_source=x")
    raw = parse_record(text.encode(), "crc.md")
    assert isinstance(raw, RawRecord)
    validated, _ = validate_record(raw, UTC)
    assert validated is not None
    (cluster,), _ = cluster_records([validated], UTC)
    story = organize(
        [cluster], SiteConfig(title="T", base_url="https://t.example/"), at("2025-03-02T00:00:00Z")
    ).stories[0]
    expected = zlib.crc32(canonical_url(validated.url).encode())
    assert validated.key_crc == expected != 0
    assert story_hash(story) == expected
    unworked = replace(story, anchor=replace(validated, key_crc=0))
    assert story_hash(unworked) == expected
