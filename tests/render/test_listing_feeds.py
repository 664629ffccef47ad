"""Topic and outlet feeds hold the newest `listing_feed_size` stories (default 20, at most
`feed_size`), the site's feed its newest `feed_size`: a smaller site (issue 15)."""

from __future__ import annotations

import json

import feedparser
import pytest

from digestgen.config import SiteConfig, parse_config
from tests.helpers import BASE_URL, BuildResult, record
from tests.helpers.feeds import check_feed

STORIES = 25
LISTINGS = ("topics/space/", "sources/space.example.com/")


def stories() -> dict[str, str | bytes]:
    """STORIES stories of one topic from one outlet, an hour apart."""
    return {
        f"s{n}.md": record(
            f"Launch {n}",
            url=f"https://space.example.com/launch-{n}",
            when=f"2025-03-01T{n % 24:02}:{n // 24:02}:00Z",
            topics=["Space"],
            provider={"name": "Space Times", "domain": "space.example.com"},
        )
        for n in range(STORIES)
    }


def items(result: BuildResult, folder: str) -> dict[str, list[str]]:
    """The item ids of a listing's feed in each format, each feed checked valid."""
    ids = {}
    for name in ("feed.xml", "atom.xml"):
        check_feed(result.output, folder + name, BASE_URL)
        parsed = feedparser.parse(result.read(folder + name))
        assert not parsed.bozo, parsed.bozo_exception
        ids[name] = [entry.id for entry in parsed.entries]
    feed = json.loads(result.read(folder + "feed.json"))
    ids["feed.json"] = [item["id"] for item in feed["items"]]
    return ids


def test_listing_feeds_hold_twenty_items_by_default_the_site_feed_fifty(site_builder):
    result = site_builder(stories())
    assert result.exit_code == 0, result.stderr
    site = items(result, "")
    assert all(len(ids) == STORIES for ids in site.values())
    for folder in LISTINGS:
        for name, ids in items(result, folder).items():
            assert ids == site[name][:20], folder + name  # the newest twenty, newest first


@pytest.mark.parametrize(("config", "expected"), [
    ("listing_feed_size = 3\n", 3),
    ("feed_size = 10\n", 10),  # never more than the site's feed by default
    ("feed_size = 10\nlisting_feed_size = 12\n", 12),
])  # fmt: skip
def test_listing_feed_size_sets_the_items_of_topic_and_outlet_feeds(site_builder, config, expected):
    result = site_builder(stories(), config=config)
    assert result.exit_code == 0, result.stderr
    site = items(result, "")
    for folder in LISTINGS:
        for name, ids in items(result, folder).items():
            assert len(ids) == expected, folder + name
            if expected <= len(site[name]):
                assert ids == site[name][:expected]


@pytest.mark.parametrize("value", ["0", "10001", "true", '"20"'])
def test_a_bad_listing_feed_size_is_an_error_naming_the_key(site_builder, value):
    result = site_builder(stories(), config=f"listing_feed_size = {value}\n")
    assert result.exit_code == 1
    assert "listing_feed_size: must be a whole number from 1 to 10000" in result.stderr


def test_the_default_is_twenty_or_feed_size_if_smaller(tmp_path):
    assert SiteConfig().listing_feed_items == 20
    assert parse_config({"feed_size": 7}, "site.toml", tmp_path).listing_feed_items == 7
    assert parse_config({"listing_feed_size": 60}, "site.toml", tmp_path).listing_feed_items == 60
