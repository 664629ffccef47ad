"""bench.run end to end at a small size: every row printed, every clean build before the steps
that delete large trees, a previous run's folders set aside and deleted after measuring, and the
restored-CI copies deleted as soon as they are timed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bench.run as bench_run
from bench.generate import generate
from bench.run import (
    CONFIG,
    CONFIGS,
    SET_ASIDE,
    STEPS,
    BenchSite,
    Run,
    SizeResults,
    add_new,
    add_one,
    after_deletions,
    bench_size,
    bytecode_environment,
    change_one,
    check_python,
    clean_build,
    clean_rounds,
    delete_one,
    digestgen_build,
    interpreter,
    make_bench_site,
    measure,
    median_run,
    print_size,
    python_labels,
    remove_copy,
    restored_ci,
    restored_ci_changed,
    run_step,
    set_aside,
)

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


def _dirty_bytes(meminfo: str) -> int:
    """The `Dirty:` figure of a /proc/meminfo text: file data written but not yet on disk."""
    (line,) = [line for line in meminfo.splitlines() if line.startswith("Dirty:")]
    return int(line.split()[1]) * 1024


def _built_site(folder: Path, count: int) -> BenchSite:
    """A default bench site of `count` generated records in `folder`, built once."""
    folder.mkdir()
    (folder / "digestgen.toml").write_text(CONFIG, encoding="utf-8")
    generate(count, folder / "content")
    digestgen_build(folder)
    return BenchSite("default", folder, sorted((folder / "content").rglob("*.md")), count)


def test_set_aside_moves_a_folder_into_the_holding_folder(tmp_path: Path) -> None:
    site = tmp_path / "n10-default"
    (site / "public").mkdir(parents=True)
    (site / "public" / "index.html").write_text("old", encoding="utf-8")
    set_aside(site)
    set_aside(tmp_path / "never-made")  # nothing to move: no error
    assert not site.exists()
    (moved,) = (tmp_path / SET_ASIDE).iterdir()
    assert moved.name.startswith("n10-default-")
    assert (moved / "public" / "index.html").read_text(encoding="utf-8") == "old"


def test_the_restored_ci_copy_is_deleted_once_built_and_the_time_noted(tmp_path, monkeypatch):
    """Kept, the copies filled the machine's memory with their cached pages, and the rebuilds
    timed after them paid for it: each is deleted as soon as it is timed."""
    monkeypatch.setattr(bench_run._DELETIONS, "last", None)
    folder = tmp_path / "n20-default"
    site = _built_site(folder, 20)
    before = time.monotonic()
    run = restored_ci(site)
    assert f"Built {tmp_path / 'n20-default-ci' / 'public'}" in run.output
    assert "stories built:      20" in run.output
    assert not (tmp_path / "n20-default-ci").exists()
    assert not (tmp_path / SET_ASIDE).exists()
    assert bench_run._DELETIONS.last is not None and bench_run._DELETIONS.last >= before


def test_the_next_clean_rounds_wait_until_the_last_deletion_is_old_enough(monkeypatch):
    monkeypatch.setattr(bench_run, "RECENTLY_DELETED", 0.3)
    monkeypatch.setattr(bench_run._DELETIONS, "last", None)
    started = time.monotonic()
    after_deletions()  # nothing deleted: no wait
    monkeypatch.setattr(bench_run._DELETIONS, "last", time.monotonic())
    after_deletions()
    assert time.monotonic() - started >= 0.3


def _copy_with(folder: Path, *names: str) -> Path:
    """A copy's folder holding a trash folder with these files."""
    for name in names:
        (folder / ".public.trash" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / ".public.trash" / name).write_text("x", encoding="utf-8")
    return folder


