"""The command line: options, the summary, exit statuses 0, 1 and 2."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import SEED_NAME, build_in, make_site, record, run_cli


def test_help_shows_examples():
    code, out, _ = run_cli(["build", "--help"])
    assert code == 0
    assert "--drafts" in out and "examples:" in out


def test_bad_usage_exits_2():
    assert run_cli([])[0] == 2
    assert run_cli(["build", "--no-such-option"])[0] == 2
    assert run_cli(["frobnicate"])[0] == 2


def test_bad_now_or_base_url_is_bad_usage(tmp_path):
    root = make_site(tmp_path, {"a.md": record()})
    config = str(root / "digestgen.toml")
    code, _, err = run_cli(["build", "--config", config, "--now", "yesterday"])
    assert code == 2 and "--now" in err
    code, _, err = run_cli(["build", "--config", config, "--base-url", "ftp://x/"])
    assert code == 2 and "--base-url" in err


def test_bad_config_exits_1_naming_the_key(tmp_path):
    root = make_site(tmp_path, {"a.md": record()}, config="colour = 'red'\n")
    result = build_in(root)
    assert result.exit_code == 1
    assert "unknown key 'colour'" in result.stderr
    assert not result.output.exists()


def test_summary_counts_everything(tmp_path, seed_text):
    records = {
        SEED_NAME: seed_text,  # a draft
        "good.md": record("Good one"),
        "bad.md": record("Bad one", quality=400),
        "later.md": record("Later", url="https://example.com/later", when="2030-01-01T08:00:00Z"),
    }
    result = build_in(make_site(tmp_path, records))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "records read:       4" in out
    assert "stories built:      1" in out
    assert "drafts left out:    1" in out
    assert "records skipped:    1" in out
    assert "bad.md: quality: must be from 0 to 100, got 400" in out
    assert "scheduled:          1 (next due 2030-01-01 08:00 UTC)" in out
    # The site's, the source's and the edition's feeds, in three formats each.
    assert "pages written:" in out and "feeds written:      9" in out
    assert "seconds:" in out
    assert "error: bad.md: quality:" in result.stderr


def test_strict_fails_on_any_problem_but_still_builds(tmp_path):
    root = make_site(tmp_path, {"good.md": record(), "bad.md": record("B", heat="hot")})
    result = build_in(root, "--strict")
    assert result.exit_code == 1
    assert (result.output / "index.html").is_file()


def test_strict_passes_a_clean_site(tmp_path):
    assert build_in(make_site(tmp_path, {"good.md": record()}), "--strict").exit_code == 0


def test_content_and_output_options_override_the_config(tmp_path):
    root = make_site(tmp_path / "site", {})
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "x.md").write_text(record("Elsewhere story"), encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["build", "--config", str(root / "digestgen.toml"), "--content", str(other),
         "--output", str(out), "--now", "2026-01-01T00:00:00Z"]
    )  # fmt: skip
    assert code == 0, err
    assert "Elsewhere story" in (out / "index.html").read_text(encoding="utf-8")


def test_missing_content_folder_is_fatal(tmp_path):
    root = make_site(tmp_path, {})
    (root / "content").rmdir()
    result = build_in(root)
    assert result.exit_code == 1
    assert "content folder not found" in result.stderr


def _run_module(root: Path, *args: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "digestgen", "build", *args],
        cwd=root, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_python_dash_m_and_source_date_epoch_clock(tmp_path):
    records = {
        "past.md": record("Past"),
        "future.md": record("Future", url="https://example.com/f", when="2025-06-01T00:00:00Z"),
    }
    root = make_site(tmp_path, records)
    before = _run_module(root, env_extra={"SOURCE_DATE_EPOCH": "1745000000"})  # April 2025
    assert before.returncode == 0, before.stderr
    assert "scheduled:          1" in before.stdout
    after = _run_module(root, env_extra={"SOURCE_DATE_EPOCH": "1750000000"})  # June 2025
    assert "stories built:      2" in after.stdout
    bad = _run_module(root, env_extra={"SOURCE_DATE_EPOCH": "soon"})
    assert bad.returncode == 2 and "SOURCE_DATE_EPOCH" in bad.stderr


def test_quiet_prints_only_errors_and_warnings(tmp_path):
    records = {"good.md": record(), "bad.md": record("B", url="https://b.example.com/", heat=500)}
    result = build_in(make_site(tmp_path, records), "--quiet")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "error: bad.md: heat:" in result.stderr


def test_verbose_adds_rewritten_counts_and_stage_timings(tmp_path):
    result = build_in(make_site(tmp_path, {"good.md": record()}), "--verbose")
    assert "files rewritten:" in result.stdout
    for stage in ("records:", "stories:", "render:"):
        assert stage in result.stdout


def test_progress_line_redraws_one_line_and_clears_it():
    import io

    from digestgen.commands.build import ProgressLine

    stream = io.StringIO()
    progress = ProgressLine(stream)
    progress("rendering", 10, 30)
    progress("rendering", 20, 30)
    progress.clear()
    assert stream.getvalue() == "\rrendering 10/30 \rrendering 30/30 \r\x1b[K"


def test_no_progress_line_when_stderr_is_not_a_terminal(tmp_path):
    result = build_in(make_site(tmp_path, {"good.md": record()}))
    assert "\r" not in result.stderr


def test_a_file_name_cannot_forge_or_colour_a_line_nor_stop_a_strict_terminal(tmp_path):
    """Record file names are the user's to choose, newlines and escape sequences included, and
    need not be UTF-8; every line digestgen prints shows them escaped."""
    root = make_site(tmp_path / "site", {"good.md": record()})
    content = os.fsencode(root / "content")
    forged = b"a\nerror: everything.md: is fine\x1b[31m.md"
    for name in (forged, b"caf\xe9.md"):
        with open(os.path.join(content, name), "wb") as handle:
            handle.write(b"---\ntitle: broken\n---\n")  # no date, no URL: skipped, named
    command = [sys.executable, "-m", "digestgen", "build", "--config",
               str(root / "digestgen.toml"), "--now", "2026-01-01T00:00:00Z"]  # fmt: skip
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "NO_COLOR": "1"}
    done = subprocess.run(command, capture_output=True, env=env)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert "records skipped:    2" in out
    assert "\x1b" not in out + err
    assert not any(line.startswith("error: everything.md") for line in (out + err).splitlines())
    assert "a\\x0aerror: everything.md: is fine\\x1b[31m.md" in out + err
    assert "caf\\xe9.md" in out and "caf\\xe9.md" in err


# A name a user may give a file or folder: a newline that would forge an error line, an escape
# sequence that would colour the terminal, and a byte that is not UTF-8 (os.fsdecode keeps it
# as a lone surrogate, which a strict UTF-8 stream cannot write).
HOSTILE_NAME = os.fsdecode(b"x\nerror: forged\x1b[31m\xff")
SHOWN_NAME = "x\\x0aerror: forged\\x1b[31m\\xff"


def run_strict(*args: str) -> tuple[int, str, str]:
    """Run digestgen in a subprocess whose stdout is strict UTF-8; (exit code, stdout, stderr)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "digestgen", *args], capture_output=True, env=env, timeout=120
    )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def assert_escaped(out: str, err: str) -> None:
    """The hostile name was printed escaped: no forged line, no escape sequence, no traceback."""
    assert "Traceback" not in err and "\x1b" not in out + err, err
    assert not any(line.startswith("error: forged") for line in (out + err).splitlines())
    assert SHOWN_NAME in out + err, err


