"""The import benchmark: `digestgen import` of one RSS feed of N synthetic items.

    python -m bench.importing                      # N = 10,000 and 50,000
    python -m bench.importing --sizes 1000 --workdir /tmp/bench-import

For each N it prints wall seconds and peak memory of a first import into an empty content
folder, and of a second import of the same feed (every item unchanged, no file touched).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from bench.generate import OUTLETS, START, TOPICS, sentence
from bench.run import CONFIG, Run, measure


def rss_item(rng: random.Random, index: int) -> str:
    """One RSS item: a title, a link, a guid, a date, an HTML summary and two categories."""
    published = START + timedelta(seconds=index * 600)
    _, domain = OUTLETS[index % len(OUTLETS)]
    summary = f"<p>{sentence(rng, 30)}.</p><p>{sentence(rng, 20)} &amp; more.</p>"
    categories = "".join(f"<category>{topic}</category>" for topic in rng.sample(TOPICS, 2))
    return (
        f"<item><title>{escape(sentence(rng, 8))} {index}</title>"
        f"<link>https://{domain}/stories/{index}</link>"
        f'<guid isPermaLink="false">synthetic-{index}</guid>'
        f"<pubDate>{published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<description>{escape(summary)}</description>{categories}</item>"
    )


def rss_feed(count: int) -> str:
    """An RSS 2.0 feed of `count` deterministic synthetic items."""
    rng = random.Random(count)
    items = "\n".join(rss_item(rng, index) for index in range(count))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Synthetic wire</title><link>https://wire.example.com/</link>"
        f"<description>Synthetic items</description>\n{items}\n</channel></rss>\n"
    )


def bench_import(count: int, workdir: Path, python: str) -> dict[str, Run]:
    """A first import of N items into an empty site, then the same import again."""
    site = workdir / f"import-{count}"
    shutil.rmtree(site, ignore_errors=True)
    (site / "content").mkdir(parents=True)
    (site / "digestgen.toml").write_text(CONFIG, encoding="utf-8")
    feed = site / "feed.xml"
    feed.write_text(rss_feed(count), encoding="utf-8")
    command = [python, "-m", "digestgen", "import", str(feed)]
    return {"first import": measure(command, site), "re-import": measure(command, site)}


def main() -> None:
    """Run the import benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000])
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="digestgen-bench-import-"))
    print(f"{'items':>8} | {'run':<12} | {'seconds':>8} | {'peak MiB':>8} | summary")
    for count in args.sizes:
        for label, run in bench_import(count, workdir, sys.executable).items():
            summary = run.output.strip().splitlines()[-1]
            figures = f"{run.seconds:8.2f} | {run.peak_mib:8.0f}"
            print(f"{count:>8} | {label:<12} | {figures} | {summary}")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
