"""A record file is read whole, however few bytes the system hands over a read at a time.

A read may return less than asked before the end of a file: network and FUSE file systems do,
as a pipe does here. The scan and the parse workers read a record in one read of its listed
size (`read_record_file`); a short read must not cut the record short.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from digestgen.records.scan import read_record_file

FRONT = b'---\ntitle: "Alpha"\nurl: "https://example.com/a"\n'
REST = b'published: "2024-05-01T10:00:00Z"\n---\nThe body, which must not be lost.\n'


def _fed_in_two_parts(path: Path) -> threading.Thread:
    """A pipe at `path` that gives a reader FRONT, then, a moment later, REST and its end."""
    os.mkfifo(path)

    def feed() -> None:
        with open(path, "wb", buffering=0) as pipe:
            pipe.write(FRONT)
            time.sleep(0.3)  # the reader's first read returns FRONT alone
            pipe.write(REST)

    # A daemon: were the reader never to open the pipe (its read failing first), the writer would
    # wait in `open` for ever, and must not hold up the test run.
    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    return writer


def test_a_short_read_is_read_on_to_the_end(tmp_path):
    path = tmp_path / "a.md"
    writer = _fed_in_two_parts(path)
    try:
        assert read_record_file(str(path), len(FRONT) + len(REST)) == FRONT + REST
    finally:
        writer.join(timeout=10)


def test_a_file_of_another_size_than_listed_is_read_whole(tmp_path):
    path = tmp_path / "a.md"
    whole = FRONT + REST
    path.write_bytes(whole)
    assert read_record_file(str(path), len(whole)) == whole
    assert read_record_file(str(path), len(FRONT)) == whole  # grown since it was listed
    assert read_record_file(str(path), len(whole) + 100) == whole  # shrunk since
    assert read_record_file(str(path), 0) == whole
