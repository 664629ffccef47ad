"""Themes: a child theme or the site overrides single files; the rest comes from the parent."""

from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest

from digestgen.config.load import parse_config
from digestgen.render.environment import compile_templates, make_environment
from digestgen.render.extras import DEFAULT_SITEMAP_TEMPLATE, render_sitemap
from digestgen.render.renderer import PageRenderer
from digestgen.render.themes import (
    ThemeError,
    packaged_themes_dir,
    resolve_theme,
)
from tests.helpers import build_in, make_site, record


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_child_theme_overrides_one_template_and_one_static_file(tmp_path):
    root = make_site(tmp_path, {"a.md": record("Alpha")}, config='theme = "night"\n')
    write(root / "themes/night/theme.toml", 'extends = "default"\n')
    write(
        root / "themes/night/templates/404.html",
        '{% extends "base.html" %}{% block content %}<h1>Lost at night</h1>{% endblock %}',
    )
    write(root / "themes/night/static/css/style.css", "body { background: black; }\n")
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert "Lost at night" in result.read("404.html")
    assert result.read("css/style.css") == "body { background: black; }\n"
    assert "Alpha" in result.read("index.html")  # index.html still from the default theme
    default_css = packaged_themes_dir() / "default/static/css/style.css"
    assert default_css.read_text(encoding="utf-8") != result.read("css/style.css")


def test_site_templates_folder_overrides_without_a_theme(tmp_path):
    root = make_site(tmp_path, {"a.md": record()})
    write(root / "templates/robots.txt", "User-agent: *\nDisallow: /\n")
    write(root / "static/favicon.ico", "icon")
    result = build_in(root)
    assert result.read("robots.txt") == "User-agent: *\nDisallow: /\n"
    assert result.read("favicon.ico") == "icon"


@pytest.mark.parametrize("path", ["sitemap.xml", "404.html", "feed.xml", "topics/index.html"])
def test_static_file_colliding_with_a_page_or_feed_is_an_error(tmp_path, path):
    root = make_site(tmp_path, {"a.md": record()})
    write(root / "static" / path, "<x/>")
    result = build_in(root)
    assert result.exit_code == 1
    assert f"file {path}: two outputs for the same path /{path}" in result.stderr
    assert not result.output.exists()  # nothing written


def test_unknown_theme_is_a_fatal_error(tmp_path):
    root = make_site(tmp_path, {"a.md": record()}, config='theme = "nope"\n')
    result = build_in(root)
    assert result.exit_code == 1
    assert "theme 'nope' not found" in result.stderr


def test_themes_extending_each_other_in_a_loop_are_refused(tmp_path):
    write(tmp_path / "themes/a/theme.toml", 'extends = "b"\n')
    write(tmp_path / "themes/b/theme.toml", 'extends = "a"\n')
    with pytest.raises(ThemeError, match="loop"):
        resolve_theme("a", tmp_path)


def test_project_themes_folder_is_searched_before_packaged_themes(tmp_path):
    write(tmp_path / "themes/default/templates/404.html", "mine")
    theme = resolve_theme("default", tmp_path)
    assert theme.layers[0] == tmp_path / "themes/default"


def test_default_theme_has_every_page_template():
    templates = packaged_themes_dir() / "default" / "templates"
    for name in ["base.html", "index.html", "story.html", "edition.html", "archive.html",
                 "topics.html", "topic.html", "sources.html", "source.html", "404.html",
                 "sitemap.xml", "sitemap-index.xml", "robots.txt", "feed/item.html"]:  # fmt: skip
        assert (templates / name).is_file(), name


LOST = '{% extends "base.html" %}{% block content %}<h1>Lost, my way</h1>{% endblock %}'


@pytest.mark.parametrize("declaration", [None, 'extends = "default"\n'])
def test_project_theme_named_default_overrides_one_file_of_the_packaged_default(
    tmp_path, declaration
):
    root = make_site(tmp_path, {"a.md": record("Alpha")})
    write(root / "themes/default/templates/404.html", LOST)
    if declaration is not None:
        write(root / "themes/default/theme.toml", declaration)
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert "Lost, my way" in result.read("404.html")
    assert "Alpha" in result.read("index.html")  # the rest from the packaged default
    assert result.read("css/style.css") == (
        packaged_themes_dir() / "default/static/css/style.css"
    ).read_text(encoding="utf-8")


def test_child_theme_extends_the_projects_default_which_builds_on_the_packaged_one(tmp_path):
    root = make_site(tmp_path, {"a.md": record("Alpha")}, config='theme = "night"\n')
    write(root / "themes/night/theme.toml", 'extends = "default"\n')
    write(root / "themes/night/static/css/night.css", "night")
    write(root / "themes/default/templates/404.html", LOST)
    theme = resolve_theme("night", root)
    assert theme.layers == (
        root / "themes/night",
        root / "themes/default",
        packaged_themes_dir() / "default",
    )
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert "Lost, my way" in result.read("404.html") and result.read("css/night.css") == "night"


def test_a_theme_extending_its_own_name_with_nothing_behind_it_is_not_found(tmp_path):
    write(tmp_path / "themes/solo/theme.toml", 'extends = "solo"\n')
    with pytest.raises(ThemeError, match="theme 'solo' not found"):
        resolve_theme("solo", tmp_path)


