"""bench.goals: each goal of a benchmark run said met or missed, at the sizes it holds for."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import bench.run as bench_run
from bench.goals import goal_lines, scaling_lines
from bench.run import BenchSite, Run, SizeResults


def _site(name: str, count: int, output_mb: float = 0.0, **seconds: float) -> BenchSite:
    """A measured site: each row's seconds (row names with `_` for spaces), peak 100 MiB."""
    site = BenchSite(name, Path(f"n{count}-{name}"), [], count)
    site.results = {row.replace("_", " "): Run(s, 100.0, "") for row, s in seconds.items()}
    site.output = (int(output_mb * 1e6), 1000 if output_mb else 0)
    return site


def _verdicts(lines: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """The verdict lines by (site, row): (met or MISSED, figure)."""
    found = {}
    for line in lines[1:]:
        said, site, row, figure = (part.strip() for part in line.split(" | "))
        found[(site, row)] = (said, figure.split(" (")[0])
    return found


def test_each_goal_at_ten_thousand_records_is_met_or_missed_by_its_figure() -> None:
    default = _site("default", 10_000, output_mb=195.4, clean=10.7, unchanged=0.35,
                    restored_CI=0.65, one_changed=1.33, one_added=0.7, one_deleted=1.0)  # fmt: skip
    equivalent = _site("hugo-equiv", 10_000, clean=5.0, one_changed=0.9)
    lines = goal_lines(SizeResults(10_000, [default, equivalent], hugo=Run(7.0, 800.0, "")))
    assert lines[0] == "goals at 10,000 records (docs/benchmark.md):"
    assert _verdicts(lines) == {
        ("hugo-equiv", "clean"): ("met", "0.714 x"),
        ("default", "clean"): ("MISSED", "1.529 x"),  # over 1.5
        ("default", "output"): ("met", "195.4 MB"),
        ("default", "one changed"): ("MISSED", "0.190 x"),
        ("default", "one added"): ("met", "0.100 x"),
        ("default", "one deleted"): ("met", "0.143 x"),
        ("hugo-equiv", "one changed"): ("met", "0.129 x"),
        ("default", "unchanged"): ("met", "0.050 x"),
        ("default", "restored CI"): ("met", "0.093 x"),
    }  # a row a site was not timed for is not judged; nor peak memory, a goal at 50,000 only
    assert lines[2].endswith(
        "| default      | clean              |    1.529 x (goal: at most 1.5 x)"
    )


def test_a_second_pythons_sites_are_held_to_the_same_goals() -> None:
    sites = [_site("default", 10_000, clean=10.0), _site("default@2", 10_000, clean=11.0)]
    lines = goal_lines(SizeResults(10_000, sites, hugo=Run(7.0, 800.0, "")))
    assert _verdicts(lines) == {("default", "clean"): ("met", "1.429 x"),
                                ("default@2", "clean"): ("MISSED", "1.571 x")}  # fmt: skip


def test_peak_memory_at_fifty_thousand_is_the_largest_of_every_row() -> None:
    site = _site("default", 50_000, clean=50.0, one_changed=5.0)
    site.results["one changed"].peak_mib = 1100.0
    lines = goal_lines(SizeResults(50_000, [site], hugo=Run(50.0, 3000.0, "")))
    verdicts = _verdicts(lines)
    assert verdicts[("default", "peak")] == ("MISSED", "1100.0 MiB")
    assert ("default", "clean") not in verdicts  # the default site's clean goal is at 10,000
    assert ("default", "output") not in verdicts  # so is its weight's


def test_without_hugo_only_the_goals_not_over_hugos_time_are_checked() -> None:
    site = _site("default", 10_000, output_mb=210.0, clean=10.0)
    lines = goal_lines(SizeResults(10_000, [site]))
    assert "  not checked: clean (no Hugo build to compare with)" in lines
    assert "  not checked: one changed, one added, one deleted (no Hugo build to compare with)" in (
        lines
    )
    assert [line for line in lines if " | " in line] == [
        "  MISSED | default      | output             |    210.0 MB (goal: at most 200 MB)"
    ]


def test_a_size_without_goals_says_nothing() -> None:
    site = _site("default", 1000, output_mb=20.0, clean=1.0, one_changed=0.5)
    assert goal_lines(SizeResults(1000, [site], hugo=Run(1.0, 100.0, ""))) == []


def test_the_clean_build_at_fifty_thousand_is_held_to_five_and_a_half_times_ten_thousands() -> None:
    small = SizeResults(10_000, [_site("default", 10_000, clean=10.0),
                                 _site("hugo-equiv", 10_000, clean=5.0)])  # fmt: skip
    large = SizeResults(50_000, [_site("default", 50_000, clean=54.0),
                                 _site("hugo-equiv", 50_000, clean=28.0)])  # fmt: skip
    lines = scaling_lines([small, large])
    assert lines[0] == "goals across sizes (clean 50,000 at most 5.5 x clean 10,000):"
    assert _verdicts(lines) == {
        ("default", "clean 50,000 / 10,000"): ("met", "5.400"),
        ("hugo-equiv", "clean 50,000 / 10,000"): ("MISSED", "5.600"),
    }
    assert scaling_lines([large]) == []  # one size: nothing to compare
    small.hugo, large.hugo = Run(7.0, 700.0, ""), Run(56.0, 3000.0, "")
    assert scaling_lines([small, large])[-1] == (
        "  Hugo's own clean 50,000 / 10,000 in this run: 8.000"
    )


def test_a_benchmark_run_prints_its_goals_after_its_table(tmp_path: Path, monkeypatch) -> None:
    def measured(counts: list[int], *_: object) -> Iterator[SizeResults]:
        for count in counts:
            yield SizeResults(count, [_site("default", count, output_mb=250.0, clean=1.0)])

    monkeypatch.setattr(bench_run, "bench_sizes", measured)
    monkeypatch.setattr(sys, "argv", ["bench.run", "--sizes", "10000", "--workdir",
                                      str(tmp_path / "work"), "--no-serve"])  # fmt: skip
    monkeypatch.setattr(bench_run.shutil, "which", lambda *_, **__: None)  # no Hugo
    monkeypatch.setattr(bench_run, "interpreter", lambda *_: "python: here")
    printed: list[str] = []
    monkeypatch.setattr("builtins.print", lambda *a, **_: printed.append(" ".join(map(str, a))))
    bench_run.main()
    table = next(i for i, line in enumerate(printed) if "| output " in line)
    assert printed[table + 1] == "goals at 10,000 records (docs/benchmark.md):"
    assert (
        "  MISSED | default      | output             |    250.0 MB (goal: at most 200 MB)"
        in (printed[table + 2 :])
    )


def test_the_goals_module_imports_on_its_own() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import bench.goals"], capture_output=True, text=True,
        cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
