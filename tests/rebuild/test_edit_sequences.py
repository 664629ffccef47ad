"""Random sequences of edits to a site's records and clock: after each one, a rebuild with the
cache writes exactly the bytes a clean build of the same records writes.

`test_incremental` walks one fixed sequence of edits; here Hypothesis draws them, so that edits
meet in ways no one listed: a record linked into another's story and then retitled, a story's
lead deleted, a duplicate URL, a date moved across a month (the feed archive), a draft, a topic
spelt another way, a scheduled story falling due as the clock moves, an output turned off and
on again, the whole site restored elsewhere with new file times (a CI build's fresh clone).
CI tries 10 sequences; DIGESTGEN_FUZZ_EXAMPLES asks for more (see docs/development.md).
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.generate import generate, record_text
from bench.restore import restored_copy
from tests.helpers import FIXED_NOW, build_in, make_site, tree
from tests.rebuild.test_incremental import clean_build_of
from tests.site.test_fuzz import fuzz_settings

RECORDS = 24
# Small pages, feeds, archive documents and search shards: each edit reaches several of them.
CONFIG = (
    "page_size = 4\nfeed_size = 6\nfeed_archive_size = 3\nlisting_feed_size = 3\n"
    "daily_feed_size = 3\nsearch_shard_size = 8\n"
)
WORDS = ("Budget", "budget", "Launch", "Storm", "Merger", "Quantum", "Recall")
# Outputs turned off and on again: what the new site lacks must go, and come back the same.
SETTINGS = (
    ("source_pages", "false"), ("source_pages", "true"), ("edition_pages", "false"),
    ("edition_pages", "true"), ("search", "false"), ("search", "true"),
    ("feed_archive", "false"), ("feed_archive", "true"), ("feeds", '["site", "topics"]'),
    ("feeds", '["site", "topics", "sources", "daily"]'), ("feed_formats", '["atom"]'),
    ("feed_formats", '["rss", "atom", "json"]'), ("front_window_hours", "12"),
)  # fmt: skip
SPELLINGS = ("AI", "ai", "Ai", "Climate", "climate", "Brand New Topic", "brand new topic")


def _fields(path: Path) -> tuple[dict[str, Any], str]:
    """A generated record's front matter (one JSON value a line) and its body."""
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    fields = {}
    for line in front.splitlines():
        key, _, value = line.partition(": ")
        fields[key] = json.loads(value)
    return fields, body


def _write(path: Path, fields: dict[str, Any], body: str) -> None:
    lines = ["---", *(f"{key}: {json.dumps(value)}" for key, value in fields.items()), "---"]
    path.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")


def _moved(stamp: str, hours: int) -> str:
    when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(hours=hours)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class Site:
    """A generated site, its clock, and the edits drawn for it (`EDITS`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.content = root / "content"
        self.now = FIXED_NOW
        self.added = 0
        self.config = (root / "digestgen.toml").read_text(encoding="utf-8")
        self.settings: dict[str, str] = {}

    def records(self) -> list[Path]:
        """The site's record files, in path order."""
        return sorted(self.content.rglob("*.md"))

    def pick(self, number: int) -> Path:
        """One of the site's record files, by number (any number picks one)."""
        found = self.records()
        return found[number % len(found)]

    def change(self, number: int, **changes: object) -> None:
        """Set fields of a record."""
        path = self.pick(number)
        fields, body = _fields(path)
        fields.update(changes)
        _write(path, fields, body)

    def new_file(self) -> Path:
        """Where a new record file goes."""
        self.added += 1
        path = self.content / "added" / f"new-{self.added}.md"
        path.parent.mkdir(exist_ok=True)
        return path

    def apply(self, edit: tuple[str, int, Any]) -> None:
        """Make one drawn edit: (kind, a number, a value)."""
        kind, number, value = edit
        _EDITS[kind](self, number, value)


def _clock(site: Site, hours: int, _: object) -> None:
    site.now = _moved(site.now, hours)


def _same_title(site: Site, number: int, other: int) -> None:
    # Two stories of a day may then want one address.
    fields, _ = _fields(site.pick(other))
    site.change(number, title=fields["title"])


def _redate(site: Site, number: int, hours: int) -> None:
    fields, _ = _fields(site.pick(number))
    site.change(number, publishedDateTime=_moved(fields["publishedDateTime"], hours))


def _link(site: Site, number: int, other_number: int) -> None:
    # The other record becomes coverage of this one's story (or the story's lead, or nothing).
    other, _ = _fields(site.pick(other_number))
    fields, _ = _fields(site.pick(number))
    item = {"title": f"Link to {other['title']}", "webUrl": other["originalUrl"],
            "publishedDateTime": other["publishedDateTime"], "provider": other["provider"],
            "quality": 50}  # fmt: skip
    site.change(number, related=[*fields["related"], item])


def _duplicate(site: Site, number: int, _: object) -> None:
    # The same URL in a second file.
    fields, body = _fields(site.pick(number))
    _write(site.new_file(), {**fields, "title": f"Copy of {fields['title']}"}, body)


