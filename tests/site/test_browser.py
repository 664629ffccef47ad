"""Real-browser tests: the demo site and a 200-record synthetic site, served on 127.0.0.1 with
netlify.toml's headers (so its Content-Security-Policy is enforced), driven in Debian's Chromium.

Screenshots of every page type, at phone and desktop widths, light and dark, are saved in
`test-artifacts/` (git-ignored). One browser is shared by the whole session.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from bench.generate import generate
from tests.helpers import FIXED_NOW, ROOT, make_site, record, run_cli
from tests.helpers.digests import sparse_digest
from tests.helpers.serving import page_paths, serve

pytestmark = [pytest.mark.slow, pytest.mark.browser]

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("DIGESTGEN_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SEED_TITLE = "The Biden administration's new facial recognition app for asylum seekers"
SEED_PATH = "/2021/06/04/the-biden-administrations-new-facial-recognition-app/"
SEED_EXCERPT_WORD = "geolocation"  # in the seed's excerpt, nowhere else in the demo
KINDS = ["front", "story", "topic", "edition", "archive", "search", "404"]
SITES = ["demo", "synthetic"]
SYNTHETIC_SHARD_SIZE = 50  # the synthetic site's search index in several shards
PHONE, DESKTOP = 360, 1280
SMALLEST = 320  # the narrowest screen the theme is made for
# Hot-linked images are answered by the test itself: the tests never touch the network.
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675"><defs><linearGradient '
    'id="g" x2="1" y2="1"><stop offset="0" stop-color="#7a8ca8"/><stop offset="1" '
    'stop-color="#c9b38f"/></linearGradient></defs><rect width="1200" height="675" '
    'fill="url(#g)"/></svg>'
)

if not CHROMIUM.is_file():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


@dataclass
class Site:
    """A built site served on 127.0.0.1, and the addresses of one page of each type."""

    base: str
    output: Path
    paths: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Site]]:
    """The demo site (the repository's content/) and a 200-record synthetic one, built, served."""
    folder = tmp_path_factory.mktemp("browser")
    demo = folder / "demo"
    code, _, err = run_cli(["build", "--config", str(ROOT / "digestgen.toml"), "--output",
                            str(demo), "--now", FIXED_NOW, "--no-cache", "--quiet"])  # fmt: skip
    assert code == 0, err
    config = f"search_shard_size = {SYNTHETIC_SHARD_SIZE}\n"
    root = make_site(folder / "synthetic", {}, config, search=True)
    generate(200, root / "content")
    code, _, err = run_cli(["build", "--config", str(root / "digestgen.toml"), "--now", FIXED_NOW,
                            "--no-cache", "--quiet"])  # fmt: skip
    assert code == 0, err
    servers, built = [], {}
    for name, output, word in [
        ("demo", demo, SEED_EXCERPT_WORD),
        ("synthetic", root / "public", "benchmark"),
    ]:
        server, base = serve(output)
        servers.append(server)
        built[name] = Site(base, output, page_paths(output, word))
    ARTIFACTS.mkdir(exist_ok=True)
    yield built
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session."""
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@dataclass
class Log:
    """What went wrong while a page loaded: console errors, script errors, failed requests."""

    base: str
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _request_failed(self, request: Any) -> None:
        # A request the browser dropped itself because the test moved on to another page (say
        # the favicon, fetched last) is not the site's failure; errors and refusals are.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url} {request.failure}")

    def _response(self, response: Any) -> None:
        if response.url.startswith(self.base) and response.status >= 400:
            self.failed.append(f"{response.url} {response.status}")

    def assert_clean(self, expected_status_page: bool = False) -> None:
        errors = self.errors
        if expected_status_page:  # the 404 page's own status is reported as a console error
            errors = [e for e in errors if "status of 404" not in e]
            self.failed = [f for f in self.failed if not f.endswith(" 404")]
        assert errors == [], errors
        assert self.failed == [], self.failed
        assert self.foreign == [], f"requests to other sites besides images: {self.foreign}"


@contextmanager
def open_page(
    browser: Any, base: str, width: int = DESKTOP, scheme: str = "light", javascript: bool = True
) -> Iterator[tuple[Any, Log]]:
    """A fresh page at the given width and colour scheme, its problems logged."""
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        color_scheme=scheme,
        java_script_enabled=javascript,
    )
    log = Log(base)

    def elsewhere(route: Any) -> None:
        if route.request.resource_type != "image":
            log.foreign.append(route.request.url)
            route.abort()
        else:
            route.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER)

    context.route(lambda url: not url.startswith(base), elsewhere)
    page = context.new_page()
    log.watch(page)
    try:
        yield page, log
    finally:
        context.close()


def visit(page: Any, site: Site, kind: str) -> None:
    """Go to a page of the given type and wait until it has settled."""
    page.goto(site.base + site.paths[kind])
    if kind == "search":
        page.wait_for_selector(".results li")
    page.wait_for_load_state("networkidle")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page (every rule it runs by default)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""
    )


def screenshot(page: Any, site: str, kind: str, width: int, scheme: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{site}-{kind}-{width}-{scheme}.png", full_page=True)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("site", SITES)
def test_page_loads_cleanly_and_passes_axe(browser, sites, site, kind):
    # Colour contrast in both themes; a phone's layout (wrapped rows, the header's search box,
    # chips and targets) at 360 px as well as the desktop's.
    for width in (PHONE, DESKTOP):
        for scheme in ("light", "dark"):
            with open_page(browser, sites[site].base, width, scheme) as (page, log):
                visit(page, sites[site], kind)
                log.assert_clean(expected_status_page=kind == "404")
                assert page.locator("h1").count() == 1
                assert axe_violations(page) == [], (site, kind, width, scheme)
                if width == DESKTOP:
                    screenshot(page, site, kind, DESKTOP, scheme)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("site", SITES)
def test_nothing_scrolls_sideways_on_a_phone(browser, sites, site, kind):
    for width, scheme in ((PHONE, "light"), (PHONE, "dark"), (SMALLEST, "light")):
        with open_page(browser, sites[site].base, width, scheme) as (page, log):
            visit(page, sites[site], kind)
            log.assert_clean(expected_status_page=kind == "404")
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
            )
            assert max(widths[:2]) <= widths[2] == width, (site, kind, widths)
            if width == PHONE:
                screenshot(page, site, kind, PHONE, scheme)


def test_the_missing_page_is_answered_with_the_404_page(browser, sites):
    with open_page(browser, sites["demo"].base) as (page, _):
        response = page.goto(sites["demo"].base + "/no/such/page/")
        assert response.status == 404
        assert page.locator("h1").inner_text() == "Page not found"


def luminance(css_color: str) -> float:
    red, green, blue = (int(n) for n in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


@pytest.mark.parametrize("site", SITES)
def test_dark_mode_follows_the_system_setting(browser, sites, site):
    colours = {}
    for scheme in ("light", "dark"):
        with open_page(browser, sites[site].base, DESKTOP, scheme) as (page, _):
            visit(page, sites[site], "front")
            colours[scheme] = page.evaluate(
                """[getComputedStyle(document.body).backgroundColor,
                    getComputedStyle(document.querySelector(".headline a")).color]"""
            )
    (light_bg, light_text), (dark_bg, dark_text) = colours["light"], colours["dark"]
    assert luminance(light_bg) > 0.9 and luminance(light_text) < 0.2
    assert luminance(dark_bg) < 0.1 and luminance(dark_text) > 0.8


def test_search_finds_the_seed_story_by_a_word_from_its_excerpt(browser, sites):
    with open_page(browser, sites["demo"].base) as (page, log):
        visit(page, sites["demo"], "search")
        first = page.locator(".results li").first
        assert first.locator("h2 a").inner_text().startswith(SEED_TITLE)
        assert first.locator("h2 a").get_attribute("href") == SEED_PATH
        assert first.locator("mark").first.inner_text().lower() == SEED_EXCERPT_WORD
        assert first.locator(".byline").inner_text() == "THE WEEK · 4 June 2021"
        assert "1 story matches" in page.locator(".search-status").inner_text()
        page.fill("#q", "zzzunmatchedword")
        page.wait_for_selector(".results li", state="detached")
        assert page.locator(".search-status").inner_text().startswith("No stories match")
        log.assert_clean()


def test_search_merges_every_shard_of_the_index(browser, sites):
    synthetic = sites["synthetic"]
    shards: dict[str, int] = {}
    for fragment in (synthetic.output / "pagefind").glob("*/fragment/*.pf_fragment"):
        shards[fragment.parts[-3]] = shards.get(fragment.parts[-3], 0) + 1
    assert len(shards) > 2, shards
    with open_page(browser, synthetic.base) as (page, log):
        asked = requests_of(page)
        page.goto(f"{synthetic.base}/search/?q=synthetic")  # a word of every synthetic story
        page.wait_for_selector(".results li")
        status = page.locator(".search-status").inner_text()
        assert status.startswith(f"{sum(shards.values())} stories match"), (status, shards)
        assert page.locator(".results li").count() == 20
        page.wait_for_load_state("networkidle")
        log.assert_clean()
    # One engine searches every shard: its script, worker and WebAssembly come from the first.
    first = min(shards, key=int)
    for name in ("pagefind.js", "pagefind-worker.js", "wasm.en.pagefind"):
        assert [url for url in asked if url.endswith(f"/{name}")] == [
            f"{synthetic.base}/pagefind/{first}/{name}"
        ], name
    entries = {url.split("/")[-2] for url in asked if "/pagefind-entry.json" in url}
    assert entries == set(shards)


def test_a_search_typed_while_the_engine_loads_runs_once_it_has_loaded(browser, sites):
    synthetic = sites["synthetic"]
    with open_page(browser, synthetic.base) as (page, log):
        held: list[Any] = []
        page.route("**/pagefind.js", lambda route: held.append(route))  # answered later
        page.goto(f"{synthetic.base}/search/")
        page.locator("#q:focus").wait_for()  # the page's script runs
        page.fill("#q", "synthetic")
        page.wait_for_timeout(400)  # past the typing pause: the search waits for the engine
        assert page.locator(".results li").count() == 0 and len(held) == 1
        held[0].continue_()
        page.wait_for_selector(".results li")
        assert "stories match “synthetic”" in page.locator(".search-status").inner_text()
        log.assert_clean()


# The engine's script, or its WebAssembly: Pagefind's mergeIndex waits for the first shard's
# WebAssembly with no end, so the page must not merge before it has loaded.
@pytest.mark.parametrize("part", ["pagefind.js", "wasm.en.pagefind"])
def test_a_search_whose_engine_cannot_load_says_so(browser, sites, part):
    synthetic = sites["synthetic"]
    with open_page(browser, synthetic.base) as (page, log):
        page.route(f"**/{part}", lambda route: route.fulfill(status=503, body="down"))
        page.goto(f"{synthetic.base}/search/?q=synthetic")
        status = page.locator(".search-status")
        status.filter(has_text="could not be loaded").wait_for(timeout=10_000)
        assert status.inner_text() == "Search could not be loaded. Reload the page to try again."
        assert page.locator(".results li").count() == 0
        assert not page.locator(".more-results").is_visible()
        first = min((path.name for path in (synthetic.output / "pagefind").iterdir()), key=int)
        assert log.failed == [f"{synthetic.base}/pagefind/{first}/{part} 503"]


def test_newest_first_loads_each_shards_newest_result_and_the_shown_ones(browser, sites):
    # Not each shard's oldest too, whose place the score does not say: they are placed once
    # they may be next.
    synthetic = sites["synthetic"]
    shards = len(list((synthetic.output / "pagefind").iterdir()))
    with open_page(browser, synthetic.base) as (page, log):
        asked = requests_of(page)
        page.goto(f"{synthetic.base}/search/?q=synthetic&order=newest")
        page.wait_for_selector(".search-status:has-text('the newest 20 shown')")
        page.wait_for_load_state("networkidle")
        fragments = {url for url in asked if url.endswith(".pf_fragment")}
        assert 20 < len(fragments) <= shards + 20, (len(fragments), shards)
        log.assert_clean()


def test_more_results_pressed_twice_while_loading_shows_two_pages_in_turn(browser, sites):
    synthetic = sites["synthetic"]
    with open_page(browser, synthetic.base) as (page, log):
        page.goto(f"{synthetic.base}/search/?q=synthetic&order=newest")
        page.wait_for_selector(".search-status:has-text('20 shown')")
        held: list[Any] = []
        page.route("**/*.pf_fragment", lambda route: held.append(route))  # answered later
        page.evaluate("() => { const more = document.querySelector('.more-results');"
                      " more.click(); more.click(); }")  # fmt: skip
        results = page.locator(".results li")
        for _ in range(200):  # each answer may ask for more
            while held:
                held.pop(0).continue_()
            if results.count() == 60:
                break
            page.wait_for_timeout(50)
        shown = shown_results(page)
        assert len(shown) == len({href for href, _ in shown}) == 60
        assert "the newest 60 shown" in page.locator(".search-status").inner_text()
        times = [published_time(synthetic.output, href) for href, _ in shown]
        assert times == sorted(times, reverse=True)
        log.assert_clean()


def requests_of(page: Any) -> list[str]:
    """The addresses the page asks for from now on, in order, filled in as it asks."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    return asked


def published_time(output: Path, href: str) -> str:
    """When the story at `href` was published, to the minute, as its page's byline says."""
    page = (output / href.strip("/") / "index.html").read_text(encoding="utf-8")
    found = re.search(r'<p class="byline">.*?<time datetime="([^"]+)"', page)
    assert found, href
    return found[1]


def shown_results(page: Any) -> list[tuple[str, str]]:
    """(address, byline) of every shown search result, in order."""
    return page.evaluate(
        """[...document.querySelectorAll(".results li")].map(li => [
            li.querySelector("h2 a").getAttribute("href"),
            li.querySelector(".byline").textContent])"""
    )


def show_every_result(page: Any) -> None:
    """Press "More results" (by keyboard) until every result is shown."""
    more = page.locator(".more-results")
    while more.is_visible():
        shown = page.locator(".results li").count()
        more.focus()
        page.keyboard.press("Enter")
        page.locator(".results li").nth(shown).wait_for()  # (the CSP forbids polling by eval)


def test_more_results_shows_the_next_ones_until_every_match_is_shown(browser, sites):
    synthetic = sites["synthetic"]
    with open_page(browser, synthetic.base) as (page, log):
        page.goto(f"{synthetic.base}/search/?q=synthetic")  # a word of every synthetic story
        page.wait_for_selector(".results li")
        status = page.locator(".search-status")
        assert status.get_attribute("aria-live") == "polite"
        total = int(status.inner_text().split()[0])
        assert total > 40 and status.inner_text().endswith(", the best 20 shown.")
        first = shown_results(page)
        more = page.locator(".more-results")
        assert more.is_visible() and more.evaluate("e => e.tagName") == "BUTTON"
        more.click()
        page.locator(".results li").nth(39).wait_for()
        assert shown_results(page)[:20] == first  # the next ones come below, the first stay
        assert status.inner_text().endswith(", the best 40 shown.")
        assert page.evaluate("document.activeElement.className") == "more-results"
        show_every_result(page)
        addresses = [href for href, _ in shown_results(page)]
        assert len(addresses) == len(set(addresses)) == total
        assert status.inner_text() == f"{total} stories match “synthetic”."
        assert page.evaluate("document.activeElement.closest('.results') !== null")
        log.assert_clean()


def test_newest_first_orders_every_result_by_date(browser, sites):
    synthetic = sites["synthetic"]
    with open_page(browser, synthetic.base) as (page, log):
        page.goto(f"{synthetic.base}/search/?q=synthetic")
        page.wait_for_selector(".results li")
        best = shown_results(page)
        asked = requests_of(page)
        page.select_option("#order", "newest")
        page.wait_for_url(re.compile(r".*[?&]order=newest"))
        page.wait_for_selector(".search-status:has-text('the newest 20 shown')")
        show_every_result(page)
        shown = shown_results(page)
        days = [datetime.strptime(byline.split(" · ")[-1], "%d %B %Y") for _, byline in shown]
        assert days == sorted(days, reverse=True) and days[0] > days[-1]
        # To the minute, as each story's page gives its time: every shard's results, each
        # shard's oldest story among them, merged in order.
        times = [published_time(synthetic.output, href) for href, _ in shown]
        assert times == sorted(times, reverse=True)
        assert len({href for href, _ in shown}) == len(shown)
        assert f"{len(shown)} stories match" in page.locator(".search-status").inner_text()
        # One search sorted by date, not one filtered by shard for each shard: no filter loaded.
        assert asked and not [url for url in asked if url.endswith(".pf_filter")]
        assert [href for href, _ in shown[:20]] != [href for href, _ in best]
        page.reload()  # the order is kept in the address
        page.wait_for_selector(".results li")
        assert page.locator("#order").input_value() == "newest"
        assert shown_results(page) == shown[:20]
        log.assert_clean()


def test_search_excerpts_are_the_storys_prose_without_outlet_names(browser, sites):
    demo = sites["demo"]
    with open_page(browser, demo.base) as (page, log):
        visit(page, demo, "search")
        first = page.locator(".results li").first
        assert first.locator(".byline").inner_text().startswith("THE WEEK")
        excerpt = first.locator(".excerpt").inner_text()
        assert "geolocation" in excerpt and "THE WEEK" not in excerpt, excerpt
        page.fill("#q", "KVIA")  # an outlet of the seed's coverage: found, but not in prose
        page.wait_for_selector(".search-status:has-text('KVIA')")
        texts = page.locator(".results li .excerpt").all_inner_texts()
        assert texts and all("KVIA" not in text for text in texts), texts
        log.assert_clean()


def test_search_results_do_not_shift_the_page(browser, sites):
    synthetic = sites["synthetic"]
    for width in (PHONE, DESKTOP):
        with open_page(browser, synthetic.base, width) as (page, log):
            page.goto(f"{synthetic.base}/search/?q=synthetic")
            page.wait_for_selector(".results li")
            page.wait_for_load_state("networkidle")
            shifts = page.evaluate(
                """new Promise(resolve => {
                    const seen = [];
                    new PerformanceObserver(list => seen.push(...list.getEntries()))
                        .observe({type: "layout-shift", buffered: true});
                    setTimeout(() => resolve(seen.filter(e => !e.hadRecentInput)
                        .map(e => [e.value, e.sources.map(s => s.node && s.node.className)])), 300);
                })"""
            )
            assert sum(value for value, _ in shifts) < 0.01, (width, shifts)
            log.assert_clean()


def test_keyboard_reaches_content_and_the_search_box(browser, sites):
    demo = sites["demo"]
    with open_page(browser, demo.base) as (page, log):
        visit(page, demo, "front")
        page.keyboard.press("Tab")
        skip = page.evaluate(
            "[document.activeElement.textContent,"
            " document.activeElement.getBoundingClientRect().left]"
        )
        assert skip[0] == "Skip to content" and skip[1] >= 0  # shown when focused
        page.keyboard.press("Enter")
        # The jump to #main is a same-page navigation that may land just after the key press.
        page.wait_for_function("location.hash === '#main'", timeout=5000)
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """(() => { const e = document.activeElement;
                return [e.closest("main") !== null, getComputedStyle(e).outlineStyle]; })()"""
        )
        assert focused == [True, "solid"]  # the next stop is in the content, with a focus ring
        page.goto(demo.base + "/")
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "site-q":
                break
        else:
            raise AssertionError("the header's search box cannot be reached with Tab")
        page.keyboard.type(SEED_EXCERPT_WORD)
        page.keyboard.press("Enter")
        page.wait_for_selector(".results li")
        assert page.url == f"{demo.base}/search/?q={SEED_EXCERPT_WORD}"
        assert page.locator(".results li h2 a").first.get_attribute("href") == SEED_PATH
        log.assert_clean()


