"""`digestgen serve`: a real server in a subprocess, real file edits, the live-reload stream."""

import http.client
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

from digestgen.check.site import render_site
from digestgen.config import load_config, with_overrides
from digestgen.output.paths import OUTPUT_MARKER
from digestgen.problems import Severity
from digestgen.records.validate import parse_timestamp
from digestgen.server.http import LIVE_PREFIX, SCRIPT_PATH, respond
from digestgen.server.site import DevSite
from tests.helpers import FIXED_NOW, build_in, make_site, record, run_cli

WAIT = 60.0  # the longest any step may take on a loaded machine before the test fails


def _wait_for(check, what: str, timeout: float = WAIT):
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urlopen(url, timeout=WAIT) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


class Serve:
    """`digestgen serve` running in a subprocess; its stdout lines arrive on a queue."""

    def __init__(self, root: Path, *extra: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "digestgen", "serve", "--port", "0",
             "--config", str(root / "digestgen.toml"), "--now", FIXED_NOW, *extra],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )  # fmt: skip
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        line = _wait_for(lambda: next((x for x in self.lines if "Serving " in x), None), "serve")
        self.url = line.split()[1]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def said(self, text: str) -> bool:
        """True once serve has printed a line containing text."""
        return any(text in line for line in self.lines)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=WAIT)


