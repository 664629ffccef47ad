"""The README's screenshot of the front page (docs/front-page.png), made reproducibly.

    python -m bench.screenshot [docs/front-page.png]

Builds the seed record and nine invented stories from fictional outlets (check --strict clean),
serves the site with netlify.toml's headers and photographs the front page at 1200x860 in
Chromium, with the hot-linked images answered by drawn placeholders (there is no network here).
"""
# ruff: noqa: E501

from __future__ import annotations

import sys
import tempfile
import zlib
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.helpers import SEED_NAME, SEED_PATH, make_site, record, run_cli
from tests.helpers.serving import serve

NOW = "2026-03-12T18:30:00Z"
OUTLETS = {
    "Harbor Ledger": "harborledger.example.com",
    "Circuit Weekly": "circuitweekly.example.com",
    "Northwind Tribune": "northwind.example.com",
    "The Grid Report": "gridreport.example.com",
    "Orbital Post": "orbitalpost.example.com",
    "Mainline Business": "mainline.example.com",
    "Field & Bench": "fieldbench.example.com",
    "Coastline Daily": "coastline.example.com",
}
NAMES = list(OUTLETS)
STORIES = [  # title, topics, heat, excerpt, note
    (
        "EU regulators open inquiry into cloud providers' egress fees",
        "Policy",
        "Cloud",
        92,
        "The European Commission asked the three largest cloud providers to explain what they charge customers to move data out, the first step of a formal competition inquiry.",
        "The fees have been the main complaint of smaller software firms for years. Whether the inquiry ends in rules or settlements will decide what switching costs look like across Europe.",
    ),
    (
        "Chipmaker delays its 2-nanometre factory in Arizona to 2028",
        "Semiconductors",
        "Markets",
        85,
        "The company cited a shortage of skilled workers and slower-than-expected demand from smartphone makers, and said its existing plants would absorb the orders.",
        "",
    ),
    (
        "Grid operators warn of winter shortfalls as data centres draw more power",
        "Energy",
        "Cloud",
        80,
        "A report from the regional operators says new data centres added more demand last year than every other industrial customer combined.",
        "The numbers are estimates, but they agree with what utilities have been telling regulators since the spring.",
    ),
    (
        "Open-source maintainers vote to relicense the database after cloud dispute",
        "Open Source",
        "Databases",
        74,
        "The project's steering committee approved a switch to a copyleft licence by a wide margin; the change applies to releases from the next major version.",
        "",
    ),
    (
        "Launch of the weather satellite slips a week after a sensor fault",
        "Space",
        "Climate",
        66,
        "Engineers found a fault in the satellite's infrared sounder during final checks; the agency says the replacement part is already on site.",
        "",
    ),
    (
        "Battery recycler raises $400 million to build its second plant",
        "Batteries",
        "Startups",
        61,
        "The plant, in Nevada, is meant to recover lithium, nickel and cobalt from 100,000 tonnes of used cells a year when it is running at full speed.",
        "",
    ),
    (
        "Hospital network restores systems three weeks after ransomware attack",
        "Security",
        "Health",
        58,
        "Appointments and records are back online at all 14 hospitals; the network has not said whether it paid the attackers.",
        "",
    ),
    (
        "Streaming service ends password sharing in six more countries",
        "Streaming",
        "Markets",
        50,
        "Members who share an account outside their household will be asked to pay for an extra member or move the profile to a new account.",
        "",
    ),
    (
        "University team shows a quantum error-correction code running for a full day",
        "Quantum",
        "Science",
        44,
        "The experiment kept a logical qubit alive for more than 24 hours, far longer than any previous demonstration on superconducting hardware.",
        "",
    ),
]


def screenshot_records() -> dict[str, str | bytes]:
    """The seed record and the invented stories, each with coverage from other outlets."""
    records: dict[str, str | bytes] = {SEED_NAME: SEED_PATH.read_bytes()}
    for i, (title, t1, t2, heat, excerpt, note) in enumerate(STORIES):
        when = f"2026-03-12T{17 - i:02d}:{(i * 13) % 60:02d}:00Z"
        lead = NAMES[i % len(NAMES)]
        slug = "-".join(title.lower().replace("'", "").replace("$", "").split()[:6])
        related = [
            {
                "title": f"{title.split(' ', 3)[-1].capitalize()}: what it means",
                "webUrl": f"https://{OUTLETS[o]}/2026/03/12/{slug}",
                "publishedDateTime": f"2026-03-12T{18 - i:02d}:{(i * 7) % 60:02d}:00Z",
                "provider": {"name": o, "domain": OUTLETS[o]},
                "quality": 60,
            }
            for o in (NAMES[(i + k) % len(NAMES)] for k in range(1, 2 + (i * 5) % 4))
        ]
        text = record(
            title,
            f"https://{OUTLETS[lead]}/2026/03/12/{slug}",
            when,
            excerpt=excerpt,
            heat=heat,
            quality=70,
            topics=[t1, t2],
            provider={"name": lead, "domain": OUTLETS[lead]},
            images=[
                {"url": f"https://img.{OUTLETS[lead]}/{slug}.jpg", "width": 1200, "height": 675}
            ],
            related=related,
        )
        records[f"story-{i}.md"] = text + (note + "\n" if note else "")
    return records


HUES = [
    (214, 38),
    (28, 60),
    (160, 34),
    (270, 30),
    (6, 48),
    (195, 52),
    (45, 55),
    (330, 30),
    (120, 28),
]


def picture(url: str) -> str:
    """A drawn landscape standing in for a hot-linked image, its colour chosen by its URL."""
    h, s = HUES[zlib.crc32(url.encode()) % len(HUES)]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675"><defs><linearGradient id="g" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({h},{s}%,42%)"/><stop offset="1" stop-color="hsl({h + 30},{s}%,72%)"/></linearGradient></defs>'
        f'<rect width="1200" height="675" fill="url(#g)"/><circle cx="930" cy="190" r="80" fill="hsla(48,90%,85%,.8)"/>'
        f'<path d="M0 675 L330 330 L560 560 L780 380 L1200 675Z" fill="hsla({h},{s}%,22%,.55)"/></svg>'
    )


def main() -> None:
    """Build the screenshot site and photograph its front page into the path given (or docs/)."""
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/front-page.png").resolve()
    root = make_site(
        Path(tempfile.mkdtemp(prefix="shot-")) / "site", screenshot_records(), search=True
    )
    toml = root / "digestgen.toml"
    toml.write_text(toml.read_text().replace('"Test Digest"', '"Tech Digest"'))
    config = str(toml)
    code, _, err = run_cli(["build", "--config", config, "--now", NOW, "--no-cache", "--quiet"])
    if code != 0:
        raise SystemExit(err)
    code, _, err = run_cli(["check", "--strict", "--config", config, "--now", NOW])
    if code != 0:
        raise SystemExit(f"check --strict failed:\n{err}")
    server, base = serve(root / "public")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page(viewport={"width": 1200, "height": 860})
            page.route(
                lambda url: not url.startswith(base),
                lambda route: route.fulfill(
                    status=200, content_type="image/svg+xml", body=picture(route.request.url)
                ),
            )
            page.goto(base + "/")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(target))
            browser.close()
    finally:
        server.shutdown()
    print(target)


if __name__ == "__main__":
    main()
