"""Spreading work over the machine's cores with forked worker processes."""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Context = TypeVar("Context")
Item = TypeVar("Item")
Result = TypeVar("Result")
# Below this many items a worker pool costs more than it saves.
MIN_ITEMS_PER_WORKER = 200
# The context of the map running now. Forked workers inherit it with the parent's memory, so a
# large read-only context (a whole site plan) is never pickled and sent to them.
_CONTEXT: Any = None


def default_workers() -> int:
    """How many processes to use: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def forks(items: int, workers: int) -> bool:
    """True when `map_chunks` over this many items would fork worker processes."""
    usable = min(workers, items // MIN_ITEMS_PER_WORKER)
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
) -> list[Result]:
    """Run `work(context, chunk)` over contiguous chunks of items in forked processes; results
    in item order.

    `progress(done, total)` is called as each chunk finishes, with the chunk's size. `work` must
    be a module-level function; `context` reaches the workers through fork, unpickled.
    """
    global _CONTEXT
    forking = forks(len(items), workers)
    workers = min(workers, len(items) // MIN_ITEMS_PER_WORKER)
    size = max(1, -(-len(items) // (max(workers, 1) * 8)))
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    results: list[Result] = []
    if not forking:
        for chunk in chunks:
            results += work(context, chunk)
            if progress:
                progress(len(chunk), len(items))
        return results
    _CONTEXT = context
    import multiprocessing  # see `forks`

    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker) as pool:
            run = functools.partial(_in_worker, work)
            for chunk, part in zip(chunks, pool.imap(run, chunks), strict=True):
                results += part
                if progress:
                    progress(len(chunk), len(items))
    finally:
        _CONTEXT = None
    return results


def _start_worker() -> None:
    """Set up a forked worker's garbage collector: on, as a worker makes garbage for a long time
    (the parent may have paused it), but blind to what the worker inherited, which is alive for
    its whole life and which walking would copy page by page out of the parent's memory."""
    gc.freeze()  # moves the inherited objects to the permanent generation, without touching them
    gc.enable()


def _in_worker(
    work: Callable[[Context, Sequence[Item]], list[Result]], chunk: Sequence[Item]
) -> list[Result]:
    """Run one chunk in a worker, with the context it inherited."""
    return work(_CONTEXT, chunk)
