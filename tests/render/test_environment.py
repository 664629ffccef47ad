"""The Jinja environment digestgen renders in: Jinja's behaviour, made quicker (see
render/environment.py), never different."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jinja2
import markupsafe
import pytest
from markupsafe import Markup

from digestgen.config import SiteConfig
from digestgen.model import Image, Record
from digestgen.render.environment import make_environment
from digestgen.render.extras import load_static
from digestgen.render.site import plan_site, render_job, template_error
from digestgen.render.themes import Theme, resolve_theme
from digestgen.stories.assemble import assemble_site
from tests.helpers.factories import cov, rec

NOW = datetime(2025, 3, 3, tzinfo=UTC)


def plain_jinja(env: jinja2.Environment) -> jinja2.Environment:
    """An environment of Jinja's own classes, set up as `make_environment` sets up its own."""
    plain = jinja2.Environment(
        loader=env.loader, autoescape=env.autoescape, undefined=env.undefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
    )  # fmt: skip
    plain.policies.update(env.policies)
    return plain


def small_site_records() -> list[Record]:
    """Stories over three days with coverage, topics and images: every kind of page and feed."""
    image = (Image(url="https://img.example.com/a.jpg", width=1200, height=675),)
    records = [
        rec("a.md", "https://a.example.com/1", title="Comet probe lands", images=image,
            topics=("Space", "Science"), when="2025-03-01T10:00:00+00:00", heat=80,
            related=(cov("https://b.example.net/comet"), cov("https://c.example.org/comet"))),
        rec("b.md", "https://b.example.net/2", title="Budget passes", topics=("Politics",),
            when="2025-03-02T09:00:00+00:00", note_html="<p>Read <em>this</em>.</p>"),
        rec("c.md", "https://c.example.org/3", title="Markets & <rates>", topics=("Economy",),
            when="2025-03-02T11:30:00+00:00", excerpt='Rates "rise".'),
    ]  # fmt: skip
    records += [
        rec(f"n{n}.md", f"https://n{n}.example.com/", title=f"Story {n}", topics=("Science",),
            when=f"2025-03-0{1 + n % 3}T0{n % 10}:15:00+00:00")
        for n in range(12)
    ]  # fmt: skip
    return records


def default_theme(tmp_path: Path) -> Theme:
    return resolve_theme("default", tmp_path)


def test_every_page_and_feed_renders_as_with_jinjas_own_classes(tmp_path):
    config = SiteConfig(root=tmp_path, page_size=4, base_url="https://news.example.org/digest/")
    _, site, _ = assemble_site(small_site_records(), config, NOW, drafts=False)
    theme = default_theme(tmp_path)
    static = load_static(theme.static_files())
    ours = make_environment(theme)
    plain = plain_jinja(ours)
    assert type(ours) is not jinja2.Environment and type(plain) is jinja2.Environment
    rendered = []
    for env in (ours, plain):
        plan = plan_site(site, config, env, static)
        assert plan.pages > 10
        rendered.append({path: data for job, _ in plan.jobs
                         for path, data in render_job(plan.renderers, job).items()})  # fmt: skip
    assert rendered[0] == rendered[1]


def test_a_global_that_asks_for_the_context_still_gets_it(tmp_path):
    env = make_environment(default_theme(tmp_path))

    @jinja2.pass_context
    def page_name(context: jinja2.runtime.Context) -> str:
        return str(context.get("name"))

    env.globals["page_name"] = page_name
    env.globals["shout"] = str.upper  # a builtin: not a Python function, called as Jinja does
    template = env.from_string("{% for i in [1] %}{{ page_name() }} {{ shout('a') }}{% endfor %}")
    assert template.render(name="front") == "front A"


def test_globals_set_after_a_template_was_loaded_are_seen(tmp_path):
    """`serve` makes a new renderer, with new globals, for every rebuild, over templates that
    the environment has kept: each render must see the globals as they are now."""
    env = make_environment(default_theme(tmp_path))
    env.globals["who"] = lambda: "first"
    template = env.from_string("{{ who() }} {{ extra }}", globals={"extra": "own"})
    assert template.render() == "first own"
    env.globals["who"] = lambda: "second"
    assert template.render() == "second own"


