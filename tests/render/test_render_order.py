"""The order jobs are rendered in: newest stories first (`newest_shown`), by the instant each
story was published, whatever zone its record wrote the time in."""

from __future__ import annotations

from digestgen.config import SiteConfig
from digestgen.render.pages import plan_pages
from digestgen.render.site import newest_shown, stories_shown
from digestgen.stories.assemble import assemble_site
from tests.helpers import BASE_URL
from tests.helpers.factories import at, rec


def test_a_job_is_ordered_by_the_instant_of_the_newest_story_it_shows():
    times = {
        "late-west": "2025-04-10T23:30:00-05:00",  # 04:30 UTC on the 11th: the newest instant
        "utc": "2025-04-11T03:00:00+00:00",
        "east": "2025-04-11T02:00:00+02:00",  # midnight UTC
    }
    records = [
        rec(f"{name}.md", f"https://news.example.com/{name}", title=f"Story {name}", when=when)
        for name, when in times.items()
    ]
    config = SiteConfig(title="T", base_url=BASE_URL)
    _, site, _ = assemble_site(records, config, at("2025-04-12T00:00:00Z"), drafts=False)
    jobs = plan_pages(site, config)
    newest = at(times["late-west"]).timestamp()
    [home] = [job for job in jobs if job.output_path == "index.html"]
    assert newest_shown(home) == newest
    for job in jobs:
        shown = [story.published.timestamp() for story in stories_shown(job)]
        assert newest_shown(job) == max(shown, default=0.0), job.output_path
    assert any(newest_shown(job) == 0.0 for job in jobs)  # a page showing no story