def test_without_javascript_search_is_a_link_and_pages_still_work(browser, sites):
    demo = sites["demo"]
    with open_page(browser, demo.base, javascript=False) as (page, log):
        visit(page, demo, "front")
        link = page.locator("a.search-link")
        assert link.is_visible() and link.get_attribute("href") == "/search/"
        assert not page.locator("form.site-search").is_visible()  # it needs the script
        assert page.locator(".cluster .headline a").first.inner_text().startswith(SEED_TITLE)
        link.click()
        page.wait_for_load_state("networkidle")
        assert page.locator(".nojs").is_visible()
        assert not page.locator("#q").is_visible()  # in the HTML, shown once scripts run
        assert not page.locator("#order").is_visible()
        log.assert_clean()


def test_times_are_compact_with_the_zone_and_say_how_long_ago_in_their_title(browser, sites):
    with open_page(browser, sites["demo"].base) as (page, log):
        visit(page, sites["demo"], "front")
        time = page.locator(".cluster .byline time").first
        assert time.inner_text() == "4 Jun 2021, 19:51 UTC"
        assert time.get_attribute("datetime") == "2021-06-04T19:51Z"
        # How long ago is the title, not text beside the time: added text would move the page.
        assert re.fullmatch(r"\d+ years ago", time.get_attribute("title") or "")
        assert page.locator(".ago").count() == 0
        log.assert_clean()