@pytest.mark.parametrize(
    ("source", "own", "names", "expected"),
    [
        ('{% import "m.html" as m %}{{ m.tag(1) }}', {"label": "own"}, {}, "<env:1:->"),
        ('{% import "m.html" as m %}{{ m.tag(1) }}', {"only": "x"}, {}, "<env:1:x>"),
        ('{% import "m.html" as m with context %}{{ m.tag(2) }}', {}, {"label": "ctx"},
         "<ctx:2:->"),
    ],
)  # fmt: skip
def test_imported_macros_see_the_globals_jinja_gives_them(tmp_path, source, own, names, expected):
    """An import without context sees the imported template's globals, plus those of the
    importing template that the imported one lacks (Jinja compares the two sets of names)."""
    (tmp_path / "templates").mkdir()
    macro = '{% macro tag(x) %}<{{ label }}:{{ x }}:{{ only | default("-") }}>{% endmacro %}'
    (tmp_path / "templates" / "m.html").write_text(macro, encoding="utf-8")
    ours = make_environment(resolve_theme("default", tmp_path))
    plain = plain_jinja(ours)
    for env in (ours, plain):
        env.globals["label"] = "env"
    made = [env.from_string(source, globals=dict(own)).render(**names) for env in (ours, plain)]
    assert made == [expected, expected]


@pytest.mark.parametrize("variant", ["lead", "standard", "compact"])
def test_cards_made_through_the_renderers_helpers_are_jinjas_own(tmp_path, variant):
    """`link`, `url`, `asset` and `cluster` are called at once, without Jinja's look for a
    context argument: a card made through them is the card Jinja's own call makes."""
    config = SiteConfig(root=tmp_path)
    _, site, _ = assemble_site(small_site_records(), config, NOW, drafts=False)
    theme = default_theme(tmp_path)
    static = load_static(theme.static_files())
    cards = []
    for env in (make_environment(theme), plain_jinja(make_environment(theme))):
        renderer = plan_site(site, config, env, static).renderers.pages
        cards.append([renderer.cluster(story, variant) for story in site.stories])
    assert cards[0] == cards[1] and all("href=" in card for card in cards[0])


class _Html:
    def __html__(self) -> str:
        return "<b>made</b>"


class _Text(str):
    pass


@pytest.mark.parametrize(
    "value",
    ['a < b & "c" \'d\'', "", "plain", Markup("<i>safe</i>"), _Html(), _Text("<sub>"), 42, None,
     3.5, ["<li>"]],
)  # fmt: skip
def test_every_value_is_printed_escaped_as_markupsafe_escapes_it(tmp_path, value):
    ours = make_environment(default_theme(tmp_path))
    source = "{{ value }}|{{ value|e }}|{% if true %}{{ value }}{% endif %}"
    printed = ours.from_string(source).render(value=value)
    assert printed == plain_jinja(ours).from_string(source).render(value=value)
    assert printed.split("|")[0] == str(markupsafe.escape(value))


def _yields(code: str) -> int:
    """How many `yield` statements a template's generated code has (Jinja's `if 0: yield None`,
    which makes a function a generator, not counted)."""
    return sum(1 for line in code.splitlines() if line.strip().startswith("yield "))


def test_a_run_of_text_and_values_between_tags_is_yielded_as_one_string(tmp_path):
    """Jinja's code yields each piece of text and each value on its own (nine here); ours
    yields each run between two tags once, joined."""
    ours = make_environment(default_theme(tmp_path))
    source = "<p>{{ a }} and {{ b }}</p>\n{% for x in c %}<i>{{ x }}</i>{% endfor %}{{ a }}"
    assert _yields(plain_jinja(ours).compile(source, raw=True)) == 9
    assert _yields(ours.compile(source, raw=True)) == 3
    values = {"a": "<a>", "b": Markup("<b>"), "c": [1, "&"]}
    printed = ours.from_string(source).render(values)
    assert printed == "<p>&lt;a&gt; and <b></p>\n<i>1</i><i>&amp;</i>&lt;a&gt;"


# Jinja's other ways of printing, each beside joined outputs: blocks and super(), macros and call
# blocks, filter and set blocks, autoescape switched off, includes, whitespace control.
_TEMPLATES = {
    "base.html": "<h1>{{ title }} · {{ site }}</h1>\n{% block body %}<p>{{ title }}!</p>"
    "{% endblock %}<footer>{{ site }}|{{ 1 + 2 }}</footer>",
    "macros.html": "{% macro card(x) %}<li>{{ x }} {{ x }}</li>{% endmacro %}"
    "{% macro boxed(x) %}<div>{{ x }}: {{ caller() }}</div>{% endmacro %}",
    "part.html": "<i>{{ title }}-{{ site }}</i>",
    "page.html": '{% extends "base.html" %}{% from "macros.html" import card, boxed %}'
    "{% block body %}{{ super() }} <ul>{% for x in items %}{{ card(x) }}"
    "{% call boxed(x) %}<b>{{ x }}</b> {{ loop.index }}{% endcall %}{% endfor %}</ul>"
    "{% filter upper %}{{ title }} and {{ site }}{% endfilter %}"
    "{% set kept %}{{ title }}:{{ site }}{% endset %}[{{ kept }}]"
    "{% autoescape false %}{{ title }}/{{ site }}{% endautoescape %}"
    '{% include "part.html" %}  {{- title -}}  |  {{ site|safe }}{% endblock %}',
}


