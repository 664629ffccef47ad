"""Configuration: every key validated, errors name the file and the key, docs document all."""

import inspect
import os
import subprocess
import sys
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from digestgen.config import (
    ConfigError,
    RankingWeights,
    SiteConfig,
    found_config,
    load_config,
    parse_config,
    with_overrides,
)
from digestgen.config.load import MAX_CONFIG_BYTES, OVERRIDES
from digestgen.config.schema import KEYS, NOT_KEYS, RANKING
from tests.helpers import run_cli

ROOT = Path(__file__).parent.parent


def test_defaults_when_there_is_no_config_file(tmp_path):
    config = load_config(None, tmp_path)
    assert config.title == SiteConfig().title
    assert config.root == tmp_path.resolve()


def test_digestgen_toml_is_read_and_paths_are_relative_to_it(tmp_path):
    (tmp_path / "digestgen.toml").write_text(
        'title = "Mine"\nbase_url = "https://x.example/news"\ntimezone = "Europe/Paris"\n'
        "page_size = 7\n[ranking]\nheat = 2\n",
        encoding="utf-8",
    )
    config = load_config(None, tmp_path)
    assert config.title == "Mine"
    assert config.base_url == "https://x.example/news/"
    assert config.base_path == "/news/"
    assert config.timezone == "Europe/Paris"
    assert config.page_size == 7
    assert config.ranking == RankingWeights(heat=2.0)
    assert config.root == tmp_path.resolve()


def test_tool_table_in_pyproject_is_used_when_there_is_no_digestgen_toml(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.digestgen]\ntitle = "From pyproject"\n', encoding="utf-8"
    )
    assert load_config(None, tmp_path).title == "From pyproject"


def test_pyproject_without_the_tool_table_means_defaults(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert load_config(None, tmp_path).title == SiteConfig().title


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"titel": "x"}, "site.toml: unknown key 'titel'"),
        ({"title": ""}, "site.toml: title: must be a non-empty string"),
        ({"title": 3}, "site.toml: title: must be a non-empty string"),
        ({"title": "a\x01b"}, "site.toml: title: must not contain control characters"),
        ({"page_size": 0}, "site.toml: page_size: must be a whole number from 1 to 1000"),
        ({"page_size": True}, "site.toml: page_size: must be a whole number from 1 to 1000"),
        ({"feed_size": "10"}, "site.toml: feed_size: must be a whole number from 1 to 10000"),
        ({"timezone": "Mars/Olympus"}, "site.toml: timezone: unknown time zone 'Mars/Olympus'"),
        ({"base_url": "ftp://x.org/"}, "site.toml: base_url: must be an absolute http or https"),
        ({"base_url": "/relative/"}, "site.toml: base_url: must be an absolute http or https"),
        ({"output_dir": 5}, "site.toml: output_dir: must be a folder path"),
        ({"ranking": {"hot": 1}}, "site.toml: ranking.hot: unknown key"),
        ({"ranking": {"heat": -1}}, "site.toml: ranking.heat: must be a number of 0 or more"),
        ({"ranking": 5}, "site.toml: ranking: must be a table"),
        ({"language": "en_US"}, "site.toml: language: must be a language tag like 'en'"),
        ({"language": "english"}, "site.toml: language: must be a language tag like 'en'"),
        ({"language": "e"}, "site.toml: language: must be a language tag like 'en'"),
        ({"language": "en-"}, "site.toml: language: must be a language tag like 'en'"),
        ({"language": 'en" onload="x'}, "site.toml: language: must be a language tag"),
        ({"language": "en-toolongsubtag"}, "site.toml: language: must be a language tag"),
    ],
)
def test_bad_key_or_value_is_an_error_naming_it(data, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "site.toml", Path("."))
    assert message in str(caught.value)


def test_every_bad_key_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        parse_config({"a": 1, "b": 2, "page_size": -1}, "site.toml", Path("."))
    text = str(caught.value)
    assert "'a'" in text and "'b'" in text and "page_size" in text


def test_invalid_toml_names_the_file(tmp_path):
    bad = tmp_path / "digestgen.toml"
    bad.write_text("title = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"digestgen\.toml: not valid TOML"):
        load_config(None, tmp_path)


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "nope.toml", tmp_path)


