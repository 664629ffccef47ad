"""The speed and weight goals a benchmark run is held to, each said met or missed after its table.

Most goals are ceilings on a ratio of Hugo's clean build of the same records in the same run
(the table's `x`); the others on the default site's output in megabytes, on the peak memory of
every build of a size, and on how much slower the clean build is at 50,000 records than at
10,000 (docs/benchmark.md, "The goals"). A goal is checked only at the sizes it names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # bench.run imports this module
    from bench.run import BenchSite, SizeResults

RATIO, MEGABYTES, MEBIBYTES = "x", "MB", "MiB"
# The unit of each row that is not a time (every other is a ratio of Hugo's clean build).
_UNITS = {"output": MEGABYTES, "peak": MEBIBYTES}
BOTH_SITES = ("default", "hugo-equiv")


@dataclass(frozen=True)
class Goal:
    """A ceiling on the figure of some rows of the table, for some sites, at some sizes.

    The rows are the table's (`clean`, `one changed`...: their time as a ratio of Hugo's clean
    build), or `output` (the output's megabytes) or `peak` (the largest peak memory of all of a
    site's rows, in MiB); the rows of one goal have one unit.
    """

    rows: tuple[str, ...]
    limit: float
    sizes: tuple[int, ...]
    sites: tuple[str, ...] = BOTH_SITES  # by name, without a second Python's `@2`


GOALS = (
    Goal(("clean",), 1.0, (10_000, 50_000), ("hugo-equiv",)),
    Goal(("clean",), 1.5, (10_000,), ("default",)),
    Goal(("output",), 200.0, (10_000,), ("default",)),
    Goal(("one changed", "one added", "one deleted"), 0.15, (10_000, 50_000)),
    Goal(("unchanged", "restored CI"), 0.1, (10_000, 50_000)),
    Goal(("peak",), 1024.0, (50_000,)),
)

# The clean build at the larger size at most this many times the one at the smaller, each site.
SCALING_SIZES, SCALING_LIMIT = (10_000, 50_000), 5.5


def goal_lines(results: SizeResults) -> list[str]:
    """Each goal of the size's run, site by site and row by row: met or missed, and by what."""
    lines: list[str] = []
    hugo = results.hugo.seconds if results.hugo else None
    for goal in GOALS:
        if results.count not in goal.sizes:
            continue
        unit = _UNITS.get(goal.rows[0], RATIO)
        if unit == RATIO and hugo is None:
            lines.append(f"  not checked: {', '.join(goal.rows)} (no Hugo build to compare with)")
            continue
        for site in results.sites:
            if _base_name(site.name) not in goal.sites:
                continue
            for row in goal.rows:
                figure = _figure(site, row, hugo)
                if figure is not None:
                    lines.append(_verdict(site.name, row, figure, goal.limit, unit))
    return [f"goals at {results.count:,} records (docs/benchmark.md):", *lines] if lines else []


def scaling_lines(runs: Sequence[SizeResults]) -> list[str]:
    """The clean build at 50,000 records over the one at 10,000, of each site timed at both."""
    small, large = SCALING_SIZES
    by_size = {results.count: results for results in runs}
    if small not in by_size or large not in by_size:
        return []
    before = {site.name: site.results.get("clean") for site in by_size[small].sites}
    lines = []
    for site in by_size[large].sites:
        after, base = site.results.get("clean"), before.get(site.name)
        if after is None or base is None or not base.seconds:
            continue
        row = f"clean {large:,} / {small:,}"
        lines.append(_verdict(site.name, row, after.seconds / base.seconds, SCALING_LIMIT, ""))
    hugo_small, hugo_large = by_size[small].hugo, by_size[large].hugo
    if lines and hugo_small and hugo_large and hugo_small.seconds:
        # No goal: how much the machine's day weighs on the ratio (see docs/benchmark.md).
        lines.append(f"  Hugo's own clean {large:,} / {small:,} in this run: "
                     f"{hugo_large.seconds / hugo_small.seconds:.3f}")  # fmt: skip
    return [f"goals across sizes (clean {large:,} at most {SCALING_LIMIT} x clean {small:,}):",
            *lines] if lines else []  # fmt: skip


def _figure(site: BenchSite, row: str, hugo: float | None) -> float | None:
    """A site's figure for a goal's row in its unit (`_UNITS`; a time over `hugo`, Hugo's clean
    build), or None if the run has no such row, or no Hugo build to compare a time with."""
    if row == "output":
        return site.output[0] / 1e6 if site.output[1] else None
    if row == "peak":
        return max((run.peak_mib for run in site.results.values()), default=None)
    run = site.results.get(row)
    return run.seconds / hugo if run is not None and hugo else None


def _verdict(site: str, row: str, figure: float, limit: float, unit: str) -> str:
    """One line: met or MISSED, the site and row, its figure and the goal."""
    said = "met" if figure <= limit else "MISSED"
    # Ratios to three places: one a hair over its goal is not printed as the goal itself.
    shown = f"{figure:8.1f}" if unit in (MEGABYTES, MEBIBYTES) else f"{figure:8.3f}"
    unit = f" {unit}" if unit else ""
    return f"  {said:<6} | {site:<12} | {row:<18} | {shown}{unit} (goal: at most {limit:g}{unit})"


def _base_name(name: str) -> str:
    """A site's name without the `@2` of a second Python's builds."""
    return name.partition("@")[0]
