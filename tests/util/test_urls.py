"""canonical_url: every address of one article reduces to one form; different articles differ."""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digestgen.util.urls import _split_url, canonical_keys, canonical_url, canonical_urls, check_url
from tests.helpers import hostile

SEED_ORIGINAL = (
    "https://theweek.com/immigration/1001197/"
    "the-biden-administrations-new-facial-recognition-app-for-asylum-seekers-sets"
)
SEED_PATH = SEED_ORIGINAL.removeprefix("https://theweek.com")


@pytest.mark.parametrize(
    "variant",
    [
        SEED_ORIGINAL,
        "http://theweek.com" + SEED_PATH,
        "https://www.theweek.com" + SEED_PATH,
        "http://WWW.TheWeek.com" + SEED_PATH,
        SEED_ORIGINAL + "#comments",
        SEED_ORIGINAL + "/",
        SEED_ORIGINAL + "?utm_source=twitter&utm_medium=social&utm_campaign=x",
        SEED_ORIGINAL + "?amp",
        SEED_ORIGINAL + "?amp=1",
        "https://theweek.com/amp" + SEED_PATH,
        "https://theweek.com/immigration/amp/1001197/"
        "the-biden-administrations-new-facial-recognition-app-for-asylum-seekers-sets",
        # The seed's cdnAmpWebUrl exactly as exported:
        "https://theweek-com.cdn.ampproject.org/c/s/theweek.com" + SEED_PATH + "?amp",
        "https://theweek-com.cdn.ampproject.org/c/theweek.com" + SEED_PATH,
        "https://theweek-com.cdn.ampproject.org/c/s/www.theweek.com" + SEED_PATH + "?amp#top",
        "  " + SEED_ORIGINAL + "  ",
    ],
)
def test_every_form_of_the_seed_article_is_one_canonical_url(variant):
    assert canonical_url(variant) == "https://theweek.com" + SEED_PATH


def test_amp_path_segment_and_amp_cache_of_the_daily_mail_item_match_its_web_url():
    web = "https://www.dailymail.co.uk/news/article-9655025/Biden-deploys-facial-recognition.html"
    amp = (
        "https://www.dailymail.co.uk/news/article-9655025/amp/Biden-deploys-facial-recognition.html"
    )
    cdn = (
        "https://www-dailymail-co-uk.cdn.ampproject.org/c/s/www.dailymail.co.uk/"
        "news/article-9655025/amp/Biden-deploys-facial-recognition.html"
    )
    assert canonical_url(web) == canonical_url(amp) == canonical_url(cdn)
    assert canonical_url(web) == (
        "https://dailymail.co.uk/news/article-9655025/Biden-deploys-facial-recognition.html"
    )


def test_tracking_parameters_go_but_meaningful_ones_stay_in_a_stable_order():
    assert canonical_url("https://x.com/a?utm_source=rss&id=5") == "https://x.com/a?id=5"
    assert canonical_url("https://x.com/a?fbclid=abc&id=5&gclid=1") == "https://x.com/a?id=5"
    assert canonical_url("https://x.com/a?b=2&a=1") == canonical_url("https://x.com/a?a=1&b=2")


def test_canonical_form_is_stable_when_applied_again():
    for url in (
        SEED_ORIGINAL + "?amp&utm_source=x#frag",
        "https://theweek-com.cdn.ampproject.org/c/s/theweek.com" + SEED_PATH + "?amp",
        "https://x.com/a?b=2&a=1",
    ):
        assert canonical_url(canonical_url(url)) == canonical_url(url)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://theweek.com/immigration/1001197/a", "https://theweek.com/immigration/1001198/a"),
        ("https://theweek.com/a", "https://theweek.org/a"),
        ("https://theweek.com/a", "https://news.theweek.com/a"),
        ("https://x.com/story?id=1", "https://x.com/story?id=2"),
        ("https://x.com/story?id=1", "https://x.com/story"),
        ("https://x.com/a/b", "https://x.com/b/a"),
        ("https://x.com/Story", "https://x.com/story"),
        # An article's own query survives the AMP cache, so two AMP-cached articles differ.
        (
            "https://x-com.cdn.ampproject.org/c/s/x.com/story?id=1&amp",
            "https://x-com.cdn.ampproject.org/c/s/x.com/story?id=2&amp",
        ),
        (
            "https://theweek-com.cdn.ampproject.org/c/s/theweek.com/a?amp",
            "https://theweek-com.cdn.ampproject.org/c/s/theweek.com/b?amp",
        ),
    ],
)
def test_different_articles_stay_different(first, second):
    assert canonical_url(first) != canonical_url(second)


def test_an_amp_cached_article_with_a_query_matches_its_own_address():
    cached = "https://x-com.cdn.ampproject.org/c/s/x.com/story?id=7&amp"
    assert canonical_url(cached) == canonical_url("https://x.com/story?id=7")


