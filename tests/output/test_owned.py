"""`intact_outputs`: one pass over a real output folder tells whether it holds exactly the files
the cache lists, with their bytes; files whose times moved are hashed on threads."""

from __future__ import annotations

import ctypes
import os
import select
import signal
import threading
import time
from pathlib import Path

import pytest

from digestgen.output import owned
from digestgen.output.owned import OutputCheck, intact_outputs, output_digest
from digestgen.output.staging import MOUNT_JOURNAL
from digestgen.rebuild.cache import OutputEntry

COUNT = 700  # more than two of the hashing threads' chunks, so several run at once


def written(output: Path) -> dict[str, OutputEntry]:
    """Lay out a site of COUNT pages in folders of their own, plus a large file; their entries."""
    files = {f"story/{n:04d}/index.html": f"<p>page {n}</p>".encode() * 9 for n in range(COUNT)}
    files["index.html"] = b"<h1>home</h1>"
    files["search/big.bin"] = bytes(range(256)) * 9000  # more than one read's block
    entries = {}
    for relative, data in files.items():
        path = output / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        mtime = path.stat().st_mtime_ns
        entries[relative] = OutputEntry("fp", output_digest(data), len(data), mtime)
    return entries


def move_times(output: Path) -> None:
    """Give every file a new time, as a restored copy has."""
    later = 2_000_000_000
    for folder, _, names in os.walk(output):
        for name in names:
            os.utime(os.path.join(folder, name), (later, later))


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, dict[str, OutputEntry]]:
    output = tmp_path / "public"
    return output, written(output)


def test_files_as_written_are_intact_unread(site):
    output, entries = site
    assert intact_outputs(output, entries) == entries


def test_restored_files_are_intact_with_their_new_times(site):
    output, entries = site
    move_times(output)
    found = intact_outputs(output, entries)
    assert found is not None and found.keys() == entries.keys()
    for relative, entry in found.items():
        assert entry.mtime_ns == (output / relative).stat().st_mtime_ns
        assert (entry.digest, entry.size) == (entries[relative].digest, entries[relative].size)


@pytest.mark.parametrize(
    "victim", ["story/0003/index.html", "story/0690/index.html", "search/big.bin"]
)
def test_a_restored_file_with_other_bytes_of_the_same_size_is_not_intact(site, victim):
    output, entries = site
    path = output / victim
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # the last byte: the whole file is read
    path.write_bytes(bytes(data))
    move_times(output)
    assert intact_outputs(output, entries) is None


def test_a_file_of_another_size_is_not_intact(site):
    output, entries = site
    (output / "story/0500/index.html").write_bytes(b"short")
    assert intact_outputs(output, entries) is None


@pytest.mark.parametrize(
    "extra", ["stray.html", "story/0500/stray.html", "deep/new/folder/index.html"]
)
def test_a_file_put_there_by_hand_is_found(site, extra):
    output, entries = site
    move_times(output)
    (output / extra).parent.mkdir(parents=True, exist_ok=True)
    (output / extra).write_bytes(b"not digestgen's")
    assert intact_outputs(output, entries) is None


def test_a_missing_file_is_found(site):
    output, entries = site
    (output / "story/0650/index.html").unlink()
    assert intact_outputs(output, entries) is None


def test_a_mount_journal_at_the_top_is_not_the_site_but_elsewhere_it_is(site):
    output, entries = site
    (output / MOUNT_JOURNAL).mkdir()
    (output / MOUNT_JOURNAL / "pending.html").write_bytes(b"x")
    assert intact_outputs(output, entries) == entries
    (output / "story" / MOUNT_JOURNAL).mkdir()
    (output / "story" / MOUNT_JOURNAL / "pending.html").write_bytes(b"x")
    assert intact_outputs(output, entries) is None


def test_a_pipe_where_a_page_was_is_not_intact(site):
    output, entries = site
    page = output / "index.html"
    page.unlink()
    os.mkfifo(page)
    assert intact_outputs(output, entries) is None  # and is not opened: that would wait forever


def test_an_output_folder_that_cannot_be_listed_is_not_intact(tmp_path):
    assert intact_outputs(tmp_path / "gone", {}) is None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("change", ["none", "times", "bytes", "added"])
def test_an_output_check_answers_as_intact_outputs_does(site, workers, change):
    output, entries = site
    if change != "none":
        move_times(output)
    if change == "bytes":
        (output / "story/0400/index.html").write_bytes(b"<p>page 999</p>" * 9)
    if change == "added":
        (output / "story/0400/extra.html").write_bytes(b"x")
    with OutputCheck(output, entries, workers) as check:
        forked = check._child != 0
        assert check.result() == intact_outputs(output, entries)
    assert forked == (workers > 1)


