"""A/B: two revisions of digestgen timed on the same rebuild, round by round, on one machine.

    python -m bench.ab 520e31b                  # that revision against HEAD, 10,000 records
    python -m bench.ab 520e31b main --size 50000 --rounds 5 --steps changed restored

A single benchmark row swings by 15-40% between runs here, more than most changes move it. So
each revision gets a site of its own (the same records, built clean by that revision), and then,
round after round, each step is timed on both, in ABBA order so that a machine growing slower or
faster weighs on both alike. The steps: `changed` (one record's title edited, as bench.run's "one
changed"), `added` and `deleted` (as its "one added" and "one deleted"), `quality` (one record's
quality score edited: the listings ranked again, no search document changed), `unchanged`
(nothing changed), `restored` (a restored-cache CI build: bench.restore;
every copy is made before the first is timed, and all are deleted after the last), `ci-changed`
(the usual CI deploy: a restored copy made likewise, with one record's title edited) and `clean`
(a build without the cache, each into a new folder, all deleted after the last).

Each revision is exported with `git archive` and run from there with this Python (its packages
are this environment's). It prints each revision's mean, median, fastest and slowest, the ratio
of the means, and in how many rounds the second revision was the faster.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.generate import generate
from bench.restore import restored_copy
from bench.run import (
    CONFIGS,
    NOW,
    SET_ASIDE,
    bytecode_environment,
    make_bench_site,
    measure,
    new_record,
    record_to_delete,
    set_aside,
)

ROOT = Path(__file__).resolve().parents[1]
STEPS = (
    "changed", "added", "deleted", "quality", "unchanged", "restored", "ci-changed", "clean",
)  # fmt: skip
RESTORED_STEPS = ("restored", "ci-changed")  # timed on restored copies made beforehand


@dataclass
class Version:
    """One revision: its name, its exported tree, its site, and its times by step."""

    label: str  # "a" or "b": the two may be the same revision
    name: str
    tree: Path
    site: Path
    times: dict[str, list[float]] = field(default_factory=dict)

    def build(self, site: Path | None = None, extra: tuple[str, ...] = ()) -> float:
        """Seconds of one `digestgen build` of its site (or of `site`), with its own code and the
        `extra` options."""
        command = [sys.executable, "-m", "digestgen", "build", "--now", NOW, "--quiet", *extra]
        return measure(command, site or self.site, env=self.environment()).seconds

    def environment(self) -> dict[str, str]:
        """This environment, with the revision's tree first on the path and bytecode written."""
        return bytecode_environment(PYTHONPATH=str(self.tree))


