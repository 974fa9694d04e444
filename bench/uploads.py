"""Uploads and recall over the scenario set, for Doorman and the baselines.

For each scenario:
- Doorman runs with its default configuration; every event it would upload is kept.
- One baseline pass gives the naive uploads (motion and a Haar face) and the motion frames
  (motion-only uploads every motion frame, or one per second of motion).

Then, against the ground truth:
- recall: the share of person tracks (with a visible face) that have at least one upload
  within the track that shows that person's face. "Shows" is checked with face_recognition
  against the sample photos (bench.faces), never taken from the pipeline's own opinion.
  Doorman's uploads are all checked; for a baseline, up to `CHECKS_PER_TRACK` of its uploads
  at frames where the truth says the face is visible are checked, nearest the middle first.
- uploads without a person: Doorman's are checked with face_recognition; a baseline's are
  the uploads at frames where the truth has no visible face (a car, rain, light, nobody).
- false face uploads: uploads sent *as faces* with no person's face: Doorman's `kind=face`
  events and every naive upload (the cascade said face). motion-only sends no face claims.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

import cv2
import numpy as np

from bench.baselines import BaselinePass, read_frames, run_baselines
from edge_agent.pipeline import Frame
from scenes.cache import Scenario

CHECKS_PER_TRACK = 3
DOORMAN = "doorman"
NAIVE = "naive"
MOTION_EVERY = "motion-only (every frame)"
MOTION_PER_SECOND = "motion-only (1/s)"
PIPELINES = (DOORMAN, NAIVE, MOTION_PER_SECOND, MOTION_EVERY)


@dataclass(frozen=True)
class TruthTrack:
    scenario: str
    identity: str
    start_frame: int
    end_frame: int
    face_frames: frozenset[int]

    @property
    def label(self) -> str:
        return f"{self.scenario}:{self.identity}@{self.start_frame}"


@dataclass(frozen=True)
class SeenUpload:
    """An upload at a frame, and the sample people face_recognition found in it."""

    frame: int
    people: frozenset[str]


def truth_tracks(truth: dict[str, Any]) -> list[TruthTrack]:
    return [
        TruthTrack(
            scenario=truth["scenario"],
            identity=p["identity"],
            start_frame=p["start_frame"],
            end_frame=p["end_frame"],
            face_frames=frozenset(box[0] for box in p["face_boxes"]),
        )
        for p in truth["people"]
    ]


def face_frames(truth: dict[str, Any]) -> set[int]:
    """Frames in which at least one person's face is visible."""
    return {box[0] for p in truth["people"] for box in p["face_boxes"]}


def is_covered(track: TruthTrack, uploads: Iterable[SeenUpload]) -> bool:
    return any(
        track.start_frame <= u.frame <= track.end_frame and track.identity in u.people
        for u in uploads
    )


def recall(tracks: Sequence[TruthTrack], uploads: Sequence[SeenUpload]) -> tuple[int, int]:
    """(covered, countable) over tracks whose face is visible at some point."""
    countable = [t for t in tracks if t.face_frames]
    return sum(1 for t in countable if is_covered(t, uploads)), len(countable)


def check_candidates(track: TruthTrack, uploads: Sequence[int], limit: int) -> list[int]:
    """A baseline's upload frames worth checking for `track`: face visible, middle first."""
    inside = sorted(f for f in set(uploads) if f in track.face_frames)
    if not inside:
        return []
    middle = (min(track.face_frames) + max(track.face_frames)) / 2
    return sorted(inside, key=lambda f: (abs(f - middle), f))[:limit]


def first_motion(truth: dict[str, Any]) -> int | None:
    """The first frame in which something moves into the scene: a person or a car."""
    starts = [p["start_frame"] for p in truth["people"]]
    starts += [d["start_frame"] for d in truth["distractors"] if d["kind"] == "car"]
    return min(starts) if starts else None


def motion_delay(truth: dict[str, Any], analysed: int | None) -> dict[str, Any] | None:
    """From the first motion in the truth to the first frame the agent analysed with motion,
    in seconds and in keyframe intervals; None for a scenario where nothing moves in."""
    start = first_motion(truth)
    if start is None:
        return None
    fps, interval = truth["fps"], truth.get("keyframe_seconds", 1.0)
    frames = (analysed - start) if analysed is not None else truth["frames"] - start
    return {
        "scenario": truth["scenario"],
        "first_motion_frame": start,
        "first_analysed_frame": analysed,
        "seconds": frames / fps,
        "keyframe_seconds": interval,
        "keyframe_intervals": frames / fps / interval,
    }


def without_person(upload_frames: Iterable[int], visible: set[int]) -> int:
    return sum(1 for f in upload_frames if f not in visible)