def test_fatal_errors_show_the_names_and_values_they_quote_escaped(tmp_path):
    """Config, content, output and usage errors quote paths and arguments the user chose: each is
    printed as printable lines, whatever the name holds, with the usual exit status."""
    root = make_site(tmp_path / "site", {"a.md": record()})
    config = str(root / "digestgen.toml")
    hostile = tmp_path / HOSTILE_NAME
    hostile.mkdir()
    (hostile / "keep.txt").write_text("not digestgen's", encoding="utf-8")
    (hostile / "digestgen.toml").write_text("colour = 'red'\nshape = 1\n", encoding="utf-8")
    new = ["new", "--config", config, "--title", "T", "--url", "https://example.com/t"]
    cases = [
        (1, ["build", "--config", str(hostile / "missing.toml")]),
        (1, ["check", "--config", str(hostile / "digestgen.toml")]),
        (1, ["build", "--config", config, "--content", str(hostile / "nowhere")]),
        (1, ["build", "--config", config, "--output", str(hostile)]),  # not digestgen's
        (1, [*new, "--content", str(hostile / "keep.txt")]),
        (2, ["check", "--config", config, "--against", str(hostile / "nowhere")]),
        (2, ["build", "--config", config, HOSTILE_NAME]),  # not an option
    ]
    for expected, args in cases:
        code, out, err = run_strict(*args)
        assert code == expected, err
        assert_escaped(out, err)
    # A config error's problems are one line each, each naming the file.
    code, _, err = run_strict("build", "--config", str(hostile / "digestgen.toml"))
    problems = [line for line in err.splitlines() if "unknown key" in line]
    assert len(problems) == 2 and all(SHOWN_NAME in line for line in problems)


