"""Plain text in RSS and Atom written so that no reader takes it for markup and the W3C feed
validator has nothing to warn about, however much a record's text looks like HTML.

The validator checks every plain-text element (its `nonhtml` class): text holding an HTML end
tag such as `</b>` "should not contain HTML" whatever its encoding, and `&` or `<` in plain text
should be hexadecimal character references (`&#x26;`, `&#x3C;`), as the RSS Best Practices
Profile asks. So every `&`, `<` and `>` of a feed is written as such a reference, and text that
holds an end tag is written as HTML: escaped, and in Atom declared `type="html"`. Where a format
cannot declare it (a person's name, an RSS category, a link's title), a stand-in is used or the
text left out; docs/feeds.md lists which.
"""

from __future__ import annotations

import html
import re

from lxml.etree import _Element

# The W3C validator's test (validators.py, nonhtml.htmlEndTag_re), for every tag name rather
# than its list of HTML ones: a name it does not know is as likely to be one a reader does.
_END_TAG = re.compile(r"</(\w+)>")


def reads_as_markup(text: str) -> bool:
    """True when text holds what the W3C feed validator takes for HTML: an end tag like `</b>`."""
    return bool(_END_TAG.search(text))


def hex_references(xml: bytes) -> bytes:
    """A serialised feed with each escaped `&`, `<` and `>` as a hexadecimal character reference.

    The same characters to an XML parser; lxml writes no CDATA sections, so every `&amp;`,
    `&lt;` and `&gt;` in its output is an escape.
    """
    return xml.replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;").replace(b"&gt;", b"&#x3E;")


def declare_text(element: _Element | None) -> None:
    """Make an Atom text construct (title, subtitle, summary) that reads as markup `type="html"`."""
    if element is not None and element.text and reads_as_markup(element.text):
        element.set("type", "html")
        element.text = html.escape(element.text, quote=False)


def rss_text(element: _Element | None) -> None:
    """Escape an RSS title or channel description that reads as markup, as readers take it for
    HTML then (feedparser does), so they show the text itself."""
    if element is not None and element.text and reads_as_markup(element.text):
        element.text = html.escape(element.text, quote=False)


def plain_name(name: str, stand_in: str) -> str:
    """A name for an element that can only hold plain text: the name, or the stand-in when the
    name reads as markup."""
    return stand_in if reads_as_markup(name) else name