# --- running ------------------------------------------------------------------------------


@dataclass
class PipelineTally:
    uploads: int = 0
    tracks: int = 0
    covered_tracks: int = 0
    uploads_without_person: int = 0
    false_face_uploads: int | None = 0
    missed_tracks: list[str] = field(default_factory=list)
    face_uploads: int = 0
    motion_uploads: int = 0
    faces_in_uploads: int = 0
    first_motion_frame: int | None = None  # the first frame the gated agent saw move
    report_delays: list[dict[str, Any]] = field(default_factory=list)  # Doorman's face uploads

    def add(self, other: PipelineTally) -> None:
        self.uploads += other.uploads
        self.tracks += other.tracks
        self.covered_tracks += other.covered_tracks
        self.uploads_without_person += other.uploads_without_person
        if self.false_face_uploads is None or other.false_face_uploads is None:
            self.false_face_uploads = None
        else:
            self.false_face_uploads += other.false_face_uploads
        self.missed_tracks += other.missed_tracks
        self.face_uploads += other.face_uploads
        self.motion_uploads += other.motion_uploads
        self.faces_in_uploads += other.faces_in_uploads
        self.report_delays += other.report_delays

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uploads": self.uploads,
            "tracks": self.tracks,
            "covered_tracks": self.covered_tracks,
            "recall": self.covered_tracks / self.tracks if self.tracks else 0.0,
            "uploads_without_person": self.uploads_without_person,
            "false_face_uploads": self.false_face_uploads,
            "missed_tracks": self.missed_tracks,
        }
        if self.face_uploads or self.motion_uploads:
            out["face_uploads"] = self.face_uploads
            out["motion_uploads"] = self.motion_uploads
            out["faces_per_upload"] = (
                self.faces_in_uploads / self.face_uploads if self.face_uploads else 0.0
            )
        if self.report_delays:
            out["report_delays"] = self.report_delays
        return out


