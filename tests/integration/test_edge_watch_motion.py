"""The motion gate on the generated scenarios: quiet on distractors, awake for every person."""

from __future__ import annotations

import cv2
import pytest

from edge_agent.config import MotionConfig
from edge_agent.motion import RunningAverageMotionGate
from edge_agent.pipeline import Box

# The generated scenarios, shared with the watch tests.
from tests.integration.test_edge_watch import scenario  # noqa: F401

pytestmark = pytest.mark.integration


def motion_per_frame(video) -> list:
    gate = RunningAverageMotionGate(MotionConfig())
    capture = cv2.VideoCapture(str(video))
    results = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        results.append(gate.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)))
    capture.release()
    return results


@pytest.mark.parametrize("name", ["static_noise", "lighting_change", "rain", "night"])
def test_no_motion_on_noise_lighting_rain_or_night(name, request) -> None:
    video, truth = request.getfixturevalue("scenario")(name)
    results = motion_per_frame(video)
    assert len(results) == truth["frames"]
    assert [i for i, r in enumerate(results) if r.regions] == []
    if name == "lighting_change":
        steps = [d["start_frame"] for d in truth["distractors"] if d["kind"] == "lighting"]
        recalibrated = [i for i, r in enumerate(results) if r.recalibrated]
        assert recalibrated == steps


def test_the_empty_stretch_is_quiet_until_the_person_comes(request) -> None:
    video, truth = request.getfixturevalue("scenario")("empty_stretch")
    results = motion_per_frame(video)
    arrival = truth["people"][0]["start_frame"]
    assert arrival > 50
    assert not any(r.regions for r in results[:arrival])


@pytest.mark.parametrize(
    "name", ["one_person", "two_people", "turning_away", "empty_stretch", "car"]
)
def test_every_person_and_the_car_wake_the_gate(name, request) -> None:
    video, truth = request.getfixturevalue("scenario")(name)
    results = motion_per_frame(video)
    for person in truth["people"]:
        hits = [
            index
            for index, *box in person["face_boxes"]
            if any(region.intersection(Box(*box)).area > 0 for region in results[index].regions)
        ]
        assert hits, f"{name}: {person['identity']} never woke the motion gate"
    for distractor in truth["distractors"]:
        if distractor["kind"] == "car":
            span = results[distractor["start_frame"] : distractor["end_frame"] + 1]
            assert sum(bool(r.regions) for r in span) > len(span) // 2