# The layout shift score, as Lighthouse and the Core Web Vitals count it: every shift the
# browser reports since the page started, but those just after the reader's own input.
LAYOUT_SHIFT = """() => new Promise((resolve) => {
    let total = 0;
    new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
    }).observe({type: "layout-shift", buffered: true});
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => resolve(total), 300)));
})"""


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "404"])
@pytest.mark.parametrize("site", SITES)
def test_nothing_moves_after_the_page_appears(browser, sites, site, kind):
    for width in (PHONE, 412, DESKTOP):  # 412: where the header's search box used to wrap
        with open_page(browser, sites[site].base, width) as (page, log):
            visit(page, sites[site], kind)
            shift = page.evaluate(LAYOUT_SHIFT)
            assert shift == 0, (site, kind, width, shift)
            log.assert_clean()


# The seed story's image, the lead of the demo's front page and of its story page: the tests
# that need it to fail answer it with 404.
SEED_IMAGE = re.compile(r".*/GettyImages-1062889184\.jpg")


def image_boxes(page: Any) -> dict[str, Any]:
    """The lead image's box and visibility, its frame's box, and the widths of the columns."""
    return page.evaluate(
        """(() => {
            const size = (e) => e ? [e.getBoundingClientRect().width,
                                     e.getBoundingClientRect().height] : [0, 0];
            const image = document.querySelector(".lead-image");
            return {image: size(image), frame: size(image.closest(".media")),
                    visibility: getComputedStyle(image).visibility,
                    clusters: [...document.querySelectorAll(".cluster")].map(
                        (c) => c.getBoundingClientRect().width),
                    body: size(document.querySelector(".cluster.lead .body")),
                    scroll: document.documentElement.scrollWidth, inner: innerWidth};
        })()"""
    )