def test_new_names_the_record_that_holds_the_url_escaped(tmp_path):
    root = make_site(tmp_path / "site", {})
    with open(
        os.path.join(os.fsencode(root / "content"), os.fsencode(HOSTILE_NAME + ".md")), "wb"
    ) as handle:
        handle.write(record(url="https://example.com/held").encode())
    code, out, err = run_strict("new", "--config", str(root / "digestgen.toml"), "--title", "T",
                                "--url", "https://example.com/held")  # fmt: skip
    assert code == 1 and "already holds https://example.com/held" in err
    assert_escaped(out, err)


def test_checks_json_and_github_formats_escape_what_a_terminal_cannot_show(tmp_path):
    """An undecodable byte in a record's name once crashed `--format json` on a UTF-8 stdout;
    an escape sequence reached a GitHub annotation raw."""
    root = make_site(tmp_path / "site", {})
    with open(
        os.path.join(os.fsencode(root / "content"), os.fsencode(HOSTILE_NAME + ".md")), "wb"
    ) as handle:
        handle.write(b"---\ntitle: broken\n---\n")
    config = str(root / "digestgen.toml")
    code, out, err = run_strict("check", "--config", config, "--format", "json")
    assert code == 1 and "Traceback" not in err
    document = json.loads(out)
    assert document["problems"][0]["file"].endswith(HOSTILE_NAME + ".md")  # the same text back
    code, out, err = run_strict("check", "--config", config, "--format", "github")
    assert code == 1
    # GitHub's own escapes for a line break and, in a property, a colon:
    assert_escaped(out.replace("%0A", "\\x0a").replace("%3A", ":"), err)


def test_a_folder_name_too_long_for_the_system_is_a_message_not_a_traceback(tmp_path):
    """Path.exists() and is_dir() raise for a name over NAME_MAX (255 bytes) rather than say
    False: --output, --content and --against ended in an OSError traceback, and serve called it
    an address it could not listen on."""
    root = make_site(tmp_path / "site", {"a.md": record()})
    config = str(root / "digestgen.toml")
    long = str(tmp_path / ("a" * 300))
    for args in (["build", "--output", long], ["build", "--content", long],
                 ["check", "--content", long]):  # fmt: skip
        code, _, err = run_cli([args[0], "--config", config, *args[1:]])
        assert (code, err) == (1, f"digestgen: {long}: File name too long\n")
    code, _, err = run_cli(["check", "--config", config, "--against", long])
    assert code == 2 and err.endswith(f"--against: {long} is not a folder\n")
    command = [sys.executable, "-m", "digestgen", "serve", "--config", config, "--port", "0",
               "--content", long]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr == f"digestgen: {long}: File name too long\n"


_IMPORTS_OF_A_BUILD = """
import sys
from digestgen.commands.cli import main
code = main(sys.argv[1:])
print("imported:", *sorted(name for name in sys.modules if name.split(".")[0] in
      ("feedparser", "pagefind", "asyncio") or name.startswith("digestgen.server")))
raise SystemExit(code)
"""


def test_a_build_with_nothing_to_do_imports_no_other_command_or_pagefind(tmp_path):
    # Start-up time: `import` needs feedparser, `serve` its server, only indexing Pagefind.
    root = make_site(tmp_path, {"a.md": record()})
    command = [sys.executable, "-c", _IMPORTS_OF_A_BUILD, "build", "--config",
               str(root / "digestgen.toml"), "--now", "2026-01-01T00:00:00Z"]  # fmt: skip
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "imported:"
