"""Record text that looks like markup in RSS and Atom: nothing the W3C feed validator warns about
(tests/helpers/feeds.py applies its plain-text rules), and readers still show the text itself."""

from __future__ import annotations

import json

import lxml.etree
import pytest

from tests.helpers import BASE_URL, BuildResult
from tests.helpers.feeds import (
    NS,
    check_feed,
    feed_files,
    hostile_record,
    parse_xml,
    plain_text_warning,
    shown_text,
)

MARKUP = "<script>alert(1)</script> and AT&T"
ENTITY = "Fish &amp; chips &lt;b&gt; &#169;"  # literal entity text, not markup
TOPIC_PATH = "topics/plain/"


def markup_site(site_builder, config: str = "", **more: str) -> BuildResult:
    records = {**more,
        "markup.md": hostile_record(
            "markup", MARKUP, excerpt=MARKUP, topics=[MARKUP, "Plain"],
            provider={"name": MARKUP, "domain": "markup.example.com"},
            related=[{"title": MARKUP, "webUrl": "https://rel.example.com/a?b=1&c=2",
                      "provider": {"name": MARKUP, "domain": "rel.example.com"}}],
        ),
        "entity.md": hostile_record(
            "entity", ENTITY, excerpt=ENTITY, topics=[ENTITY, "Plain"],
            provider={"name": ENTITY, "domain": "entity.example.com"},
        ),
    }  # fmt: skip
    result = site_builder(records, config=config)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.mark.parametrize("config", ["", "feed_summary_only = true\n"])
def test_text_that_looks_like_markup_passes_the_validators_plain_text_rules(site_builder, config):
    # No excerpt: with summaries only, an Atom entry's text is its title, as in JSON Feed.
    bare = hostile_record("bare", MARKUP + " bare", provider={"domain": "markup.example.com"})
    result = markup_site(site_builder, config, **{"bare.md": bare})
    paths = [p for p in feed_files(result.output) if not p.endswith(".json")]
    assert len(paths) == 2 * 8  # the site, 3 topics, 3 outlets (1 of coverage), the day
    for path in paths:
        check_feed(result.output, path, BASE_URL)


def test_readers_show_the_records_text_itself(site_builder):
    result = markup_site(site_builder)
    for name in ("feed.xml", "atom.xml", f"{TOPIC_PATH}feed.xml", f"{TOPIC_PATH}atom.xml"):
        data = (result.output / name).read_bytes()
        entries = {e.link.rsplit("/", 2)[-2]: e for e in parse_xml(data, name).entries}
        assert set(entries) == {"script-alert-1-script-and-at-t", "fish-chips-b"}
        markup, entity = entries["script-alert-1-script-and-at-t"], entries["fish-chips-b"]
        # Markup is declared HTML (Atom) or escaped as HTML, which readers take it for (RSS).
        assert markup.title_detail.type == "text/html", name
        assert shown_text(markup.title_detail) == MARKUP, name
        if name.endswith("atom.xml"):
            # A topic feed's item is a summary: the excerpt, then who else covered it.
            summary = shown_text(markup.summary_detail).split(" Also covered by ")[0]
            assert summary == MARKUP, name
            # Other text stays plain text, its & and < as hexadecimal character references.
            assert entity.title_detail.type == "text/plain", name
            assert entity.title == entity.summary.split(" Also covered by ")[0] == ENTITY, name
            assert {t.term for t in markup.tags} == {MARKUP, "Plain"}, name
            # A person's name is plain text only: an outlet name that reads as markup gives way
            # to the outlet's domain; a related link's title is left out.
            assert markup.author == "markup.example.com"
            assert entity.author == ENTITY
            related = [link for link in markup.links if link.rel == "related"]
            assert related and "title" not in related[0], name
        else:
            # RSS titles are ambiguous once they look like HTML (feedparser takes entities for
            # HTML): the XML text of one without markup stays the plain title.
            titles = lxml.etree.fromstring(data).xpath("//item/title/text()")
            assert ENTITY in titles, name
            assert {t.term for t in markup.tags} == {"Plain"}, name  # in Atom and JSON only
            assert {t.term for t in entity.tags} == {ENTITY, "Plain"}, name
            assert markup.source.title == "markup.example.com", name
            assert entity.source.title == ENTITY, name
    feed = json.loads(result.read("feed.json"))  # JSON Feed strings are plain text anyway
    assert {item["title"] for item in feed["items"]} == {MARKUP, ENTITY}
    ids = {
        BASE_URL + f"2025/05/01/{slug}/"
        for slug in ("script-alert-1-script-and-at-t", "fish-chips-b")
    }
    assert {item["id"] for item in feed["items"]} == ids  # the same ids in every format
    for name in ("feed.xml", "atom.xml"):
        assert {
            e.id for e in parse_xml(result.output.joinpath(name).read_bytes(), name).entries
        } == ids


def test_markup_in_a_topic_name_is_declared_in_its_feeds_title(site_builder):
    result = markup_site(site_builder)
    topic = next(p for p in feed_files(result.output) if "script" in p and p.endswith("atom.xml"))
    root = lxml.etree.fromstring((result.output / topic).read_bytes())
    title = root.find("a:title", NS)
    assert title.get("type") == "html" and MARKUP in shown_text(
        parse_xml((result.output / topic).read_bytes(), topic).feed.title_detail
    )


@pytest.mark.parametrize(
    ("value", "raw", "rss", "warns"),
    [
        (MARKUP, "<title>&#x3C;script>alert(1)&#x3C;/script> and AT&#x26;T</title>", True, True),
        ("Fish &amp; chips", "<title>Fish &amp;amp; chips</title>", False, True),
        ("Fish &amp; chips", "<title>Fish &#x26;amp; chips</title>", False, False),
        ("1 <b> 2", "<title>1 &lt;b> 2</title>", True, True),
        ("1 <b> 2", "<title>1 &lt;b> 2</title>", False, False),
        ("1 <b> 2", "<title>1 &#x3C;b> 2</title>", True, False),
        ("AT&T", "<title>AT&amp;T</title>", True, False),  # "&T" is no entity
    ],
)
def test_the_plain_text_rule_is_the_validators(value, raw, rss, warns):
    """The helper's rule agrees with the W3C validator on these (each checked against it)."""
    assert (plain_text_warning(value, [raw], rss) is not None) == warns