def export(revision: str, folder: Path) -> Path:
    """The revision's files (`git archive`), in a folder of their own (a previous run's moved
    aside)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision], cwd=ROOT, capture_output=True, check=True
    ).stdout
    set_aside(folder)
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder)  # our own repository's files
    return folder


def retitle(site: Path, round_number: int) -> None:
    """Edit the title of the site's middle record, another title each round."""
    paths = sorted((site / "content").rglob("*.md"))
    record = paths[len(paths) // 2]
    text = record.read_text(encoding="utf-8")
    title = f'title: "Edited {round_number}: '
    text = re.sub(r'^title: "(Edited \d+: )?', title, text, count=1, flags=re.MULTILINE)
    record.write_text(text, encoding="utf-8")


def requality(site: Path, round_number: int) -> None:
    """Edit the quality score of the site's middle record, another score each round: it ranks
    the listings again, and no page's search document shows it."""
    paths = sorted((site / "content").rglob("*.md"))
    record = paths[len(paths) // 2]
    text = record.read_text(encoding="utf-8")
    found = re.search(r"^quality: (\d+)$", text, flags=re.MULTILINE)
    if found is None:
        raise ValueError(f"{record}: no quality score to edit")
    quality = (int(found[1]) + 1 + round_number % 100) % 101  # never the score it had
    record.write_text(text.replace(found[0], f"quality: {quality}", 1), encoding="utf-8")


def add_record(site: Path, round_number: int) -> None:
    """Add a generated record to the site, another each round (dated at random, as bench.run's
    "one added"; its number is past any site's own, so its address is new)."""
    added, text = new_record(site, f"ab-added-{round_number}.md", ADDED_NUMBERS + round_number)
    added.write_text(text, encoding="utf-8")


def delete_record(site: Path, round_number: int) -> None:
    """Delete one of the site's generated records, another each round (bench.run's
    `record_to_delete`, as its "one deleted")."""
    paths = sorted(path for path in (site / "content").rglob("*.md") if path.parent.name != "added")
    record_to_delete(paths, round_number).unlink()


# The numbers of the records `add_record` adds: far past any benchmark site's own.
ADDED_NUMBERS = 900_000_000


def time_rounds(versions: list[Version], steps: list[str], rounds: int, pause: float) -> None:
    """Time each step on every version, `rounds` times, in ABBA order; the restored copies
    are all made first, then left to settle for `pause` seconds (see bench.run.clean_rounds on
    making files after deleting many)."""
    copies: dict[tuple[str, str], list[Path]] = {}
    for step in (step for step in steps if step in RESTORED_STEPS):
        for version in versions:
            name = f"{version.site.name}-{step}"
            copies[version.label, step] = [
                restored_copy(version.site, version.site.with_name(f"{name}{n}"))
                for n in range(rounds)
            ]
    if copies:
        time.sleep(pause)
    for step in steps:
        for number in range(rounds):
            order = versions if number % 2 == 0 else versions[::-1]
            for version in order:
                version.times.setdefault(step, []).append(_timed(version, step, number, copies))
    for clones in copies.values():
        for clone in clones:
            shutil.rmtree(clone, ignore_errors=True)
    for version in versions:
        for output in version.site.glob("clean-*"):
            shutil.rmtree(output, ignore_errors=True)


def _timed(
    version: Version, step: str, number: int, copies: dict[tuple[str, str], list[Path]]
) -> float:
    """One timed build of a step."""
    if step == "changed":
        retitle(version.site, number)
    if step == "quality":
        requality(version.site, number)
    if step == "added":
        add_record(version.site, number)
    if step == "deleted":
        delete_record(version.site, number)
    if step == "ci-changed":  # as a commit would change it: its time moves like every file's
        retitle(copies[version.label, step][number], number + 100)
    if step in RESTORED_STEPS:
        return version.build(copies[version.label, step][number])
    if step == "clean":  # into a new folder each time, all removed after the last
        output = version.site / f"clean-{number}"
        return version.build(extra=("--no-cache", "--output", str(output)))
    return version.build()


def summary(versions: list[Version], steps: list[str]) -> list[str]:
    """The table's rows: each step's figures for each version, then the second against the first."""
    base, new = versions
    rows = []
    for step in steps:
        for version in versions:
            times = version.times[step]
            rows.append(
                f"{step:<10} | {version.name:<12} | mean {statistics.mean(times):6.3f} s | "
                f"median {statistics.median(times):6.3f} s | {min(times):6.3f}-{max(times):.3f} s"
            )
        pairs = list(zip(base.times[step], new.times[step], strict=True))
        ratio = statistics.mean(new.times[step]) / statistics.mean(base.times[step])
        faster = sum(b > n for b, n in pairs)
        rows.append(
            f"{step:<10} | {new.name} / {base.name}: {ratio:.2f} of the mean; "
            f"faster in {faster} of {len(pairs)} rounds"
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    """Set up both revisions' sites, time the rounds, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base", help="the revision to compare against (git)")
    parser.add_argument("new", nargs="?", default="HEAD", help="the revision compared (git)")
    parser.add_argument("--size", type=int, default=10_000, help="records")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--site", choices=sorted(CONFIGS), default="default")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=["changed"])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--pause", type=float, default=30, help="seconds after restoring copies")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="digestgen-ab-"))
    content = workdir / "records"
    set_aside(content)  # a previous run's, as bench.run does: deleted after the last timing
    generate(args.size, content)
    versions = []
    for label, revision in (("a", args.base), ("b", args.new)):
        tree = export(revision, workdir / f"tree-{label}")
        site = make_bench_site(f"{args.site}-{label}", CONFIGS[args.site], args.size, workdir,
                               content)  # fmt: skip
        versions.append(Version(label, revision, tree, site.folder))
    for version in versions:
        version.build()  # the clean build each later step starts from
    time_rounds(versions, args.steps, args.rounds, args.pause)
    print(f"A/B in {workdir}: {args.site} site, {args.size:,} records, {args.rounds} rounds")
    for row in summary(versions, args.steps):
        print(row)
    shutil.rmtree(workdir / SET_ASIDE, ignore_errors=True)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