def assert_no_broken_box(page: Any, kind: str, removed: bool) -> None:
    """The failed image is gone with its frame (out of sight) or blank in its own space (in
    sight, where removing it would move the page); either way nothing moved."""
    boxes = image_boxes(page)
    if removed:
        assert boxes["image"] == [0, 0] and boxes["frame"] == [0, 0], (kind, boxes)
    else:
        assert boxes["visibility"] == "hidden" and boxes["image"][1] > 0, (kind, boxes)
    assert boxes["scroll"] <= boxes["inner"], (kind, boxes)
    assert len(set(boxes["clusters"])) <= 1, boxes  # every column as wide as the others
    if kind == "front" and removed:  # the wide lead's text takes the image's column too
        assert boxes["body"][0] == boxes["clusters"][0], boxes
    assert page.evaluate(LAYOUT_SHIFT) == 0, kind


# In sight at 800 px high; below the screen at the smaller heights.
@pytest.mark.parametrize(
    ("kind", "width", "height", "removed"),
    [("front", PHONE, 800, False), ("front", DESKTOP, 800, False), ("front", DESKTOP, 120, True),
     ("story", PHONE, 800, False), ("story", PHONE, 240, True)],
)  # fmt: skip
def test_an_image_that_fails_after_the_script_leaves_no_broken_box(
    browser, sites, kind, width, height, removed
):
    demo = sites["demo"]
    with open_page(browser, demo.base, width) as (page, _):
        page.set_viewport_size({"width": width, "height": height})
        held: list[Any] = []
        page.route(SEED_IMAGE, lambda route: held.append(route))  # answered after the script
        page.goto(demo.base + demo.paths[kind], wait_until="domcontentloaded")
        page.wait_for_function(  # the script has run and the page has been shown
            """() => document.documentElement.classList.contains("js")
                && performance.getEntriesByType("paint").length > 0"""
        )
        page.wait_for_function("1", polling=50)  # lets the held request arrive
        assert len(held) == 1
        held[0].fulfill(status=404, body="")
        page.wait_for_load_state("load")
        page.wait_for_function("document.querySelector('.lead-image.failed, .lead-image.blank')")
        assert_no_broken_box(page, kind, removed)