def test_an_output_check_no_longer_wanted_is_stopped_and_reaped(site):
    output, entries = site
    move_times(output)
    with OutputCheck(output, entries, workers=2) as check:
        child = check._child
        assert child and _alive(child)
    assert check._child == 0
    with pytest.raises(ChildProcessError):  # reaped: no zombie is left behind
        os.waitpid(child, os.WNOHANG)


def test_an_output_check_with_threads_running_checks_in_this_process(site):
    output, entries = site
    started, done = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: (started.set(), done.wait(30)))
    thread.start()
    started.wait(30)
    try:
        with OutputCheck(output, entries, workers=2) as check:
            assert check._child == 0  # forking beside a running thread could deadlock the child
            assert check.result() == entries
    finally:
        done.set()
        thread.join()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_link_to_a_folder_is_skipped_but_a_link_where_a_page_was_is_not_a_page(
    site, tmp_path, workers
):
    output, entries = site
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "stray.html").write_bytes(b"not digestgen's")
    (output / "linked").symlink_to(elsewhere, target_is_directory=True)
    move_times(output)
    with OutputCheck(output, entries, workers) as check:
        assert check.result() is not None
    # The same bytes, reached through a link: not a file digestgen wrote, so not intact.
    page = output / "story/0100/index.html"
    page.rename(tmp_path / "moved.html")
    page.symlink_to(tmp_path / "moved.html")
    with OutputCheck(output, entries, workers) as check:
        assert check.result() is None
    assert intact_outputs(output, entries) is None


def change_by_hand(path: Path, change: str, tmp_path: Path) -> None:
    """Change one output file as a person might: its bytes (the same size), a link to a copy in
    its place, or gone."""
    data = path.read_bytes()
    if change == "bytes":
        path.write_bytes(bytes([data[0] ^ 1]) + data[1:])
    elif change == "link":
        (tmp_path / "target").write_bytes(data)
        path.unlink()
        path.symlink_to(tmp_path / "target")
    else:
        path.unlink()


@pytest.mark.parametrize("index", [0, 1, 2, 3, -2, -1])
@pytest.mark.parametrize("change", ["bytes", "link", "gone"])
def test_a_file_not_as_written_is_found_whichever_process_hashes_it(site, tmp_path, index, change):
    # A forked check hashes half the files in this process (index 1 among them), the rest in
    # the child.
    output, entries = site
    change_by_hand(output / list(entries)[index], change, tmp_path)
    move_times(output)
    with OutputCheck(output, entries, workers=2) as check:
        child = check._child
        assert child
        assert check.result() is None
    with pytest.raises(ChildProcessError):  # no child left behind, answer heard or not
        os.waitpid(child, os.WNOHANG)


# A build with changes says it wants the forked check's answer `later`, and takes it when it
# publishes (`settled`): the child alone lists the folder and hashes every file whose time moved,
# this process's share too; this process no longer looks at any file.


def answered(check: OutputCheck) -> OutputCheck:
    """The check told its answer is wanted `later`, once its child has answered (`settled`
    waits only so long for it)."""
    check.later()
    assert select.select([check._answer], [], [], 60)[0]
    return check


@pytest.mark.parametrize("change", ["none", "times", "bytes", "added", "gone"])
def test_a_settled_check_answers_as_intact_outputs_does(site, change):
    output, entries = site
    if change != "none":
        move_times(output)
    if change == "bytes":
        (output / "story/0401/index.html").write_bytes(b"<p>page 999</p>" * 9)  # same size
    if change == "added":
        (output / "story/0400/extra.html").write_bytes(b"x")
    if change == "gone":
        (output / "story/0401/index.html").unlink()
    with OutputCheck(output, entries, workers=2) as check:
        child = check._child
        assert child
        assert answered(check).settled() == intact_outputs(output, entries)
    with pytest.raises(ChildProcessError):  # heard and reaped
        os.waitpid(child, os.WNOHANG)


def test_a_settled_check_of_a_restored_output_gives_every_file_its_new_time(site):
    output, entries = site
    move_times(output)
    with OutputCheck(output, entries, workers=2) as check:
        found = answered(check).settled()
    assert found is not None and found.keys() == entries.keys()
    for relative, entry in found.items():
        assert entry.mtime_ns == (output / relative).stat().st_mtime_ns, relative
        assert (entry.digest, entry.size) == (entries[relative].digest, entries[relative].size)


