"""A hostile corpus: a payload in every text field of a record and a forbidden URL in every URL
field, for the tests that the built site stays inert (pages, feeds, the Nu HTML checker)."""

from tests.helpers import record

PAYLOAD = '<script>alert(1)</script>"><svg onload=alert(2)>]]>{{ 7*7 }}{% raw %}'
TITLE = "Title " + PAYLOAD
EXCERPT = "Excerpt " + PAYLOAD
PROVIDER = "Provider " + PAYLOAD
TOPIC = "Topic " + PAYLOAD
RELATED_TITLE = "Related " + PAYLOAD
RELATED_EXCERPT = "Related excerpt " + PAYLOAD
RELATED_PROVIDER = "Outlet " + PAYLOAD
LEAD_URL = "https://hostile.example.com/story?a=1&b=2"
LEAD_IMAGE = "https://img.example.com/lead.jpg?w=640&h=360"
RELATED_URL = "https://r.example.net/story?x=1&y=2"

BODY = """Curator says <script>alert(3)</script> hello.

<img src="https://img.example.com/x.jpg" onerror="alert(4)" onload="alert(4)">
<iframe src="https://evil.example.com/"></iframe>
<object data="https://evil.example.com/x.swf"></object>
<embed src="https://evil.example.com/x.swf">
<a href="javascript:alert(5)">js link</a>
<a href="https://ok.example.com/" onclick="alert(6)" onmouseover="alert(7)">ok link</a>
[md js](javascript:alert(8)) [md data](data:text/html;base64,PHNjcmlwdD4=)
[md vb](vbscript:msgbox(9))
<a href="JaVaScRiPt:alert(10)">mixed case</a> <a href="java&#x09;script:alert(11)">tab</a>
<svg onload="alert(12)"><circle/></svg>
<style>body{background:url(javascript:alert(13))}</style>
<form action="javascript:alert(14)"><button formaction="javascript:alert(15)">b</button></form>
<math><mi xlink:href="javascript:alert(16)">x</mi></math>
<base href="https://evil.example.com/">
<meta http-equiv="refresh" content="0;url=javascript:alert(17)">
<link rel="stylesheet" href="https://evil.example.com/x.css">
<img src="data:image/svg+xml,<svg onload=alert(18)>">

Breakers: "><svg onload=alert(19)> ]]> {{ 7*7 }} {% raw %} {% endraw %} end.
"""


def hostile_corpus() -> dict[str, str | bytes]:
    """One record with a payload in every text field and a forbidden URL in every URL field."""
    lead = record(
        TITLE,
        url="javascript:alert(9)",
        when="2025-03-01T10:00:00Z",
        webUrl=LEAD_URL,
        ampWebUrl="vbscript:msgbox(1)",
        cdnAmpWebUrl="data:text/html,<script>alert(1)</script>",
        excerpt=EXCERPT,
        type="<script>",
        category=PAYLOAD,
        provider={"name": PROVIDER, "domain": "javascript:alert(1)"},
        topics=[TOPIC, "<img src=x onerror=alert(1)>"],
        images=[
            {"url": "javascript:alert(1)", "width": 10, "height": 10},
            {"url": "data:image/svg+xml,<svg onload=alert(1)>", "width": 10, "height": 10},
            {"url": LEAD_IMAGE, "width": 640, "height": 360},
        ],
        related=[
            {
                "title": RELATED_TITLE,
                "excerpt": RELATED_EXCERPT,
                "webUrl": RELATED_URL,
                "ampWebUrl": "javascript:alert(1)",
                "provider": {"name": RELATED_PROVIDER, "domain": "r.example.net"},
                "images": [{"url": "vbscript:x"}],
            },
            {"title": "Bad js", "webUrl": "javascript:alert(1)"},
            {"title": "Bad data", "webUrl": "data:text/html,<script>alert(1)</script>"},
            {"title": "Bad vb", "originalUrl": "vbscript:msgbox(1)"},
        ],
        custom=PAYLOAD,
    )
    second = record(
        "Second " + PAYLOAD,
        url="https://hostile.example.com/second",
        when="2025-03-01T11:00:00Z",
        slug=PAYLOAD,
        topics=[TOPIC],
    )
    return {"hostile.md": lead + BODY, "second.md": second}
