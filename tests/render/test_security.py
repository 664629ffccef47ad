"""Safety of the built site: hostile records give inert pages and feeds; no secrets, no drafts."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest

from tests.helpers import (
    BASE_URL,
    SEED_NAME,
    SEED_SECURED,
    BuildResult,
    build_in,
    make_site,
    parse_html,
    record,
)
from tests.helpers.feeds import check_plain_text, shown_text
from tests.helpers.hostile import (
    EXCERPT,
    LEAD_IMAGE,
    LEAD_URL,
    PAYLOAD,
    PROVIDER,
    RELATED_EXCERPT,
    RELATED_PROVIDER,
    RELATED_TITLE,
    RELATED_URL,
    TITLE,
    TOPIC,
    hostile_corpus,
)

FORBIDDEN_ELEMENTS = {"iframe", "object", "embed", "frame", "frameset", "applet", "base", "form"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href"}
BAD_SCHEMES = re.compile(rb"(?i)(javascript|vbscript|livescript):|data:(text|image|application)")


def local_name(element: lxml.etree._Element) -> str:
    return lxml.etree.QName(element).localname.lower()


def attributes(element: lxml.etree._Element) -> list[tuple[str, str]]:
    """An element's attributes with plain names (`xlink:href` rather than the namespaced form)."""
    named = []
    for key, value in element.attrib.items():
        name = key.rsplit("}", 1)[-1].lower()
        named.append(("xlink:href" if key.endswith("}href") else name, value))
    return named


def news_article(page: lxml.etree._Element) -> dict[str, object]:
    """The story page's JSON-LD NewsArticle (its one JSON-LD block also holds breadcrumbs)."""
    [block] = page.xpath("//script[@type='application/ld+json']/text()")
    [article] = [item for item in json.loads(block) if item["@type"] == "NewsArticle"]
    return article


def assert_inert(tree: lxml.etree._Element, where: str, *, scripts_allowed: bool) -> None:
    """No script but JSON-LD, no event handler, no foreign frame, no non-http(s) URL."""
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        name = local_name(element)
        if name == "script":
            assert scripts_allowed, f"{where}: a script element"
            if element.get("type") != "application/ld+json":  # else one of the theme's files
                source = element.get("src", "")
                assert source.startswith("/js/") and not element.text, f"{where}: a script"
        assert name not in FORBIDDEN_ELEMENTS, f"{where}: <{name}>"
        if name == "meta":
            assert element.get("http-equiv") is None, f"{where}: <meta http-equiv>"
        if name == "link" and element.get("rel") == "stylesheet":
            assert not urlsplit(element.get("href", "")).netloc, f"{where}: foreign stylesheet"
        for attribute, value in attributes(element):
            assert not attribute.startswith("on"), f"{where}: <{name} {attribute}>"
            assert attribute != "style", f"{where}: <{name} style>"
            if attribute in URL_ATTRIBUTES:
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in ("", "http", "https"), f"{where}: <{name} {attribute}={value!r}>"


def texts(tree: lxml.etree._Element) -> list[str]:
    """Every text node and attribute value, as a reader of the page would see them."""
    found = [t for t in tree.xpath("//text()")]
    for element in tree.iter():
        if isinstance(element.tag, str):
            found.extend(value for _, value in attributes(element))
    return found


def visible(element: lxml.etree._Element) -> str:
    return " ".join(element.xpath("string(.)").split())


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> BuildResult:
    root = make_site(tmp_path_factory.mktemp("hostile") / "site", hostile_corpus())
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    return result


def story_path(result: BuildResult, prefix: str) -> str:
    [path] = [p for p in result.files() if p.startswith("2025/03/01/" + prefix)]
    return path


def test_hostile_records_are_built_not_skipped(hostile_site):
    assert "stories built:      2" in hostile_site.stdout
    assert "records skipped:    0" in hostile_site.stdout
    for field in ("originalUrl", "ampWebUrl", "cdnAmpWebUrl", "provider.domain", "body"):
        assert f"hostile.md: {field}" in hostile_site.stderr, field
    assert "related[1].webUrl" in hostile_site.stderr


