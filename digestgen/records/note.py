"""The curator's note: Markdown rendered once, then sanitised so only safe HTML remains."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from html import unescape
from typing import TYPE_CHECKING

import nh3

from digestgen.problems import Problem, error, warning
from digestgen.records.plain_markdown import plain_html
from digestgen.util.text import strip_invalid_characters
from digestgen.util.urls import check_url

if TYPE_CHECKING:
    import markdown

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
_LINK_REL = "nofollow noopener noreferrer"
_PLAIN_LINK = re.compile(r'<a href="([^"]*)">')
_PLAIN_LINK_SANITISED = rf'<a href="\1" rel="{_LINK_REL}">'
_PLAIN_HOST = re.compile(r"https?://([^/?#:]*)")

# The longest body rendered, in bytes of UTF-8. A curator's note is a few paragraphs; the limit
# also bounds the parser's slow cases (see MAX_MARKUP_WORK): Python-Markdown's block parser is
# quadratic in some long runs of lines (rules, setext underlines), about a second at this size.
MAX_BODY_BYTES = 16 * 1024
# Python-Markdown scans from each `[`, each `](` and each `<` starting a tag to what closes it
# (or the end of the text), once per candidate, so unclosed or deeply nested ones cost time
# quadratic in the body's length: `'[' * 20000` takes a minute. `markup_work` sums those
# distances in linear time, and a body over this budget is refused. A real note stays far below.
MAX_MARKUP_WORK = 1_000_000
# Frames the Markdown parser may use below render_note: about two per level of nested lists or
# quotes. Python-Markdown (3.11.4 on) nests them only as deep as the frames left allow, keeping
# the deeper markers as text (some 150 levels of lists here), and a parse that still runs out is
# refused. Counted from render_note's own depth, so a body renders the same whatever the caller's
# stack (a worker process, a test runner), never by chance.
MARKDOWN_STACK_FRAMES = 400
_BRACKETS = re.compile(r"[\[\]]")
_PARENTHESES = re.compile(r"[()]")
_ANGLES = re.compile(r"<(?=[A-Za-z/!?])|>")


def _new_markdown() -> markdown.Markdown:
    import markdown  # most notes are plain (plain_html): a rebuild often needs no parser
    from markdown.extensions.sane_lists import SaneListExtension

    # An instance, not the name "sane_lists": a name is looked up among the installed packages'
    # entry points, which reads every package's metadata (30-40 ms, once a process).
    return markdown.Markdown(extensions=[SaneListExtension()], output_format="html")


_MARKDOWN: markdown.Markdown | None = None  # made when the first note needs it
_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)(\s[^>]*)>")
_URL_ATTRIBUTE = re.compile(
    r"""(?:^|\s)(href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE
)


_NOTE_TAG = re.compile(r"<(a|img|td|th)((?:\s+[a-z][a-z0-9-]*(?:=\"[^\"]*\")?)*)\s*/?>")
_NOTE_ATTRIBUTE = re.compile(r'([a-z][a-z0-9-]*)(?:="([^"]*)")?')
_NOTE_VALUES: dict[str, Callable[[str], bool]] = {
    "width": lambda value: value.isascii() and value.isdigit(),
    "height": lambda value: value.isascii() and value.isdigit(),
    "colspan": lambda value: value.isascii() and value.isdigit() and 1 <= int(value) <= 1000,
    "rowspan": lambda value: value.isascii() and value.isdigit() and int(value) <= 65534,
    "scope": lambda value: value.lower() in ("row", "col", "rowgroup", "colgroup"),
}


def _valid_html(html: str) -> str:
    """Sanitised HTML made valid where nh3 leaves what HTML forbids.

    nh3 leaves a few things HTML forbids: an `<a>` whose URL it removed keeps the `rel` it adds
    (`rel` needs `href`), an `<img>` may lack `src` (dropped: nothing to show) or `alt` (an
    empty one is added), and width, height, colspan, rowspan and scope keep any value (a bad
    one is dropped).
    """
    return _NOTE_TAG.sub(_valid_note_tag, html)


def _valid_note_tag(match: re.Match[str]) -> str:
    name = match.group(1)
    attributes = {
        key: value or ""
        for key, value in _NOTE_ATTRIBUTE.findall(match.group(2))
        if key not in _NOTE_VALUES or _NOTE_VALUES[key](value or "")
    }
    if name == "a" and "href" not in attributes:
        attributes.pop("rel", None)
    elif name == "img":
        if "src" not in attributes:
            return ""
        attributes.setdefault("alt", "")
    text = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return f"<{name}{text}>"


