"""The report's pieces without AWS: thumbnails with boxes, the hourly chart, escaping."""

from __future__ import annotations

import io

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
