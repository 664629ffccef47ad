"""A curator's note's text for the listing cards' teaser: markupsafe's striptags, by a quicker
path for HTML without comments (`renderer.markup_text`), the two held equal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from digestgen.render.renderer import markup_text
from tests.helpers import hostile

HOSTILE = [value for value in vars(hostile).values() if isinstance(value, str)]


MARKUP_EDGES = ["", "<p>a</p>", "a<b", "a>b", "<p>a &amp; b</p>\n<p>c&nbsp;d</p>", "<a<b>c",
                "x<!-- c -->y", "x<!-- open", "a<!-- 1 > 2 -->b", "<!--a-->b<c", "&lt;p&gt;",
                "<p\n class='x'>t</p>", "&amp", "&#x26;&#38;", " <br> a \n\t b ", "<>", "a<>b<",
                "<em>é</em>"]  # fmt: skip


@pytest.mark.parametrize("html", MARKUP_EDGES + HOSTILE)
def test_markup_text_is_markupsafes_striptags_on_edge_and_hostile_html(html: str) -> None:
    assert markup_text(html) == Markup(html).striptags()


HTML_PIECES = ["<", ">", "<!--", "-->", "&", "amp;", "#x26;", "p", " ", "\n", "\xa0", "é", "lt;",
               "nbsp", ";", "!", "-", "/"]  # fmt: skip


@given(st.lists(st.sampled_from(HTML_PIECES)).map("".join) | st.text())
def test_markup_text_is_markupsafes_striptags_on_any_text(html: str) -> None:
    assert markup_text(html) == Markup(html).striptags()
