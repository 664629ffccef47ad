"""The plain-note renderer gives Python-Markdown's HTML byte for byte, or gives up."""

from __future__ import annotations

import random

import markdown
import pytest

from bench.generate import generate
from digestgen.records.parse import RawRecord, parse_record
from digestgen.records.plain_markdown import plain_html

# Pieces of notes: plain words and punctuation the fast path takes, and everything near its
# edges (Markdown syntax, HTML, odd whitespace, line starts the block parser reads otherwise).
WORDS = ["story", "Outlet", "2024", "é", "日本語", "naïve", "a\xa0b", "x" * 30, "U.S.", "e-mail"]
PUNCTUATION = [".", ",", ";", ":", "'", '"', "?", "!", "(", ")", "%", "$", "@", "/", "-", "--",
               "...", "'quoted'", "(aside)", "50%", "1)", "a/b"]  # fmt: skip
LINKS = ["[the piece](https://notes.example.org/1)", "[x](http://a.b/c_d?e=f)",
         "[two words](https://a.example/path/to/page.html)", "[ padded ](https://a.b/)",
         "[a *b*](https://a.b/)", "[a](https://a.b/(x))", "[a](https://a.b/ \"title\")",
         "[a](<https://a.b/>)", "![img](https://a.b/i.png)", "[ref][1]", "[ref]",
         "[a](https://a.b/&x)", "[a](javascript:alert(1))", "[a]\n(https://a.b/)"]  # fmt: skip
SPECIAL = ["*em*", "_em_", "**strong**", "`code`", "<b>x</b>", "&amp;", "&", "\\*", "#tag",
           "a|b", "~x~", "a=b", "+", "{x}", "<https://a.b/>", "x\ty", "\u2028", "\x85",
           "\ufeff"]  # fmt: skip
LINE_STARTS = ["", "", "", "", "- ", "-", "* ", "+ ", "1. ", "2024. ", "3) ", "> ", "# ", " ",
               "    ", "\t", "=", "-- ", "- - "]  # fmt: skip
LINE_ENDS = ["", "", "", "", "  ", " ", "\n---", "\n===", "\n- x"]


def random_line(rng: random.Random, noise: float) -> str:
    """One line of a note: a line start, some words, punctuation, links or syntax, an end;
    `noise` is how likely each choice is to be something the fast path may refuse."""
    pieces = []
    for _ in range(rng.randint(1, 8)):
        kind = rng.random()
        if kind < 0.6:
            pieces.append(rng.choice(WORDS))
        elif kind < 0.8:
            pieces.append(rng.choice(PUNCTUATION))
        elif kind < 0.9:
            pieces.append(rng.choice(LINKS[:3] if rng.random() > noise else LINKS))
        elif rng.random() < noise:
            pieces.append(rng.choice(SPECIAL))
    separator = rng.choice([" ", " ", " ", ""])
    start = rng.choice(LINE_STARTS) if rng.random() < noise else ""
    end = rng.choice(LINE_ENDS) if rng.random() < noise else ""
    return start + separator.join(pieces) + end


def random_note(rng: random.Random) -> str:
    """A note of a few blocks of lines, the blocks one or more blank lines apart."""
    noise = rng.choice([0.0, 0.01, 0.05, 0.2, 1.0])
    blocks = []
    for _ in range(rng.randint(1, 5)):
        start = rng.choice(["", "- "])
        lines = [start + random_line(rng, noise) for _ in range(rng.randint(1, 4))]
        blocks.append("\n".join(lines))
    return rng.choice(["", "\n"]) + "\n\n".join(
        block + rng.choice(["", "\n", "\n \n"]) for block in blocks
    )


def parser_html(text: str) -> str:
    """What Python-Markdown makes of the text, configured as records/note.py does."""
    return markdown.Markdown(extensions=["sane_lists"], output_format="html").convert(text)


@pytest.mark.parametrize("seed", range(4))
def test_plain_html_is_the_parsers_html_or_none(seed):
    rng = random.Random(seed)
    taken = 0
    for _ in range(2500):
        text = random_note(rng)
        html = plain_html(text)
        if html is not None:
            taken += 1
            assert html == parser_html(text), repr(text)
    assert taken > 100  # the comparison covered the fast path, not only refusals


def test_plain_html_takes_the_benchmarks_notes(tmp_path):
    generate(40, tmp_path)
    bodies = []
    for path in sorted(tmp_path.rglob("*.md")):
        raw = parse_record(path.read_bytes(), path.name)
        assert isinstance(raw, RawRecord)
        bodies.append(raw.body.strip())
    assert all(bodies)
    for body in bodies:
        assert plain_html(body) == parser_html(body)


REFUSED = ["A *fine* note.", "Foo\n- bar", "- a\n\n- b", "- a\nb", "a  \nb", "1. one", "x\n===",
           "[a](https://a.b/) and ![i](https://a.b/i.png)"]  # fmt: skip


@pytest.mark.parametrize("text", REFUSED)
def test_plain_html_leaves_the_rest_to_the_parser(text):
    assert plain_html(text) is None
