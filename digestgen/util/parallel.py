"""Spreading work over the machine's cores with forked worker processes."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
# Below this many items a worker pool costs more than it saves.
MIN_ITEMS_PER_WORKER = 200


def default_workers() -> int:
    """How many processes to use: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def map_chunks(
    work: Callable[[Sequence[Item]], list[Result]],
    items: Sequence[Item],
    workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """Run `work` over contiguous chunks of items in forked processes; results in item order.

    `progress(done, total)` is called as each chunk finishes, with the chunk's size.

    `work` must be a module-level function. Forked workers see the parent's memory as it was
    when the pool started, so large read-only inputs can be reached through module globals.
    """
    workers = min(workers, len(items) // MIN_ITEMS_PER_WORKER)
    size = max(1, -(-len(items) // (max(workers, 1) * 8)))
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    results: list[Result] = []
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in chunks:
            results += work(chunk)
            if progress:
                progress(len(chunk), len(items))
        return results
    # The parent may have paused the garbage collector; a worker makes garbage for a long time.
    with multiprocessing.get_context("fork").Pool(workers, initializer=gc.enable) as pool:
        for chunk, part in zip(chunks, pool.imap(work, chunks), strict=True):
            results += part
            if progress:
                progress(len(chunk), len(items))
    return results
