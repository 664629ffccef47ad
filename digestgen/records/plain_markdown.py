"""The common note, rendered without the Markdown parser: plain paragraphs, `- ` lists, links.

Python-Markdown spends about a millisecond on a short note, most of it trying every inline
pattern on every text node; a build reads thousands of notes. `plain_html` renders the notes
made only of plain text, `[text](https://...)` links and tight `- ` lists exactly as
Python-Markdown does (tests/records/test_plain_markdown.py compares the two on generated
notes), and gives up (None) on anything else, which the parser then renders.
"""

from __future__ import annotations

import re

# Characters with a meaning somewhere in Markdown or HTML (emphasis, code, escapes, HTML,
# entities, headings, images, references...), controls, and what YAML or Python take for a
# line break. A note holding any of them outside a link's URL goes to the parser.
_SPECIAL = re.compile("[\\\\`*_<>&\\[\\]#|~=+{}\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]|!\\[")
# A link as the parser reads it, limited to a plain label and a URL that needs no escaping.
_LINK = re.compile(r"\[([^\[\]\n]+)\]\((https?://[A-Za-z0-9./:%?=_-]+)\)")
# Lines the block parser reads as something other than paragraph text: lists, rules,
# headings, quotes, setext underlines, ordered lists.
_BLOCK_START = re.compile(r"[-*+#>=]|\d+[.)]")
_ITEM = "- "


def plain_html(text: str) -> str | None:
    """Python-Markdown's HTML for a note of plain paragraphs, links and tight `- ` lists, or
    None when the note uses anything else."""
    html: list[str] = []
    last_was_list = False
    for block in _blocks(text):
        if block[0].startswith(_ITEM):
            if last_was_list:  # two lists a blank line apart are one loose list
                return None
            items = [_inline(line[len(_ITEM) :]) for line in block if line.startswith(_ITEM)]
            if len(items) != len(block) or None in items:
                return None
            html.append("<ul>\n" + "\n".join(f"<li>{item}</li>" for item in items) + "\n</ul>")
            last_was_list = True
        else:
            paragraph = _inline("\n".join(block))
            if paragraph is None:
                return None
            html.append(f"<p>{paragraph}</p>")
            last_was_list = False
    return "\n".join(html)


def _blocks(text: str) -> list[list[str]]:
    """The text's blocks (runs of lines between blank lines), each a list of lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _inline(text: str) -> str | None:
    """A paragraph's or list item's text as HTML, or None unless it is plain text and links,
    with no line the block parser would read otherwise."""
    if "![" in text:  # an image, whatever follows
        return None
    for line in text.split("\n"):
        if not line or line != line.strip() or _BLOCK_START.match(line):
            return None
    parts: list[str] = []
    end = 0
    for link in _LINK.finditer(text):
        label, url = link.groups()
        if label != label.strip() or _SPECIAL.search(label):
            return None
        parts += [text[end : link.start()], f'<a href="{url}">{label}</a>']
        end = link.end()
    parts.append(text[end:])
    plain = "".join(parts[::2])
    if _SPECIAL.search(plain):
        return None
    return "".join(parts)