class Events:
    """A client of the live-reload event stream, collecting each reload's generation."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
        self.connection.request("GET", "/_digestgen/events")
        self.response = self.connection.getresponse()
        assert self.response.getheader("Content-Type") == "text/event-stream"
        self.generations: queue.Queue[int] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event = None
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "reload":
                    self.generations.put(int(line[6:]))
        except (OSError, ValueError):
            return

    def next(self) -> int:
        return self.generations.get(timeout=WAIT)


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[Path, Serve]]:
    root = make_site(tmp_path / "site", {"a.md": record("First title", "https://example.com/a")})
    (root / "templates").mkdir()
    server = Serve(root)
    try:
        yield root, server
    finally:
        server.stop()


def _story(base: str) -> str:
    return base + "2025/03/01/"


def test_serve_edit_reload_break_and_fix(served):
    root, server = served
    assert urlsplit(server.url).hostname == "127.0.0.1"
    status, kind, page = _get(server.url)
    assert status == 200 and kind == "text/html; charset=utf-8"
    assert "First title" in page and f'<script src="{SCRIPT_PATH}" data-generation="1">' in page
    events = Events(server.url)
    assert events.next() == 1  # the generation the stream starts at

    # An edited record is rebuilt, announced and served.
    (root / "content" / "a.md").write_text(
        record("Second title", "https://example.com/a"), encoding="utf-8"
    )
    assert events.next() == 2
    assert "Second title" in _get(server.url)[2]
    _wait_for(lambda: server.said("rebuilt in"), "the rebuild in the terminal")

    # A broken record: the page says so, so does the terminal, the rest still builds.
    (root / "content" / "b.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    assert events.next() == 3
    page = _get(server.url)[2]
    assert 'id="digestgen-problems"' in page and "b.md" in page and "Second title" in page
    _wait_for(lambda: server.said("error: b.md"), "the record error in the terminal")
    (root / "content" / "b.md").unlink()
    assert events.next() == 4
    assert 'id="digestgen-problems"' not in _get(server.url)[2]

    # A broken template: an error page naming it; fixed, the site is back.
    (root / "templates" / "index.html").write_text("{% if %}", encoding="utf-8")
    assert events.next() == 5
    status, _, page = _get(server.url)
    assert status == 500 and "The site cannot be built" in page and "index.html" in page
    assert f'<script src="{SCRIPT_PATH}"' in page  # it reloads itself once fixed
    _wait_for(lambda: server.said("error: template"), "the template error in the terminal")
    (root / "templates" / "index.html").unlink()
    assert events.next() == 6
    status, _, page = _get(server.url)
    assert status == 200 and "Second title" in page

    # A changed config is read again.
    config = root / "digestgen.toml"
    config.write_text(config.read_text().replace("Test Digest", "Renamed Digest"))
    _wait_for(lambda: "Renamed Digest" in _get(server.url)[2], "the new config's title")
    config.write_text("colour = 'red'\n")
    _wait_for(lambda: "unknown key &#x27;colour" in _get(server.url)[2], "the config error page")


def test_serve_serves_every_kind_of_file(served):
    _, server = served
    assert _get(server.url + "feed.xml")[:2] == (200, "application/rss+xml; charset=utf-8")
    assert _get(server.url + "atom.xml")[:2] == (200, "application/atom+xml; charset=utf-8")
    assert _get(server.url + "sitemap.xml")[0] == 200
    status, kind, css = _get(server.url + "css/style.css")
    assert status == 200 and kind.startswith("text/css") and "_digestgen" not in css
    status, _, page = _get(server.url + "no/such/page/")
    assert status == 404 and "Page not found" in page
    status, kind, script = _get(server.url + SCRIPT_PATH.lstrip("/"))
    assert status == 200 and "EventSource" in script and kind.startswith("text/javascript")
    with urlopen(server.url + "archive", timeout=WAIT) as response:  # redirected to archive/
        assert response.url.endswith("/archive/")


def test_build_output_never_has_the_live_reload_script(tmp_path):
    root = make_site(tmp_path, {"a.md": record()})
    built = build_in(root)
    assert built.exit_code == 0
    assert not any(LIVE_PREFIX.encode() in data for data in built.files().values())


def _all_files(site: DevSite) -> dict[str, bytes]:
    site.render("feed.xml")  # feeds are planned when one is first asked for
    snapshot = site.snapshot
    paths = [*snapshot.jobs, *snapshot.static, "sitemap.xml", "robots.txt", "_redirects",
             OUTPUT_MARKER]  # fmt: skip
    for shard in site.search_shards(snapshot):  # the search index is made shard by shard
        site.render(f"{shard.folder}pagefind-entry.json")
        paths += list(site.indexed[shard.folder][1])
    files = {}
    for path in paths:
        data, _ = site.render(path)
        if data is not None:
            files[path] = data
    return files


def test_incremental_rebuilds_equal_a_clean_render(tmp_path):
    records = {
        "a.md": record("A", "https://example.com/a", topics=["AI"]),
        "b.md": record("B", "https://example.com/b", when="2025-03-02T10:00:00Z", topics=["ai"]),
        "c.md": record("C", "https://example.com/c", related=[{"title": "A too",
                                                              "webUrl": "https://example.com/a"}]),
        "sub/x.md": record("X", "https://example.com/x"),
    }  # fmt: skip
    root = make_site(tmp_path, records, search=True)  # the search index is compared too
    config = with_overrides(load_config(root / "digestgen.toml", root), base_url="http://x.test/")
    now = parse_timestamp(FIXED_NOW, config.zone, print)
    assert now is not None
    site = DevSite(config, lambda: now, drafts=False)
    assert site.rebuild(None) is not None
    content = root / "content"
    (content / "a.md").write_text(record("A renamed", "https://example.com/a", topics=["Robots"]))
    (content / "d.md").write_text(record("D", "https://example.com/d", when="2025-02-01T10:00Z"))
    (content / "b.md").unlink()
    (content / ".hidden.md").write_text("not a record")
    rebuilt = site.rebuild([content / n for n in ("a.md", "b.md", "d.md", ".hidden.md")])
    assert rebuilt is not None and rebuilt.files == 3
    (content / "sub").rename(tmp_path / "moved-away")  # a folder event only
    assert site.rebuild([content / "sub"]) is not None
    assert "sub/x.md" not in site.results
    assert site.rebuild([root / "elsewhere.txt"]) is None  # not part of the site
    records_now = [site.results[n][1] for n in sorted(site.results)]
    expected, _ = render_site(config, [r for r in records_now if r], now)
    assert _all_files(site) == expected
    clean = DevSite(config, lambda: now, drafts=False)
    clean.rebuild(None)
    assert _all_files(clean) == expected


def test_an_editors_side_files_reread_only_the_saved_record(tmp_path):
    root = make_site(tmp_path, {"a.md": record("A", "https://example.com/a"),
                                "b.md": record("B", "https://example.com/b")})  # fmt: skip
    config = load_config(root / "digestgen.toml", root)
    now = parse_timestamp(FIXED_NOW, config.zone, print)
    site = DevSite(config, lambda: now, drafts=False)
    site.rebuild(None)
    content = root / "content"
    (content / "a.md").write_text(record("A saved", "https://example.com/a"))
    (content / "a.md~").write_text("vim's backup, written and removed around the save")
    (content / "b.md").write_text(record("B, changed unseen", "https://example.com/b"))
    rebuilt = site.rebuild([content / "4913", content / "a.md~", content / "a.md"])
    assert rebuilt is not None and rebuilt.files == 1
    assert [site.results[n][1].title for n in ("a.md", "b.md")] == ["A saved", "B"]
    assert "a.md~" not in site.results


def test_respond_refuses_paths_outside_the_site(tmp_path):
    root = make_site(tmp_path, {"a.md": record()})
    config = load_config(root / "digestgen.toml", root)
    now = parse_timestamp(FIXED_NOW, config.zone, print)
    site = DevSite(config, lambda: now, drafts=False)
    site.rebuild(None)
    assert respond(site, "/../digestgen.toml").status == 400
    assert respond(site, "/%2e%2e/digestgen.toml").status == 400
    assert respond(site, "/").status == 200


def test_record_problems_are_kept_per_file(tmp_path):
    root = make_site(tmp_path, {"a.md": record(), "bad.md": "---\nquality: 300\n---\n"})
    config = load_config(root / "digestgen.toml", root)
    now = parse_timestamp(FIXED_NOW, config.zone, print)
    site = DevSite(config, lambda: now, drafts=False)
    rebuilt = site.rebuild(None)
    assert rebuilt is not None
    errors = [p for p in rebuilt.new_problems if p.severity is Severity.ERROR]
    assert errors and all(p.file == "bad.md" for p in errors)


def test_help_has_examples():
    code, out, _ = run_cli(["serve", "--help"])
    assert code == 0 and "examples:" in out and "--bind" in out


def test_memoised_assembly_equals_a_fresh_one(tmp_path):
    from dataclasses import replace

    from digestgen.stories.assemble import SiteMemo, assemble_site
    from tests.helpers.factories import rec

    config = load_config(None, tmp_path)
    now = parse_timestamp(FIXED_NOW, config.zone, print)
    assert now is not None
    records = [
        rec("a.md", "https://example.com/a", title="Alpha", topics=("AI",), heat=5),
        rec("b.md", "https://example.com/b", title="Beta", topics=("Space",)),
        rec("f.md", "https://example.com/f", title="Phi", topics=("ai",)),
        rec("c.md", "https://example.com/c", title="Alpha", when="2025-03-01T12:00:00+00:00"),
        rec("d.md", "https://www.example.com/a/", title="Duplicate of alpha"),
    ]
    memo = SiteMemo()
    _, first, _ = assemble_site(records, config, now, False, memo)
    assert first == assemble_site(records, config, now, False)[1]
    changed = [
        replace(records[0], title="Alpha, edited", heat=90, topics=("Robots",)),
        records[1],
        records[2],
        records[4],
        rec("e.md", "https://example.com/e", title="Alpha", when="2025-03-01T08:00:00+00:00"),
    ]
    _, again, notes = assemble_site(changed, config, now, False, memo)
    _, fresh, fresh_notes = assemble_site(changed, config, now, False)
    assert again == fresh and notes == fresh_notes
    beta = next(s for s in first.stories if s.lead.file == "b.md")
    assert any(s is beta for s in again.stories)  # the untouched story was reused


def _dev_site(root: Path) -> DevSite:
    config = load_config(root / "digestgen.toml", root)
    now = parse_timestamp(FIXED_NOW, config.zone, print)
    site = DevSite(config, lambda: now, drafts=False)
    assert site.rebuild(None) is not None
    return site


def test_a_folder_loop_appearing_while_serving_is_a_problem_then_recovers(tmp_path):
    root = make_site(tmp_path, {"a.md": record("Alpha", "https://example.com/a"),
                                "sub/b.md": record("Beta", "https://example.com/b")})  # fmt: skip
    site = _dev_site(root)
    content = root / "content"
    (content / "sub" / "loop").symlink_to("..")
    rebuilt = site.rebuild([content / "sub" / "loop"])
    assert rebuilt is not None and rebuilt.fatal is None
    assert [str(p) for p in rebuilt.new_problems] == [
        "warning: sub/loop: is a link to a folder already read (the content folder); skipped"
    ]
    response = respond(site, "/")
    assert response.status == 200 and "Alpha" in response.body.decode()
    assert "sub/loop: is a link" in response.body.decode()  # in the page's problem list
    # A change seen through the loop is not a new record: the full read skips the loop.
    (content / "a.md").write_text(record("Alpha again", "https://example.com/a"))
    assert site.rebuild([content / "sub" / "loop" / "a.md"]) is not None
    assert sorted(site.results) == ["a.md", "sub/b.md"]
    assert site.results["a.md"][1].title == "Alpha again"
    (content / "sub" / "loop").unlink()
    rebuilt = site.rebuild([content / "sub" / "loop"])
    assert rebuilt is not None and rebuilt.fatal is None and not site.snapshot.problems
    assert 'id="digestgen-problems"' not in respond(site, "/").body.decode()


def test_a_failed_read_is_shown_and_the_next_rebuild_reads_everything(tmp_path, monkeypatch):
    """The content folder's walk is made to fail once with an OSError (injected), as one
    did on a folder loop before links were tracked."""
    from digestgen.server import site as serve

    root = make_site(tmp_path, {"a.md": record("Alpha", "https://example.com/a")})
    site = _dev_site(root)
    content = root / "content"
    scan_content = serve.scan_content

    def failing(folder):
        raise OSError(40, "Too many levels of symbolic links", str(folder / "loop"))

    monkeypatch.setattr(serve, "scan_content", failing)
    (content / "new").mkdir()
    rebuilt = site.rebuild([content / "new"])
    assert rebuilt is not None
    assert rebuilt.fatal == f"cannot rebuild: {content}/loop: Too many levels of symbolic links"
    response = respond(site, "/")
    assert response.status == 500 and "Too many levels of symbolic links" in response.body.decode()
    monkeypatch.setattr(serve, "scan_content", scan_content)
    (content / "new" / "b.md").write_text(record("Beta", "https://example.com/b"))
    rebuilt = site.rebuild([content / "a.md"])  # not the path that changed: all is read again
    assert rebuilt is not None and rebuilt.fatal is None
    assert sorted(site.results) == ["a.md", "new/b.md"]
    assert respond(site, "/").status == 200


def test_serve_keeps_serving_through_a_folder_loop(served):
    root, server = served
    events = Events(server.url)
    assert events.next() == 1
    (root / "content" / "loop").symlink_to(".")
    assert events.next() == 2
    _wait_for(lambda: server.said("warning: loop: is a link to a folder"), "the loop warning")
    status, _, page = _get(server.url)
    assert status == 200 and "First title" in page and "loop: is a link" in page
    (root / "content" / "loop").unlink()
    assert events.next() == 3
    status, _, page = _get(server.url)
    assert status == 200 and 'id="digestgen-problems"' not in page
    assert server.process.poll() is None


def test_the_rebuild_thread_outlives_an_unexpected_error(tmp_path, monkeypatch):
    """Watching a new folder is made to fail once (injected: as when the system's limit on
    watches is reached); the failure is reported and the next change is rebuilt."""
    from digestgen.server.watch import start

    root = make_site(tmp_path, {"a.md": record("Alpha", "https://example.com/a")})
    config = load_config(root / "digestgen.toml", root)
    now = parse_timestamp(FIXED_NOW, config.zone, print)
    reports: list[str] = []
    rebuilds: queue.Queue[object] = queue.Queue()
    watched = DevSite.watched
    failures = iter([OSError(28, "No space left on device", "inotify")])

    def failing_once(self):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return watched(self)

    session = start(lambda _: DevSite(config, lambda: now, False), "127.0.0.1", 0, None,
                    reports.append, rebuilds.put)  # fmt: skip
    try:
        rebuilds.get(timeout=WAIT)  # the first build
        monkeypatch.setattr(DevSite, "watched", failing_once)
        (root / "content" / "b.md").write_text(record("Beta", "https://example.com/b"))
        _wait_for(lambda: reports, "the failure's report")
        assert reports == ["error: cannot rebuild: inotify: No space left on device"]
        (root / "content" / "c.md").write_text(record("Gamma", "https://example.com/c"))
        rebuilds.get(timeout=WAIT)
        assert session.thread.is_alive()
        assert "Gamma" in respond(session.server.site, "/").body.decode()
    finally:
        session.stop()


def _get_with_host(url: str, host: str, path: str = "/") -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_serve_answers_only_to_local_names_and_addresses(served):
    """A web page that points a name of its own at 127.0.0.1 (DNS rebinding) must not be able
    to read the preview, drafts and all, through the visitor's browser."""
    _, server = served
    port = urlsplit(server.url).port
    for host in ("attacker.example", f"attacker.example:{port}", "localhost.attacker.example"):
        for path in ("/", "/_digestgen/events", "/feed.xml"):
            status, body = _get_with_host(server.url, host, path)
            assert status == 421, (host, path)
            assert b"First title" not in body
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "LOCALHOST", f"[::1]:{port}"):
        status, body = _get_with_host(server.url, host)
        assert status == 200, host
        assert b"First title" in body