@pytest.mark.parametrize("index", [0, 1, 2, 3, -2, -1])
@pytest.mark.parametrize("change", ["bytes", "link", "gone"])
def test_a_file_changed_by_hand_is_found_by_a_settled_check_whichever_half_it_is_in(
    site, tmp_path, index, change
):
    # Only that file changes (its time moves, the others' do not): the child hashes it, in
    # this process's share or not.
    output, entries = site
    change_by_hand(output / list(entries)[index], change, tmp_path)
    with OutputCheck(output, entries, workers=2) as check:
        assert check._child
        assert answered(check).settled() is None


def test_a_check_wanted_later_hashes_every_moved_file_in_the_child(site, monkeypatch):
    # This process's share too: hashing here would fail, and the answer still gives each file
    # its new time.
    output, entries = site
    move_times(output)
    with OutputCheck(output, entries, workers=2) as check:
        assert check._child
        monkeypatch.setattr(owned, "_holds", fail_to_hash)
        found = answered(check).settled()
    monkeypatch.undo()
    assert found == intact_outputs(output, entries)  # hashed here, once the check is done


def test_a_check_answered_now_hashes_this_process_share_itself(site, monkeypatch):
    # The child does not: it answers as soon as its own part is done, listing the files of this
    # process's share whose time moved, unhashed, while this process hashes them.
    output, entries = site
    move_times(output)
    hashed: list[str] = []
    holds, hear = owned._holds, OutputCheck._hear
    answers = []

    def counted(path: str, size: int, digest: str) -> bool:
        hashed.append(path)
        return holds(path, size, digest)

    def heard(check: OutputCheck):
        answers.append(hear(check))
        return answers[-1]

    with OutputCheck(output, entries, workers=2) as check:
        monkeypatch.setattr(owned, "_holds", counted)
        monkeypatch.setattr(OutputCheck, "_hear", heard)
        found = check.result()
    monkeypatch.undo()
    assert found == intact_outputs(output, entries)
    share = list(entries)[1::2]
    assert set(hashed) == {str(output / relative) for relative in share}
    ((answered, (moved, unread)),) = answers
    assert answered and {relative for relative, _ in unread} == set(share)
    assert not {relative for relative, _ in moved} & set(share)


@pytest.mark.parametrize("changed", [False, True])
def test_a_settled_check_whose_child_was_told_nothing_hashes_the_share_itself(
    site, tmp_path, changed
):
    # The word lost (the pipe closed unsaid): the child answers with the share unhashed, and
    # `settled` hashes it, finding a file changed by hand there.
    output, entries = site
    move_times(output)
    if changed:
        change_by_hand(output / list(entries)[3], "bytes", tmp_path)
    with OutputCheck(output, entries, workers=2) as check:
        os.close(check._word)
        check._word = -1
        assert select.select([check._answer], [], [], 60)[0]
        found = check.settled()
    assert found == intact_outputs(output, entries)
    assert (found is None) == changed


def fail_to_hash(path: str, size: int, digest: str) -> bool:
    raise AssertionError(f"{path} hashed in this process")


def test_a_settled_check_with_no_child_or_already_heard_says_nothing(site):
    # No answer: the caller looks at each file itself, as without a check.
    output, entries = site
    with OutputCheck(output, entries, workers=1) as check:
        assert check.settled() is None
    with OutputCheck(output, entries, workers=2) as check:
        assert check.result() == entries
        assert check.settled() is None


def note_niceness(said: Path) -> None:
    """Add this process's niceness to a file."""
    with said.open("a", encoding="utf-8") as notes:
        notes.write(f"{os.getpriority(os.PRIO_PROCESS, 0)}\n")


def niceness_of_hashing(tmp_path: Path, monkeypatch) -> Path:
    """A file where each `owned._rehashed` call notes its process's niceness (the forked check
    inherits the patch)."""
    said, rehashed = tmp_path / "niceness", owned._rehashed

    def noted(*args):
        note_niceness(said)
        return rehashed(*args)

    monkeypatch.setattr(owned, "_rehashed", noted)
    return said


@pytest.mark.parametrize("wanted", ["later", "now"])
def test_a_check_yields_the_processor_as_it_hashes_for_an_answer_wanted_later(
    site, tmp_path, monkeypatch, wanted
):
    # A restored output: every file's time moved, each to be hashed, seconds of work at 10,000
    # records. Wanted later, beside the build's own work, the child yields the processor as it
    # hashes; wanted now (a restored CI build with nothing to do, its share hashed beside while
    # it waits for the child), it does not.
    output, entries = site
    move_times(output)
    expected = intact_outputs(output, entries)
    said = niceness_of_hashing(tmp_path, monkeypatch)
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    with OutputCheck(output, entries, workers=2) as check:
        found = answered(check).settled() if wanted == "later" else check.result()
    assert found == expected
    seen = [int(line) for line in said.read_text().split()]
    assert len(seen) == len(entries)  # later: all hashed by the child; now: half by each
    nicer = min(mine + 10, 19)
    if wanted == "now":
        assert set(seen) == {mine}
        return
    # Nicer from the first file hashed after the word came, this process's share (hashed once
    # the child heard it) among them.
    assert set(seen) <= {mine, nicer} and seen == sorted(seen, key=lambda value: value == nicer)
    assert seen.count(nicer) >= len(entries) // 2