def _people_in(bgr: np.ndarray) -> tuple[frozenset[str], int]:
    from bench.faces import faces_in

    seen = faces_in(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return frozenset(f.person for f in seen if f.person), len(seen)


def _doorman(scenario: Scenario, tracks: list[TruthTrack]) -> tuple[PipelineTally, list[bytes]]:
    from bench.doorman import DoormanRunner

    runner = DoormanRunner(scenario.video)
    first_motion: list[int] = []
    sent_at: list[int] = []  # for each event, the frame being processed when it went out

    def note_frame(frame: Frame) -> None:
        if runner.pipeline.stats.motion_frames and not first_motion:
            first_motion.append(frame.index)
        sent_at.extend([frame.index] * (len(runner.sink.events) - len(sent_at)))

    last_frame = runner.run(on_frame=note_frame) - 1
    sent_at.extend([last_frame] * (len(runner.sink.events) - len(sent_at)))  # at the end
    tally = PipelineTally()
    tally.first_motion_frame = first_motion[0] if first_motion else None
    seen: list[SeenUpload] = []
    face_jpegs = []
    for event, sent in zip(runner.sink.events, sent_at, strict=True):
        image = cv2.imdecode(np.frombuffer(event.jpeg, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"{event.key()}: the agent uploaded a JPEG that does not decode")
        people, faces = _people_in(image)
        seen.append(SeenUpload(runner.frame_index(event), people))
        tally.uploads += 1
        if event.kind == "face":
            tally.report_delays += _report_delays(tracks, seen[-1], sent, runner.fps)
            tally.face_uploads += 1
            tally.faces_in_uploads += faces
            face_jpegs.append(event.jpeg)
            if not people:
                tally.false_face_uploads = (tally.false_face_uploads or 0) + 1
        else:
            tally.motion_uploads += 1
        if not people:
            tally.uploads_without_person += 1
    _score_tracks(tally, tracks, seen)
    return tally, face_jpegs


def _report_delays(
    tracks: list[TruthTrack], upload: SeenUpload, sent_frame: int, fps: float
) -> list[dict[str, Any]]:
    """For each visitor a face upload shows: from their face first in view to the upload
    going out (while they are still there, or only as they leave)."""
    return [
        {
            "track": track.label,
            "seconds": (sent_frame - min(track.face_frames)) / fps,
            "visit_seconds": (track.end_frame - track.start_frame + 1) / fps,
            "before_leaving": sent_frame <= track.end_frame,
        }
        for track in tracks
        if track.face_frames and is_covered(track, [upload])
    ]


def _score_tracks(tally: PipelineTally, tracks: list[TruthTrack], seen: list[SeenUpload]) -> None:
    covered, countable = recall(tracks, seen)
    tally.tracks += countable
    tally.covered_tracks += covered
    tally.missed_tracks += [t.label for t in tracks if t.face_frames and not is_covered(t, seen)]


def _baselines(
    scenario: Scenario, truth: dict[str, Any], tracks: list[TruthTrack]
) -> tuple[dict[str, PipelineTally], BaselinePass]:
    baseline = run_baselines(scenario.video)
    visible = face_frames(truth)
    uploads = {
        NAIVE: baseline.naive_uploads,
        MOTION_PER_SECOND: baseline.motion_only_per_second(),
        MOTION_EVERY: baseline.motion_only_every_frame(),
    }
    wanted = {
        frame
        for frames in uploads.values()
        for track in tracks
        for frame in check_candidates(track, frames, CHECKS_PER_TRACK)
    }
    checked = {i: _people_in(bgr)[0] for i, bgr in read_frames(scenario.video, wanted).items()}
    tallies = {}
    for name, frames in uploads.items():
        tally = PipelineTally(
            uploads=len(frames),
            uploads_without_person=without_person(frames, visible),
            false_face_uploads=without_person(frames, visible) if name == NAIVE else None,
        )
        seen = [
            SeenUpload(f, checked[f])
            for track in tracks
            for f in check_candidates(track, frames, CHECKS_PER_TRACK)
        ]
        _score_tracks(tally, tracks, seen)
        tallies[name] = tally
    return tallies, baseline


def _job(kind: str, scenario: Scenario) -> Any:
    truth = scenario.truth()
    tracks = truth_tracks(truth)
    if kind == DOORMAN:
        return _doorman(scenario, tracks)
    return _baselines(scenario, truth, tracks)


def run(
    scenes: Sequence[Scenario],
    progress: Callable[[], None] | None = None,
    workers: int = 2,
) -> tuple[dict[str, Any], list[bytes]]:
    """The uploads section of the results, and Doorman's face-event JPEGs (for latency).

    Doorman and the baselines run on each scenario in a pool of `workers` processes: these
    are counts, not timings, so they may share the machine.
    """
    tick = progress or (lambda: None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        longest_first = sorted(enumerate(scenes), key=lambda item: -item[1].truth()["frames"])
        futures = {
            (kind, n): pool.submit(_job, kind, scenario)
            for n, scenario in longest_first
            for kind in (DOORMAN, "baselines")
        }
        for _ in as_completed(futures.values()):
            tick()
        outcome = {key: future.result() for key, future in futures.items()}
    totals = {name: PipelineTally() for name in PIPELINES}
    totals[MOTION_EVERY].false_face_uploads = None
    totals[MOTION_PER_SECOND].false_face_uploads = None
    per_scenario = []
    delays = []
    jpegs: list[bytes] = []
    for n, scenario in enumerate(scenes):
        truth = scenario.truth()
        tracks = truth_tracks(truth)
        doorman, face_jpegs = outcome[(DOORMAN, n)]
        delay = motion_delay(truth, doorman.first_motion_frame)
        if delay is not None:
            delays.append(delay)
        tallies, baseline = outcome[("baselines", n)]
        jpegs += face_jpegs
        tallies[DOORMAN] = doorman
        for name, tally in tallies.items():
            totals[name].add(tally)
        per_scenario.append(
            {
                "scenario": truth["scenario"],
                "frames": baseline.frames,
                "motion_frames": len(baseline.motion_frames),
                "tracks": sum(1 for t in tracks if t.face_frames),
                "uploads": {name: tallies[name].uploads for name in PIPELINES},
                "covered": {name: tallies[name].covered_tracks for name in PIPELINES},
                "without_person": {
                    name: tallies[name].uploads_without_person for name in PIPELINES
                },
            }
        )
    section = {
        "totals": {name: tally.as_dict() for name, tally in totals.items()},
        "scenarios": per_scenario,
        "motion_delay": delays,
        "resolution": scenes[0].resolution if scenes else None,
        "fps": scenes[0].fps if scenes else None,
        "notes": [
            "naive and motion-only use MOG2 on full frames; the naive upload rule is "
            "motion and a Haar face (encodings do not change what it uploads, so this pass "
            "skips them and runs the cascade on motion frames only)",
            "recall checks uploads with face_recognition against the sample photos; "
            f"a baseline gets up to {CHECKS_PER_TRACK} checks per track",
            "a baseline upload counts as 'without person' when the ground truth shows no "
            "face in that frame",
            "Doorman decodes keyframes only while nothing moves (a keyframe every "
            f"{scenes[0].truth().get('keyframe_seconds', 1.0) if scenes else 1.0:g} s); motion "
            "delay: from the first frame a person or car is in view to the first frame the "
            "agent analysed with motion",
        ],
    }
    return section, jpegs
