"""Output files digestgen wrote, known by their bytes when their times are not the ones it saw.

A cache and output restored by copying (a CI build on a fresh clone) keep every byte but get
new modification times: a file whose size and time match the cache is taken as written, one
whose time differs is hashed, and is still digestgen's own when its bytes are the cached ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import select
from collections.abc import Container, Mapping
from itertools import islice
from pathlib import Path
from stat import S_ISREG

from digestgen.output.staging import NOT_THE_SITE
from digestgen.rebuild.cache import OutputEntry
from digestgen.util.parallel import end_child, fork_answering, hear, may_fork


def output_digest(data: bytes) -> str:
    """The hash of an output file's bytes, as the cache keeps it."""
    # SHA-256, cut to 128 bits: twice BLAKE2b's speed where the processor has SHA instructions,
    # and a restored output (CI) is hundreds of megabytes hashed.
    return hashlib.sha256(data).hexdigest()[:32]


def current_entry(path: str, entry: OutputEntry) -> OutputEntry | None:
    """The entry of a file still as digestgen wrote it (its time brought up to date), or None
    when the file is gone, is not a regular file (a link put in its place is not followed), or
    its bytes are not the ones the entry describes."""
    try:
        stat = os.lstat(path)
    except OSError:
        return None
    if not S_ISREG(stat.st_mode) or stat.st_size != entry.size:
        return None
    if stat.st_mtime_ns == entry.mtime_ns:
        return entry
    return _rehashed(path, stat.st_mtime_ns, entry)


def _rehashed(path: str, mtime_ns: int, entry: OutputEntry) -> OutputEntry | None:
    """The entry with the file's new time when its bytes are still the ones it describes."""
    try:
        same = _holds(path, entry.size, entry.digest)
    except OSError:
        return None
    return _moved(entry, mtime_ns) if same else None


def _moved(entry: OutputEntry, mtime_ns: int) -> OutputEntry:
    # Made directly, not by `_replace` (a method in Python): once a file of a restored output.
    return OutputEntry(entry.fingerprint, entry.digest, entry.size, mtime_ns)


_BLOCK = 1 << 20
_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)  # a link put where a page was is not a page


def _holds(path: str, size: int, digest: str) -> bool:
    """Whether the file holds exactly `size` bytes whose `output_digest` is `digest`."""
    hashed = hashlib.sha256()
    handle = os.open(path, _READ)
    try:
        left = size
        while True:
            # One byte more than is left: a file longer than `size` shows at once, and a short
            # read (the end of a regular file) spares asking again for nothing.
            wanted = min(left, _BLOCK) + 1
            block = os.read(handle, wanted)
            left -= len(block)
            if left < 0:
                return False
            hashed.update(block)
            if len(block) < wanted:
                break
    finally:
        os.close(handle)
    return left == 0 and hashed.hexdigest()[:32] == digest


def intact_outputs(
    output: Path, entries: Mapping[str, OutputEntry]
) -> dict[str, OutputEntry] | None:
    """The entries of exactly the files in the output folder, times brought up to date, when
    each is one of `entries` with the bytes it describes; None at the first that is not.

    One pass over the folder compares each file's type, size and time with its entry, and hashes
    a file whose time moved as it comes to it.
    """
    # Not on threads: a site's files are small, and handing them to a hashing thread cost more
    # in the interpreter's lock passed back and forth than the reading and hashing it let run
    # beside the pass (a restored output of 10,000 records: 0.70 s in one thread, 0.92 s with
    # one hashing thread, 1.04 s with two).
    check = _Check(entries, ())
    return check.current if check.whole(output) else None


_Times = list[tuple[str, int]]  # (relative path, new time)


