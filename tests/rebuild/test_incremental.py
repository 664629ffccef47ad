"""Incremental builds: after every kind of edit, the output equals a clean build's exactly."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bench.generate import generate
from digestgen.build import CACHE_FOLDER
from digestgen.output import journal
from digestgen.rebuild.cache import load_state, site_key
from tests.helpers import BASE_URL, FIXED_NOW, build_in, make_site, record, tree

CONFIG = "page_size = 5\nfeed_size = 8\n"


def cache_of(root: Path, name: str = "state.bin") -> Path:
    return root / CACHE_FOLDER / "public" / name


def clean_build_of(
    root: Path, tmp_path: Path, *extra: str, now: str = FIXED_NOW
) -> dict[str, bytes]:
    """Build a copy of the site with no cache at all (at the clock `now`), and return its output."""
    copy = tmp_path / "clean-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root / "content", copy / "content")
    for name in ("digestgen.toml", "templates"):
        source = root / name
        if source.is_file():
            shutil.copy(source, copy / name)
        elif source.is_dir():
            shutil.copytree(source, copy / name)
    result = build_in(copy, "--no-cache", *extra, now=now)
    assert result.exit_code == 0, result.stderr
    return tree(result.output)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "site", {}, config=CONFIG, search=True)
    generate(60, root / "content", seed=7)
    return root


@pytest.mark.slow
def test_incremental_output_equals_a_clean_build_after_each_edit(site, tmp_path):
    content = site / "content" / "000"
    first = build_in(site, "--verbose")
    assert first.exit_code == 0, first.stderr
    assert tree(first.output) == clean_build_of(site, tmp_path)

    def change_title():
        edit(content / "synthetic-000003.md", 'title: "Synthetic story 3:', 'title: "Renamed 3:')

    def set_field(name: str, field: str, value: str) -> None:
        path = content / name
        text = path.read_text(encoding="utf-8")
        start = text.index(f"{field}: ")
        end = text.index("\n", start)
        path.write_text(f"{text[:start]}{field}: {value}{text[end:]}", "utf-8")

    def change_topic():
        set_field("synthetic-000004.md", "topics", '["Brand New Topic"]')

    def change_quality():
        # A better score re-ranks the front page and every listing the story is in.
        set_field("synthetic-000008.md", "quality", "100")

    def add_related_item():
        path = content / "synthetic-000005.md"
        item = (
            '{"title": "Extra coverage", "webUrl": "https://extra.example.net/5", '
            '"provider": {"name": "Extra", "domain": "extra.example.net"}, "quality": 99}'
        )
        edit(path, "related: [", "related: [" + item + ", ")

    def delete_record():
        (content / "synthetic-000006.md").unlink()

    def add_record():
        extra = record("A new story", url="https://new.example.com/x", when="2025-01-01T09:00:00Z",
                       topics=["AI"])  # fmt: skip
        (site / "content" / "new.md").write_text(extra, encoding="utf-8")

    def add_oldest_record():
        # Archive documents fill from the oldest story: every one of them shifts by a story.
        extra = record("The oldest story", url="https://old.example.com/x",
                       when="2000-01-01T09:00:00Z",
                       provider={"name": "Old", "domain": "old.example.com"})  # fmt: skip
        (site / "content" / "oldest.md").write_text(extra, encoding="utf-8")

    def change_template():
        (site / "templates").mkdir(exist_ok=True)
        (site / "templates" / "404.html").write_text(
            '{% extends "base.html" %}{% block content %}<h1>Gone</h1>{% endblock %}\n', "utf-8"
        )

    def change_config():
        config = site / "digestgen.toml"
        config.write_text(config.read_text(encoding="utf-8") + 'description = "Changed"\n', "utf-8")

    def change_feed_config():
        config = site / "digestgen.toml"
        extra = 'feed_summary_only = true\nwebsub_hub = "https://hub.example.com/"\n'
        config.write_text(config.read_text(encoding="utf-8") + extra, "utf-8")

    for change in (change_title, change_topic, change_quality, add_related_item, delete_record,
                   add_record, add_oldest_record, change_template, change_config,
                   change_feed_config):  # fmt: skip
        change()
        result = build_in(site, "--verbose")
        assert result.exit_code == 0, (change.__name__, result.stderr)
        assert "files rewritten" in result.stdout
        assert tree(result.output) == clean_build_of(site, tmp_path), change.__name__


def test_a_small_change_rewrites_few_files_and_keeps_the_others_untouched(site):
    first = build_in(site)
    untouched = first.output / "404.html"
    before = untouched.stat()
    edit(site / "content" / "000" / "synthetic-000010.md", 'title: "Synthetic', 'title: "Edited')
    second = build_in(site, "--verbose")
    rewritten = int(second.stdout.split("files rewritten:")[1].split()[0])
    assert 0 < rewritten < len(tree(second.output)) // 3
    after = untouched.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def search_shards(output: Path) -> dict[str, dict[str, bytes]]:
    """The search index's files, by shard folder."""
    found: dict[str, dict[str, bytes]] = {}
    for path, data in tree(output / "pagefind").items():
        found.setdefault(path.split("/")[0], {})[path] = data
    return found