def test_a_check_of_files_as_written_keeps_the_builds_priority(site, tmp_path, monkeypatch):
    # A rebuild's: the build wants the answer within a few tenths of a second, and a child made
    # nicer then lost the processor to the search index and left the build to look itself.
    output, entries = site
    said = tmp_path / "niceness-whole"
    whole = owned._Check.whole

    def noted(self, folder):
        found = whole(self, folder)
        note_niceness(said)
        return found

    monkeypatch.setattr(owned._Check, "whole", noted)
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    with OutputCheck(output, entries, workers=2) as check:
        assert answered(check).settled() == entries
    assert [int(line) for line in said.read_text().split()] == [mine]  # the child's one pass


@pytest.mark.parametrize("change", ["times", "bytes"])
def test_a_settled_check_whose_child_is_not_done_looks_at_each_file_itself(site, change):
    # The child never answers here: this process's own look gives the answer.
    output, entries = site
    move_times(output)
    if change == "bytes":
        (output / "story/0400/index.html").write_bytes(b"<p>page 999</p>" * 9)  # same size
    with OutputCheck(output, entries, workers=2) as check:
        child = check._child
        os.kill(child, signal.SIGSTOP)  # not done however long it is given
        check.later()
        found = check.settled()
        assert check._child == 0
    assert found == intact_outputs(output, entries)
    assert (found is None) == (change == "bytes")
    with pytest.raises(ChildProcessError):  # stopped and reaped
        os.waitpid(child, os.WNOHANG)


def test_a_settled_check_takes_the_childs_answer_once_it_comes(site, monkeypatch):
    # This process's look lets the child go on at its first file, and waits for its answer at
    # the 32nd: it stops there, at the first time it asks, long before it has hashed every file.
    output, entries = site
    move_times(output)
    hashed: list[str] = []
    rehashed = owned._rehashed

    def waiting(path: str, mtime_ns: int, entry: OutputEntry) -> OutputEntry | None:
        if not hashed:
            os.kill(child, signal.SIGCONT)
        hashed.append(path)
        if len(hashed) == 32:
            assert select.select([check._answer], [], [], 60)[0]
        return rehashed(path, mtime_ns, entry)

    with OutputCheck(output, entries, workers=2) as check:
        child = check._child
        os.kill(child, signal.SIGSTOP)
        check.later()
        monkeypatch.setattr(owned, "_rehashed", waiting)
        found = check.settled()
    monkeypatch.undo()
    assert found == intact_outputs(output, entries)
    assert len(hashed) == 32


def test_a_child_waiting_for_a_word_ends_when_its_parent_is_gone(site):
    # A build killed before it said who hashes its share: the child, still waiting, must not
    # stay forever (other processes the build forked may hold the word's pipe open).
    output, entries = site
    move_times(output)  # so the child has a share of moved files to wait about
    reading, writing = os.pipe()
    harness = os.fork()
    if harness == 0:  # pragma: no cover - a process of its own, which adopts the orphaned child
        code = 1
        try:
            set_child_subreaper = 36  # PR_SET_CHILD_SUBREAPER, from <linux/prctl.h>
            ctypes.CDLL(None, use_errno=True).prctl(set_child_subreaper, 1)
            build = os.fork()
            if build == 0:  # the build: starts a check, forks another process, dies unsaid
                check = OutputCheck(output, entries, workers=2)
                holder = os.fork()
                if holder == 0:  # as the template compiler: it holds the word's pipe open
                    time.sleep(60)
                    os._exit(0)
                os.write(writing, f"{check._child} {holder}".encode())
                os._exit(0)
            os.close(writing)
            os.waitpid(build, 0)
            child, holder = map(int, os.read(reading, 64).split())
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if os.waitpid(child, os.WNOHANG)[0]:
                    code = 0
                    break
                time.sleep(0.05)
            os.kill(holder, signal.SIGKILL)
            os.waitpid(holder, 0)
        finally:
            os._exit(code)
    os.close(writing)
    os.close(reading)
    _, status = os.waitpid(harness, 0)
    assert os.waitstatus_to_exitcode(status) == 0
