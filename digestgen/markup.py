"""The curator's note: Markdown rendered once, then sanitised so only safe HTML remains."""

from __future__ import annotations

import re
from html import unescape

import markdown
import nh3

from digestgen.problems import Problem, warning
from digestgen.text import strip_invalid_characters
from digestgen.urls import check_url

NOTE_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "cite", "code", "del", "em", "h2", "h3", "h4",
        "hr", "i", "img", "ins", "li", "mark", "ol", "p", "pre", "q", "s", "small", "strong",
        "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
NOTE_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
_URL_ATTRIBUTES = {"href", "src"}


_MARKDOWN = markdown.Markdown(extensions=["sane_lists"], output_format="html")
_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)(\s[^>]*)>")
_URL_ATTRIBUTE = re.compile(
    r"""(?:^|\s)(href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE
)


def render_note(body: str, source: str) -> tuple[str, list[Problem]]:
    """Render a record body to sanitised HTML; links with forbidden schemes become warnings."""
    if not body.strip():
        return "", []
    html = _MARKDOWN.reset().convert(strip_invalid_characters(body))
    clean = nh3.clean(
        html,
        tags=set(NOTE_TAGS),
        attributes=NOTE_ATTRIBUTES,
        url_schemes={"http", "https"},
        url_relative="deny",
        link_rel="nofollow noopener noreferrer",
        attribute_filter=_keep_allowed_url,
    )
    return clean.strip(), _dropped_links(html, source)


def _keep_allowed_url(tag: str, name: str, value: str) -> str | None:
    # nh3 keeps any http(s) URL; the URL rule is stricter (no quotes, blanks or bad hosts), and
    # _dropped_links has warned that such a link is dropped, so drop it here too.
    if name in _URL_ATTRIBUTES and check_url(value)[0] is None:
        return None
    return value


def _dropped_links(html: str, source: str) -> list[Problem]:
    """A warning for each link or image URL the sanitiser will drop, so none vanishes unsaid."""
    if "href" not in html and "src" not in html:
        return []
    problems = []
    for tag in _START_TAG.finditer(html):
        name = tag.group(1).lower()
        if name not in NOTE_TAGS:
            continue
        for attribute in _URL_ATTRIBUTE.finditer(tag.group(2)):
            raw = next(v for v in attribute.groups()[1:] if v is not None)
            url, why = check_url(unescape(raw))
            if url is None:
                message = f"<{name} {attribute.group(1).lower()}> dropped: {why}"
                problems.append(warning(source, "body", message))
    return problems