def _delete(site: Site, number: int, _: object) -> None:
    if len(site.records()) > 2:
        site.pick(number).unlink()


def _add(site: Site, number: int, _: object) -> None:
    text = record_text(random.Random(number), 1000 + number)
    site.new_file().write_text(text, encoding="utf-8")


def _body(site: Site, number: int, word: str) -> None:
    path = site.pick(number)
    fields, body = _fields(path)
    _write(path, fields, f"{word}\n\n{body}")


def _rename(site: Site, number: int, _: object) -> None:
    # The same bytes under another name.
    path = site.pick(number)
    path.rename(path.with_name(f"renamed-{path.name}"))


def _touch(site: Site, number: int, _: object) -> None:
    # A new time, the same bytes.
    path = site.pick(number)
    path.write_bytes(path.read_bytes())


def _restore(site: Site, number: int, _: object) -> None:
    # As a CI build's fresh clone: the site, its cache and its output copied elsewhere, every
    # file with a new time (the benchmark's restored-CI copy).
    moved = restored_copy(site.root, site.root.with_name(f"{site.root.name}-{number}"))
    shutil.rmtree(site.root)
    site.root, site.content = moved, moved / "content"


def _configure(site: Site, _: int, setting: tuple[str, str]) -> None:
    key, value = setting
    site.settings[key] = value
    written = "".join(f"{key} = {value}\n" for key, value in site.settings.items())
    (site.root / "digestgen.toml").write_text(site.config + written, encoding="utf-8")


def _setting(field: str, make: Callable[[Any], object] = lambda value: value) -> Edit:
    """An edit that sets one field of a record to the drawn value (through `make`)."""
    return lambda site, number, value: site.change(number, **{field: make(value)})


Edit = Callable[[Site, int, Any], None]
_EDITS: dict[str, Edit] = {
    "clock": _clock,
    "retitle": _setting("title", lambda word: f"{word} story"),
    "same title": _same_title,
    "quality": _setting("quality"),
    "redate": _redate,
    "topic": _setting("topics", lambda spelling: [spelling]),
    "draft": _setting("published"),
    "slug": _setting("slug"),
    # An outlet is named as the first record naming it spells it.
    "outlet": _setting("provider", lambda name: {"name": name, "domain": "outlet1.example.com"}),
    "type": _setting("type"),
    "unrelate": _setting("related", lambda _: []),
    "link": _link,
    "duplicate": _duplicate,
    "delete": _delete,
    "add": _add,
    "body": _body,
    "rename": _rename,
    "touch": _touch,
    "restore": _restore,
    "configure": _configure,
}

record_number = st.integers(min_value=0, max_value=RECORDS * 2)
# What each kind of edit draws: its number (a record's, or the clock's hours) and its value.
_DRAWN = {
    "clock": (st.integers(min_value=-800, max_value=800), st.none()),
    "retitle": (record_number, st.sampled_from(WORDS)),
    "same title": (record_number, record_number),
    "quality": (record_number, st.integers(min_value=0, max_value=100)),
    "redate": (record_number, st.integers(min_value=-1500, max_value=1500)),
    "topic": (record_number, st.sampled_from(SPELLINGS)),
    "draft": (record_number, st.booleans()),
    "slug": (record_number, st.sampled_from(("same-slug", "other"))),
    "outlet": (record_number, st.sampled_from(("Outlet One", "outlet one"))),
    "type": (record_number, st.sampled_from(("video", "article"))),
    "unrelate": (record_number, st.none()),
    "link": (record_number, record_number),
    "duplicate": (record_number, st.none()),
    "delete": (record_number, st.none()),
    "add": (record_number, st.none()),
    "body": (record_number, st.sampled_from(WORDS)),
    "rename": (record_number, st.none()),
    "touch": (record_number, st.none()),
    "restore": (record_number, st.none()),
    "configure": (st.just(0), st.sampled_from(SETTINGS)),
}
assert _DRAWN.keys() == _EDITS.keys()
EDITS = st.one_of(*(st.tuples(st.just(kind), *drawn) for kind, drawn in _DRAWN.items()))


@pytest.mark.slow
@fuzz_settings(10, deadline=None)  # each example builds a site some ten times
@given(seed=st.integers(min_value=0, max_value=1000), edits=st.lists(EDITS, min_size=1, max_size=5))
def test_a_rebuild_after_any_edits_writes_a_clean_builds_bytes(seed, edits):
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        site = Site(make_site(scratch / "site", {}, config=CONFIG, search=True))
        generate(RECORDS, site.content, seed=seed)
        assert build_in(site.root, now=site.now).exit_code == 0
        for number, edit in enumerate(edits):
            site.apply(edit)
            result = build_in(site.root, now=site.now)
            assert result.exit_code == 0, (edits[: number + 1], result.stderr)
            built = tree(result.output)
            clean = clean_build_of(site.root, scratch, now=site.now)
            differ = sorted(p for p in built.keys() | clean.keys() if built.get(p) != clean.get(p))
            assert not differ, (edits[: number + 1], differ[:10])