@pytest.mark.parametrize(
    ("kind", "height", "removed"), [("front", 800, False), ("story", 240, True)]
)
def test_an_image_that_failed_before_the_script_ran_leaves_no_broken_box(
    browser, sites, kind, height, removed
):
    demo = sites["demo"]
    with open_page(browser, demo.base, PHONE) as (page, _):
        page.set_viewport_size({"width": PHONE, "height": height})
        page.route(SEED_IMAGE, lambda route: route.fulfill(status=404, body=""))
        held: list[Any] = []
        # site.js runs only once the image has failed (and the page has been shown).
        page.route(re.compile(r".*/js/site\.js.*"), lambda route: held.append(route))
        page.goto(demo.base + demo.paths[kind], wait_until="commit")
        page.wait_for_function(
            """() => { const i = document.querySelector(".lead-image");
                return i && i.complete && i.naturalWidth === 0
                    && performance.getEntriesByType("paint").length > 0; }"""
        )
        assert len(held) == 1
        held[0].continue_()
        page.wait_for_load_state("load")
        assert_no_broken_box(page, kind, removed)


UNSIZED_IMAGE = "https://img.example.net/unsized.jpg"  # a record's image without a size


@contextmanager
def built_and_served(root: Path, now: str) -> Iterator[Site]:
    """The site folder `root` built with the clock `now` and served; its front page known."""
    code, _, err = run_cli(["build", "--config", str(root / "digestgen.toml"), "--now", now,
                            "--no-cache", "--quiet"])  # fmt: skip
    assert code == 0, err
    server, base = serve(root / "public")
    try:
        yield Site(base, root / "public", {"front": "/"})
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def unsized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A one-story site whose lead image has no width or height, built and served."""
    root = make_site(
        tmp_path_factory.mktemp("unsized") / "site",
        {"a.md": record("Unsized", "https://e.com/unsized", images=[{"url": UNSIZED_IMAGE}])},
    )
    with built_and_served(root, FIXED_NOW) as site:
        yield site


def test_an_image_of_unknown_size_moves_nothing_when_it_loads(browser, unsized):
    with open_page(browser, unsized.base, PHONE) as (page, log):
        held: list[Any] = []
        page.route(UNSIZED_IMAGE, lambda route: held.append(route))  # arrives after the page
        page.goto(unsized.base + "/", wait_until="domcontentloaded")
        page.wait_for_function("document.documentElement.classList.contains('js')")
        page.wait_for_function("1", polling=50)  # lets the held request arrive
        assert len(held) == 1
        held[0].fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER)
        page.wait_for_load_state("load")
        assert page.evaluate(LAYOUT_SHIFT) == 0
        log.assert_clean()


def test_without_javascript_a_failed_image_of_unknown_size_keeps_its_box(browser, unsized):
    with open_page(browser, unsized.base, PHONE, javascript=False) as (page, _):
        page.route(UNSIZED_IMAGE, lambda route: route.fulfill(status=404, body=""))
        page.goto(unsized.base + "/")
        boxes = image_boxes(page)
        assert boxes["scroll"] <= boxes["inner"], boxes
        assert 0 < boxes["image"][0] <= boxes["clusters"][0], boxes  # within its column
        assert abs(boxes["image"][1] - boxes["image"][0] * 9 / 16) < 1, boxes  # 16:9


@pytest.mark.parametrize("kind", ["front", "story", "topic", "edition"])
@pytest.mark.parametrize("site", SITES)
def test_times_do_not_wrap_on_a_phone(browser, sites, site, kind):
    with open_page(browser, sites[site].base, PHONE) as (page, log):
        visit(page, sites[site], kind)
        lines = page.evaluate(
            """[...document.querySelectorAll("main time")].map((t) => [t.textContent,
                t.getClientRects().length, t.getBoundingClientRect().height,
                parseFloat(getComputedStyle(t).lineHeight)
                    || parseFloat(getComputedStyle(t).fontSize) * 1.5])"""
        )
        assert lines, (site, kind)
        for text, rects, height, line in lines:
            assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d [A-Z]+", text), text
            assert rects == 1 and height <= line * 1.2, (site, kind, text, rects, height, line)
        log.assert_clean()


def story_with_note_and_coverage(output: Path) -> str:
    """The first story page (by address) with a curator's note, an image and coverage."""
    wanted = ("//section[@class='note']", "//img[contains(@class, 'lead-image')]",
              "//ol[@class='timeline']/li[2]")  # fmt: skip
    for page in sorted(output.glob("[0-9]*/*/*/*/index.html")):
        tree = lxml_html.fromstring(page.read_bytes())
        if all(tree.xpath(query) for query in wanted):
            return "/" + page.parent.relative_to(output).as_posix() + "/"
    raise AssertionError(f"no story page in {output} has a note, an image and coverage")