def test_no_page_has_scripts_handlers_frames_or_bad_urls(hostile_site):
    pages = {p: d for p, d in hostile_site.files().items() if p.endswith(".html")}
    assert len(pages) >= 12
    for path, data in pages.items():
        assert_inert(parse_html(data).getroot(), path, scripts_allowed=True)
        lxml_tree = lxml.html.document_fromstring(data)
        assert_inert(lxml_tree, path + " (lxml)", scripts_allowed=True)


def test_no_output_file_contains_a_forbidden_url_scheme(hostile_site):
    for path, data in hostile_site.files().items():
        assert not BAD_SCHEMES.search(data), (path, BAD_SCHEMES.search(data))


def test_payload_text_is_escaped_exactly_once(hostile_site):
    path = story_path(hostile_site, "title-script")
    page = parse_html(hostile_site.files()[path])
    assert visible(page.xpath("//h1")[0]) == TITLE
    assert page.xpath("string(//head/title)").startswith(TITLE)
    assert page.xpath("//meta[@property='og:title']/@content") == [TITLE]
    assert page.xpath("//meta[@name='description']/@content") == [EXCERPT]
    assert visible(page.xpath("//p[@class='excerpt']")[0]) == EXCERPT
    assert visible(page.xpath("//p[@class='byline']/a")[0]) == PROVIDER
    coverage = page.xpath("//section[@class='coverage']")[0]
    related = coverage.xpath(".//li[not(contains(@class, 'lead-piece'))]")[0]
    assert [visible(a) for a in related.xpath(".//h3/a")] == [RELATED_TITLE]
    assert related.xpath(".//h3/a/@href") == [RELATED_URL]
    assert visible(related.xpath(".//p[@class='excerpt']")[0]) == RELATED_EXCERPT
    assert visible(related.xpath(".//*[@class='outlet']")[0]) == RELATED_PROVIDER
    topics = [visible(a) for a in page.xpath("//ul[@class='topics']//a")]
    assert topics == [TOPIC, "<img src=x onerror=alert(1)>"]
    assert page.xpath("//img[contains(@class, 'lead-image')]/@src") == [LEAD_IMAGE]
    assert page.xpath("//p[@class='source-link']/a/@href") == [LEAD_URL]
    note = visible(page.xpath("//*[@class='note']")[0])
    # In the body, `<svg ...>` is raw HTML (removed); the rest is text, kept literally.
    assert note.startswith("Curator says hello.")
    assert note.endswith('Breakers: "> ]]> {{ 7*7 }} {% raw %} {% endraw %} end.')
    assert "49" not in note and "49" not in visible(page.xpath("//h1")[0])
    assert page.xpath("//*[@class='note']//a[@href='https://ok.example.com/']")

    front = parse_html(hostile_site.files()["index.html"])
    headlines = [visible(h) for h in front.xpath("//*[@class='headline']")]
    assert TITLE in headlines and "Second " + PAYLOAD in headlines
    more = front.xpath("//p[@class='more']/a")
    assert [(visible(a), a.get("href")) for a in more] == [(RELATED_PROVIDER, RELATED_URL)]

    for name, data in hostile_site.files().items():
        if not name.endswith(".html"):
            continue
        for text in texts(parse_html(data).getroot()):
            for escaped in ("&lt;", "&gt;", "&amp;", "&#34;", "&#39;", "&quot;"):
                assert escaped not in text, (name, text)
            if "{{" in text:
                assert "{{ 7*7 }}" in text, (name, text)


