"""Spreading work over the machine's cores with forked worker processes."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

Context = TypeVar("Context")
Item = TypeVar("Item")
Result = TypeVar("Result")
# Below this many items a worker pool costs more than it saves.
MIN_ITEMS_PER_WORKER = 200
# A worker's collector thresholds: its youngest objects collected every 20,000 allocations, not
# Python's 700, when most of a page's short-lived objects are long gone. A clean build at 10,000
# records ran 3% faster (bench.ab, 5 rounds of 6); 100,000 ran faster still, but its workers
# grew 80 MB larger at 50,000 records, where the largest process's memory has a limit.
WORKER_GC_THRESHOLDS = (20_000, 20, 20)
# The context and items of the map running now. Forked workers inherit them with the parent's
# memory, so a large read-only context (a whole site plan) is never pickled and sent to them, nor
# are the items: a worker is sent only where its chunk starts and stops. A clean build's search
# shards, sent as they were, were 37 MB of stories pickled at 10,000 records, by a thread of the
# build's process while the workers ran Pagefind on both cores.
_CONTEXT: Any = None
_ITEMS: Sequence[Any] = ()


def default_workers() -> int:
    """How many processes to use: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def forks(items: int, workers: int, per_worker: int = MIN_ITEMS_PER_WORKER) -> bool:
    """True when `map_chunks` over this many items (`per_worker` at least each) would fork
    worker processes."""
    usable = min(workers, items // per_worker)
    if usable <= 1:
        return False
    # Imported here: a build with nothing to do forks no pool, and starts 12 ms sooner without it.
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def map_chunks(
    work: Callable[[Context, Sequence[Item]], list[Result]],
    context: Context,
    items: Sequence[Item],
    workers: int,
    progress: Callable[[int, int], None] | None = None,
    per_worker: int = MIN_ITEMS_PER_WORKER,
    each: Callable[[list[Result]], None] | None = None,
) -> list[Result]:
    """Run `work(context, chunk)` over contiguous chunks of items in forked processes; results
    in item order. A worker is forked for each `per_worker` items, up to `workers`.

    `progress(done, total)` is called as each chunk finishes, with the chunk's size; `each`
    with its results, in order, while the workers go on. `work` must be a module-level function;
    `context` and `items` reach the workers through fork, unpickled. Chunks a worker that died
    (killed by the out-of-memory killer, say) left undone are worked here.
    """
    global _CONTEXT, _ITEMS
    forking = forks(len(items), workers, per_worker)
    workers = min(workers, len(items) // per_worker)
    spans = chunk_spans(len(items), workers)
    results: list[Result] = []

    def take(span: tuple[int, int], part: list[Result]) -> None:
        results.extend(part)
        if each:
            each(part)
        if progress:
            progress(span[1] - span[0], len(items))

    if not forking:
        for start, stop in spans:
            take((start, stop), work(context, items[start:stop]))
        return results
    # Imported here: see `forks`.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _CONTEXT, _ITEMS = context, items
    done = 0
    fork = multiprocessing.get_context("fork")
    # Not multiprocessing's Pool: it waits forever for the chunk of a worker that died.
    pool = ProcessPoolExecutor(workers, fork, initializer=_start_worker)
    try:
        for part in pool.map(functools.partial(_in_worker, work), spans):
            take(spans[done], part)
            done += 1
    except BrokenProcessPool:
        # The pool's other workers are being killed: each is gone before its chunks are redone
        # here, so none writes a file after this process has written it.
        pool.shutdown(wait=True)
        for start, stop in spans[done:]:
            take((start, stop), work(context, items[start:stop]))
    finally:
        # A failed chunk's workers finish what they are writing before the caller cleans up.
        pool.shutdown(wait=True, cancel_futures=True)
        _CONTEXT, _ITEMS = None, ()
    return results


def chunk_spans(count: int, workers: int) -> list[tuple[int, int]]:
    """Where each chunk of `count` items starts and stops, in order: about eight chunks a worker,
    the last ones smaller and smaller (down to an eighth of the others).

    The workers take the chunks in turn, and the caller waits for the last. Of equal chunks, a
    worker that took the last was still at it, half a chunk on average, after the others had
    nothing left: a shrinking end leaves them a small last chunk each.
    """
    workers = max(workers, 1)
    size = max(1, -(-count // (workers * 8)))
    least = max(1, size // 8)
    spans = []
    start = 0
    while start < count:
        left = count - start
        step = max(least, min(size, -(-left // (workers * 2))))
        if left - step < least:  # no crumb of a chunk after this one
            step = left
        spans.append((start, start + step))
        start += step
    return spans


def _start_worker() -> None:
    """Set up a forked worker's garbage collector: on, as a worker makes garbage for a long time
    (the parent may have paused it), but blind to what the worker inherited, which is alive for
    its whole life and which walking would copy page by page out of the parent's memory."""
    gc.freeze()  # moves the inherited objects to the permanent generation, without touching them
    gc.set_threshold(*WORKER_GC_THRESHOLDS)
    gc.enable()


def _in_worker(
    work: Callable[[Context, Sequence[Item]], list[Result]], span: tuple[int, int]
) -> list[Result]:
    """Run one chunk in a worker: the span of the items it inherited, with their context."""
    start, stop = span
    return work(_CONTEXT, _ITEMS[start:stop])


def may_fork(workers: int) -> bool:
    """Whether a process may be forked to work beside this one: more than one worker, and no
    other thread running (a forked copy of a process keeps the locks its other threads held,
    and would wait for them forever)."""
    return workers > 1 and hasattr(os, "fork") and threading.active_count() == 1


class Forked(Generic[Result]):
    """`function(*args)` begun now in a forked process of its own, its result (or the exception
    it raised) asked for later: the caller's own work meanwhile uses the other core.

    Not forked with one worker, nor while other threads run (one may hold a lock the child
    would need): then `result` calls the function itself. Use it as a context manager: leaving
    it kills a child whose result was not asked for, with the programs it started.

    `held`: forked now, but the call waits for `release`: forked early, it shares the most of
    this process's memory; held, it costs nothing when its result turns out not to be wanted.
    `release` may give the call more arguments, known only later, which reach the child pickled.
    `prepare`: what a held child does before it waits (its imports, say), off the caller's path.
    """

    def __init__(
        self,
        workers: int,
        function: Callable[..., Result],
        *args: Any,
        held: bool = False,
        prepare: Callable[[], object] | None = None,
    ) -> None:
        self._call = functools.partial(function, *args)
        self._later: tuple[object, ...] = ()  # the arguments `release` gave
        self._child, self._answer, self._gate = 0, -1, -1
        if may_fork(workers) and sys.platform == "linux":  # see `_die_with`
            if held:
                waiting, self._gate = os.pipe()
                call = functools.partial(_when_released, waiting, self._gate, self._call, prepare)
                self._answer, self._child = _fork_call(call)
                os.close(waiting)
            else:
                self._answer, self._child = _fork_call(self._call)

    def release(self, *later: object) -> None:
        """Let a `held` call begin, with these arguments after those it was made with."""
        self._later = later
        if self._gate >= 0:
            given = pickle.dumps(later)
            view = memoryview(b"go" + len(given).to_bytes(8, "big") + given)
            with contextlib.suppress(OSError):  # the child may be gone: `result` says so
                while view:
                    view = view[os.write(self._gate, view) :]
            os.close(self._gate)
            self._gate = -1

    def answered(self) -> bool:
        """Whether the forked process has begun to answer: `result` would not wait for it to
        finish its work, only for it to finish writing."""
        if not self._child:
            return False
        import select  # only a build that forked asks

        return bool(select.select([self._answer], [], [], 0)[0])

    def result(self) -> Result:
        """The function's result; the exception it raised is raised here."""
        if not self._child:
            return self._call(*self._later)
        if self._gate >= 0:
            self.release()
        data = hear(self._child, self._answer)
        self._child = 0
        if data is None:  # the child died before it could answer: ask again here
            return self._call(*self._later)
        failed, value = pickle.loads(data)  # from our own child, never from a file
        if failed:
            raise value
        return value  # type: ignore[no-any-return]

    def __enter__(self) -> Forked[Result]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Kill the forked process, its answer unwanted, with the programs it started."""
        if self._child:
            end_child(self._child, self._answer, group=True)
            self._child = 0
        if self._gate >= 0:
            os.close(self._gate)
            self._gate = -1


def _when_released(
    waiting: int, gate: int, call: Callable[..., Result], prepare: Callable[[], object] | None
) -> Result:
    """In a `held` child: prepare, wait for `Forked.release`, then make the call with what it
    gave."""
    os.close(gate)  # the parent's end: closed by the parent alone, it ends the wait
    if prepare is not None:
        prepare()
    # Read by length, not to the end: other children forked meanwhile hold the parent's end too.
    with os.fdopen(waiting, "rb") as pipe:
        said = pipe.read(10)
        given = pipe.read(int.from_bytes(said[2:], "big")) if len(said) == 10 else b""
    if not said.startswith(b"go"):
        raise RuntimeError("a held call was never released")
    return call(*pickle.loads(given))  # from our own parent, never from a file


def hear(child: int, answer: int) -> bytes | None:
    """Wait for a child of `fork_answering` and read its whole answer from the pipe; None when it
    failed before it had answered it all, or said nothing."""
    with os.fdopen(answer, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(child, 0)
    return data if status == 0 and data else None


def end_child(child: int, answer: int, group: bool = False) -> None:
    """Kill a child of `fork_answering` whose answer is not wanted (with its process group, if it
    leads one), reap it and close its pipe."""
    (os.killpg if group else os.kill)(child, signal.SIGKILL)
    os.waitpid(child, 0)
    os.close(answer)


def _fork_call(call: Callable[[], Any]) -> tuple[int, int]:
    """Fork a process, in a process group of its own and dying with this one, that writes
    (failed, result or exception) pickled to a pipe; the pipe's reading end and the child's id."""
    reading, child = fork_answering(lambda: _pickled_answer(call), own_group=True)
    with contextlib.suppress(OSError):  # the child may have set it already, or be gone
        os.setpgid(child, child)
    return reading, child


def _pickled_answer(call: Callable[[], Any]) -> bytes:
    """(failed, the call's result or the exception it raised), pickled."""
    try:
        answer: tuple[bool, Any] = (False, call())
    except Exception as exc:
        answer = (True, exc)
    try:
        return pickle.dumps(answer)
    except Exception:  # an exception (or result) that cannot be pickled
        said = f"{type(answer[1]).__name__}: {answer[1]}" if answer[0] else "a result"
        return pickle.dumps((True, RuntimeError(f"a forked process returned {said}")))


def fork_answering(answer: Callable[[], bytes], own_group: bool = False) -> tuple[int, int]:
    """Fork a process that writes the bytes `answer()` makes to a pipe, then exits (status 1 if
    `answer` failed); the pipe's reading end and the child's id. With `own_group`, the child
    leads a process group of its own (a kill of the group reaches the programs it starts) and is
    killed by the kernel when this process dies."""
    reading, writing = os.pipe()
    parent = os.getpid()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which never returns
        code = 1
        try:
            os.close(reading)
            if own_group:
                os.setpgid(0, 0)
                _die_with(parent)
            view = memoryview(answer())
            while view:
                view = view[os.write(writing, view) :]
            code = 0
        finally:
            os._exit(code)  # never the parent's clean-up: its buffers, locks and atexit
    os.close(writing)
    return reading, child


def _die_with(parent: int) -> None:
    """Have the kernel kill this (forked) process when its parent dies: a build killed outright
    must not leave a process behind that still writes the files of the site it was making."""
    import ctypes  # only in the child: no build needs it otherwise

    set_parent_death_signal = 1  # PR_SET_PDEATHSIG, from <linux/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)