def test_a_copy_deleted_beside_its_own_trash_forgives_files_already_gone(tmp_path, monkeypatch):
    copy = _copy_with(tmp_path / "n20-default-ci", "gone", "page")
    unlink = os.unlink

    def deleted_by_the_build_first(path, *args, **kwargs):
        unlink(path, *args, **kwargs)
        if os.fspath(path) == "gone":  # as if the build's trash deletion took it just before
            raise FileNotFoundError(2, "No such file or directory", path)

    monkeypatch.setattr(os, "unlink", deleted_by_the_build_first)
    remove_copy(copy)
    assert not copy.exists()


def test_a_copy_that_cannot_be_deleted_says_why(tmp_path, monkeypatch):
    copy = _copy_with(tmp_path / "n20-default-ci", "stuck")
    unlink = os.unlink

    def refused(path, *args, **kwargs):
        if os.fspath(path) == "stuck":
            raise PermissionError(13, "Permission denied", path)
        unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refused)
    with pytest.raises(PermissionError):
        remove_copy(copy)


def test_each_repeat_of_the_restored_ci_step_builds_a_copy_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_run, "remove_copy", set_aside)  # kept, to look into
    folder = tmp_path / "n20-default"
    site = _built_site(folder, 20)
    repeated = {label: repeated for label, _, repeated in STEPS}["restored CI"]
    run = run_step(site, restored_ci, repeated, 3)
    assert len(run.samples) == 3
    copies = sorted((tmp_path / SET_ASIDE).iterdir())
    assert len(copies) == 3
    assert all(copy.name.startswith("n20-default-ci-") for copy in copies)
    for copy in copies:
        page = copy / "public" / "index.html"
        assert page.read_bytes() == (folder / "public" / "index.html").read_bytes()
        # Kept as restored (its time an hour ahead), not written again: the fast path.
        assert page.stat().st_mtime > time.time() + 1800


def test_the_ci_changed_step_edits_a_record_of_its_copy_only(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_run, "remove_copy", set_aside)  # kept, to look into
    folder = tmp_path / "n20-default"
    site = _built_site(folder, 20)
    before = {path: path.read_bytes() for path in site.paths}
    run = run_step(site, restored_ci_changed, True, 2)
    assert len(run.samples) == 2
    assert {path: path.read_bytes() for path in site.paths} == before  # the site's own records
    copies = sorted((tmp_path / SET_ASIDE).iterdir())
    assert len(copies) == 2 and all(c.name.startswith("n20-default-ci-") for c in copies)
    edited = set()
    for copy in copies:
        pages = [p.read_text("utf-8") for p in (copy / "public").rglob("index.html")]
        titles = {line for page in pages for line in page.split("<") if "Edited" in line}
        assert titles  # built with the edit
        edited.add(min(titles))
        # The rest kept as restored (times an hour ahead): a rebuild, not a clean build.
        assert (copy / "public" / "404.html").stat().st_mtime > time.time() + 1800
    assert len(edited) == 2  # another record at each repeat


def test_a_repeated_step_gives_the_median_and_every_time_in_order() -> None:
    runs = [Run(3.0, 100.0, "third", cpu=4.5), Run(1.0, 300.0, "first", cpu=1.0),
            Run(2.0, 200.0, "second", cpu=3.0)]  # fmt: skip
    run = median_run(runs)
    assert (run.seconds, run.peak_mib, run.output, run.cpu) == (2.0, 300.0, "second", 3.0)
    assert run.cores == 1.5
    assert run.samples == (3.0, 1.0, 2.0)
    assert median_run(runs[:2]).seconds == 2.0  # an even count: the mean of the middle two


def test_a_repeated_row_prints_its_median_then_each_time_with_its_ratio(capsys) -> None:
    site = BenchSite("default", Path("n10-default"), [], 10)
    site.results = {"one changed": median_run([Run(0.3, 90.0, "", cpu=0.4),
                                               Run(0.1, 80.0, "", cpu=0.1),
                                               Run(0.2, 85.0, "", cpu=0.3)]),
                    "restored CI": Run(0.4, 70.0, "", cpu=0.6)}  # fmt: skip
    print_size(SizeResults(10, [site], hugo=Run(2.0, 100.0, "", cpu=3.0)))
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split(" | ")[2:] == [
        "one changed ", "    0.20", "  0.10", "    90", "  0.90", "   0.30", " 1.50",
        "0.30 / 0.10 / 0.20 s (0.15 / 0.05 / 0.10 x)",
    ]  # fmt: skip
    assert rows[1].endswith("  0.70 |    0.60 |  1.50")  # one run: no times after it
    assert rows[-2].endswith("|   1.00 |    3.00 |  1.50")  # Hugo's clean build


