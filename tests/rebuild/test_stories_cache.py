"""A rebuild assembles its site from the last build's stories (`stories.bin`): the stories a few
changed records touch are clustered again, the others taken from their rows, lazily. The site
it assembles is the one a whole assembly of every record makes, story by story; what could
change every story (the clock, a topic's first spelling) assembles the whole site.

`test_edit_sequences` checks the bytes written after random edits; here, that the rows are what
a rebuild used, and the stories, listings and notes they gave.
"""

from __future__ import annotations

import dataclasses
import marshal
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import digestgen.rebuild.stories as stories_cache
from bench.generate import generate, record_text
from digestgen.build import CACHE_FOLDER, BuildOptions, build
from digestgen.config import load_config
from digestgen.model import Record, Site, Story
from digestgen.output.staging import OutputError
from digestgen.rebuild.cache import STORIES_CHANGES_FILE, STORIES_FILE
from digestgen.rebuild.storage import read_marshalled, write_marshalled
from digestgen.records.load import load_records
from digestgen.records.scan import scan_content
from digestgen.render.search_index import document_store, search_shards, shard_documents
from digestgen.stories.assemble import assemble_site
from digestgen.stories.rows import LazyStory
from tests.helpers import FIXED_NOW, make_site
from tests.rebuild.test_edit_sequences import _fields, _write

NOW = datetime.fromisoformat(FIXED_NOW)
RECORDS = 40


def _site(tmp_path: Path, search: bool = False) -> Path:
    root = make_site(tmp_path / "site", {}, search=search)
    generate(RECORDS, root / "content", seed=11)
    return root


def _build(root: Path, now: datetime = NOW) -> stories_cache.Assembled:
    """Build in this process; what assembling the site gave (the real `assemble`, watched)."""
    seen: list[stories_cache.Assembled] = []
    assemble = stories_cache.assemble

    def watched(*args: Any) -> stories_cache.Assembled:
        made = assemble(*args)
        seen.append(made)
        return made

    stories_cache.assemble = watched  # type: ignore[assignment]
    try:
        config = load_config(root / "digestgen.toml", root)
        build(config, BuildOptions(now=now, workers=2))
    finally:
        stories_cache.assemble = assemble  # type: ignore[assignment]
    return seen[-1]


def _whole(root: Path, now: datetime = NOW) -> tuple[Site, list[Any]]:
    """The site every record makes, assembled whole from the records read afresh."""
    config = load_config(root / "digestgen.toml", root)
    loaded = load_records(scan_content(root / "content", hashed=False).files, config.zone)
    _, site, notes = assemble_site(loaded.records, config, now, False)
    return site, notes


def _record(record: Record | None) -> tuple[Any, ...] | None:
    """Every field of a record (a lazy record's read), whatever its class."""
    if record is None:
        return None
    return tuple(getattr(record, field.name) for field in dataclasses.fields(Record))


def _story(story: Story) -> tuple[Any, ...]:
    """Everything a story holds, its lazy parts read."""
    members = tuple(_record(member) for member in story.members)
    return (story.path, _record(story.lead), story.coverage, members, story.topics,
            story.updated, _record(story.anchor))  # fmt: skip


def _paths(stories: tuple[Story, ...]) -> list[str]:
    return [story.path for story in stories]


def _assert_same_site(made: stories_cache.Assembled, root: Path) -> None:
    site, notes = _whole(root)
    assert [_story(s) for s in made.site.stories] == [_story(s) for s in site.stories]
    assert [(e.day, _paths(e.stories)) for e in made.site.editions] == [
        (e.day, _paths(e.stories)) for e in site.editions
    ]
    assert [(t.topic, _paths(t.stories)) for t in made.site.topics] == [
        (t.topic, _paths(t.stories)) for t in site.topics
    ]
    assert [(o.domain, o.name, _paths(o.stories)) for o in made.site.outlets] == [
        (o.domain, o.name, _paths(o.stories)) for o in site.outlets
    ]
    assert _paths(made.site.front) == _paths(site.front)
    assert made.notes == notes


