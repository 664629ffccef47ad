"""Any date a record can hold builds or is a record error: years are padded, typos refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from digestgen.records.parse import RawRecord
from digestgen.records.validate import validate_record
from digestgen.util.dates import (
    MIN_YEAR,
    day_path,
    format_date,
    format_day,
    iso_day,
    utc_timestamp,
    year_text,
)
from tests.helpers import FIXED_NOW, build_in, make_site, record, run_cli

TYPO = "0202-06-01T10:00:00Z"
TYPO_ERROR = f"is in the year 202, before {MIN_YEAR}: check the year ('{TYPO}')"


def test_every_date_to_text_helper_writes_a_four_digit_year():
    day = date(5, 3, 1)
    assert year_text(5) == "0005"
    assert iso_day(day) == "0005-03-01"
    assert day_path(day) == "/0005/03/01/"
    assert format_date(day) == "1 March 0005"
    assert format_day(day).endswith("1 March 0005")
    assert utc_timestamp(datetime(5, 3, 1, 10, 0, tzinfo=UTC)) == "0005-03-01T10:00:00Z"


def test_a_year_typo_is_a_record_error_and_the_other_records_build(tmp_path):
    root = make_site(
        tmp_path / "site",
        {"typo.md": record("Typo", when=TYPO), "good.md": record("Good", "https://e.com/good")},
    )
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert f"error: typo.md: publishedDateTime: {TYPO_ERROR}" in result.stderr
    assert (result.output / "2025/03/01/good/index.html").is_file()
    assert not (result.output / "202").exists() and not (result.output / "0202").exists()


@pytest.mark.parametrize("when", [TYPO, "0202-06-01", "1799-12-31T23:59:59Z"])
def test_a_year_before_the_minimum_is_refused_with_or_without_a_time(when):
    fields = {"title": "T", "publishedDateTime": when, "originalUrl": "https://e.com/t"}
    record_, problems = validate_record(RawRecord("t.md", fields, ""), UTC)
    assert record_ is None
    assert [(p.field, p.message.split(":")[0]) for p in problems] == [
        ("publishedDateTime", f"is in the year {int(when[:4])}, before {MIN_YEAR}")
    ]


def test_a_year_typo_in_a_related_item_is_a_warning_and_the_record_builds(tmp_path):
    related = [{"title": "R", "webUrl": "https://r.example/x", "publishedDateTime": TYPO}]
    root = make_site(tmp_path / "site", {"a.md": record("A", related=related)})
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert f"warning: a.md: related[0].publishedDateTime: {TYPO_ERROR}; ignored" in result.stderr
    assert (result.output / "2025/03/01/a/index.html").is_file()


def test_check_reports_a_year_typo(tmp_path):
    root = make_site(tmp_path / "site", {"typo.md": record("Typo", when=TYPO)})
    code, out, err = run_cli(
        ["check", "--config", str(root / "digestgen.toml"), "--now", FIXED_NOW]
    )
    assert code == 1
    assert f"typo.md:3: error: publishedDateTime: {TYPO_ERROR}" in out + err


@pytest.mark.parametrize("when", ["1850-06-01T10:00:00Z", f"{MIN_YEAR}-01-01T12:00:00Z"])
def test_an_old_but_valid_year_builds_with_four_digit_addresses(tmp_path, when):
    root = make_site(tmp_path / "site", {"old.md": record("Old news", when=when)})
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    day = when[:10].replace("-", "/")
    story = result.read(f"{day}/old-news/index.html")
    assert f'href="/{day}/"' in story  # the breadcrumb to the day's edition
    assert (result.output / day / "index.html").is_file()
    assert f"<h2>{when[:4]}</h2>" in result.read("archive/index.html")


def test_new_with_a_year_typo_is_a_usage_error_and_writes_nothing(tmp_path):
    root = make_site(tmp_path / "site", {})
    code, _, err = run_cli(
        ["new", "--config", str(root / "digestgen.toml"), "--date", TYPO, "--title", "X",
         "--url", "https://e.com/x"]
    )  # fmt: skip
    assert code == 2
    assert f"--date {TYPO_ERROR}" in err
    assert list((root / "content").iterdir()) == []


def test_new_far_in_the_future_writes_a_record_that_is_held_back(tmp_path):
    root = make_site(tmp_path / "site", {})
    code, _, err = run_cli(
        ["new", "--config", str(root / "digestgen.toml"), "--date", "9999-06-01T10:00:00Z",
         "--now", "9999-01-01T00:00:00Z", "--title", "Later", "--url", "https://e.com/later"]
    )  # fmt: skip
    assert code == 0, err
    (path,) = (root / "content").iterdir()
    assert path.name.startswith("9999-06-01-later")
    text = path.read_text(encoding="utf-8").replace("published: false", "published: true")
    path.write_text(text, encoding="utf-8")
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert "scheduled:          1 (next due 9999-06-01" in result.stdout
