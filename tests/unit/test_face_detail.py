"""Pure parts of the face service's FaceDetail: boxes, pose and expressions from landmarks."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from localcloud.faceservice.detection import Box, cnn_confidence, hog_confidence
from localcloud.faceservice.facedetail import bounding_box, expressions, pose


def frontal_face(eye_height: float = 4.0, mouth_gap: float = 0.0) -> np.ndarray:
    """68 landmarks (only the ones the service reads) of an upright, frontal face."""
    p = np.zeros((68, 2))
    for start, cx in ((36, 40.0), (42, 80.0)):  # eye outline: corners, upper lid, lower lid
        p[start : start + 6] = [
            (cx - 10, 50), (cx - 4, 50 - eye_height), (cx + 4, 50 - eye_height),
            (cx + 10, 50), (cx + 4, 50 + eye_height), (cx - 4, 50 + eye_height),
        ]  # fmt: skip
    p[27] = (60, 50)  # nose bridge
    p[30] = (60, 75)  # nose tip
    p[48], p[54] = (42, 100), (78, 100)  # mouth corners
    p[60], p[64] = (45, 100), (75, 100)  # inner lip corners
    p[62], p[66] = (60, 100 - mouth_gap / 2), (60, 100 + mouth_gap / 2)
    p[8] = (60, 130)  # chin
    return p


def rotate(points: np.ndarray, degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    centre = points[30]
    return (points - centre) @ rotation.T + centre


def test_bounding_box_is_ratios_clipped_to_the_image():
    assert bounding_box(Box(-20, 10, 60, 90), 200, 100) == {
        "Width": 0.3,
        "Height": 0.8,
        "Left": 0.0,
        "Top": 0.1,
    }


def test_pose_of_a_frontal_face_is_near_zero():
    result = pose(frontal_face())
    assert abs(result["Roll"]) < 1 and abs(result["Yaw"]) < 1 and abs(result["Pitch"]) < 15


@pytest.mark.parametrize("roll", [-20.0, 10.0, 30.0])
def test_roll_is_recovered_and_does_not_leak_into_yaw(roll):
    result = pose(rotate(frontal_face(), roll))
    assert result["Roll"] == pytest.approx(roll, abs=0.5)
    assert abs(result["Yaw"]) < 1


def test_yaw_follows_the_nose():
    turned = frontal_face()
    turned[30, 0] += 12  # nose tip moves towards the image right
    assert pose(turned)["Yaw"] > 20


def test_eyes_and_mouth_open_from_landmark_ratios():
    open_face = expressions(frontal_face(eye_height=4.0, mouth_gap=12.0))
    closed_face = expressions(frontal_face(eye_height=0.5, mouth_gap=0.0))
    assert open_face["EyesOpen"]["Value"] is True
    assert closed_face["EyesOpen"]["Value"] is False
    assert open_face["MouthOpen"]["Value"] is True
    assert closed_face["MouthOpen"]["Value"] is False
    for attribute in ("EyesOpen", "MouthOpen", "Smile"):
        assert 50 <= open_face[attribute]["Confidence"] <= 100


def test_emotions_are_reported_neutral():
    emotions = expressions(frontal_face())["Emotions"]
    assert len(emotions) == 8
    assert {e["Confidence"] for e in emotions} == {12.5}


def test_confidence_maps_are_monotone_and_bounded():
    scores = np.linspace(-1, 4, 51)
    for curve in (hog_confidence, cnn_confidence):
        values = [curve(s) for s in scores]
        assert all(b > a for a, b in itertools.pairwise(values))
        assert values[0] > 0 and values[-1] <= 100
    assert hog_confidence(1.5) > 99
