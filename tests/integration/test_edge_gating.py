"""Keyframe gating loses no face track: every scenario with people, encoded with a camera's
keyframe interval of 1 s and of 2 s, run through the real agent (PyAV decoding, motion
gate, the default face detector, tracker) with gating on. Each person in the ground truth
must get a face event at a frame where their face is, with the box on it; motion must be
analysed at most one keyframe interval after the first person steps into view; the quiet
stretches must really have been skipped (so the test cannot pass by decoding everything)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edge_agent.assembly import build_pipeline
from edge_agent.config import load_config
from edge_agent.decoding import GatedFileSource
from edge_agent.events import FrameEvent
from edge_agent.pipeline import Box, Frame
from scenes.scenarios import generate

pytestmark = pytest.mark.integration

WITH_PEOPLE = ("one_person", "two_people", "turning_away", "empty_stretch")
KEYFRAME_SECONDS = (1.0, 2.0)


class Events:
    def __init__(self) -> None:
        self.events: list[FrameEvent] = []

    def submit(self, event: FrameEvent) -> None:
        self.events.append(event)


def run_gated(video: Path) -> tuple[list[FrameEvent], GatedFileSource, int | None]:
    """Events, the source, and the first frame the agent analysed with motion."""
    source = GatedFileSource(video, "keyframes", start_epoch=0.0)
    sink = Events()
    pipeline = build_pipeline(load_config(), source, sink)
    first_motion: list[int] = []

    def note(frame: Frame) -> None:
        if pipeline.stats.motion_frames and not first_motion:
            first_motion.append(frame.index)

    pipeline.run(on_frame=note)
    return sink.events, source, first_motion[0] if first_motion else None


def covered(person: dict[str, Any], events: list[FrameEvent], fps: int) -> bool:
    boxes = {b[0]: Box(*b[1:]) for b in person["face_boxes"]}
    for event in events:
        index = round(event.captured_at.timestamp() * fps)
        for face in event.faces:  # people who came together share a frame
            seen = Box(face.left, face.top, face.right, face.bottom)
            if index in boxes and seen.iou(boxes[index]) > 0.4:
                return True
    return False


@pytest.mark.parametrize("keyframe_seconds", KEYFRAME_SECONDS, ids=["key-1s", "key-2s"])
@pytest.mark.parametrize("name", WITH_PEOPLE)
def test_gating_loses_no_face_track(
    name: str, keyframe_seconds: float, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp(f"{name}-key{keyframe_seconds:g}")
    video, truth_path = generate(name, folder, keyframe_seconds=keyframe_seconds)
    truth = json.loads(truth_path.read_text())
    events, source, first_motion = run_gated(video)
    faces = [e for e in events if e.kind == "face"]
    people = [p for p in truth["people"] if p["face_boxes"]]
    missed = [p["identity"] for p in people if not covered(p, faces, truth["fps"])]
    assert missed == [], f"{name} with {keyframe_seconds:g} s keyframes lost {missed}"
    assert all(any(covered(p, [event], truth["fps"]) for p in people) for event in faces), (
        "a face event that shows nobody's face"
    )
    # Motion is analysed at most one keyframe interval after someone steps into view.
    entered = min(p["start_frame"] for p in truth["people"])
    assert first_motion is not None
    assert 0 <= first_motion - entered <= keyframe_seconds * truth["fps"]
    # Every frame of the video is accounted for, and the quiet start was not decoded.
    assert source.stats.frames + source.stats.skipped == truth["frames"]
    assert source.stats.skipped > 0 and source.gate.stats.switches_to_full >= 1
