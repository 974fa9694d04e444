"""ops.camera_check on recorded events: the share of good faces, reasons and advice."""

from __future__ import annotations

from dataclasses import replace

from ops.camera_check import ADVICE, check_camera, check_cameras, lines
from ops.events import EventView, FaceView


def face(status: str, code: str = "", text: str = "") -> FaceView:
    return FaceView("x", "X", status, None, {}, why_unknown=text, why_code=code)


def event(camera: str, *faces: FaceView) -> EventView:
    return EventView(
        camera, "t", "t", "info", False, False, "b", "k", "p", "face", faces=list(faces)
    )


EVENTS = [
    event("porch", face("known"), face("stranger", "clear", "a clear face")),
    event("porch", face("stranger", "turned-away", "turned away: sideways 60°")),
    event(
        "porch",
        face("too-small", "too-small", "too small: 30 px"),
        face("stranger", "turned-away", "t"),
    ),
    event("porch", face("stranger")),  # from before reasons were recorded
    event("drive", face("barred")),
]


def test_share_reasons_and_advice_by_frequency() -> None:
    check = check_camera("porch", EVENTS)
    assert (check.events, check.faces, check.good, check.unmeasured) == (4, 5, 2, 1)
    assert check.reasons == [
        ("turned-away", 2, "turned away: sideways 60°"),
        ("too-small", 1, "too small: 30 px"),
    ]
    assert check.advice == [ADVICE["turned-away"], ADVICE["too-small"]]
    text = "\n".join(lines(check))
    assert "2 of 5 faces (40%) good enough to recognise: this camera needs work" in text
    assert "(1 older unknown face(s) have no recorded reason)" in text


def test_every_camera_with_events_is_checked() -> None:
    checks = check_cameras(EVENTS)
    assert [c.camera for c in checks] == ["drive", "porch"]
    assert checks[0].verdict == "1 of 1 faces (100%) good enough to recognise"
    assert check_camera("attic", EVENTS).verdict == "no faces seen in this period"


def test_the_report_has_the_same_check_per_camera_escaped() -> None:
    from ops.report import ReportData, render_html

    hostile = event("<b>gate</b>", face("stranger", "blurred", "blurred (sharpness 4 of 100)"))
    hostile = replace(hostile, alert_status="sent", rule="<i>strangers at night</i>")
    html = render_html(ReportData(events=[*EVENTS, hostile], counts=[], origin="test"), {})
    section = html.split('<section class="panel camera-checks">', 1)[1].split("</section>")[0]
    assert section.count('<div class="camera-check"') == 3
    assert "2 of 5 faces (40%) good enough to recognise: this camera needs work" in section
    assert "&lt;b&gt;gate&lt;/b&gt;" in section and "<b>gate</b>" not in section
    assert "1 &times; blurred: e.g. blurred (sharpness 4 of 100)" in section
    assert ADVICE["blurred"].split(":")[0] in section
    # the card says which rule decided, and why the face was not named
    assert "sent, rule: &lt;i&gt;strangers at night&lt;/i&gt;" in html
    assert '<span class="why">(blurred (sharpness 4 of 100))</span>' in html