def test_command_line_overrides():
    config = with_overrides(
        SiteConfig(), base_url="https://news.example.org", content_dir=Path("/c")
    )
    assert config.base_url == "https://news.example.org/"
    assert config.content_dir == Path("/c")
    with pytest.raises(ConfigError, match="--base-url"):
        with_overrides(SiteConfig(), base_url="javascript:alert(1)")


def test_docs_document_every_config_key():
    section = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    keys = [f.name for f in fields(SiteConfig) if f.name not in ("root", "source", "ranking")]
    keys += [f"ranking.{f.name}" for f in fields(RankingWeights)]
    missing = [key for key in keys if f"`{key}`" not in section]
    assert not missing, f"docs/configuration.md does not document {missing}"


def test_demo_config_is_valid():
    config = load_config(ROOT / "digestgen.toml", ROOT)
    assert config.output_dir == Path("public")


@pytest.mark.parametrize("tag", ["en", "EN", "fr", "pt-BR", "zh-Hant-TW", "de-CH-1901", "ast"])
def test_language_tags_are_accepted(tag):
    assert parse_config({"language": tag}, "site.toml", Path(".")).language == tag


def test_every_site_config_field_is_a_key_and_every_key_a_field():
    assert [f.name for f in fields(SiteConfig) if f.name not in NOT_KEYS] == list(KEYS)
    assert [f.name for f in fields(RankingWeights)] == list(RANKING)


@pytest.mark.parametrize("key", [key for key in KEYS if getattr(SiteConfig(), key) is not None])
def test_every_default_is_accepted_by_its_own_key(key):
    default = getattr(SiteConfig(), key)
    raw = (
        asdict(default)
        if key == "ranking"
        else str(default)
        if isinstance(default, Path)
        else default
    )
    assert getattr(parse_config({key: raw}, "site.toml", Path(".")), key) == default


@pytest.mark.parametrize("key", list(KEYS))
@pytest.mark.parametrize("raw", [[1], 2.5, None])
def test_every_key_refuses_a_value_of_the_wrong_kind_with_an_error_naming_it(key, raw):
    with pytest.raises(ConfigError) as caught:
        parse_config({key: raw}, "site.toml", Path("."))
    [line] = str(caught.value).splitlines()
    assert line.startswith(f"site.toml: {key}: ")


def test_archive_size_is_checked_against_the_feed_size_or_its_default():
    with pytest.raises(ConfigError) as caught:
        parse_config({"feed_archive_size": 60}, "site.toml", Path("."))
    assert str(caught.value) == "site.toml: feed_archive_size: must not be more than feed_size"
    with pytest.raises(ConfigError) as caught:
        parse_config({"feed_size": 0, "feed_archive_size": 60}, "site.toml", Path("."))
    assert str(caught.value).splitlines() == [
        "site.toml: feed_size: must be a whole number from 1 to 10000",
        "site.toml: feed_archive_size: must not be more than feed_size",
    ]


def test_every_bad_ranking_weight_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        parse_config({"ranking": {"hot": 1, "heat": -1, "coverage": 2}}, "site.toml", Path("."))
    assert str(caught.value).splitlines() == [
        "site.toml: ranking.hot: unknown key",
        "site.toml: ranking.heat: must be a number of 0 or more",
    ]


def test_every_command_line_override_is_a_config_key():
    parameters = inspect.signature(with_overrides).parameters
    assert [name for name in parameters if name != "config"] == list(OVERRIDES)
    assert set(OVERRIDES) <= set(KEYS)