def test_jinjas_other_ways_of_printing_print_as_jinja_prints_them(tmp_path):
    theme_dir = tmp_path / "themes" / "plain" / "templates"
    theme_dir.mkdir(parents=True)
    for name, source in _TEMPLATES.items():
        (theme_dir / name).write_text(source, encoding="utf-8")
    ours = make_environment(resolve_theme("plain", tmp_path))
    values = {"title": "<T&>", "site": Markup("<s>"), "items": ["a<", Markup("<m>")]}
    printed = ours.get_template("page.html").render(values)
    assert printed == plain_jinja(ours).get_template("page.html").render(values)
    assert "<b>a&lt;</b> 1" in printed and "[&lt;T&amp;&gt;:<s>]" in printed


def test_an_error_in_a_joined_run_names_its_line(tmp_path):
    """Jinja maps each line of a template's code to the template's: a value that fails within
    a joined run is reported on its own line."""
    ours = make_environment(default_theme(tmp_path))
    template = ours.from_string("<p>{{ a }}\n{{ a }} and {{ missing }}\n</p>{{ a }}")
    with pytest.raises(jinja2.UndefinedError) as caught:
        template.render(a=1)
    error = template_error(caught.value)
    assert error.line == 2 and "missing" in str(error)


# Macros called every way Jinja allows: positional arguments, defaults, keywords, a call block,
# extra arguments taken as varargs and kwargs, under autoescape off, and a macro's own Markup.
_MACRO_CALLS = (
    "{% macro tag(x, y='<d>') %}<i>{{ x }}{{ y }}</i>{% endmacro %}"
    "{% macro rest() %}[{{ varargs|join(',') }}|{{ kwargs|dictsort|join(',') }}]{% endmacro %}"
    "{% macro boxed(x) %}<b>{{ caller(x) }}</b>{% endmacro %}"
    "{% macro wrap(caller=none) %}({{ caller() }}){% endmacro %}"
    "{{ tag(a) }}{{ tag(a, b) }}{{ tag(x=a) }}{{ tag(a, y=b) }}{{ rest(1, a, k=b) }}"
    "{% for n in [1, 2] %}{{ tag(n) }}{{ tag(loop.index, a) }}{% endfor %}"
    "{% call(v) boxed(a) %}{{ v }}!{% endcall %}{{ wrap(caller=rest) }}"
    "{% autoescape false %}{{ tag(a)|e }}{% endautoescape %}{{ tag(tag(a))|length }}"
)


def test_macros_called_every_way_print_as_jinja_prints_them(tmp_path):
    ours = make_environment(default_theme(tmp_path))
    values = {"a": "<a&>", "b": Markup("<b>")}
    printed = ours.from_string(_MACRO_CALLS).render(values)
    assert printed == plain_jinja(ours).from_string(_MACRO_CALLS).render(values)
    assert printed.startswith("<i>&lt;a&amp;&gt;&lt;d&gt;</i><i>&lt;a&amp;&gt;<b></i>")
    assert "&lt;i&gt;&amp;lt;a" in printed  # autoescape off: text, not Markup, escaped again


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("{% macro m(x) %}{{ x }}{% endmacro %}{{ m(1, 2) }}", "takes not more than 1"),
        ("{% macro m(x) %}{{ x }}{% endmacro %}{{ m(1, z=2) }}", "no keyword argument 'z'"),
        ("{% macro m(x) %}{{ x }}{% endmacro %}{{ m() }}", "'x' was not provided"),
    ],
)
def test_a_macro_called_wrongly_fails_as_in_jinja(tmp_path, source, error):
    ours = make_environment(default_theme(tmp_path))
    for env in (ours, plain_jinja(ours)):
        with pytest.raises((TypeError, jinja2.UndefinedError), match=error):
            env.from_string(source).render()


def test_a_macro_given_only_positional_arguments_is_called_at_once(tmp_path, monkeypatch):
    """Jinja binds a macro's arguments in `Macro.__call__`, in Python, at every call; a call
    with positional arguments alone (a page's bylines, story lists, topic links) skips it."""
    ours = make_environment(default_theme(tmp_path))
    source = "{% macro m(x, y=2) %}{{ x }}{{ y }}{% endmacro %}{{ m(1) }}{{ m(3, 4) }}"
    source += "{{ m(5, y=6) }}"
    template = ours.from_string(source)
    bound = []
    original = jinja2.runtime.Macro.__call__

    def counted(self, *args, **kwargs):
        bound.append(args[1:])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.runtime.Macro, "__call__", jinja2.pass_eval_context(counted))
    assert template.render() == "123456"
    assert bound == [(5,)]  # only the call with a keyword argument went Jinja's way
