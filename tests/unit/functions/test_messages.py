from __future__ import annotations

from html.parser import HTMLParser

from core.messages import render_email, sns_subject, webhook_text, when
from core.schemas import Alert, PersonRef

HOSTILE = '<img src=x onerror="alert(1)"> & Co'


def alert(**fields) -> Alert:
    base = {
        "alert_id": "a1",
        "severity": "critical",
        "reason": "barred-person",
        "camera_id": "front-door",
        "event_time": "2026-05-01T12:00:00.123Z",
        "bucket": "b",
        "key": "frames/front-door/x.jpg",
        "people": [PersonRef(person_id="bob", name=HOSTILE, watchlist="barred", similarity=97.46)],
        "labels": ["<Person>"],
    }
    return Alert(**{**base, **fields})


def test_email_says_who_where_when_and_how_sure() -> None:
    email = render_email(alert(), "https://x/frame.jpg?sig=1&exp=2", link_minutes=60)
    assert email.subject == f"Doorman critical: Barred person: {HOSTILE} at front-door"
    for part in (email.text, email.html):
        assert "front-door" in part
        assert "2026-05-01 12:00:00 UTC" in part
        assert "97% similar" in part
        assert "a1" in part
    assert "https://x/frame.jpg?sig=1&exp=2" in email.text
    assert "Frame (link valid 60 min)" in email.text


def test_html_escapes_every_user_string() -> None:
    """Jinja2's autoescape (MarkupSafe) writes quotes as &#34; and &#39;."""
    html = render_email(alert(camera_id="<cam>"), 'https://x/"y"?a=1&b=2', 60).html
    assert "<img src=x" not in html and "<Person>" not in html and "<cam>" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Co" in html
    assert "&lt;Person&gt;" in html and "&lt;cam&gt;" in html
    assert 'href="https://x/&#34;y&#34;?a=1&amp;b=2"' in html


class Elements(HTMLParser):
    """The tags, attributes and text a mail client would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_a_hostile_name_camera_and_url_stay_text_in_the_html() -> None:
    script = "<script>alert(1)</script>"
    url = "https://x/f.jpg?a=1&b='2'\"><script>alert(2)</script>"
    hostile = alert(
        camera_id=f"cam{script}",
        people=[PersonRef(person_id="eve", name=script, watchlist="barred", similarity=99.0)],
    )
    html = render_email(hostile, url, 60).html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    parsed = Elements()
    parsed.feed(html)
    tags = [tag for tag, _ in parsed.tags]
    assert "script" not in tags
    assert sorted(set(tags)) == [
        "a",
        "body",
        "br",
        "h2",
        "html",
        "img",
        "p",
        "table",
        "td",
        "th",
        "tr",
    ]
    link = next(attrs for tag, attrs in parsed.tags if tag == "a")
    image = next(attrs for tag, attrs in parsed.tags if tag == "img")
    assert link == {"href": url} and image["src"] == url, "the URL is one attribute, intact"
    text = "".join(parsed.text)
    assert f"cam{script}" in text and f"{script} (barred, 99% similar)" in text


def test_stranger_email_names_the_possible_match() -> None:
    stranger = alert(
        severity="warning",
        reason="unknown-face",
        people=[],
        unknown_faces=2,
        possible_matches=[
            PersonRef(person_id="ann", name="Ann", watchlist="known", similarity=84.4)
        ],
    )
    email = render_email(stranger, None, 60)
    assert email.subject == "Doorman warning: Unknown person at front-door"
    assert "2 unknown face(s); possible match: Ann (84%)" in email.text
    assert "Frame" not in email.text and "<img" not in email.html


def test_sns_subject_is_short_printable_ascii() -> None:
    subject = sns_subject(alert(camera_id="tür-" + "x" * 200))
    assert len(subject) <= 100 and subject.isascii() and "\n" not in subject


def test_webhook_text_escapes_slack_control_characters() -> None:
    text = webhook_text(alert(), "https://x/frame.jpg")
    assert text.startswith("*CRITICAL* Barred person: &lt;img")
    assert "<img" not in text and "&amp; Co" in text
    assert text.endswith("<https://x/frame.jpg|frame>")


def test_when_keeps_unparsable_times() -> None:
    assert when("yesterday") == "yesterday"