def _retitle(root: Path) -> None:
    path = sorted((root / "content").rglob("*.md"))[7]
    fields, body = _fields(path)
    _write(path, {**fields, "title": "An edited headline"}, body)


def _add(root: Path) -> None:
    (root / "content" / "added.md").write_text(record_text(__import__("random").Random(5), 900))


def _delete(root: Path) -> None:
    # A record no topic is first named in: deleting one that is assembles the whole site.
    paths = sorted(
        (root / "content").rglob("*.md"), key=lambda path: _fields(path)[0]["publishedDateTime"]
    )
    named: set[str] = set()
    for path in paths:
        topics = {topic.casefold() for topic in _fields(path)[0]["topics"]}
        if topics <= named:
            path.unlink()
            return
        named |= topics
    raise AssertionError("every record names a topic first")


def _link(root: Path) -> None:
    # One record cites another's URL: their stories become one.
    paths = sorted((root / "content").rglob("*.md"))
    other, _ = _fields(paths[12])
    fields, body = _fields(paths[5])
    item = {
        "title": "Linked",
        "webUrl": other["originalUrl"],
        "quality": 50,
        "publishedDateTime": other["publishedDateTime"],
        "provider": other["provider"],
    }
    _write(paths[5], {**fields, "related": [*fields["related"], item]}, body)


def _same_title(root: Path) -> None:
    # Two records of one day with one title want one address: their address family decides.
    paths = sorted((root / "content").rglob("*.md"))
    first, _ = _fields(paths[2])
    fields, body = _fields(paths[9])
    _write(paths[9], {**fields, "title": first["title"], "publishedDateTime": first[
        "publishedDateTime"]}, body)  # fmt: skip


@pytest.mark.parametrize("edit", [_retitle, _add, _delete, _link, _same_title])
def test_a_rebuild_after_a_few_changes_takes_the_other_stories_from_the_last_builds(tmp_path, edit):
    root = _site(tmp_path)
    first = _build(root)
    assert first.last is None  # a clean build assembles the whole site
    edit(root)
    made = _build(root)
    assert made.last is not None
    lazy = [story for story in made.site.stories if isinstance(story, LazyStory)]
    assert len(lazy) >= len(made.site.stories) - 4
    _assert_same_site(made, root)


def test_a_topics_new_first_spelling_assembles_the_whole_site(tmp_path):
    """A record dated before every other naming a topic spells it anew for every story."""
    root = _site(tmp_path)
    _build(root)
    paths = sorted((root / "content").rglob("*.md"))
    earliest = min(paths, key=lambda path: _fields(path)[0]["publishedDateTime"])
    fields, body = _fields(earliest)
    topic = fields["topics"][0]
    _write(earliest, {**fields, "topics": [topic.upper()]}, body)
    made = _build(root)
    assert made.last is None
    _assert_same_site(made, root)


def test_the_clock_passing_a_related_items_date_assembles_the_whole_site(tmp_path):
    root = _site(tmp_path)
    path = sorted((root / "content").rglob("*.md"))[4]
    fields, body = _fields(path)
    item = {**fields["related"][0], "publishedDateTime": "2026-01-02T00:00:00Z"}
    _write(path, {**fields, "related": [*fields["related"][1:], item]}, body)
    _build(root)
    later = datetime.fromisoformat("2026-01-03T00:00:00+00:00")
    _retitle(root)
    made = _build(root, later)
    assert made.last is None
    _assert_same_site_at(made, root, later)


def _assert_same_site_at(made: stories_cache.Assembled, root: Path, now: datetime) -> None:
    site, _ = _whole(root, now)
    assert [_story(s) for s in made.site.stories] == [_story(s) for s in site.stories]


def test_a_rebuild_saves_only_the_stories_that_changed_beside_the_last_full_file(tmp_path):
    root = _site(tmp_path)
    _build(root)
    cache = root / CACHE_FOLDER / "public"
    written = (cache / STORIES_FILE).read_bytes()
    _retitle(root)
    _build(root)
    assert (cache / STORIES_FILE).read_bytes() == written
    changes, _, _ = read_marshalled(cache / STORIES_CHANGES_FILE)
    assert isinstance(changes, tuple)
    gone, changed = changes[-2:]
    assert len(changed) == 1 and len(gone) == 1  # the retitled story, at its new address
    _delete(root)
    made = _build(root)  # from stories.bin and the changes, which now hold both edits
    assert made.last is not None
    _assert_same_site(made, root)