def test_a_retitled_story_moves_to_a_new_address_but_stays_in_its_search_shard(site, tmp_path):
    (site / "digestgen.toml").write_text(
        (site / "digestgen.toml").read_text(encoding="utf-8") + "search_shard_size = 8\n",
        encoding="utf-8",
    )
    first = build_in(site)
    before, paths = search_shards(first.output), set(tree(first.output))
    edit(site / "content" / "000" / "synthetic-000010.md", 'title: "Synthetic', 'title: "Retitled')
    second = build_in(site)
    after = search_shards(second.output)
    assert len(before) == 8 and before.keys() == after.keys()
    # The story's page moved with its title; of the index, only its own shard is made again.
    assert paths - set(tree(second.output))
    assert len([shard for shard in before if before[shard] != after[shard]]) == 1
    assert tree(second.output) == clean_build_of(site, tmp_path)


def test_nothing_changed_writes_nothing(site):
    first = build_in(site)
    stamps = {p: p.stat().st_mtime_ns for p in first.output.rglob("*") if p.is_file()}
    second = build_in(site, "--verbose")
    assert "files rewritten:    0" in second.stdout
    assert {p: p.stat().st_mtime_ns for p in first.output.rglob("*") if p.is_file()} == stamps


def test_a_file_edited_by_hand_in_the_output_is_rebuilt(site):
    first = build_in(site)
    expected = tree(first.output)
    (first.output / "404.html").write_text("vandalised", encoding="utf-8")
    build_in(site)
    assert tree(first.output) == expected


def test_output_files_edited_by_hand_are_rewritten_by_a_rebuild_with_changes(site, tmp_path):
    # Publishing keeps the unchanged files on the answer of the output check forked beside the
    # scan: files edited by hand (the same size, a new time) are caught in the child's half of
    # the cache's list and in this process's, which hashes its files whose time moved.
    first = build_in(site)
    state, _ = load_state(cache_of(site).parent, site_key(BASE_URL, site, first.output), "")
    listed = list(state.outputs)
    middle = len(listed) // 2
    for relative in listed[middle : middle + 4]:
        page = first.output / relative
        data = page.read_bytes()
        page.write_bytes(bytes([data[0] ^ 1]) + data[1:])
    edit(site / "content" / "000" / "synthetic-000010.md", 'title: "Synthetic', 'title: "Edited')
    result = build_in(site, "--verbose")
    assert "nothing to do" not in result.stdout
    assert tree(result.output) == clean_build_of(site, tmp_path)


def test_deleting_the_cache_changes_no_output_byte(site):
    first = build_in(site)
    expected = tree(first.output)
    shutil.rmtree(site / CACHE_FOLDER)
    second = build_in(site)
    assert tree(second.output) == expected


