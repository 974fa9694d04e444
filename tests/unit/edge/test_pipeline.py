"""The pipeline's own logic with scripted stages (no video, no detector)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from edge_agent.bestframe import TopKBestFrame
from edge_agent.config import FacesConfig
from edge_agent.events import FrameEvent
from edge_agent.pipeline import (
    Box,
    Candidate,
    Detection,
    Motion,
    Pipeline,
    PipelineSettings,
    TrackIds,
)
from edge_agent.tracker import IouCentroidTracker

FPS = 10
T0 = 1_700_000_000.0
FACE = Box(100, 100, 200, 200)


@dataclass
class FakeFrame:
    index: int
    t: float
    bgr: np.ndarray

    @property
    def gray(self) -> np.ndarray:
        return self.bgr[:, :, 0]

    @property
    def rgb(self) -> np.ndarray:
        return self.bgr


class Frames:
    def __init__(self, count: int) -> None:
        self.frames = [
            FakeFrame(i, T0 + i / FPS, np.full((360, 640, 3), i % 256, np.uint8))
            for i in range(count)
        ]
        self.position = 0

    def read(self) -> FakeFrame | None:
        if self.position >= len(self.frames):
            return None
        self.position += 1
        return self.frames[self.position - 1]


class ScriptedMotion:
    """Motion in the given frames; the gate sees frames in order, so count calls."""

    def __init__(self, moving: set[int]) -> None:
        self.moving, self.calls = moving, 0

    def detect(self, gray: np.ndarray) -> Motion:
        index, self.calls = self.calls, self.calls + 1
        return Motion(regions=(Box(50, 50, 300, 300),)) if index in self.moving else Motion()


@dataclass
class ScriptedFaces:
    """A face in the given frames, quality peaking at `best`."""

    visible: set[int]
    best: int = -1
    calls: list[int] = field(default_factory=list)
    regions: list[list[Box]] = field(default_factory=list)

    def locate(self, rgb: np.ndarray, regions: list[Box]) -> list[Detection]:
        index = int(rgb[0, 0, 0])
        self.calls.append(index)
        self.regions.append(regions)
        if index not in self.visible:
            return []
        quality = 0.9 if index == self.best else 0.3
        return [Detection(FACE, score=1.0, quality=quality)]


class IndexEncoder:
    def encode(self, bgr: np.ndarray) -> bytes:
        return bytes([int(bgr[0, 0, 0])])


@dataclass
class Sink:
    events: list[FrameEvent] = field(default_factory=list)

    def submit(self, event: FrameEvent) -> None:
        self.events.append(event)


class FixedRecognizer:
    def __init__(self, answer: str) -> None:
        self.answer, self.calls = answer, 0

    def identify(self, faces: list[Candidate]) -> str:
        self.calls += 1
        return self.answer


def pipeline(
    frames: int,
    moving: set[int],
    visible: set[int],
    best: int = -1,
    recognizer=None,
    top_k: int = 1,
    detector=None,
    **settings,
):
    faces_config = FacesConfig(track_gap_seconds=1.0)
    ids = TrackIds("cam")
    defaults = dict(
        camera_id="cam",
        detect_every_k=1,
        motion_snapshot_interval_seconds=60.0,
        motion_min_seconds=0.3,
        motion_gap_seconds=1.0,
        max_track_seconds=30.0,
    )
    defaults.update(settings)
    detector = detector or ScriptedFaces(visible, best)
    sink = Sink()
    p = Pipeline(
        PipelineSettings(**defaults),
        source=Frames(frames),
        motion=ScriptedMotion(moving),
        detector=detector,
        tracker=IouCentroidTracker(faces_config, ids),
        best=TopKBestFrame(top_k, keep_faces=3 if recognizer else 0),
        encoder=IndexEncoder(),
        sink=sink,
        recognizer=recognizer,
        new_track_id=ids,
    )
    return p, detector, sink


def test_one_person_gives_one_event_with_the_best_frame() -> None:
    p, _, sink = pipeline(60, set(range(5, 25)), set(range(8, 22)), best=14)
    stats = p.run()
    assert stats.frames == 60 and stats.tracks == 1
    assert [e.kind for e in sink.events] == ["face"]
    event = sink.events[0]
    assert event.jpeg == bytes([14])  # the best frame, not the first or the last
    assert event.captured_at.timestamp() == T0 + 1.4
    assert event.track_id == f"cam-{round((T0 + 0.8) * 1000)}-2"  # n=1 went to the motion episode
    assert event.key().endswith(f"{event.track_id}-001.jpg")
    assert event.faces[0].left == FACE.left and event.local_match is None


def test_top_k_gives_k_events_of_one_track_best_first() -> None:
    p, _, sink = pipeline(60, set(range(5, 25)), set(range(8, 22)), best=14, top_k=3)
    p.run()
    assert [e.seq for e in sink.events] == [1, 2, 3]
    assert len({e.track_id for e in sink.events}) == 1
    assert [e.jpeg for e in sink.events] == [bytes([14]), bytes([8]), bytes([9])]  # ties: earliest


def test_detector_runs_only_every_kth_frame_and_only_with_motion_or_tracks() -> None:
    p, detector, _ = pipeline(60, set(range(10, 30)), set(), detect_every_k=3)
    p.run()
    assert detector.calls == list(range(10, 30, 3))


def test_motion_without_faces_is_one_snapshot_per_interval() -> None:
    two_episodes = set(range(5, 15)) | set(range(40, 50))
    p, _, sink = pipeline(70, two_episodes, set(), motion_snapshot_interval_seconds=60.0)
    p.run()
    assert [e.kind for e in sink.events] == ["motion"]
    p, _, sink = pipeline(70, two_episodes, set(), motion_snapshot_interval_seconds=2.0)
    p.run()
    assert [e.kind for e in sink.events] == ["motion", "motion"]
    assert len({e.track_id for e in sink.events}) == 2


def test_brief_motion_and_motion_with_a_face_make_no_snapshot() -> None:
    p, _, sink = pipeline(40, {5, 6}, set())  # 0.1 s of motion
    p.run()
    assert sink.events == []
    p, _, sink = pipeline(60, set(range(5, 40)), set(range(10, 15)))
    p.run()
    assert [e.kind for e in sink.events] == ["face"]


def submitted_at(p: Pipeline, sink: Sink) -> dict[int, int]:
    """Run `p`; for each event, the index of the frame being processed when it went out."""
    when: dict[int, int] = {}

    def note(frame) -> None:
        for n in range(len(when), len(sink.events)):
            when[n] = frame.index

    p.run(on_frame=note)
    for n in range(len(when), len(sink.events)):
        when[n] = -1  # at the end of the run (flush)
    return when


def test_a_visit_is_reported_while_the_person_is_still_there() -> None:
    # A 9-second visit: one report 2 s in (frame 20 of a track from frame 0), with the best
    # frame of those 2 s; the better frame at 50 comes after the report and is not sent.
    p, _, sink = pipeline(120, set(range(0, 100)), set(range(0, 90)), best=12)
    when = submitted_at(p, sink)
    assert [e.kind for e in sink.events] == ["face"]
    assert when == {0: 20} and sink.events[0].jpeg == bytes([12])
    p, _, sink = pipeline(120, set(range(0, 100)), set(range(0, 90)), best=50)
    submitted_at(p, sink)
    assert [e.jpeg for e in sink.events] == [bytes([0])]  # the first of equal frames


def test_a_face_seen_once_by_the_report_time_waits_for_a_second_sighting() -> None:
    visible = {3} | set(range(10, 40))  # seen at 3, then not again until 10
    p, _, sink = pipeline(
        60, set(range(0, 45)), visible, detect_every_k=1, report_after_seconds=0.5
    )
    when = submitted_at(p, sink)
    assert [e.kind for e in sink.events] == ["face"]
    assert when == {0: 10} and sink.events[0].jpeg == bytes([3])


def test_a_short_visit_is_reported_when_it_ends() -> None:
    p, _, sink = pipeline(60, set(range(5, 25)), set(range(8, 16)), best=14)
    when = submitted_at(p, sink)
    assert [e.jpeg for e in sink.events] == [bytes([14])]
    assert when[0] == 26  # last seen at 15 and gone for the 1 s track gap, before frame 28


def test_the_report_time_must_fall_within_a_stretch() -> None:
    with pytest.raises(ValueError, match="report_after_seconds must be <= max_track_seconds"):
        FacesConfig(report_after_seconds=40.0, max_track_seconds=30.0)


def test_a_long_visit_is_reported_at_the_maximum_duration_and_again_at_the_end() -> None:
    p, _, sink = pipeline(100, set(range(0, 100)), set(range(0, 90)), max_track_seconds=4.0)
    p.run()
    faces = [e for e in sink.events if e.kind == "face"]
    assert [e.seq for e in faces] == [1, 2, 3]
    assert len({e.track_id for e in faces}) == 1


def test_unknown_only_keeps_recognized_people_local() -> None:
    known = FixedRecognizer("alice")
    p, _, sink = pipeline(
        40, set(range(5, 20)), set(range(5, 15)), recognizer=known, upload_unknown_only=True
    )
    stats = p.run()
    assert sink.events == [] and stats.withheld == 1 and known.calls == 1
    stranger = FixedRecognizer("unknown")
    p, _, sink = pipeline(
        40, set(range(5, 20)), set(range(5, 15)), recognizer=stranger, upload_unknown_only=True
    )
    p.run()
    assert [e.local_match for e in sink.events] == ["unknown"]
    assert sink.events[0].metadata()["local-match"] == "unknown"


def test_upload_all_still_reports_the_local_match() -> None:
    p, _, sink = pipeline(
        40, set(range(5, 20)), set(range(5, 15)), recognizer=FixedRecognizer("alice")
    )
    p.run()
    assert [e.local_match for e in sink.events] == ["alice"]


def test_stop_request_flushes_live_tracks() -> None:
    p, _, sink = pipeline(100, set(range(0, 100)), set(range(0, 100)))
    seen = []

    def stop_at_20(frame) -> None:
        seen.append(frame.index)
        if frame.index == 20:
            p.stop_requested.set()

    stats = p.run(on_frame=stop_at_20)
    assert stats.frames == 21
    assert [e.kind for e in sink.events] == ["face"]


def test_tracked_person_body_is_searched_only_near_the_face_between_full_searches() -> None:
    class TallMotion(ScriptedMotion):
        def detect(self, gray: np.ndarray) -> Motion:
            self.calls += 1
            return Motion(regions=(Box(80, 40, 260, 360),))  # a whole body, face at the top

    p, detector, _ = pipeline(12, set(), set(range(12)), full_search_every=3)
    p.motion = TallMotion(set())
    p.run()
    heights = [max(box.bottom for box in regions) for regions in detector.regions]
    # First run: nothing tracked yet, whole region. Then a band around the face (100-200,
    # padded by half a face height) except on every third run.
    assert heights[0] == 360
    assert heights[1] == heights[2] == 250
    assert heights[3] == 360 and heights[4] == 250


def test_a_fast_walkers_band_is_padded_by_face_sizes_not_by_its_reach() -> None:
    p, _, _ = pipeline(1, set(), set())
    track = IouCentroidTracker(FacesConfig(), TrackIds("cam"))
    track.update([Detection(FACE, score=1.0)], T0)
    track.update([Detection(Box(300, 100, 400, 200), score=1.0)], T0 + 0.2)  # 1000 px/s
    p.tracker = track
    [band] = p._search_regions(Motion(), T0 + 0.4, 1920, 1080)
    # Last box 300-400, predicted 500-600; one face width sideways, half a face up and down.
    assert band == Box(200, 50, 700, 250)


def test_a_face_seen_once_is_not_uploaded_and_the_motion_is() -> None:
    p, _, sink = pipeline(60, set(range(5, 25)), {12})  # one detection, never again
    p.run()
    assert [e.kind for e in sink.events] == ["motion"]
    p, _, sink = pipeline(60, set(range(5, 25)), {12, 13})
    p.run()
    assert [e.kind for e in sink.events] == ["face"]
    p, _, sink = pipeline(60, set(range(5, 25)), {12}, min_track_hits=1)
    p.run()
    assert [e.kind for e in sink.events] == ["face"]


FACE_B = Box(400, 100, 500, 200)


@dataclass
class TwoFaces:
    """Two people side by side: A's face in frames `a`, B's in `b`; quality 0.5 unless set."""

    a: set[int]
    b: set[int]
    quality_a: dict[int, float] = field(default_factory=dict)
    quality_b: dict[int, float] = field(default_factory=dict)

    def locate(self, rgb: np.ndarray, regions: list[Box]) -> list[Detection]:
        index = int(rgb[0, 0, 0])
        found = []
        if index in self.a:
            found.append(Detection(FACE, score=1.0, quality=self.quality_a.get(index, 0.5)))
        if index in self.b:
            found.append(Detection(FACE_B, score=1.0, quality=self.quality_b.get(index, 0.5)))
        return found


def test_people_who_came_together_go_out_in_one_frame() -> None:
    faces = TwoFaces(set(range(0, 60)), set(range(2, 60)), quality_a={10: 0.9})
    p, _, sink = pipeline(80, set(range(0, 70)), set(), detector=faces, detect_every_k=1)
    stats = p.run()
    assert stats.tracks == 2 and stats.reported_together == 1
    [event] = sink.events
    assert event.jpeg == bytes([10])  # A's best frame, which shows B as well
    assert [(f.left, f.right) for f in event.faces] == [(100, 200), (400, 500)]


def test_a_frame_that_shows_everyone_wins_over_a_slightly_better_one_alone() -> None:
    # A alone at frame 1 looks a little better (0.55) than in any frame with B (0.5 each);
    # the frame with both counts 25% more, so it is chosen, and it stands for B too.
    faces = TwoFaces(set(range(0, 60)), set(range(3, 60)), quality_a={1: 0.55})
    p, _, sink = pipeline(80, set(range(0, 70)), set(), detector=faces, detect_every_k=1)
    stats = p.run()
    assert stats.reported_together == 1
    [event] = sink.events
    assert event.jpeg == bytes([3]) and len(event.faces) == 2
    faces = TwoFaces(set(range(0, 60)), set(range(3, 60)), quality_a={1: 0.7})
    p, _, sink = pipeline(80, set(range(0, 70)), set(), detector=faces, detect_every_k=1)
    p.run()
    assert sink.events[0].jpeg == bytes([1])  # clearly better alone: kept


def test_with_several_frames_per_track_each_track_sends_its_own() -> None:
    faces = TwoFaces(set(range(0, 60)), set(range(2, 60)), quality_a={10: 0.9})
    p, _, sink = pipeline(
        80, set(range(0, 70)), set(), detector=faces, detect_every_k=1, share_frames=False
    )
    stats = p.run()
    assert stats.reported_together == 0 and len({e.track_id for e in sink.events}) == 2


def test_someone_poorly_seen_in_the_other_s_frame_gets_a_frame_of_their_own() -> None:
    faces = TwoFaces(set(range(0, 60)), set(range(2, 60)), quality_a={10: 0.9}, quality_b={10: 0.2})
    p, _, sink = pipeline(80, set(range(0, 70)), set(), detector=faces, detect_every_k=1)
    stats = p.run()
    assert stats.reported_together == 0
    assert [len(e.faces) for e in sink.events] == [1, 1]
    assert sink.events[1].jpeg != bytes([10])  # B's own best look (0.5), not the poor one


def test_someone_who_arrives_after_the_reported_frame_is_reported_on_their_own() -> None:
    faces = TwoFaces(set(range(0, 60)), set(range(15, 60)), quality_a={10: 0.9})
    p, _, sink = pipeline(80, set(range(0, 70)), set(), detector=faces, detect_every_k=1)
    p.run()
    assert len(sink.events) == 2 and len({e.track_id for e in sink.events}) == 2


class AnswersInTurn:
    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)

    def identify(self, faces: list[Candidate]) -> str:
        return self.answers.pop(0)


def test_a_known_face_kept_local_does_not_hide_the_stranger_beside_it() -> None:
    faces = TwoFaces(set(range(0, 60)), set(range(2, 60)), quality_a={10: 0.9})
    p, _, sink = pipeline(
        80,
        set(range(0, 70)),
        set(),
        detector=faces,
        detect_every_k=1,
        recognizer=AnswersInTurn("alice", "unknown"),
        upload_unknown_only=True,
    )
    stats = p.run()
    assert stats.withheld == 1 and stats.reported_together == 0
    assert [e.local_match for e in sink.events] == ["unknown"]
    assert [(f.left, f.right) for f in sink.events[0].faces] == [(400, 500)]
