"""The records part of the build cache: a small change saves only the records it added."""

from __future__ import annotations

import marshal
import mmap
import pickletools
from collections import Counter
from pathlib import Path

import pytest

from bench.generate import generate
from digestgen.rebuild.cache import (
    ADDED_FILE,
    RECORDS_FILE,
    load_record_pickles,
)
from digestgen.rebuild.results import RECORDS_PER_BATCH
from digestgen.rebuild.storage import payload_checksum, write_payload
from tests.helpers import build_in, cached_state, make_site, tree
from tests.rebuild.test_incremental import CONFIG, cache_of, clean_build_of, edit


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "site", {}, config=CONFIG, search=True)
    generate(60, root / "content", seed=7)
    return root


def stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def saved_state(root: Path):
    """The build state the site's cache holds, its records' pickles not yet read."""
    state = cached_state(root)
    assert state.records
    return state


def all_pickles_found(root: Path) -> bool:
    """Whether every record the saved state lists has its pickle in the cache's files."""
    state = saved_state(root)
    listed = set(state.records)
    found = load_record_pickles(cache_of(root).parent, state) is None
    return found and set(state.records) == listed


def test_the_records_are_read_in_place_from_the_mapped_cache_file(site):
    """At 50,000 records the pickles are 180 MB: a rebuild maps the file rather than copy it,
    once whole and once batch by batch."""
    build_in(site)
    state = saved_state(site)
    assert load_record_pickles(cache_of(site).parent, state) is None
    blobs = [entry[0][0] for entry in state.records.values()]
    assert len(blobs) == 60
    assert all(isinstance(blob, memoryview) and isinstance(blob.obj, mmap.mmap) for blob in blobs)
    assert len({id(blob.obj) for blob in blobs}) == 1  # one mapping, each batch a view of it


def batches_of(root: Path) -> dict[int, tuple[int, set[int]]]:
    """The batches of records the site's cache files hold for the records its state lists: by
    batch, the batch's size and the places of the listed records in it."""
    state = saved_state(root)
    assert load_record_pickles(cache_of(root).parent, state) is None
    batches: dict[int, tuple[int, set[int]]] = {}
    for (batch, place, count), _, _ in state.records.values():
        batches.setdefault(id(batch), (count, set()))[1].add(place)
    return batches


def test_the_records_are_pickled_in_batches_not_one_by_one(tmp_path):
    """One pickle of several records loads faster than one each, and a few unpickle fast enough
    for a rebuild that reads only them (`RECORDS_PER_BATCH`)."""
    root = make_site(tmp_path / "site", {}, config=CONFIG)
    generate(300, root / "content", seed=3)
    assert build_in(root).exit_code == 0
    batches = batches_of(root)
    assert sum(len(places) for _, places in batches.values()) == 300
    # Batches of the chunks the records were read in (eight for each worker), up to
    # RECORDS_PER_BATCH records each; never a pickle each.
    assert len(batches) <= 300 // (RECORDS_PER_BATCH // 2)
    assert all(count <= RECORDS_PER_BATCH for count, _ in batches.values())
    assert all(len(places) == count for count, places in batches.values())


def test_records_bin_written_anew_holds_no_record_it_does_not_list(site, tmp_path):
    """Changed and deleted records leave their old versions in their batches; when records.bin
    is written anew, those batches are pickled again with only the records still listed."""
    content = site / "content" / "000"
    build_in(site)
    edit(content / "synthetic-000010.md", 'title: "Synthetic', 'title: "Edited')
    (content / "synthetic-000020.md").unlink()
    build_in(site)
    assert any(len(places) < count for count, places in batches_of(site).values())
    generate(70, site / "content" / "more", seed=8)
    result = build_in(site)  # many added: records.bin is written anew
    assert result.exit_code == 0, result.stderr
    assert not cache_of(site, ADDED_FILE).exists()
    assert all(len(places) == count for count, places in batches_of(site).values())
    assert tree(result.output) == clean_build_of(site, tmp_path)


def test_a_small_change_keeps_records_bin_and_saves_the_added_records(site, tmp_path):
    content = site / "content" / "000"
    build_in(site)
    records = cache_of(site, RECORDS_FILE)
    before = stamp(records)
    edit(content / "synthetic-000010.md", 'title: "Synthetic', 'title: "Edited')
    build_in(site)
    edit(content / "synthetic-000020.md", 'title: "Synthetic', 'title: "Edited')
    (content / "synthetic-000030.md").unlink()
    result = build_in(site)
    assert result.exit_code == 0, result.stderr
    assert stamp(records) == before
    assert cache_of(site, ADDED_FILE).is_file()
    assert all_pickles_found(site)
    assert tree(result.output) == clean_build_of(site, tmp_path)