@pytest.mark.parametrize("part", ["state.bin", "records.bin"])
@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data[:-10], "corrupt"),
        (lambda data: data[:40] + bytes(len(data) - 40), "corrupt"),
        (lambda data: b"garbage", "another digestgen"),
    ],
)
def test_a_damaged_cache_is_ignored_with_a_note(site, damage, reason, part):
    first = build_in(site)
    expected = tree(first.output)
    cache = cache_of(site, part)
    cache.write_bytes(damage(cache.read_bytes()))
    edit(site / "content" / "000" / "synthetic-000011.md", 'title: "Synthetic', 'title: "Again')
    second = build_in(site)
    assert second.exit_code == 0
    assert reason in second.stderr and "clean build" in second.stderr
    assert tree(second.output) != expected  # the edit is there
    assert cache.read_bytes() != damage(cache.read_bytes())  # a good cache was written


def test_a_cache_from_another_site_is_not_used(site, tmp_path):
    other = make_site(tmp_path / "other", {"a.md": record("Other site story")}, config=CONFIG)
    # Another site is another address (a cache restored into another folder is the same site's).
    edit(other / "digestgen.toml", "digest.example.org", "other.example.org")
    build_in(other)
    build_in(site)
    shutil.copy(cache_of(other), cache_of(site))
    result = build_in(site)
    assert "belongs to another site" in result.stderr
    assert "Other site story" not in (result.output / "index.html").read_text(encoding="utf-8")


def test_a_failed_in_place_update_is_undone(site, monkeypatch):
    first = build_in(site)
    expected = tree(first.output)
    edit(site / "content" / "000" / "synthetic-000012.md", 'title: "Synthetic', 'title: "Boom')
    replaced = []
    real_replace = os.replace

    def disk_full_on_third_file(source, target):
        if Path(target).is_relative_to(first.output):  # not the cache's files
            replaced.append(target)
        if len(replaced) == 3:
            raise OSError(28, "No space left on device")
        return real_replace(source, target)

    monkeypatch.setattr(journal.os, "replace", disk_full_on_third_file)
    result = build_in(site, "--jobs", "1")
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert tree(first.output) == expected
    assert not journal.journal_folder(first.output).exists()


def test_an_interrupted_update_is_undone_by_the_next_build(site, monkeypatch):
    first = build_in(site)
    expected = tree(first.output)
    update = journal.JournaledUpdate(first.output)
    update.write("404.html", b"half-way")
    update.write("brand-new/index.html", b"new")
    assert tree(first.output) == expected  # nothing reaches the output before commit
    real_replace = os.replace
    moved = []

    def killed_after_first_move(source, target):
        if moved:
            raise KeyboardInterrupt  # stands for the process dying: nothing is undone
        moved.append(target)
        return real_replace(source, target)

    monkeypatch.setattr(journal.os, "replace", killed_after_first_move)
    with pytest.raises(KeyboardInterrupt):
        update.commit()
    monkeypatch.setattr(journal.os, "replace", real_replace)
    assert tree(first.output) != expected
    second = build_in(site)
    assert "interrupted" in second.stderr
    assert tree(second.output) == expected
    assert not journal.journal_folder(first.output).exists()


@pytest.mark.slow
def test_parallel_and_serial_builds_are_identical(tmp_path):
    roots = []
    for name, jobs in (("serial", "1"), ("parallel", "2")):
        root = make_site(tmp_path / name, {}, config=CONFIG, search=True)
        generate(300, root / "content", seed=3)
        assert build_in(root, "--jobs", jobs, "--no-cache").exit_code == 0
        roots.append(root)
    assert tree(roots[0] / "public") == tree(roots[1] / "public")
    assert os.listdir(roots[0] / "public")


def test_the_cache_holds_no_secured_value(tmp_path, seed_text):
    import html
    from urllib.parse import quote

    from tests.helpers import SEED_NAME

    secured = seed_text.split('secured: "', 1)[1].split('"', 1)[0]
    root = make_site(tmp_path / "site", {SEED_NAME: seed_text})
    assert build_in(root, "--drafts").exit_code == 0
    files = [p for p in (root / CACHE_FOLDER).rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for form in (secured, quote(secured, safe=""), html.escape(secured), secured[:24]):
            assert form.encode() not in data, path