def test_hugos_row_is_the_median_of_its_runs_and_prints_each(capsys) -> None:
    hugo = median_run([Run(2.2, 100.0, "", cpu=3.3), Run(1.8, 100.0, "", cpu=2.7),
                       Run(2.0, 100.0, "", cpu=3.0)])  # fmt: skip
    site = BenchSite("default", Path("n10-default"), [], 10)
    site.results = {"one changed": Run(0.3, 90.0, "", cpu=0.4)}
    print_size(SizeResults(10, [site], hugo=hugo))
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split(" | ")[4] == "  0.15"  # 0.3 s over the median's 2.0 s
    assert rows[-2].endswith(
        "|   1.00 |    3.00 |  1.50 | 2.20 / 1.80 / 2.00 s (1.10 / 0.90 / 1.00 x)"
    )


def test_each_clean_build_after_the_first_starts_without_output_or_cache(tmp_path: Path) -> None:
    folder = tmp_path / "n20-default"
    folder.mkdir()
    (folder / "digestgen.toml").write_text(CONFIG, encoding="utf-8")
    generate(20, folder / "content")
    site = BenchSite("default", folder, sorted((folder / "content").rglob("*.md")), 20)
    run = run_step(site, clean_build, True, 3)
    assert len(run.samples) == 3
    assert "records read:       20" in run.output
    # The first two builds' output and cache wait outside the site, each moved before the next.
    holding = tmp_path / SET_ASIDE
    moved = sorted(path.name.rsplit("-", 1)[0] for path in holding.iterdir())
    assert moved == [".digestgen-cache"] * 2 + ["public"] * 2
    for made in holding.glob("public-*"):
        index = (made / "index.html").stat()
        assert index.st_ino != (folder / "public" / "index.html").stat().st_ino
    assert not (folder / SET_ASIDE).exists()
    assert site.output[1] > 20  # the last clean build's files, counted


def test_the_clean_builds_run_in_rounds_each_tool_once_a_round(tmp_path: Path) -> None:
    """A slow spell of the file system falls on one round of every tool, not on every build of
    one of them."""
    content = tmp_path / "n20-records"
    generate(20, content)
    sites = [
        make_bench_site(name, config, 20, tmp_path, content) for name, config in CONFIGS.items()
    ]
    results = SizeResults(20, sites, content)
    clean_rounds([results], None, tmp_path, 2)
    assert [len(site.results["clean"].samples) for site in sites] == [2, 2]
    # Each build's own robots.txt, written during the build: the first round's (set aside when
    # the second began) and the second's, in place.
    made = {}
    for public in [*(tmp_path / SET_ASIDE).glob("public-*"), *(s.folder / "public" for s in sites)]:
        site = "default" if (public / "pagefind").is_dir() else "hugo-equiv"
        made.setdefault(site, []).append((public / "robots.txt").stat().st_mtime_ns)
    first, second = sorted(made["default"]), sorted(made["hugo-equiv"])
    assert first[0] < second[0] < first[1] < second[1]


def test_the_clean_rounds_take_every_size_in_turn(tmp_path: Path) -> None:
    """The clean builds two sizes' goals compare run in the same minutes: each round builds every
    size, so the machine's drift over a run is not charged to the larger size alone."""
    sizes = []
    for count in (12, 16):
        content = tmp_path / f"n{count}-records"
        generate(count, content)
        site = make_bench_site("default", CONFIGS["default"], count, tmp_path, content)
        sizes.append(SizeResults(count, [site], content))
    clean_rounds(sizes, None, tmp_path, 2)
    assert [len(results.sites[0].results["clean"].samples) for results in sizes] == [2, 2]
    made = []  # (when its robots.txt was written, how many stories it shows)
    kept = [s.sites[0].folder / "public" for s in sizes]
    for public in [*(tmp_path / SET_ASIDE).glob("public-*"), *kept]:
        made.append(((public / "robots.txt").stat().st_mtime_ns, _stories(public)))
    assert [stories for _, stories in sorted(made)] == [12, 16, 12, 16]