def test_json_ld_parses_and_holds_the_title_verbatim(hostile_site):
    files = hostile_site.files()
    page = parse_html(files[story_path(hostile_site, "title-script")])
    data = news_article(page)
    assert data["headline"] == TITLE
    assert "description" not in data  # the meta description holds it
    assert page.xpath("string(//meta[@name='description']/@content)") == EXCERPT
    assert data["publisher"]["name"] == PROVIDER
    assert data["keywords"] == [TOPIC, "<img src=x onerror=alert(1)>"]
    assert data["isBasedOn"] == LEAD_URL
    assert data["image"] == [LEAD_IMAGE]
    for path, raw in files.items():
        if not path.endswith(".html"):
            continue
        for block in parse_html(raw).xpath("//script[@type='application/ld+json']/text()"):
            json.loads(block)
            assert not re.search(r"(?i)</script|<!--", block), path
    front = parse_html(files["index.html"])
    [listing] = json.loads(front.xpath("//script[@type='application/ld+json']/text()")[0])
    story_url = BASE_URL + story_path(hostile_site, "title-script").removesuffix("index.html")
    assert story_url in [item["url"] for item in listing["itemListElement"]]


def feed_paths(result: BuildResult) -> list[str]:
    return sorted(p for p in result.files() if p.endswith(("feed.xml", "atom.xml")))


def story_feed_paths(result: BuildResult) -> list[str]:
    """The RSS and Atom feeds whose items are stories: all but the daily digest's."""
    return [path for path in feed_paths(result) if not path.startswith("daily/")]


def test_feeds_stay_valid_and_inert(hostile_site):
    paths = feed_paths(hostile_site)
    # the site, two topics, the outlet and the daily digest, RSS and Atom each
    assert len(paths) == 12
    atom = {"a": "http://www.w3.org/2005/Atom"}
    for path in paths:
        raw = (hostile_site.output / path).read_bytes()
        parsed = feedparser.parse(raw)
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        check_plain_text(raw, root := lxml.etree.fromstring(raw), path)
        if path.startswith("daily/"):  # its items are days: the story is in their content
            shown = [lxml.html.fragment_fromstring(e.content[0].value, create_parent="div")
                     .text_content() for e in parsed.entries]  # fmt: skip
            assert any(TITLE in text for text in shown), path
        else:
            # The titles read as markup, so they are declared HTML (Atom) or escaped (RSS).
            assert TITLE in [shown_text(e.title_detail) for e in parsed.entries], path
            terms = root.xpath("//item/category/text() | //a:entry/a:category/@term",
                               namespaces=atom)  # fmt: skip
            # An RSS category is plain text only: one that reads as markup is left out there.
            assert (TOPIC in terms) == path.endswith("atom.xml"), path
        bodies = root.xpath(
            "//item/description/text() | //*[local-name()='encoded']/text()"
            " | //a:content[@type='html']/text() | //a:summary[@type='html']/text()",
            namespaces=atom,
        )
        assert bodies, path
        for body in bodies:
            fragment = lxml.html.fragment_fromstring(body, create_parent="div")
            assert_inert(fragment, path, scripts_allowed=False)
            for element in fragment.iter():
                for attribute in ("href", "src"):
                    if element.get(attribute) is not None:
                        assert urlsplit(element.get(attribute)).scheme in ("http", "https")
            for text in texts(fragment):
                assert "&lt;" not in text and "&amp;" not in text, (path, text)
        if path.startswith("daily/"):  # the day's item: the story's excerpt and coverage
            content = lxml.html.fragment_fromstring(parsed.entries[0].content[0].value,
                                                    create_parent="div")  # fmt: skip
            assert EXCERPT in content.text_content(), path
            assert RELATED_URL in [a.get("href") for a in content.iter("a")]
            continue
        entry = next(e for e in parsed.entries if shown_text(e.title_detail) == TITLE)
        assert entry.summary_detail.type == "text/html", path
        if "/" in path:  # a listing feed's item is a summary: the excerpt and who covered it
            assert shown_text(entry.summary_detail).startswith(EXCERPT + " Also covered by ")
            assert "content" not in entry, path
            continue
        assert shown_text(entry.summary_detail) == EXCERPT, path
        content = lxml.html.fragment_fromstring(entry.content[0].value, create_parent="div")
        content_text = content.text_content()
        for expected in (EXCERPT, RELATED_TITLE, "{{ 7*7 }} {% raw %}"):
            assert expected in content_text, (path, expected)
        assert RELATED_URL in [a.get("href") for a in content.iter("a")]


