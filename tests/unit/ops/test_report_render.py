"""The report's pieces without AWS: thumbnails with boxes, the hourly chart, escaping."""

from __future__ import annotations

import io
from html.parser import HTMLParser

from PIL import Image

from ops.events import EventView, FaceView
from ops.report import (
    BOX_COLOURS,
    PersonCount,
    ReportData,
    draw_thumbnail,
    hourly_chart,
    render_html,
)


def _jpeg(width=640, height=480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 200, 200)).save(out, "JPEG")
    return out.getvalue()


def _face(status="barred", name="Eileen Collins", person_id="eileen-collins", left=0.25):
    box = {"left": left, "top": 0.5, "width": 0.25, "height": 0.25}
    return FaceView(person_id, name, status, 98.0, box)


def _event(n: int, hour: int, faces, camera="front", severity="critical") -> EventView:
    at = f"2026-05-01T{hour:02d}:{n:02d}:00.000Z"
    return EventView(camera, f"{at}#h{n}", at, severity, False, severity != "info", "b",
                     f"frames/{camera}/{n}.jpg", "", "face", "sent", [], faces)  # fmt: skip


def test_thumbnail_is_scaled_and_has_the_box_in_the_watchlist_colour():
    thumb = Image.open(io.BytesIO(draw_thumbnail(_jpeg(960, 720), [_face()], width=480)))
    assert thumb.size == (480, 360)
    # The box's left edge: x = 0.25 * 480 = 120, halfway down the box (y = 0.625 * 360).
    r, g, b = thumb.getpixel((121, 225))
    assert r > 180 and g < 90 and b < 90, (r, g, b)
    assert BOX_COLOURS["barred"][0] > 200
    # Far from any box the frame is untouched grey.
    assert all(abs(c - 200) < 12 for c in thumb.getpixel((460, 20)))


def test_hourly_chart_has_one_bar_per_hour_with_the_counts():
    events = [_event(1, 9, []), _event(2, 9, []), _event(3, 11, [])]
    svg = hourly_chart(events, min_hours=3)
    counts = [int(part.split('"')[0]) for part in svg.split('data-count="')[1:]]
    assert counts == [2, 0, 1]
    assert "max 2/h" in svg


def test_html_escapes_names_and_lists_filters():
    nasty = _face(status="known", name='<script>alert("x")</script>', person_id="x")
    data = ReportData(
        events=[_event(1, 9, [nasty], severity="info"), _event(2, 10, [_face()], camera="back")],
        counts=[PersonCount("x", '<script>alert("x")</script>', "known", 1, "")],
        origin="test",
    )
    html = render_html(data, {0: "thumbs/0000.jpg"})
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert 'data-people="x"' in html and 'data-camera="back"' in html
    assert html.count('class="event ') == 2
    assert "frame no longer stored" in html  # event 1 has no thumbnail


class _Page(HTMLParser):
    """Elements and attribute values as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_hostile_names_cameras_and_keys_stay_text():
    attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    face = FaceView(f"id{attack}", f"Eve{attack}", "barred", 97.0, {}, f"Ann{attack} (84%)")
    event = EventView(f"cam{attack}", "t#h", "2026-05-01T09:00:00Z", "critical", False, True,
                      "b", f"frames/{attack}.jpg", "", f"face{attack}", "sent",
                      [f"Person{attack}"], [face])  # fmt: skip
    data = ReportData(
        events=[event],
        counts=[PersonCount(f"id{attack}", f"Eve{attack}", "barred", 1, attack)],
        origin=f"localcloud {attack}",
        filters={"person": attack},
    )

    html = render_html(data, {0: f"thumbs/{attack}.jpg"})

    page = _Page()
    page.feed(html)
    tags = [tag for tag, _ in page.tags]
    assert tags.count("script") == 1 and tags.count("img") == 1  # the page's own only
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    [(_, card)] = [(t, a) for t, a in page.tags if t == "article"]
    assert card["data-camera"] == f"cam{attack}"
    assert card["data-people"] == f"id{attack}"
    [(_, image)] = [(t, a) for t, a in page.tags if t == "img"]
    assert image["src"] == f"thumbs/{attack}.jpg"
    options = [a["value"] for t, a in page.tags if t == "option"]
    assert f"id{attack}" in options and f"cam{attack}" in options
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
