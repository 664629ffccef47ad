"""The plain note's quick sanitising gives the sanitiser's HTML byte for byte, or gives up."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.generate import generate
from digestgen.records import note
from digestgen.records.note import (
    MAX_BODY_BYTES,
    markup_work,
    render_note,
    sanitise,
    sanitised_plain_html,
)
from digestgen.records.parse import RawRecord, parse_record
from digestgen.records.plain_markdown import plain_html
from digestgen.util.text import strip_invalid_characters
from tests.helpers import hostile
from tests.records.test_plain_markdown import random_note

# Links the quick path must give up on (the sanitiser drops their URL, and warns) or keep.
LINKS = ["[a](https://-bad-.example/)", "[a](https://a..b/)", "[a](https://exa_mple.com/x)",
         "[a](http://a.b/c?d=e)", "[a](https://1.2.3.4/%41)", "[a](https://" + "a" * 64 + ".com/)",
         "[a](https://a.b:80/)", "[a](https://a.b/?x=1=2)", "[a](https://xn--a.b/)",
         "[a](https://1.2.3.4.5/)", "[a](https://999.1.1.1/)", "[a](https://0x7f.1/)",
         "[a](https://xn--/)", "[a](https://a.xn--9/)", "[a](https://xn--ls8h.la/)",
         "[a](https://A.B/)", "[a](https://a.b:0/)", "[a](https://a.b:/)", "[a](https://a/)",
         "[a](https://a.b/%zz)", "[a](https://a.b/..//./)", "[a](https://a.-b/)",
         "[a](https://a.b:8080?x=1)", "[a](https://a.b1/)", "[a](https://a.0x1/)"]  # fmt: skip
HOSTILE = [value for value in vars(hostile).values() if isinstance(value, str)]


def general(text: str) -> tuple[str, list[str]]:
    """render_note's result by the sanitiser alone, as the problems' text."""
    html = plain_html(strip_invalid_characters(text))
    assert html is not None
    problems = note._dropped_links(html, "n.md")
    return sanitise(html).strip(), [str(problem) for problem in problems]


def rendered(text: str) -> tuple[str, list[str]]:
    html, problems = render_note(text, "n.md")
    return html, [str(problem) for problem in problems]


@pytest.mark.parametrize("seed", range(4))
def test_quick_sanitising_is_the_sanitisers_on_generated_notes(seed):
    rng = random.Random(seed)
    taken = 0
    for _ in range(2500):
        text = random_note(rng)
        html = plain_html(strip_invalid_characters(text))  # as render_note has it
        if html is not None:
            taken += sanitised_plain_html(html) is not None
            assert rendered(text) == general(text), repr(text)
    assert taken > 100  # the quick path was compared, not only its refusals


def test_quick_sanitising_takes_the_benchmarks_notes(tmp_path):
    generate(40, tmp_path)
    for path in sorted(tmp_path.rglob("*.md")):
        raw = parse_record(path.read_bytes(), path.name)
        assert isinstance(raw, RawRecord)
        html = plain_html(raw.body.strip())
        assert html is not None and sanitised_plain_html(html) == sanitise(html)


@pytest.mark.parametrize("link", LINKS)
def test_a_link_the_sanitiser_drops_is_left_to_it_with_its_warning(link):
    text = f"See {link} now.\n\n- item {link}"
    assert rendered(text) == general(text)
    html = plain_html(text)
    assert html is not None
    if note.check_url(html.split('href="')[1].split('"')[0])[0] is None:
        assert sanitised_plain_html(html) is None


@given(
    st.lists(
        st.one_of(
            st.text(st.characters(blacklist_categories=["Cs"]), max_size=12),
            st.sampled_from([*LINKS, *HOSTILE, "\xa0", "[x](https://a.b/)", " ", "\n", "- "]),
        ),
        max_size=8,
    )
)
def test_quick_sanitising_is_the_sanitisers_on_any_plain_note(pieces):
    text = "".join(pieces)
    if plain_html(strip_invalid_characters(text)) is not None:
        assert rendered(text) == general(text)


@pytest.mark.parametrize("seed", range(2))
def test_a_plain_note_needs_no_markup_work_count(seed):
    # render_note counts the markup work only of notes plain_html does not render: sound while
    # a plain note's work is at most its length (MAX_BODY_BYTES is far below MAX_MARKUP_WORK).
    rng = random.Random(seed)
    for _ in range(2500):
        text = strip_invalid_characters(random_note(rng))
        if plain_html(text) is not None:
            assert markup_work(text) <= len(text), repr(text)
    paragraph = " ".join(["[a](https://a.b/" + "x" * 60 + ") ( ) )"] * 40)
    longest = "\n\n".join([paragraph] * 4)
    assert len(longest.encode()) <= MAX_BODY_BYTES
    assert plain_html(longest) is not None and markup_work(longest) <= len(longest)


LABEL = st.text(st.sampled_from("abxn-0179fA"), min_size=0, max_size=6) | st.sampled_from(
    ["xn--", "xn--ls8h", "0x7f", "999", "localhost", "com"]
)


@given(st.lists(LABEL, min_size=1, max_size=5), st.sampled_from(["", "/", ":80/", "/x?y=1"]))
def test_quick_sanitising_is_the_sanitisers_on_any_link_host(labels, rest):
    text = f"See [a](https://{'.'.join(labels)}{rest}) now."
    if plain_html(text) is not None:
        assert rendered(text) == general(text)
