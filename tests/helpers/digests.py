"""Whole digests of record files for site and browser tests: a sparse one, a story or two a day,
with what a curator's records carry (coverage, images, topics, a note)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.helpers import record

WORDS = ("regulators", "weigh", "new", "rules", "for", "cloud", "providers", "as", "outages",
         "spread", "across")  # fmt: skip
TOPICS = ("Cloud", "Policy", "Energy", "Security", "Markets")


def sparse_digest(last_day: str, days: int = 30, per_day: int = 2) -> dict[str, str | bytes]:
    """`per_day` stories a day for `days` days up to `last_day` (YYYY-MM-DD), from 09:00 UTC
    every eight hours, each with four pieces of coverage, an image, two topics and a note."""
    end = datetime.fromisoformat(last_day + "T09:00:00+00:00")
    records: dict[str, str | bytes] = {}
    for back in range(days):
        for n in range(per_day):
            when = end - timedelta(days=back) + timedelta(hours=8 * n)
            stamp, key = when.strftime("%Y-%m-%dT%H:%M:%SZ"), f"{when:%Y%m%d}-{n}"
            title = f"Story {key}: " + " ".join(WORDS[(back + n) % 5 :][:9])
            related = [
                {
                    "title": f"Coverage {k} of story {key}",
                    "webUrl": f"https://cover{k}.example.net/{key}",
                    "publishedDateTime": stamp,
                    "provider": {"name": f"Cover Outlet {k}", "domain": f"cover{k}.example.net"},
                }
                for k in range(4)
            ]
            text = record(
                title,
                f"https://lead{n}.example.com/{key}",
                stamp,
                excerpt=" ".join(WORDS * 2),
                heat=(back * 7 + n * 3) % 50,
                quality=50,
                topics=[TOPICS[(back + n) % len(TOPICS)], TOPICS[(back + n + 1) % len(TOPICS)]],
                provider={"name": f"Lead Outlet {n}", "domain": f"lead{n}.example.com"},
                images=[
                    {"url": f"https://img.example.com/{key}.jpg", "width": 1200, "height": 675}
                ],
                related=related,
            )
            records[f"{key}.md"] = text + "Why the story matters, in the curator's words. " * 6
    return records
