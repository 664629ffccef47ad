"""Text from feeds: plain text stays as written, HTML becomes the text a reader would see.

Pure functions over strings; used by import to turn feed titles and summaries into record text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from digestgen.util.text import INVALID_CHARACTERS

# Elements that end a line or a block when shown: their text never runs into the next one's
# ("contempt.</p><p>Donald" is "contempt. Donald"). Inline elements (b, a, span) join their text.
BLOCK_ELEMENTS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav", "ol", "option", "p",
        "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
# Elements whose content is never shown as text.
HIDDEN_ELEMENTS = frozenset({"script", "style", "template"})


def collapse(text: str) -> str:
    """Text with every run of whitespace one space, none at either end, and without the
    characters no page or feed may hold (as validation reads it); nothing else changed.

    Unpaired surrogates stay, so the item's text can be refused with a message.
    """
    return " ".join(INVALID_CHARACTERS.sub(_kept_if_surrogate, text).split())


def _kept_if_surrogate(match: re.Match[str]) -> str:
    return match.group() if "\ud800" <= match.group() <= "\udfff" else ""


def html_to_text(markup: str) -> str:
    """The text an HTML fragment shows: tags gone, a space at every block boundary, entities
    decoded once, script and style dropped, whitespace collapsed."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return collapse("".join(collector.parts))


def feed_text(value: str, content_type: str) -> str:
    """A feed's text field as plain text: HTML (and XHTML) converted, plain text only collapsed."""
    return html_to_text(value) if "html" in content_type.lower() else collapse(value)


class _TextCollector(HTMLParser):
    """Collects an HTML fragment's shown text, a space standing for each block boundary."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0  # how many hidden elements (script, style) are open

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_ELEMENTS:
            self.hidden += 1
        elif tag in BLOCK_ELEMENTS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_ELEMENTS:  # `<br/>`; a self-closed `<script/>` hides nothing
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_ELEMENTS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCK_ELEMENTS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        # The standard library asserts on an unknown `<![keyword[`; browsers skip it to `>`.
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i)
            return -1 if end < 0 else end + 1
