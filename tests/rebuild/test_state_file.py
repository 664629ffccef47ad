"""The state part of the build cache: the output entries it keeps, read back as written."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from digestgen.rebuild.cache import (
    STATE_FILE,
    BuildState,
    OutputEntry,
    _encode_state,
    load_state,
    save_state,
)
from digestgen.rebuild.storage import write_marshalled

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
    data = list(_encode_state(saved))
    data[4] = {**data[4], "index.html": entry}
    write_marshalled(tmp_path / STATE_FILE, marshal.dumps(tuple(data)))
    state, note = load_state(tmp_path, SITE, RECORDS)
    assert note is not None and "unreadable" in note and "clean build" in note
    assert state.outputs == {}
