"""core.face_quality: which reason a FaceDetail gives, at the documented limits."""

from __future__ import annotations

import pytest

from core.face_quality import CLEAR, explain, with_reasons
from core.schemas import BoundingBox, FaceResult


def detail(side_px: int = 100, *, yaw=0.0, pitch=0.0, bright=50.0, sharp=60.0, occluded=None):
    d = {
        "BoundingBox": {"Width": side_px / 1000, "Height": side_px / 1000, "Left": 0.1, "Top": 0.1},
        "Pose": {"Yaw": yaw, "Pitch": pitch, "Roll": 0.0},
        "Quality": {"Brightness": bright, "Sharpness": sharp},
    }
    if occluded is not None:
        d["FaceOccluded"] = {"Value": occluded, "Confidence": 90.0}
    return d


@pytest.mark.parametrize(
    ("face", "code"),
    [
        (detail(39), "too-small"),
        (detail(39, yaw=80, bright=5), "too-small"),  # size first: nothing else is measurable
        (detail(40), "small"),
        (detail(50), "clear"),
        (detail(occluded=True, yaw=80), "partly-covered"),
        (detail(occluded=False), "clear"),
        (detail(yaw=45), "clear"),
        (detail(yaw=-45.5), "turned-away"),
        (detail(pitch=-30), "clear"),
        (detail(pitch=-31), "turned-away"),  # looking down: under 30 degrees
        (detail(pitch=45), "clear"),
        (detail(pitch=46), "turned-away"),  # looking up: under 45 degrees
        (detail(bright=24.9), "too-dark"),
        (detail(bright=25), "clear"),
        (detail(sharp=19.9), "blurred"),
        (detail(bright=10, sharp=5), "too-dark"),
    ],
)
def test_the_first_problem_is_the_reason(face, code) -> None:
    assert explain(face, 1000, 1000).code == code


def test_dark_face_in_a_bright_picture_is_backlit() -> None:
    assert explain(detail(bright=10), 1000, 1000, image_brightness=30).code == "too-dark"
    reason = explain(detail(bright=10), 1000, 1000, image_brightness=70)
    assert reason.code == "backlit" and "picture 70" in reason.text


def test_only_faces_that_were_not_named_get_a_reason() -> None:
    box = BoundingBox(width=0.1, height=0.1, left=0.1, top=0.1)
    faces = [
        FaceResult(index=i, status=s, bounding_box=box, confidence=99.0)
        for i, s in enumerate(["known", "stranger", "too-small"])
    ]
    out = with_reasons(faces, [detail(), detail(), detail(30)], 1000, 1000)
    assert [f.why_unknown.text if f.why_unknown else None for f in out] == [
        None,
        CLEAR,
        "too small: 30 px, faces need at least 40 px",
    ]