def render_note(body: str, source: str) -> tuple[str, list[Problem]]:
    """Render a record body to sanitised HTML; links with forbidden schemes become warnings."""
    if not body.strip():
        return "", []
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > MAX_BODY_BYTES:
        return "", [error(source, "body", f"is {size} bytes, over the {MAX_BODY_BYTES} limit")]
    text = strip_invalid_characters(body)
    # plain_html is linear, and a note it renders has no nested or unclosed brackets, no tags
    # and no `](` outside its links, so its markup work is at most its length, far within
    # MAX_MARKUP_WORK: only a note left to the parser needs the count.
    html = plain_html(text)
    if html is not None:
        clean = sanitised_plain_html(html)
        if clean is not None:
            return clean.strip(), []  # every link's URL passed check_url: none is dropped
    elif markup_work(text) > MAX_MARKUP_WORK:
        message = "has too many unclosed or deeply nested brackets or tags to render"
        return "", [error(source, "body", message)]
    else:
        try:
            html = _convert(text)
        except RecursionError:  # none known since Python-Markdown 3.11.4: see MARKDOWN_STACK_FRAMES
            message = "is nested too deeply to render"
            return "", [error(source, "body", message)]
    return sanitise(html).strip(), _dropped_links(html, source)


def sanitise(html: str) -> str:
    """The note's HTML with only the allowed tags, attributes and URLs left, and valid."""
    clean = nh3.clean(
        html,
        tags=set(NOTE_TAGS),
        attributes=NOTE_ATTRIBUTES,
        url_schemes={"http", "https"},
        url_relative="deny",
        link_rel=_LINK_REL,
        attribute_filter=_keep_allowed_url,
    )
    return _valid_html(clean)


def sanitised_plain_html(html: str) -> str | None:
    """`sanitise(html)` for plain_html's HTML, made without the sanitiser; None when a link's URL
    is one the sanitiser would drop.

    plain_html writes only p, ul, li and `<a href>` tags, text without `<`, `>` or `&`, and URLs
    of characters that need no escaping, so all the sanitiser does to it is add `rel` to each
    link and write a no-break space as `&nbsp;` (tests/records/test_note_sanitising.py).
    """
    if not all(map(_kept_by_sanitiser, _PLAIN_LINK.findall(html))):
        return None
    return _PLAIN_LINK.sub(_PLAIN_LINK_SANITISED, html).replace("\xa0", "&nbsp;")


def _kept_by_sanitiser(url: str) -> bool:
    """True for a plain link's URL that nh3 surely keeps: it passes check_url, and its host is
    one the WHATWG URL parser nh3 uses accepts as it is (no IDNA label, not an IPv4 number)."""
    if check_url(url)[0] is None:
        return False
    host = _PLAIN_HOST.match(url)
    labels = host.group(1).lower().split(".") if host else [""]
    return labels[-1][:1].isalpha() and not any(label.startswith("xn--") for label in labels)


def _convert(text: str) -> str:
    """Markdown to HTML, with a recursion limit counted from here (see MARKDOWN_STACK_FRAMES)."""
    global _MARKDOWN
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back  # type: ignore[assignment]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + MARKDOWN_STACK_FRAMES)
    try:
        if _MARKDOWN is None:
            _MARKDOWN = _new_markdown()
        return _MARKDOWN.reset().convert(text)
    except BaseException:
        # A parse cut short leaves the parser's state (open lists, quotes) behind, which reset()
        # does not clear: the next note would be parsed inside them.
        _MARKDOWN = _new_markdown()
        raise
    finally:
        sys.setrecursionlimit(limit)


def markup_work(text: str) -> int:
    """How far the Markdown parser scans in all, from each `[`, `](` or tag `<` to its closer.

    A `[` or `(` is closed by its matching bracket, a `<` by the next `>`; an unclosed one costs
    the rest of the text. Linear in the text's length; stops counting past MAX_MARKUP_WORK.
    """
    end = len(text)
    work = 0
    if "[" in text:
        work += _nested_work(text, _BRACKETS, "[", lambda _: True)
    if "](" in text and work <= MAX_MARKUP_WORK:
        work += _nested_work(text, _PARENTHESES, "(", lambda at: text[at - 1 : at] == "]")
    if "<" in text and work <= MAX_MARKUP_WORK:
        pending: list[int] = []
        for match in _ANGLES.finditer(text):
            if match.group() == "<":
                pending.append(match.start())
            elif pending:
                work += match.start() * len(pending) - sum(pending)
                pending.clear()
        work += end * len(pending) - sum(pending)
    return work


def _nested_work(
    text: str, pattern: re.Pattern[str], opener: str, counts: Callable[[int], bool]
) -> int:
    """The summed distance from each counted opener to its matching closer, or the end."""
    work = 0
    pending: list[tuple[int, bool]] = []
    for match in pattern.finditer(text):
        at = match.start()
        if text[at] == opener:
            pending.append((at, counts(at)))
        elif pending:
            start, counted = pending.pop()
            if counted:
                work += at - start
                if work > MAX_MARKUP_WORK:
                    return work
    return work + sum(len(text) - start for start, counted in pending if counted)


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