@pytest.mark.parametrize("name", ["my logo.png", "img/caf\u00e9.png", "a&b.css"])
def test_static_file_with_an_unusable_name_is_a_fatal_error_naming_it(tmp_path, name):
    root = make_site(tmp_path, {"a.md": record()})
    write(root / "static" / name, "x")
    result = build_in(root)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"digestgen: unsafe output path {name!r}: ")
    assert "Traceback" not in result.stderr
    assert not result.output.exists()


def test_a_project_whose_themes_folder_is_the_packaged_one_builds(tmp_path):
    # digestgen's own checkout: the demo site's themes/ is where the packaged themes live.
    root = make_site(tmp_path, {"a.md": record("Alpha")})
    (root / "themes").symlink_to(packaged_themes_dir())
    theme = resolve_theme("default", root)
    assert theme.layers == (root / "themes/default",)
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert "Alpha" in result.read("index.html")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (b"<p>caf\xe9</p>", "template index.html, line 1: not UTF-8 text (bad byte at offset 6)"),
        (b"{% if x %}" * 5_000, "template index.html, line 1: nested too deeply to parse"),
        (b"{{ " + b"(" * 5_000 + b"1" + b")" * 5_000 + b" }}", "nested too deeply to parse"),
    ],
)
def test_a_template_not_utf8_or_nested_too_deeply_is_a_template_error(tmp_path, template, message):
    """Both ended the build in a UnicodeDecodeError or RecursionError traceback."""
    root = make_site(tmp_path / "site", {"a.md": record()})
    (root / "templates").mkdir()
    (root / "templates" / "index.html").write_bytes(template)
    result = build_in(root)
    assert result.exit_code == 1
    assert message in result.stderr.splitlines()[-1]
    assert not result.output.exists()


def test_a_theme_declaration_nested_too_deeply_is_a_theme_error(tmp_path):
    """It ended the build in a RecursionError traceback."""
    root = make_site(tmp_path, {"a.md": record()}, config='theme = "deep"\n')
    write(root / "themes/deep/theme.toml", "x = " + "[" * 5_000 + "]" * 5_000 + "\n")
    result = build_in(root)
    assert result.exit_code == 1
    assert result.stderr.endswith("theme.toml: cannot read theme declaration: nested too deeply\n")


def test_the_packaged_sitemap_is_written_as_its_template_renders_it(tmp_path):
    # The packaged sitemap template is rendered by equivalent Python (render_sitemap): the two
    # must not drift apart, whatever the base URL, zone or missing times.
    template = packaged_themes_dir() / "default" / "templates" / "sitemap.xml"
    assert template.read_text(encoding="utf-8") == DEFAULT_SITEMAP_TEMPLATE
    data = {"title": "T", "base_url": "https://example.org/news/", "timezone": "Asia/Kolkata"}
    config = parse_config(data, "site.toml", tmp_path)
    env = make_environment(resolve_theme("default", tmp_path))
    renderer = PageRenderer(config, env, {})
    moment = datetime(2025, 3, 1, 23, 30, 5, tzinfo=UTC)
    entries = (("/", moment), ("/2025/03/02/a-<story>/", moment), ("/topics/", None))
    fast = render_sitemap(entries, renderer)
    assert fast == env.get_template("sitemap.xml").render(entries=entries).encode("utf-8")
    assert b"<loc>https://example.org/news/2025/03/02/a-&lt;story&gt;/</loc>" in fast
    assert b"<lastmod>2025-03-02T05:00:05+05:30</lastmod>" in fast


def compiles(env) -> list[str]:
    """The names of the templates `env` compiles from now on."""
    names: list[str] = []
    compile_source = env.compile
    env.compile = lambda source, name=None, *rest, **kw: (
        names.append(name) or compile_source(source, name, *rest, **kw)
    )
    return names


def test_templates_compiled_ahead_are_used_until_their_source_changes(tmp_path):
    # A build compiles the theme's templates in a forked process while it reads its records
    # (render.forked._compile_theme); rendering then compiles none of them, unless one changed
    # since.
    write(tmp_path / "templates/robots.txt", "User-agent: *\nDisallow: /a/\n")
    write(tmp_path / "templates/broken.html", "{% if %}")
    config = parse_config({"title": "T", "base_url": "https://example.org/"}, "s.toml", tmp_path)
    theme = resolve_theme("default", tmp_path)
    compiled = compile_templates(theme, lambda env: PageRenderer(config, env, {}))
    env = make_environment(theme, compiled)
    PageRenderer(config, env, {})
    compiled_now = compiles(env)
    assert env.get_template("robots.txt").render() == "User-agent: *\nDisallow: /a/\n"
    env.get_template("story.html")
    assert compiled_now == []
    with pytest.raises(jinja2.TemplateSyntaxError):  # left out ahead, its error raised here
        env.get_template("broken.html")
    write(tmp_path / "templates/robots.txt", "User-agent: *\nDisallow: /b/\n")
    env = make_environment(theme, compiled)
    PageRenderer(config, env, {})
    compiled_now = compiles(env)
    assert env.get_template("robots.txt").render() == "User-agent: *\nDisallow: /b/\n"
    assert compiled_now == ["robots.txt"]


def test_an_overridden_sitemap_template_is_rendered_through_jinja(tmp_path):
    root = make_site(tmp_path, {"a.md": record()})
    write(root / "templates/sitemap.xml", DEFAULT_SITEMAP_TEMPLATE.replace("<url>", "<url>\n"))
    result = build_in(root)
    assert result.exit_code == 0, result.stderr
    assert "<url>\n<loc>https://" in result.read("sitemap.xml")