def test_story_page_on_a_wide_screen_shows_lead_note_and_coverage_at_once(browser, sites):
    synthetic = sites["synthetic"]
    path = story_with_note_and_coverage(synthetic.output)
    with open_page(browser, synthetic.base, DESKTOP) as (page, log):
        page.goto(synthetic.base + path)
        page.wait_for_load_state("networkidle")
        boxes = page.evaluate(
            """["h1", ".story-page .note", ".timeline li", ".story-page"].map(s => {
                const r = document.querySelector(s).getBoundingClientRect();
                return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })"""
        )
        headline, note, first_piece, article = boxes
        assert headline["bottom"] <= 800 and note["top"] < 800, boxes
        assert first_piece["bottom"] <= 800, boxes
        assert first_piece["left"] >= article["right"], boxes  # beside the lead, not below
        assert page.locator(".source-link a").count() == 1  # the AMP links are not beside it
        log.assert_clean()
    with open_page(browser, synthetic.base, PHONE) as (page, log):
        page.goto(synthetic.base + path)
        page.wait_for_load_state("networkidle")
        below = page.evaluate(
            """document.querySelector(".timeline li").getBoundingClientRect().top >=
               document.querySelector(".story-page").getBoundingClientRect().bottom"""
        )
        assert below  # one column on a phone
        log.assert_clean()