def test_an_upper_case_scheme_is_kept_as_the_same_url_in_lower_case():
    from digestgen.util.urls import check_url

    assert check_url("HTTPS://Example.com/Path?Q=1") == ("https://Example.com/Path?Q=1", "")
    assert check_url("Http://example.com/") == ("http://example.com/", "")


# URLs at the edges of check_url's quick path (a lower-case scheme and host, then `/`, `?`, `#`
# or the end), each decided by the quick path or by urlsplit.
EDGE_URLS = [
    "https://example.com", "https://example.com/", "http://a.b/c?d=e#f", "https://a.b?x",
    "https://a.b#top", "https://example.com.", "https://-bad.com/", "https://a..b/",
    "https://exa_mple.com/", "https://Example.com/", "HTTPS://example.com/", "Https://a.b/",
    "https://a.b:8080/", "https://a.b:port/", "https://user@a.b/", "https://a.b@c.d/",
    "https:///path", "https://", "https:/a.b/", "https:a.b", "ftp://a.b/", "http://[::1]/",
    "https://a.b\\c/", "https://" + "a" * 64 + ".com/", "https://" + "a." * 130 + "com/",
    "https://xn--bcher-kva.example/", "https://bücher.example/", "https://1.2.3.4/x",
    "https://a.b/path with space", "  https://a.b/padded  ",
]  # fmt: skip


@pytest.mark.parametrize("url", EDGE_URLS)
def test_check_url_quick_path_agrees_with_urlsplit(url):
    if " " not in url.strip() and "\\" not in url:  # refused before either path
        assert check_url(url) == _split_url(url.strip())


def general_canonical_url(url: str) -> str:
    """canonical_url by urlsplit alone, as it was before its quick path."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path
    if host.endswith(".cdn.ampproject.org"):
        match = re.match(r"^/c/(s/)?(?P<rest>.+)$", path)
        if match:
            suffix = f"?{parts.query}" if parts.query else ""
            return general_canonical_url("https://" + match.group("rest") + suffix)
    segments = [s for s in path.split("/") if s and s.lower() != "amp"]
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    tracking = re.compile(r"^(utm_\w+|amp|outputtype|fbclid|gclid|ocid)$", re.IGNORECASE)
    query = [(k, v) for k, v in query if not tracking.match(k)]
    return urlunsplit(("https", host, "/" + "/".join(segments), urlencode(sorted(query)), ""))


CANONICAL_EDGES = [*EDGE_URLS, "https://www./", "https://www.a.b/amp/AMP/x//y/", "https://a.b?amp",
                   "https://a.b/x?utm_source=1&b=2&a=&=c&&d", "https://a.b/x?a+b=%41%zz",
                   "https://www.cdn.ampproject.org/c/s/x.com/a", "https://x-com.cdn.ampproject.org/c/s/x.com/a?id=1",
                   "https://a.b/x#frag", "https://a.b/%7Euser/", "http://a.b/?;x=1", "https://a.b/x?q=é",
                   hostile.LEAD_URL, hostile.LEAD_IMAGE, hostile.RELATED_URL]  # fmt: skip


@pytest.mark.parametrize("url", CANONICAL_EDGES)
def test_canonical_url_quick_path_is_urlsplits_on_edge_urls(url):
    assert canonical_url(url) == general_canonical_url(url)


URL_PIECES = ["https://", "http://", "HTTPS://", "www.", "a.b", "cdn.ampproject.org", "/",
              "/amp", "?", "&", "=", "#", "%41", "+", "utm_x", "amp", ":80", "@", " ", "\t", "x",
              "É", "."]  # fmt: skip


@given(st.lists(st.sampled_from(URL_PIECES) | st.text(max_size=3), max_size=12))
def test_canonical_url_quick_path_is_urlsplits_on_any_url(pieces):
    url = "".join(pieces)
    try:
        expected = general_canonical_url(url)
    except ValueError:  # urlsplit refuses it: so must canonical_url
        with pytest.raises(ValueError):
            canonical_url(url)
        return
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "urls",
    [("https://a.example.com/x", "https://a.example.com/x", "https://a.example.com/x?amp", None),
     ("http://www.a.example.com/x/amp", "https://a.example.com/x", None, "https://b.example.com/"),
     (None, "", "https://a.example.com/x"), ()],
)  # fmt: skip
def test_canonical_keys_are_the_canonical_urls_held_once(urls):
    # Strings made anew, as two fields of a record are: equal, but not the same object.
    given = tuple("".join(list(url)) if url else url for url in urls)
    keys = canonical_keys(*given)
    assert keys == canonical_urls(*urls)
    first: dict[str, str] = {}
    for url in given:
        if url:
            first.setdefault(url, url)
    assert all(key is first[key] for key in keys if key in first)
    assert len({id(key) for key in keys}) == len(set(keys))  # one string a value