def test_stories_bin_holds_one_tuple_for_each_outlet(tmp_path):
    """Rows name an outlet by the one tuple, which marshal writes once: read back, the rows of
    every story and coverage share it (stories.bin is read a third faster at 10,000 stories)."""
    root = _site(tmp_path)
    _build(root)
    data, _, _ = read_marshalled(root / CACHE_FOLDER / "public" / STORIES_FILE)
    assert isinstance(data, tuple)
    rows = data[-1].values()
    named = [member[3] for row in rows for member in row[1]]
    named += [outlet for row in rows for outlet in row[6]]
    by_value: dict[tuple[str, str], set[int]] = {}
    for outlet in named:
        by_value.setdefault(outlet, set()).add(id(outlet))
    assert len(named) > 2 * len(by_value) > 0  # outlets named more than once, in rows and coverage
    assert all(len(objects) == 1 for objects in by_value.values())
    kinds = {member[4]: id(member[4]) for row in rows for member in row[1]}
    assert all(id(member[4]) == kinds[member[4]] for row in rows for member in row[1])


def test_stories_are_saved_before_publishing_and_a_failed_builds_are_not_used(
    tmp_path, monkeypatch
):
    """A rebuild saves its stories while the search index is made, before publishing: when
    publishing then fails, the state still names the last good build's inputs, so the next
    build does not take the failed build's stories for that build's."""
    root = _site(tmp_path)
    _build(root)
    cache = root / CACHE_FOLDER / "public"
    _retitle(root)

    def failing(*args: Any, **kwargs: Any) -> None:
        raise OutputError("the disk is full")

    with monkeypatch.context() as patched:
        patched.setattr("digestgen.output.publish.publish", failing)
        with pytest.raises(OutputError):
            _build(root)
    changes, _, _ = read_marshalled(cache / STORIES_CHANGES_FILE)
    assert isinstance(changes, tuple)
    assert len(changes[-1]) == 1  # the retitled story, saved before publishing failed
    made = _build(root)
    assert made.last is None  # the failed build's stories name inputs no saved state names
    _assert_same_site(made, root)
    _add(root)
    assert _build(root).last is not None  # the stories this build saved, after its state


def test_stories_another_build_saved_are_not_used(tmp_path):
    """stories.bin names the inputs of the build that wrote it, as the state names them."""
    root = _site(tmp_path)
    _build(root)
    cache = root / CACHE_FOLDER / "public"
    data, _, _ = read_marshalled(cache / STORIES_FILE)
    assert isinstance(data, tuple)
    write_marshalled(cache / STORIES_FILE, marshal.dumps(("other", *data[1:])))
    _retitle(root)
    made = _build(root)
    assert made.last is None
    _assert_same_site(made, root)


def test_a_shard_made_again_takes_its_unchanged_stories_documents_from_the_cache(tmp_path):
    root = _site(tmp_path, search=True)
    config = load_config(root / "digestgen.toml", root)
    site, _ = _whole(root)
    shard = search_shards(site, config)[0]
    store = document_store(tmp_path / "documents", config, "a build key")
    made = shard_documents(config, store, shard)
    kept = store.last(shard.number).documents
    assert {path: html for path, (_, html) in kept.items()} == made
    path = next(iter(kept))
    store.keep(shard.number, {**kept, path: (kept[path][0], "<p>kept</p>")})
    assert shard_documents(config, store, shard)[path] == "<p>kept</p>"
    # Another digest (the story changed): made anew.
    store.keep(shard.number, {**kept, path: ("another digest", "<p>kept</p>")})
    assert shard_documents(config, store, shard)[path] == made[path]
    # Another build key (digestgen's code, say): none taken.
    other = document_store(tmp_path / "documents", config, "another build key")
    assert other.last(shard.number).documents == {}