SECURED_LINE = re.compile(r'^secured: "(?P<value>[^"]+)"$', re.MULTILINE)


def secret_forms(secret: str) -> list[str]:
    """The secret as it could leak: raw, URL-encoded, HTML-escaped, JSON-escaped, and its parts."""
    forms = {
        secret,
        quote(secret),
        quote(secret, safe=""),
        html.escape(secret),
        json.dumps(secret)[1:-1],
        SEED_SECURED,
    }
    forms.update(part for part in re.split(r"[/+=;]", secret) if len(part) >= 16)
    return sorted(forms)


def seed_variants(seed_text: str) -> dict[str, str | bytes]:
    """The seed as exported, plus broken copies that make the build report problems."""
    published = seed_text.replace("published: false", "published: true")
    return {
        SEED_NAME: seed_text,
        "bad-quality.md": published.replace("quality: 48", "quality: 480"),
        "bad-yaml.md": SECURED_LINE.sub(lambda m: m.group(0) + ' "trailing', published),
        "bad-type.md": published.replace("published: true", "published: maybe"),
        "bad-secured-type.md": published.replace("originalUrl:", "originalUrl: 7 #")
        .replace("webUrl:", "webUrl: 8 #")
        .replace('secured: "', 'secured: ["')
        .replace('=="', '=="]'),
    }


@pytest.mark.parametrize("extra", [(), ("--drafts",), ("--drafts", "--strict")])
def test_secured_never_appears_in_output_or_logs(tmp_path, seed_text, extra):
    match = SECURED_LINE.search(seed_text)
    assert match and match.group("value").startswith(SEED_SECURED)
    forms = secret_forms(match.group("value"))
    root = make_site(tmp_path / "site", seed_variants(seed_text))
    result = build_in(root, *extra)
    assert result.exit_code == (1 if "--strict" in extra else 0), result.stderr
    assert "bad-quality.md: quality" in result.stderr
    assert "bad-yaml.md" in result.stderr
    if "--drafts" in extra:
        assert "facial-recognition" in "".join(result.files())
    shipped = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "content" not in path.relative_to(root).parts
    }
    assert any(name.startswith("public/") for name in shipped)
    for form in forms:
        assert form not in result.stdout, form
        assert form not in result.stderr, form
        for name, data in shipped.items():
            assert form.encode("utf-8") not in data, (name, form)


DRAFT_TITLE = "Zebra crossing draft"
DRAFT_MARKERS = ("zebra", "draft-only.example.com", "draftonlytopic", "hidden-aardvark")


def drafts_corpus() -> dict[str, str | bytes]:
    public = record(
        "Public story", url="https://public.example.com/story", topics=["Shared"], heat=10
    )
    draft = record(
        DRAFT_TITLE,
        url="https://draft-only.example.com/zebra",
        when="2025-03-01T12:00:00Z",
        published=False,
        heat=99,
        excerpt="hidden-aardvark excerpt",
        topics=["DraftOnlyTopic", "Shared"],
        provider={"name": "Draft Only Times", "domain": "draft-only.example.com"},
        images=[{"url": "https://draft-only.example.com/zebra.jpg", "width": 4, "height": 3}],
        # A draft listing a published story as related must not pull it into a draft cluster.
        related=[{"title": "Public", "webUrl": "https://public.example.com/story"}],
    )
    lonely = record(
        "Zebra alone on its day",
        url="https://draft-only.example.com/alone",
        when="2025-04-01T09:00:00Z",
        published=False,
        topics=["DraftOnlyTopic"],
    )
    return {"public.md": public, "draft.md": draft, "lonely.md": lonely}