def _stories(public: Path) -> int:
    """How many story pages a built site has (the generator's records are a story each)."""
    return sum(1 for _ in public.glob("2*/*/*/*/index.html"))


def test_each_repeat_of_a_rebuild_step_makes_a_change_of_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "n30-default"
    site = _built_site(folder, 30)
    runs = {label: run_step(site, step, True, 3) for label, step in
            [("changed", change_one), ("added", add_one), ("deleted", delete_one),
             ("new", add_new)]}  # fmt: skip
    assert all(len(run.samples) == 3 for run in runs.values())
    edited = [p for p in site.paths if p.exists() and 'title: "Edited' in p.read_text("utf-8")]
    assert len(edited) == 3
    assert len([p for p in site.paths if not p.exists()]) == 3
    added = sorted(p.name for p in (folder / "content" / "added").iterdir())
    assert len(added) == 6
    texts = {(folder / "content" / "added" / name).read_text("utf-8") for name in added}
    assert len(texts) == 6  # six records, each its own
    report = digestgen_build(folder).output
    assert "stories built:      33" in report  # 30 - 3 deleted + 6 added


@pytest.mark.slow
def test_a_small_benchmark_runs_every_clean_build_first(tmp_path: Path) -> None:
    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bench.run", "--sizes", "250", "--no-serve", "--keep",
             "--workdir", str(tmp_path)],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    run()
    first_default = (tmp_path / "n250-default" / "public" / "index.html").stat().st_ino
    printed = run()  # over the first run's folders
    for site in ("default", "hugo-equiv"):
        for label, _, _ in STEPS:
            assert f"| {site:<12} | {label:<12} |" in printed
    assert printed.splitlines()[1].startswith(f"python: {sys.executable} ")
    assert not (tmp_path / SET_ASIDE).exists()
    assert (tmp_path / "n250-default" / "public" / "index.html").stat().st_ino != first_default
    # The hugo-equiv site's clean build wrote its pages before the default site's later steps ran.
    clean_page = tmp_path / "n250-hugo-equiv" / "public" / "robots.txt"
    added = tmp_path / "n250-default" / "content" / "added" / "synthetic-added.md"
    assert clean_page.stat().st_mtime_ns < added.stat().st_mtime_ns


def test_the_table_names_the_python_that_runs_the_builds_and_its_speed() -> None:
    """The figures depend on how that Python was built as much as on the machine: the table
    names it and gives its time for a fixed workload."""
    line = interpreter()
    version = ".".join(map(str, sys.version_info[:3]))
    assert line.startswith(f"python: {sys.executable} ({sys.implementation.name} {version});")
    took = re.search(r"workload took (\d+) ms in it", line)
    assert took is not None and int(took[1]) > 0