class _Check:
    """One pass of `intact_outputs`: the entries found intact so far. The files named in
    `unhashed` are not read: their entries are taken as given, and those whose time moved are
    listed (`unread`), for another process to check (`OutputCheck` shares the hashing).

    Given `until`, a pipe, the pass stops (`answered`) once the pipe can be read: it is the
    forked check's, whose answer then stands for this pass's. `word`: the forked check's own
    pass, which yields the processor as it hashes once told its answer is wanted later.
    """

    def __init__(
        self,
        entries: Mapping[str, OutputEntry],
        unhashed: Container[str],
        until: int = -1,
        word: _ParentWord | None = None,
    ) -> None:
        self.entries = entries
        self.unhashed = unhashed
        self.current: dict[str, OutputEntry] = {}
        self.unread: _Times = []  # the files of `unhashed` whose time moved
        self.until, self.hashed, self.answered = until, 0, False
        self.word = word

    def yield_processor(self) -> None:
        """Make the forked check nicer as it hashes for an answer wanted `later` (a restored
        output: seconds of work, beside the build's own). Not a look at files as written (a
        rebuild's, wanted in tenths of a second, before the search index), nor a check `now`."""
        said = None if self.word is None else self.word.heard()
        if said is not None:
            self.word = None  # asked no more
            if said == _LATER_WORD:
                with contextlib.suppress(OSError):
                    os.nice(_LATER)

    def whole(self, output: Path) -> bool:
        """Whether the output folder holds exactly the entries' files, each as its entry says."""
        return self.folder(os.fspath(output), "") and len(self.current) == len(self.entries)

    def folder(self, folder: str, prefix: str) -> bool:
        """Whether every file under the folder (relative path `prefix`) is as its entry says;
        a file whose time moved is hashed."""
        entries = self.entries
        try:
            with os.scandir(folder) as listing:
                for item in listing:
                    name = item.name
                    if item.is_dir(follow_symlinks=False):
                        if (prefix or name not in NOT_THE_SITE) and not self.folder(
                            item.path, prefix + name + "/"
                        ):
                            return False
                        continue
                    relative = prefix + name
                    entry = entries.get(relative)
                    if entry is None or not item.is_file(follow_symlinks=False):
                        if _folder_link(item):
                            continue
                        return False
                    stat = item.stat(follow_symlinks=False)
                    if stat.st_size != entry.size:
                        return False
                    if stat.st_mtime_ns == entry.mtime_ns:
                        self.current[relative] = entry
                        continue
                    if relative in self.unhashed:
                        self.current[relative] = entry
                        self.unread.append((relative, stat.st_mtime_ns))
                        continue
                    self.yield_processor()
                    current = _rehashed(item.path, stat.st_mtime_ns, entry)
                    if current is None or self._heard():
                        return False
                    self.current[relative] = current
        except OSError:
            return False
        return True

    def _heard(self) -> bool:
        """Whether the pipe `until` can be read, asked once every `_ASKED_EVERY` files hashed."""
        self.hashed += 1
        if self.until < 0 or self.hashed % _ASKED_EVERY:
            return False
        self.answered = bool(select.select([self.until], [], [], 0)[0])
        return self.answered


_ASKED_EVERY = 32  # files hashed (a sixth of a millisecond's work each) between asking


def _folder_link(item: os.DirEntry[str]) -> bool:
    """Whether an entry that is not a file is a link to a folder: not followed, as when publishing
    lists the site. Any other link, a socket or a pipe is not a page."""
    return item.is_symlink() and item.is_dir()


_LATER = 10  # how much nicer the child makes itself as it hashes for an answer wanted `later`
_PATIENCE = 0.01  # seconds `settled` waits for a child before it looks at the files too
_NOW, _LATER_WORD = b"n", b"l"  # who hashes this process's share: this process, or the child


class OutputCheck:
    """`intact_outputs` begun now and answered later: in a forked process of its own when more
    than one worker may run, so the caller's own work (scanning the content) uses the other core.

    Use it as a context manager: leaving it stops a check whose answer was not asked for.
    """

    def __init__(self, output: Path, entries: Mapping[str, OutputEntry], workers: int) -> None:
        self._output, self._entries = output, entries
        self._child, self._answer, self._word = 0, -1, -1
        # The files this process hashes itself once its own work is done, while the child
        # hashes the others; half of them. When the answer is wanted `later`, the child hashes
        # them too (see `_fork_check`): a build with changes has its own work to do meanwhile.
        # (bench.ab, a restored CI build of 10,000 records: half shared took 0.75-0.93 of a
        # tenth's time; a tenth had this process wait 0.3-0.5 s for the child. A third took 0.96
        # of half's, faster in 5 of 8 rounds: within the noise, as this process then waited for
        # the child instead, 0.15-0.23 s where half had it wait 10-13 ms.)
        self._share: frozenset[str] = frozenset()
        if entries and may_fork(workers):
            self._share = frozenset(islice(entries, 1, None, 2))
            self._answer, self._child, self._word = _fork_check(output, entries, self._share)

    def result(self) -> dict[str, OutputEntry] | None:
        """What `intact_outputs` says of the output folder."""
        if not self._child:
            return intact_outputs(self._output, self._entries)
        self._say(_NOW)
        mine = _shared_part(os.fspath(self._output), self._entries, self._share)
        if mine is None:  # no need to hear the child: one file is not as written
            self.stop()
            return None
        heard, answer = self._hear()
        if not heard:  # the child failed: ask again here
            return intact_outputs(self._output, self._entries)
        if answer is None:
            return None
        current = self._moved(answer[0])  # the times of this process's share: `mine`
        current.update(mine)
        return current

    def settled(self) -> dict[str, OutputEntry] | None:
        """For a build that goes on to publish, once it said so with `later`: what
        `intact_outputs` says of the output folder, or None when no child checks it (look at
        each file then).

        Normally the child's answer alone: its listing saw each file's type, size and time, and
        it hashed those whose time moved. Nothing writes the output between the child's look
        and publishing, under the output's lock, so what it saw is what publishing keeps.
        """
        if not self._child:
            return None
        self._say(_LATER_WORD)
        if not select.select([self._answer], [], [], _PATIENCE)[0]:
            # Put `later`, the child may be nearly done, or have had no processor on a busy
            # machine: this process looks at each file too, until one of the two is done.
            check = _Check(self._entries, (), until=self._answer)
            whole = check.whole(self._output)
            if not check.answered:
                self.stop()
                return check.current if whole else None
        _, answer = self._hear()
        if answer is None:
            return None
        moved, unread = answer
        current = self._moved(moved)
        if unread:  # not hashed by the child: told "now", or nothing (this process's word lost)
            rehashed = _rehashed_files(os.fspath(self._output), unread, self._entries)
            if rehashed is None:
                return None
            current.update(rehashed)
        return current

    def later(self) -> None:
        """Say the answer is wanted later (`settled`), not now: the child hashes every file whose
        time moved, this process's share too (yielding the processor as it does: see
        `_Check.yield_processor`), while this process does its own work."""
        if self._child:
            self._say(_LATER_WORD)

    def _say(self, word: bytes) -> None:
        """Tell the child, once, who hashes this process's share: it (`later`) or this process."""
        if self._word >= 0:
            with contextlib.suppress(OSError):  # a child already gone answers all the same
                os.write(self._word, word)
            os.close(self._word)
            self._word = -1

    def _hear(self) -> tuple[bool, tuple[_Times, _Times] | None]:
        """Wait for the child: whether it answered, and its answer (see `_fork_check`)."""
        data = hear(self._child, self._answer)
        self._child = 0
        return (False, None) if data is None else (True, marshal.loads(data))

    def _moved(self, moved: _Times) -> dict[str, OutputEntry]:
        """The entries, those of the files whose time moved given their new time."""
        current = dict(self._entries)
        for relative, mtime_ns in moved:
            current[relative] = _moved(current[relative], mtime_ns)
        return current

    def stop(self) -> None:
        """Stop a check whose answer is no longer needed."""
        if self._child:
            end_child(self._child, self._answer)
            self._child = 0
        if self._word >= 0:
            os.close(self._word)
            self._word = -1

    def __enter__(self) -> OutputCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _shared_part(
    output: str, entries: Mapping[str, OutputEntry], share: frozenset[str]
) -> dict[str, OutputEntry] | None:
    """The entries of the files in `share` as they are now (see `current_entry`), links not
    followed; None at the first that is not as its entry says. The child's listing finds any
    file that is not an entry."""
    found = {}
    prefix = output + os.sep
    for relative in share:
        current = current_entry(prefix + relative, entries[relative])
        if current is None:
            return None
        found[relative] = current
    return found