@pytest.mark.parametrize("site", SITES)
def test_more_names_distinct_outlets_and_adds_up_to_the_sources(browser, sites, site):
    built = sites[site]
    topics = sorted(built.output.glob("topics/*/index.html"))  # the synthetic site's repeat outlets
    paths = ["/", built.paths["edition"], *(f"/topics/{t.parent.name}/" for t in topics)]
    lines = 0
    with open_page(browser, built.base) as (page, log):
        for path in paths:
            page.goto(built.base + path)
            clusters = page.evaluate(
                """[...document.querySelectorAll("article.cluster")].map(c => ({
                    lead: c.querySelector(".byline .outlet").textContent,
                    more: [...c.querySelectorAll(".more a:not(.plus)")].map(a => a.textContent),
                    plus: (c.querySelector(".more .plus") || {textContent: ""}).textContent,
                    full: c.querySelector(".full").textContent,
                    compact: c.classList.contains("compact")}))"""
            )
            for cluster in clusters:
                named = cluster["more"]
                if cluster["compact"]:  # a topic page's card: its "Full coverage" counts them
                    assert not named and not cluster["plus"], (path, cluster)
                    continue
                assert len(set(named)) == len(named) and cluster["lead"] not in named, (
                    path,
                    cluster,
                )
                hidden = int(re.fullmatch(r"\+(\d+) more", cluster["plus"] or "+0 more")[1])
                sources = re.search(r"(\d+) sources?$", cluster["full"])
                if sources:  # the outlets named, those counted and the lead's are all the sources
                    assert int(sources[1]) == len(named) + hidden + 1, (path, cluster)
                else:
                    assert not named, (path, cluster)
                lines += bool(named)
        log.assert_clean()
    assert lines, f'no "More:" line on the {site} site'