def test_many_added_records_write_records_bin_anew(site, tmp_path):
    build_in(site)
    edit(site / "content" / "000" / "synthetic-000010.md", 'title: "Synthetic', 'title: "Edited')
    build_in(site)
    records = cache_of(site, RECORDS_FILE)
    before = stamp(records)
    generate(70, site / "content" / "more", seed=8)
    result = build_in(site)
    assert result.exit_code == 0, result.stderr
    assert stamp(records) != before
    assert not cache_of(site, ADDED_FILE).exists()
    assert all_pickles_found(site)
    assert tree(result.output) == clean_build_of(site, tmp_path)


def test_a_damaged_added_records_file_is_ignored_with_a_note(site, tmp_path):
    content = site / "content" / "000"
    build_in(site)
    edit(content / "synthetic-000010.md", 'title: "Synthetic', 'title: "Edited')
    build_in(site)
    added = cache_of(site, ADDED_FILE)
    added.write_bytes(added.read_bytes()[:-10])
    edit(content / "synthetic-000020.md", 'title: "Synthetic', 'title: "Edited')
    result = build_in(site)
    assert result.exit_code == 0
    assert "corrupt" in result.stderr and "clean build" in result.stderr
    assert tree(result.output) == clean_build_of(site, tmp_path)
    assert all_pickles_found(site)


def test_an_added_records_file_over_another_records_bin_is_not_used(site, tmp_path):
    content = site / "content" / "000"
    build_in(site)
    records = cache_of(site, RECORDS_FILE)
    old_records = records.read_bytes()
    edit(content / "synthetic-000010.md", 'title: "Synthetic', 'title: "Edited')
    generate(70, site / "content" / "more", seed=8)
    build_in(site)  # writes records.bin anew
    edit(content / "synthetic-000020.md", 'title: "Synthetic', 'title: "Edited')
    build_in(site)  # an added file over the new records.bin
    records.write_bytes(old_records)  # as if a kill had left the older pair
    edit(content / "synthetic-000030.md", 'title: "Synthetic', 'title: "Edited')
    result = build_in(site)
    assert result.exit_code == 0, result.stderr
    assert tree(result.output) == clean_build_of(site, tmp_path)
    assert all_pickles_found(site)


def test_a_records_file_that_places_a_record_past_its_end_is_not_used(site, tmp_path):
    """A records file whose checksum holds but whose index does not (a crafted file): its
    records are not used, and the build says so and makes the site from the records."""
    build_in(site)
    state = saved_state(site)
    records = cache_of(site, RECORDS_FILE)
    index = {digest: (0, place) for place, digest in enumerate(state.records)}
    head = marshal.dumps((state.records_key, index, [(0, 10**6, len(index))]))
    parts = [len(head).to_bytes(8, "little"), head, b"too short"]
    write_payload(records, parts, payload_checksum(parts))
    edit(site / "content" / "000" / "synthetic-000010.md", 'title: "Synthetic', 'title: "Edited')
    result = build_in(site)
    assert result.exit_code == 0, result.stderr
    assert "a record past its end" in result.stderr
    assert tree(result.output) == clean_build_of(site, tmp_path)
    assert all_pickles_found(site)


def test_a_string_a_batch_holds_twice_is_pickled_once(site):
    """Each record holds its address several times (its URL, webUrl, its canonical keys), and
    every record and item its type; topics and categories recur across records: one string of
    each, so that the cache pickles and a rebuild unpickles each once a batch."""
    build_in(site)
    state = saved_state(site)
    assert load_record_pickles(cache_of(site).parent, state) is None
    batches = {bytes(entry[0][0]) for entry in state.records.values()}
    assert batches
    for batch in batches:
        assert [value for value, times in pickled_strings(batch).items() if times > 1] == []
        assert "article" in pickled_strings(batch)


def pickled_strings(batch: bytes) -> Counter[str]:
    """How often each string is pickled in a batch, but the names of classes (each a module's
    name and a class's, before the opcode that looks them up)."""
    strings: list[str] = []
    for op, value, _ in pickletools.genops(batch):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"):
            strings.append(value)
        elif op.name == "STACK_GLOBAL":
            del strings[-2:]
    return Counter(strings)