def _python_wrapper(folder: Path, *options: str) -> Path:
    """An executable standing for another Python: this one, run with `options`, each run's
    arguments noted in `calls.txt` beside it."""
    wrapper = folder / "other-python"
    log = folder / "calls.txt"
    wrapper.write_text(
        f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{sys.executable}" {" ".join(options)} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return wrapper


def test_another_python_is_named_with_its_label_version_and_speed(tmp_path: Path) -> None:
    other = _python_wrapper(tmp_path)
    line = interpreter(str(other), "@2")
    version = ".".join(map(str, sys.version_info[:3]))
    assert line.startswith(f"python @2: {other} ({sys.implementation.name} {version});")
    assert "workload took" in line
    assert "-c" in (tmp_path / "calls.txt").read_text(encoding="utf-8")  # it ran the workload


def test_the_pythons_are_this_one_then_each_given_one_labelled_in_order() -> None:
    assert python_labels([]) == [("", sys.executable)]
    assert python_labels(["/a/python", "/b/python"]) == [
        ("", sys.executable), ("@2", "/a/python"), ("@3", "/b/python"),
    ]  # fmt: skip


def test_a_python_that_cannot_run_digestgen_stops_the_benchmark_saying_why(tmp_path) -> None:
    check_python(str(_python_wrapper(tmp_path)), tmp_path)  # this Python can: no error
    without_packages = _python_wrapper(tmp_path, "-S")  # no site-packages: no digestgen
    with pytest.raises(SystemExit, match=r"cannot import digestgen .*ModuleNotFoundError"):
        check_python(str(without_packages), tmp_path)
    with pytest.raises(SystemExit, match="cannot run it"):
        check_python(str(tmp_path / "no-such-python"), tmp_path)


@pytest.mark.slow
def test_every_site_is_built_by_each_python_in_the_same_run(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_run._DELETIONS, "last", None)
    other = _python_wrapper(tmp_path)
    pythons = python_labels([str(other)])
    results = bench_size(8, tmp_path, None, serve=False, repeats=1, pythons=pythons)
    names = [site.name for site in results.sites]
    assert names == ["default", "hugo-equiv", "default@2", "hugo-equiv@2"]
    for site in results.sites:
        assert list(site.results) == [label for label, _, _ in STEPS]
        assert site.python == (str(other) if site.name.endswith("@2") else sys.executable)
    builds = [
        line for line in (tmp_path / "calls.txt").read_text(encoding="utf-8").splitlines()
        if line.startswith("-m digestgen build")
    ]  # fmt: skip
    assert len(builds) == 2 * len(STEPS)  # each step of the two @2 sites, none of the others
    assert (tmp_path / "n8-default@2" / "public" / "index.html").is_file()


def test_timed_builds_write_bytecode_whatever_the_shell_says(tmp_path, monkeypatch):
    """A shell with PYTHONDONTWRITEBYTECODE would have every timed build compile the modules
    changed since their bytecode was written: builds are timed as digestgen runs installed."""
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("BENCH_PROBE", "kept")
    env = bytecode_environment(PYTHONPATH="/tree")
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["BENCH_PROBE"] == "kept" and env["PYTHONPATH"] == "/tree"
    script = "import sys; print(sys.dont_write_bytecode)"
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "False"


def test_a_timed_command_reports_the_processor_time_of_its_children_too(tmp_path: Path) -> None:
    # Two children burning the processor at once, waited for by the command.
    burn = "import time; t = time.process_time()\nwhile time.process_time() - t < 0.5: pass"
    script = ("import subprocess, sys\n"
              f"children = [subprocess.Popen([sys.executable, '-c', {burn!r}]) for _ in '12']\n"
              "for child in children: child.wait()")  # fmt: skip
    run = measure([sys.executable, "-c", script], tmp_path)
    assert run.cpu >= 1.0
    assert run.cpu <= run.seconds * (os.cpu_count() or 1) + 0.1
    assert run.cores == run.cpu / run.seconds


def test_a_timed_command_starts_once_the_earlier_writes_are_on_disk(tmp_path: Path) -> None:
    """Else it would share the disk with their writing-back: the rebuild after the restored-CI
    step's copy of a large site took half as long again."""
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        pytest.skip("no /proc/meminfo to tell written from stored")
    before = _dirty_bytes(meminfo.read_text(encoding="ascii"))
    (tmp_path / "copy.bin").write_bytes(os.urandom(192 * MIB))
    if _dirty_bytes(meminfo.read_text(encoding="ascii")) < before + 128 * MIB:
        pytest.skip("this file system keeps no written data waiting (a memory-backed /tmp?)")
    seen = measure(["cat", str(meminfo)], tmp_path).output
    assert _dirty_bytes(seen) < 64 * MIB
