"""The curator's note: Markdown rendered once, then sanitised so only safe HTML remains."""

from __future__ import annotations

from html.parser import HTMLParser

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


def render_note(body: str, source: str) -> tuple[str, list[Problem]]:
    """Render a record body to sanitised HTML; links with forbidden schemes become warnings."""
    if not body.strip():
        return "", []
    body = strip_invalid_characters(body)
    html = markdown.markdown(body, extensions=["sane_lists"], output_format="html")
    scanner = _UrlScanner(source)
    scanner.feed(html)
    scanner.close()
    clean = nh3.clean(
        html,
        tags=set(NOTE_TAGS),
        attributes=NOTE_ATTRIBUTES,
        url_schemes={"http", "https"},
        url_relative="deny",
        link_rel="nofollow noopener noreferrer",
        attribute_filter=_keep_allowed_url,
    )
    return clean.strip(), scanner.problems


def _keep_allowed_url(tag: str, name: str, value: str) -> str | None:
    # nh3 keeps any http(s) URL; the URL rule is stricter (no quotes, blanks or bad hosts), and
    # the scanner has warned that such a link is dropped, so drop it here too.
    if name in _URL_ATTRIBUTES and check_url(value)[0] is None:
        return None
    return value


class _UrlScanner(HTMLParser):
    """Finds the links the sanitiser will drop, so each one gets a warning instead of vanishing."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.problems: list[Problem] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in _URL_ATTRIBUTES and tag in NOTE_TAGS:
                url, why = check_url(value or "")
                if url is None:
                    message = f"<{tag} {name}> dropped: {why}"
                    self.problems.append(warning(self.source, "body", message))