def _rehashed_files(
    output: str, times: _Times, entries: Mapping[str, OutputEntry]
) -> dict[str, OutputEntry] | None:
    """`_rehashed` of each file whose time moved (its relative path and new time); None as soon
    as one is not intact."""
    prefix = output + os.sep
    found: dict[str, OutputEntry] = {}
    for path, mtime_ns in times:
        current = _rehashed(prefix + path, mtime_ns, entries[path])
        if current is None:
            return None
        found[path] = current
    return found


def _fork_check(
    output: Path, entries: Mapping[str, OutputEntry], share: frozenset[str]
) -> tuple[int, int, int]:
    """Fork a process that writes `intact_outputs`'s answer to a pipe: None, or the (relative
    path, new time) of each file hashed because its time moved, and those of the files of
    `share` whose time moved, left unhashed unless this process says `_LATER_WORD` on the other
    pipe. The answer pipe's reading end, the child's id and the word pipe's writing end."""
    hearing, word = os.pipe()

    def answer() -> bytes:
        os.close(word)  # this process's end: the child reads to the end of what it is told
        said = _ParentWord(hearing, parent)
        check = _Check(entries, share, word=said)
        if not check.whole(output):
            return marshal.dumps(None)
        current, unread = check.current, check.unread
        if unread and said.told() == _LATER_WORD:
            check.yield_processor()
            rehashed = _rehashed_files(os.fspath(output), unread, entries)
            if rehashed is None:
                return marshal.dumps(None)
            current.update(rehashed)
            unread = []
        moved = [
            (relative, entry.mtime_ns)
            for relative, entry in current.items()
            if entry.mtime_ns != entries[relative].mtime_ns
        ]
        return marshal.dumps((moved, unread))

    parent = os.getpid()
    try:
        answering, child = fork_answering(answer)
    except BaseException:
        os.close(word)
        raise
    finally:
        os.close(hearing)
    return answering, child, word


class _ParentWord:
    """In the forked check: the word its parent says once (`_NOW` or `_LATER_WORD`; nothing
    when it closed the pipe unsaid or is gone), read when first asked for."""

    def __init__(self, hearing: int, parent: int) -> None:
        self.hearing, self.parent = hearing, parent
        self.word: bytes | None = None

    def heard(self, wait: float = 0) -> bytes | None:
        """The word, if it has come within `wait` seconds."""
        if self.word is None and select.select([self.hearing], [], [], wait)[0]:
            self.word = os.read(self.hearing, 1)
        return self.word

    def told(self) -> bytes:
        """The word, waited for; nothing once the parent is gone (a sibling may hold the pipe)."""
        while (word := self.heard(_STILL_THERE)) is None:
            if os.getppid() != self.parent:
                self.word = b""
        return word


_STILL_THERE = 1.0  # seconds between asking whether the parent is still there
