"""Deterministic synthetic records in the seed's format, for benchmarks; never committed.

python -m bench.generate N FOLDER [--seed S]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

TOPICS = [
    "AI", "Computer Vision", "Robotics", "Semiconductors", "Cloud", "Security", "Privacy",
    "Open Source", "Programming", "Databases", "Networking", "Space", "Climate", "Energy",
    "Batteries", "Electric Vehicles", "Biotech", "Health", "Policy", "Antitrust", "Europe",
    "Asia", "Startups", "Venture Capital", "Markets", "Crypto", "Gaming", "Mobile", "Wearables",
    "Social Media", "Streaming", "Music", "Film", "Education", "Science", "Physics", "Quantum",
    "Telecom", "Drones", "Supply Chain",
]  # fmt: skip
_WORD_TEXT = (
    "synthetic sample placeholder record digest story coverage outlet report update analysis "
    "market device network model data system launch release study plan rule test benchmark "
    "growth review company platform service research signal source index build feature"
)
WORDS = tuple(_WORD_TEXT.split())
OUTLETS = [(f"Synthetic Outlet {n}", f"outlet{n}.example.com") for n in range(60)]
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600


def sentence(rng: random.Random, words: int) -> str:
    """A clearly synthetic sentence of `words` words."""
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:]


def note(rng: random.Random, index: int) -> str:
    """A ~150-word Markdown note with a link and a list."""
    paragraphs = [sentence(rng, 40) + ".", sentence(rng, 40) + "."]
    link = f"See [the synthetic background piece](https://notes.example.org/{index})."
    items = "\n".join(f"- {sentence(rng, 8)}" for _ in range(4))
    return "\n\n".join([paragraphs[0], link, items, paragraphs[1], sentence(rng, 30) + "."])


def coverage_item(rng: random.Random, index: int, number: int, when: datetime) -> dict[str, object]:
    """One related item from another synthetic outlet."""
    name, domain = rng.choice(OUTLETS)
    moment = when + timedelta(minutes=rng.randint(5, 900))
    return {
        "title": f"Synthetic coverage {index}-{number}: {sentence(rng, 8)}",
        "excerpt": sentence(rng, 25) + ".",
        "publishedDateTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "webUrl": f"https://{domain}/coverage/{index}/{number}",
        "type": "article",
        "provider": {"name": name, "domain": domain},
        "quality": rng.randint(0, 100),
        "images": [{"url": f"https://img.{domain}/{index}-{number}.jpg", "width": 1200,
                    "height": 675, "isCached": True}],
    }  # fmt: skip


def record_text(rng: random.Random, index: int) -> str:
    """One synthetic record file's text."""
    when = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
    name, domain = rng.choice(OUTLETS)
    url = f"https://{domain}/story/{index}"
    fields: dict[str, object] = {
        "category": "news",
        "title": f"Synthetic story {index}: {sentence(rng, 9)}",
        "excerpt": sentence(rng, 30) + ".",
        "publishedDateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "originalUrl": url,
        "webUrl": url,
        "ampWebUrl": url + "?amp",
        "type": rng.choice(["article"] * 8 + ["video", "slideshow"]),
        "quality": rng.randint(0, 100),
        "heat": rng.randint(0, 100),
        "provider": {"name": name, "domain": domain},
        "topics": rng.sample(TOPICS, rng.randint(1, 3)),
        "images": [{"url": f"https://img.{domain}/{index}.jpg", "width": 814, "height": 458,
                    "isCached": True}],
        "related": [coverage_item(rng, index, n, when) for n in range(rng.randint(0, 5))],
        "secured": base64.b64encode(rng.randbytes(96)).decode() + ";synthetic",
    }  # fmt: skip
    lines = ["---"] + [f"{key}: {json.dumps(value)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n---\n" + note(rng, index) + "\n"


def generate(count: int, folder: Path, seed: int = 1) -> list[Path]:
    """Write `count` synthetic records into folder; the same seed gives the same files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"{index // 1000:03d}" / f"synthetic-{index:06d}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(record_text(rng, index), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.count, args.folder, args.seed)