def test_drafts_appear_nowhere_without_the_drafts_option(site_builder):
    result = site_builder(drafts_corpus())
    assert result.exit_code == 0, result.stderr
    assert "drafts left out:    2" in result.stdout
    files = result.files()
    for path, data in files.items():
        lowered = (path + "\n").encode() + data.lower()
        for marker in DRAFT_MARKERS:
            assert marker.encode() not in lowered, (path, marker)
    assert "2025/04/01/index.html" not in files
    assert not any(p.startswith(("topics/draftonlytopic", "sources/draft-only")) for p in files)
    sitemap = lxml.etree.fromstring(files["sitemap.xml"])
    locs = sitemap.xpath("//*[local-name()='loc']/text()")
    assert BASE_URL + "2025/03/01/public-story/" in locs
    assert not [loc for loc in locs if "zebra" in loc]
    for path in story_feed_paths(result):
        parsed = feedparser.parse(files[path])
        assert [e.title for e in parsed.entries] == ["Public story"], path
    public = parse_html(files["2025/03/01/public-story/index.html"])
    assert not public.xpath("//section[@class='coverage']")
    topics = parse_html(files["topics/index.html"])
    assert [visible(a) for a in topics.xpath("//main//li/a")] == ["Shared"]


def test_drafts_are_shown_with_the_drafts_option(site_builder):
    result = site_builder(drafts_corpus(), "--drafts")
    assert result.exit_code == 0, result.stderr
    files = result.files()
    assert "2025/04/01/zebra-alone-on-its-day/index.html" in files
    assert "topics/draftonlytopic/index.html" in files
    assert "sources/draft-only.example.com/index.html" in files
    # The draft lists the public story as related, so in a preview it leads that story, which
    # keeps its address (the earliest member's).
    page = parse_html(files["2025/03/01/public-story/index.html"])
    assert "draft" in page.xpath("//article/@class")[0].split()
    assert visible(page.xpath("//h1")[0]) == DRAFT_TITLE
    assert any(DRAFT_TITLE in e.title for e in feedparser.parse(files["feed.xml"]).entries)


def test_secured_field_is_not_handed_to_templates(tmp_path):
    # A site template that dumps every extra field must still not see `secured`.
    root = make_site(
        tmp_path / "site",
        {"a.md": record("Extra", secured="TOP-SECRET-VALUE-123456", colour="blue")},
    )
    templates = root / "templates"
    templates.mkdir()
    (templates / "story.html").write_text(
        '{% extends "base.html" %}{% block content %}'
        "<pre>{{ story.lead.extra|dictsort }}</pre>{% endblock %}",
        encoding="utf-8",
    )
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    page = result.read("2025/03/01/extra/index.html")
    assert "colour" in page and "blue" in page
    for path, data in result.files().items():
        assert b"TOP-SECRET-VALUE" not in data, path
    assert "TOP-SECRET-VALUE" not in result.stdout + result.stderr
    assert not list(Path(result.output).rglob("*secret*"))


def test_entity_text_and_unicode_titles_display_exactly(site_builder):
    titles = {
        "entities.md": ("Literal &amp; &lt;b&gt; and &#169; stay as typed", None),
        "unicode.md": (
            "Rocket \\U0001F680 \\u05e9\\u05dc\\u05d5\\u05dd \\u202eevil\\u202c \\u0007bell",
            "Rocket 🚀 שלום \u202eevil\u202c bell",
        ),
    }
    records = {}
    for name, (title, _shown) in titles.items():
        # Written by hand, with YAML's own `\\uXXXX` and `\\UXXXXXXXX` escapes.
        records[name] = (
            f'---\ntitle: "{title}"\npublishedDateTime: 2025-03-01T10:00:00Z\n'
            f"originalUrl: https://example.com/{name}\n---\n"
        )
    result = site_builder(records)
    assert result.exit_code == 0, result.stderr
    shown = {t if s is None else s for t, s in titles.values()}
    pages = [p for p in result.files() if p.count("/") == 4 and p.endswith("index.html")]
    assert len(pages) == 2
    headings = set()
    for path in pages:
        page = parse_html(result.files()[path])
        headings.add(visible(page.xpath("//h1")[0]))
        [og_title] = page.xpath("//meta[@property='og:title']/@content")
        assert og_title in shown
        assert news_article(page)["headline"] in shown
    assert headings == shown
    for path in story_feed_paths(result):
        parsed = feedparser.parse(result.files()[path])
        assert not parsed.bozo, path
        if path.endswith("atom.xml"):
            assert {e.title for e in parsed.entries} == shown