def test_a_client_that_leaves_early_is_no_error_and_others_are_one_line(tmp_path, capsys):
    from digestgen.server.http import LiveServer

    root = make_site(tmp_path, {"a.md": record("Alpha", "https://example.com/a")})
    reported: list[str] = []
    server = LiveServer(("127.0.0.1", 0), _dev_site(root), reported.append)
    try:
        for gone in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset")):
            try:
                raise gone
            except ConnectionError:
                server.handle_error(None, ("127.0.0.1", 1))
        try:
            raise ValueError("odd request")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 1))
    finally:
        server.server_close()
    assert reported == ["error: a request failed: ValueError: odd request"]
    assert capsys.readouterr().err == ""


def test_a_bad_port_or_bind_address_is_bad_usage():
    """A port out of range ended serve in an OverflowError traceback, a bind address with an
    undecodable byte in a TypeError one."""
    hostile = os.fsdecode(b"a\x1b[31m\xff")
    for option, value in [("--port", "99999"), ("--port", "-1"), ("--bind", hostile),
                          ("--bind", "a b")]:  # fmt: skip
        code, _, err = run_cli(["serve", option, value])
        assert code == 2 and f"argument {option}: must be" in err, (option, value)
        assert "\x1b" not in err


def test_a_config_error_while_serving_is_one_escaped_line(tmp_path):
    """The config file's name is the user's: a newline or escape sequence in it cannot forge or
    colour a line of serve's output, and two problems stay one line in page and terminal."""
    root = make_site(tmp_path / "x\nerror: forged\x1b[31m" / "site", {"a.md": record()})
    server = Serve(root)
    try:
        (root / "digestgen.toml").write_text("colour = 'red'\nshape = 1\n", encoding="utf-8")
        _wait_for(lambda: server.said("unknown key 'shape'"), "the config error in the terminal")
    finally:
        server.stop()
    shown = [line for line in server.lines if "unknown key" in line]
    assert len(shown) == 1 and "unknown key 'colour'" in shown[0], server.lines
    assert "x\\x0aerror: forged\\x1b[31m" in shown[0]
    assert not any("\x1b" in line or line.startswith("error: forged") for line in server.lines)