def test_readme_shows_a_small_screenshot_of_the_front_page():
    shot = ROOT / "docs" / "front-page.png"
    assert shot.is_file() and shot.stat().st_size < 250_000
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert "docs/front-page.png" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sparse_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A sparse digest (two stories a day for 30 days) built five minutes after midnight, served."""
    root = make_site(tmp_path_factory.mktemp("sparse"), sparse_digest("2025-11-30"))
    with built_and_served(root, "2025-12-01T00:05:00Z") as site:
        yield site


def test_a_sparse_front_page_is_full_with_three_headlines_above_the_fold(browser, sparse_site):
    with open_page(browser, sparse_site.base, PHONE) as (page, log):
        page.set_viewport_size({"width": PHONE, "height": 640})
        visit(page, sparse_site, "front")
        assert page.locator("main .cluster").count() == 20  # a full page, though the day has 2
        bottoms = page.evaluate(
            "[...document.querySelectorAll('main .cluster .headline')]"
            ".map(h => h.getBoundingClientRect().bottom)"
        )
        assert sum(1 for bottom in bottoms if bottom <= 640) >= 3, bottoms[:4]
        screenshot(page, "sparse", "front", PHONE, "light")
        log.assert_clean()


@pytest.fixture(scope="module")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A 1,000-record synthetic digest (bench/generate.py), built and served."""
    root = make_site(tmp_path_factory.mktemp("thousand") / "site", {})
    generate(1000, root / "content")
    with built_and_served(root, FIXED_NOW) as site:
        yield site


def test_a_thousand_record_front_page_has_three_headlines_above_the_fold_on_a_phone(
    browser, thousand
):
    with open_page(browser, thousand.base, PHONE) as (page, log):
        page.set_viewport_size({"width": PHONE, "height": 640})
        visit(page, thousand, "front")
        tops = page.evaluate(
            "[...document.querySelectorAll('main .cluster .headline')]"
            ".map(h => h.getBoundingClientRect().top)"
        )
        assert sum(1 for top in tops if top < 640) >= 3, tops[:4]
        screenshot(page, "thousand", "front", PHONE, "light")
        log.assert_clean()
