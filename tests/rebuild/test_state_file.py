"""The state part of the build cache: the output entries it keeps, read back as written."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from bench.generate import generate
from digestgen.build import CACHE_FOLDER
from digestgen.rebuild.cache import (
    STATE_CHANGES_FILE,
    STATE_FILE,
    BuildState,
    OutputEntry,
    _delta,
    _encode_state,
    load_state,
    save_state,
)
from digestgen.rebuild.storage import write_marshalled
from tests.helpers import build_in, make_site, tree
from tests.rebuild.test_incremental import clean_build_of, edit

SITE, RECORDS = "site-key", "records-key"


def saved_state(folder: Path) -> BuildState:
    state = BuildState(site_key=SITE, records_key=RECORDS, build_key="build")
    state.outputs = {
        "index.html": OutputEntry("fp-home", "d" * 32, 1200, 1_700_000_000_123_456_789),
        "2024/01/02/a/index.html": OutputEntry("fp-a", "e" * 32, 800, 1_700_000_001_000_000_000),
    }
    save_state(folder, state)
    return state


def test_output_entries_are_read_back_as_they_were_saved(tmp_path):
    saved = saved_state(tmp_path)
    state, note = load_state(tmp_path, SITE, RECORDS)
    assert note is None
    assert state.outputs == saved.outputs
    entry = state.outputs["index.html"]
    assert isinstance(entry, OutputEntry)
    assert (entry.fingerprint, entry.digest, entry.size, entry.mtime_ns) == (
        "fp-home", "d" * 32, 1200, 1_700_000_000_123_456_789,
    )  # fmt: skip


@pytest.mark.parametrize(
    "entry",
    [("fp", "d" * 32, 10), ("fp", "d" * 32, 10, 5, "extra"), "fp", None],
    ids=["too few fields", "too many fields", "text", "nothing"],
)
def test_a_state_whose_output_entry_has_another_shape_is_not_used(tmp_path, entry):
    # A state file with a valid checksum but entries of another shape (another format, or a
    # crafted file) is refused as a whole: the build starts clean rather than failing later.
    saved = saved_state(tmp_path)
    data = list(_encode_state(saved, {}))  # a state with no records
    data[4] = {**data[4], "index.html": entry}
    write_marshalled(tmp_path / STATE_FILE, marshal.dumps(tuple(data)))
    state, note = load_state(tmp_path, SITE, RECORDS)
    assert note is not None and "unreadable" in note and "clean build" in note
    assert state.outputs == {}


def entry(number: int) -> OutputEntry:
    return OutputEntry(f"fp-{number}", f"{number:032x}", number, 1_700_000_000_000_000_000 + number)


def many_outputs(count: int) -> dict[str, OutputEntry]:
    return {f"{number}/index.html": entry(number) for number in range(count)}


def as_read(folder: Path) -> BuildState:
    state, note = load_state(folder, SITE, RECORDS)
    assert note is None
    return state


def described(state: BuildState) -> tuple[object, ...]:
    return (state.site_key, state.records_key, state.build_key, state.inputs_key,
            state.outputs, state.files, state.records, state.summary, state.listings)  # fmt: skip


def test_a_few_changes_are_saved_beside_state_bin_and_read_back_with_it(tmp_path):
    state = BuildState(site_key=SITE, records_key=RECORDS, build_key="build")
    state.outputs = many_outputs(3000)
    state.files = {f"{n}.md": (n, n, f"{n:032x}") for n in range(1000)}
    state.records = {f"{n:032x}": (b"", (), (float(n), True, ())) for n in range(1000)}
    state.listings = {f"topic {n}": (f"{n:032x}", (f"/topics/{n}/",)) for n in range(100)}
    save_state(tmp_path, state)
    written = (tmp_path / STATE_FILE).read_bytes()
    state = as_read(tmp_path)
    state.outputs = dict(state.outputs)
    del state.outputs["7/index.html"]
    state.outputs["new/index.html"] = entry(99_999)
    state.outputs["8/index.html"] = entry(88_888)
    state.files = {**state.files, "new.md": (5, 6, "f" * 32)}
    state.records = {k: v for k, v in state.records.items() if k != f"{3:032x}"}
    state.inputs_key = "inputs"
    state.listings = {**state.listings, "topic 5": ("f" * 32, ("/topics/5/", "/topics/5/page/1/"))}
    del state.listings["topic 6"]
    save_state(tmp_path, state)
    assert (tmp_path / STATE_FILE).read_bytes() == written  # not written again
    assert (tmp_path / STATE_CHANGES_FILE).stat().st_size < len(written) // 20
    again = as_read(tmp_path)
    assert described(again) == described(state)
    assert again.checksum == state.checksum  # the changes name the state, for the output mark
    whole = tmp_path / "whole"
    again.base = None
    save_state(whole, again)  # the same state written in full reads back the same
    assert described(as_read(whole)) == described(state)
    assert not (whole / STATE_CHANGES_FILE).exists()


def changed_state(folder: Path) -> BuildState:
    """A state of 3,000 outputs saved in full, then with one output more saved as a change."""
    state = BuildState(site_key=SITE, records_key=RECORDS, build_key="build")
    state.outputs = many_outputs(3000)
    save_state(folder, state)
    state = as_read(folder)
    state.outputs = {**state.outputs, "a/index.html": entry(1)}
    save_state(folder, state)
    assert (folder / STATE_CHANGES_FILE).exists()
    return state


def test_many_changes_write_state_bin_anew(tmp_path):
    state = changed_state(tmp_path)
    state.outputs = many_outputs(2000)  # a thousand outputs gone: more than an eighth
    save_state(tmp_path, state)
    assert not (tmp_path / STATE_CHANGES_FILE).exists()
    assert as_read(tmp_path).outputs == many_outputs(2000)


class CountedLookups(dict):
    """A mapping that counts the entries looked up in it."""

    looked_up = 0

    def get(self, key, default=None):
        self.looked_up += 1
        return super().get(key, default)


def test_too_many_changes_are_told_as_soon_as_seen(tmp_path):
    # A restored output (every time moved): not every entry is compared to find that out.
    before = CountedLookups(many_outputs(4000))
    now = {
        relative: entry._replace(mtime_ns=entry.mtime_ns + 1) for relative, entry in before.items()
    }
    assert _delta(now, before, 300) is None
    assert before.looked_up == 301
    assert _delta(now, before, 4000) == ({k: tuple(v) for k, v in now.items()}, [])


def test_changes_over_another_state_bin_are_not_used(tmp_path):
    state = changed_state(tmp_path)
    stale = (tmp_path / STATE_CHANGES_FILE).read_bytes()
    state.outputs = many_outputs(1000)
    save_state(tmp_path, state)  # state.bin anew; a build killed now leaves the changes
    (tmp_path / STATE_CHANGES_FILE).write_bytes(stale)
    assert as_read(tmp_path).outputs == many_outputs(1000)


@pytest.mark.parametrize("damage", [lambda data: data[:-3], lambda data: b"garbage"])
def test_a_damaged_changes_file_means_a_clean_build(tmp_path, damage):
    changed_state(tmp_path)
    changes = tmp_path / STATE_CHANGES_FILE
    changes.write_bytes(damage(changes.read_bytes()))
    state, note = load_state(tmp_path, SITE, RECORDS)
    assert note is not None and "clean build" in note
    assert state.outputs == {}


def test_a_rebuild_after_one_edit_saves_its_changes_beside_state_bin(tmp_path):
    root = make_site(tmp_path / "site", {})
    generate(30, root / "content", seed=3)
    build_in(root)
    state_bin = root / CACHE_FOLDER / "public" / STATE_FILE
    written = state_bin.read_bytes()
    edit(root / "content" / "000" / "synthetic-000005.md", 'title: "Synthetic', 'title: "Edited')
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert state_bin.read_bytes() == written
    assert (state_bin.parent / STATE_CHANGES_FILE).exists()
    assert tree(result.output) == clean_build_of(root, tmp_path)
    assert "nothing to do" in build_in(root, "--verbose").stdout  # the mark names the changes
