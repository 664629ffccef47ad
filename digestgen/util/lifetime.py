"""Values a build leaves unfreed, when its process ends right after it.

Freeing is work: every object is visited once more, its memory long gone from the processor's
caches, and emptied memory is handed back to the system, to be asked for (and zeroed) again by
the next stage. A one-record rebuild at 50,000 records spent a twentieth of its time freeing
what its stages made on the way. A process that ends when the build does (the
`digestgen` program: `commands.cli.run`) leaves its memory to the system at once; inside
`unfreed(True)`, the stages hand what they made and no longer need to `leave`, which keeps it.
Anywhere else (`serve`, tests, a library caller), `leave` does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

_left: list[object] = []  # kept for good: the process ends without freeing them
_leaving = False


@contextmanager
def unfreed(process_ends: bool) -> Iterator[None]:
    """While inside, with `process_ends`, what is given to `leave` is never freed."""
    global _leaving
    before = _leaving
    _leaving = before or process_ends
    try:
        yield
    finally:
        _leaving = before


def leave(*values: object) -> None:
    """Keep the values until the process ends, inside `unfreed(True)`; else do nothing."""
    if _leaving:
        _left.append(values)
