"""Records dated after the build's clock: the summary names them, and a date more than a year
ahead (almost always a typo in the year) is a warning in `build` and `check`."""

import json

from tests.helpers import build_in, make_site, record, run_cli

NOW = "2026-01-01T00:00:00Z"
FAR = "is 7,974 years ahead of the build's clock (9999-12-31T23:59:59Z): check the year"


def later(day: int, offset: str = "Z") -> str:
    return record(f"Later {day}", url=f"https://later.example.com/{day}",
                  when=f"2026-02-{day:02d}T10:00:00{offset}")  # fmt: skip


def test_the_summary_names_the_scheduled_records_soonest_first(tmp_path):
    records = {f"later-{day}.md": later(day) for day in range(1, 12)}
    records["now.md"] = record("Now")
    records["odd\nname.md"] = later(12, "+02:00")  # due 08:00 UTC, after later-11.md
    root = make_site(tmp_path, records)
    first, second = build_in(root, now=NOW), build_in(root, now=NOW)  # the second one is cached
    for result in (first, second):
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        start = lines.index("  scheduled:          12 (next due 2026-02-01 10:00 UTC)")
        assert lines[start + 1 : start + 12] == [
            *(f"    later-{day}.md: due 2026-02-{day:02d} 10:00 UTC" for day in range(1, 11)),
            "    and 2 more",
        ]
    few = make_site(
        tmp_path / "few", {"now.md": record("Now"), "odd\nname.md": later(12, "+02:00")}
    )
    out = build_in(few, now=NOW).stdout
    # A name is shown escaped, so it cannot forge a line of the summary.
    assert "    odd\\x0aname.md: due 2026-02-12 08:00 UTC\n  warnings:" in out


def test_a_date_more_than_a_year_ahead_is_a_warning_naming_file_and_field(tmp_path):
    records = {
        "typo.md": record("Typo", url="https://e.com/typo", when="9999-12-31T23:59:59Z"),
        "next-year.md": record("Next", url="https://e.com/next", when="2027-03-01T00:00:00Z"),
        "this-year.md": record("Soon", url="https://e.com/soon", when="2026-12-31T00:00:00Z"),
        "draft.md": record("Draft", url="https://e.com/d", when="3000-01-01T00:00:00Z",
                           published=False),
        "now.md": record("Now"),
    }  # fmt: skip
    root = make_site(tmp_path, records)
    expected = [
        "warning: draft.md: publishedDateTime: is 974 years ahead of the build's clock"
        " (3000-01-01T00:00:00Z): check the year",
        "warning: next-year.md: publishedDateTime: is more than a year ahead of the build's clock"
        " (2027-03-01T00:00:00Z): check the year",
        f"warning: typo.md: publishedDateTime: {FAR}",
    ]
    for result in (build_in(root, now=NOW), build_in(root, now=NOW)):  # built, then cached
        assert result.exit_code == 0, result.stderr
        assert [line for line in result.stderr.splitlines() if "ahead" in line] == expected
        assert "warnings:           3" in result.stdout
        assert "scheduled:          3 (next due 2026-12-31 00:00 UTC)" in result.stdout
    assert build_in(root, "--strict", now=NOW).exit_code == 1
    # A year later, the clock has caught up with next-year.md's date.
    caught_up = build_in(root, now="2026-06-01T00:00:00Z")
    assert "next-year.md: publishedDateTime" not in caught_up.stderr
    assert "typo.md: publishedDateTime" in caught_up.stderr

    config = str(root / "digestgen.toml")
    code, out, _ = run_cli(["check", "--config", config, "--now", NOW])
    assert code == 0 and f"typo.md:3: warning: publishedDateTime: {FAR}" in out
    assert run_cli(["check", "--config", config, "--now", NOW, "--strict"])[0] == 1
    _, out, _ = run_cli(["check", "--config", config, "--now", NOW, "--format", "json"])
    ahead = [p for p in json.loads(out)["problems"] if "ahead" in p["message"]]
    assert [(p["file"].rsplit("/", 1)[-1], p["field"], p["severity"]) for p in ahead] == [
        (name, "publishedDateTime", "warning") for name in ("draft.md", "next-year.md", "typo.md")
    ]


def test_import_skips_an_item_dated_more_than_a_year_ahead_and_new_refuses_it(tmp_path):
    root = make_site(tmp_path / "site", {})
    config = str(root / "digestgen.toml")
    feed = tmp_path / "feed.json"
    items = [
        {"id": str(n), "url": f"https://f.example.com/{n}", "title": f"Story {n}",
         "date_published": when}
        for n, when in enumerate(["2025-12-31T10:00:00Z", "3025-01-01T00:00:00Z"])
    ]  # fmt: skip
    feed.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}))
    code, out, err = run_cli(["import", "--config", config, "--now", NOW, str(feed)])
    assert code == 0, err
    assert "Imported: 1 created, 0 updated, 0 unchanged, 1 skipped" in out
    ahead = "is 999 years ahead of the build's clock (3025-01-01T00:00:00Z): check the year"
    assert f"warning: {feed}#2: publishedDateTime: {ahead}" in err
    assert f"skipped: {feed}#2: not a record `check --strict` accepts" in err
    assert run_cli(["check", "--strict", "--config", config, "--now", NOW])[0] == 0
    typo = ["--title", "Typo", "--url", "https://f.example.com/typo", "--date", "2207-01-01"]
    code, _, err = run_cli(["new", "--config", config, "--now", NOW, *typo])
    assert code == 2
    assert "--date is 181 years ahead of the build's clock (2207-01-01" in err