@pytest.mark.parametrize(
    "url", ["ftp://x.org/", "/relative/", "https://x.org/?q=1", "https://x.org/#top", ""]
)
def test_command_line_base_url_is_checked_exactly_like_the_config_key(url):
    with pytest.raises(ConfigError) as from_file:
        parse_config({"base_url": url}, "site.toml", Path("."))
    with pytest.raises(ConfigError) as from_command_line:
        with_overrides(SiteConfig(), base_url=url)
    assert str(from_file.value).removeprefix("site.toml: base_url: ") == str(
        from_command_line.value
    ).removeprefix("--base-url: ")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://news example.org/", "has no valid host name"),
        ('https://news.example.org/"quoted"/', "its path may hold only"),
        ("https://news.example.org/*", "its path may hold only"),
        ("https://news.example.org/:splat/", "its path may hold only"),
        ("https://news.example.org/a\u2028b/", "its path may hold only"),
        ("https://news.example.org/a\x01b/", "its path may hold only"),
        ("https://evil.example\\@news.example.org/", "must not hold a user name or password"),
        ("https://news.example.org:99999/", "has no valid port"),
        ("https://news.example.org:http/", "has no valid port"),
    ],
)
def test_a_base_url_that_would_reach_redirects_and_links_raw_is_refused(url, why):
    """The base URL is written as it is into `_redirects` (where `*` and `:name` are Netlify's
    placeholders), robots.txt and every canonical link: it is checked as record URLs are."""
    for check in (
        lambda: parse_config({"base_url": url}, "site.toml", Path(".")),
        lambda: with_overrides(SiteConfig(), base_url=url),
    ):
        with pytest.raises(ConfigError, match=why):
            check()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/", "http://[::1]:8000/", "https://news.example.org/a%20b/"]
)
def test_a_local_preview_or_escaped_base_url_is_accepted(url):
    assert with_overrides(SiteConfig(), base_url=url).base_url == url


def test_a_control_character_in_base_url_is_an_error_not_a_traceback(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "digestgen.toml").write_text('base_url = "https://ex.com/\\u0001x/"\n', "utf-8")
    code, _, err = run_cli(["build", "--config", str(tmp_path / "digestgen.toml")])
    assert code == 1
    assert "base_url: its path may hold only" in err
    assert "Traceback" not in err
    (tmp_path / "digestgen.toml").write_text('title = "T"\n', "utf-8")
    code, _, err = run_cli(["build", "--config", str(tmp_path / "digestgen.toml"),
                            "--base-url", "https://ex.com/\x01/"])  # fmt: skip
    assert code == 2  # a bad value on the command line, as argparse reports one
    assert "--base-url: its path may hold only" in err and "Traceback" not in err


@pytest.mark.parametrize("theme", ["../../elsewhere", "/etc", "themes/default", ".hidden"])
def test_a_theme_is_a_name_never_a_path(theme):
    with pytest.raises(ConfigError, match="theme: must be a theme's name"):
        parse_config({"theme": theme}, "site.toml", Path("."))


@pytest.mark.parametrize("tool", ["tool = 3", 'tool = "digestgen"', "tool = [1]"])
def test_a_pyproject_whose_tool_is_not_a_table_is_a_clear_error(tmp_path, tool):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"{tool}\n", "utf-8")
    assert found_config(tmp_path) is None  # not a digestgen project: no traceback either
    with pytest.raises(ConfigError, match=r"\[tool\] must be a table"):
        load_config(pyproject, tmp_path)


def test_a_config_nested_too_deeply_or_too_large_is_an_error_not_a_traceback(tmp_path):
    """Deeply nested arrays or inline tables ended in a RecursionError traceback."""
    config = tmp_path / "digestgen.toml"
    for text, message in [
        ("a = " + "[" * 5_000 + "]" * 5_000, "not valid TOML: nested too deeply"),
        ("a = " + "{b = " * 5_000 + "1" + "}" * 5_000, "not valid TOML: nested too deeply"),
        ("#" * (MAX_CONFIG_BYTES + 1), f"cannot read config: it is over the {MAX_CONFIG_BYTES}"),
    ]:
        config.write_text(text + "\n", "utf-8")
        code, _, err = run_cli(["check", "--config", str(config)])
        assert code == 1 and f"digestgen: {config}: {message}" in err, err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_config_that_is_a_pipe_or_a_folder_is_an_error_never_a_hang(tmp_path):
    """A named pipe given as --config was read until something wrote to it: forever."""
    pipe = tmp_path / "site.toml"
    os.mkfifo(pipe)
    for config, why in [(pipe, "it is not a regular file"), (tmp_path, "it is a folder")]:
        done = subprocess.run(
            [sys.executable, "-m", "digestgen", "build", "--config", str(config)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert f"{config}: cannot read config: {why}" in done.stderr
