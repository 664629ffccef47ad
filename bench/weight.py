"""Where a built site's bytes go: bytes and files by kind of output, largest first.

    python -m bench.weight public/
    python -m bench.weight public/ --against old-public/   # before and after, side by side

The kinds follow the site's address scheme (docs/architecture.md): story and edition pages
under /YYYY/MM/DD/, topic and outlet listings with their feeds, the feed archive, the search
index, the site's own feeds and everything else.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FEED_NAMES = ("feed.xml", "atom.xml", "feed.json")
_DAY = r"\d{4}/\d\d/\d\d/"
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("search index", r"pagefind/"),
        ("feed archive", r"feeds/archive/"),
        ("daily digest feed", r"daily/"),
        ("site feeds", r"(feed\.xml|atom\.xml|feed\.json)$"),
        ("story pages", _DAY + r"[^/]+/index\.html$"),
        ("edition feeds", _DAY + r"(feed\.xml|atom\.xml|feed\.json)$"),
        ("edition pages", _DAY + r"index\.html$|\d{4}/(\d\d/)?index\.html$"),
        ("topic feeds", r"topics/.+/(feed\.xml|atom\.xml|feed\.json)$"),
        ("topic pages", r"topics/"),
        ("outlet feeds", r"sources/.+/(feed\.xml|atom\.xml|feed\.json)$"),
        ("outlet pages", r"sources/"),
        ("other feeds", r"(^|/)(feed\.xml|atom\.xml|feed\.json)$"),
        ("archive pages", r"archive/"),
        ("sitemap", r"sitemap"),
        ("theme static files", r"(css|js|fonts|images)/|[^/]*\.(png|svg|ico)$"),
    )
)


def kind_of(path: str) -> str:
    """The kind of output a path (relative to the output folder, with `/`) is."""
    return next((kind for kind, pattern in _KINDS if pattern.match(path)), "other")


def weigh(output: Path) -> tuple[Counter[str], Counter[str]]:
    """Bytes and files by kind of every file under `output` (digestgen's marker left out)."""
    sizes: Counter[str] = Counter()
    files: Counter[str] = Counter()
    for path in output.rglob("*"):
        if path.is_file() and path.name != ".digestgen-site":
            kind = kind_of(path.relative_to(output).as_posix())
            sizes[kind] += path.stat().st_size
            files[kind] += 1
    return sizes, files


def table(output: Path, against: Path | None = None) -> str:
    """The weight table of `output`, largest kind first, beside `against`'s if given."""
    sizes, files = weigh(output)
    old_sizes, old_files = weigh(against) if against else (Counter[str](), Counter[str]())
    kinds = sorted(set(sizes) | set(old_sizes), key=lambda k: -max(sizes[k], old_sizes[k]))
    head = f"{'kind':<20} | {'MB':>8} | {'files':>7}"
    if against:
        head += f" | {'MB before':>9} | {'files before':>12}"
    lines = [head, "-" * len(head)]
    for kind in [*kinds, "total"]:
        size = sum(sizes.values()) if kind == "total" else sizes[kind]
        count = sum(files.values()) if kind == "total" else files[kind]
        line = f"{kind:<20} | {size / 1e6:>8.2f} | {count:>7}"
        if against:
            old_size = sum(old_sizes.values()) if kind == "total" else old_sizes[kind]
            old_count = sum(old_files.values()) if kind == "total" else old_files[kind]
            line += f" | {old_size / 1e6:>9.2f} | {old_count:>12}"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    """Print the weight table of the output folder named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="a built site's output folder")
    parser.add_argument("--against", type=Path, help="another build of it, to compare with")
    args = parser.parse_args()
    print(table(args.output, args.against))


if __name__ == "__main__":
    main()
