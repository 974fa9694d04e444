"""The edge pipeline: frames in, at most one good frame per person out (one frame for
people who came together: a report's frame stands for every confirmed face seen in it).

    FrameSource.read() -> MotionGate.detect(gray) -> FaceDetector.locate(rgb, regions)
    -> Tracker.update(dets, t) -> BestFrame.consider(...) -> Recognizer.identify(...)
    -> EventSink.submit(event)
    ... -> DecodeGate.follow(busy): a keyframe-gated source decodes every frame only
    while the scene is busy (motion within the motion gap, or a live track).

This module only composes the stages; it imports no image library. Each stage is a
Protocol with one verb, so tests and benchmarks can swap any of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from edge_agent.events import EventKind, EventSink, FaceBox, FrameEvent

log = logging.getLogger(__name__)

Image = Any  # an HxWxC (or HxW) uint8 numpy array; typed loosely to keep numpy out


@dataclass(frozen=True)
class Box:
    """Pixel rectangle, right/bottom exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return max(0, self.right - self.left)

    @property
    def height(self) -> int:
        return max(0, self.bottom - self.top)

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.left + self.right) / 2, (self.top + self.bottom) / 2)

    def iou(self, other: Box) -> float:
        inter = self.intersection(other)
        union = self.area + other.area - inter.area
        return inter.area / union if union else 0.0

    def intersection(self, other: Box) -> Box:
        left, top = max(self.left, other.left), max(self.top, other.top)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        return Box(left, top, max(left, right), max(top, bottom))

    def union(self, other: Box) -> Box:
        return Box(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
        )

    def padded(self, fraction: float, width: int, height: int) -> Box:
        """Grow by `fraction` of the box size on every side, clipped to the frame."""
        dx, dy = round(self.width * fraction), round(self.height * fraction)
        return self.grown(dx, dy, width, height)

    def grown(self, dx: int, dy: int, width: int, height: int) -> Box:
        """Grow by dx pixels left and right and dy up and down, clipped to the frame."""
        return Box(
            max(0, self.left - dx),
            max(0, self.top - dy),
            min(width, self.right + dx),
            min(height, self.bottom + dy),
        )

    def to_face_box(self) -> FaceBox:
        return FaceBox(top=self.top, right=self.right, bottom=self.bottom, left=self.left)


class Frame(Protocol):
    """One decoded frame. `gray` and `rgb` are converted on first use and cached."""

    index: int  # the frame's number in the video (frames not decoded count too)
    t: float  # epoch seconds: wall clock (live) or file start + presentation time

    @property
    def bgr(self) -> Image: ...

    @property
    def gray(self) -> Image: ...

    @property
    def rgb(self) -> Image: ...


@dataclass(frozen=True)
class Motion:
    regions: tuple[Box, ...] = ()
    changed_fraction: float = 0.0
    recalibrated: bool = False

    @property
    def area(self) -> int:
        return sum(box.area for box in self.regions)


@dataclass(frozen=True)
class Detection:
    box: Box
    score: float
    quality: float = 0.0
    sharpness: float = 0.0
    frontalness: float = 0.0


@dataclass(frozen=True, eq=False)
class Candidate:
    """A frame kept as a possible best frame of a track."""

    quality: float
    frame_index: int
    t: float
    bgr: Image
    box: Box
    face_rgb: Image | None = None  # padded face crop, for local recognition
    face_in_crop: Box | None = None


@dataclass(eq=False)
class Track:
    track_id: str
    first_t: float
    last_t: float
    box: Box
    segment_start_t: float
    hits: int = 1
    seq: int = 0  # events already emitted for this track
    reported: bool = False  # this stretch of the visit went out; no more frames kept for it
    velocity: tuple[float, float] = (0.0, 0.0)  # face centre, pixels per second
    frames: list[Candidate] = field(default_factory=list)  # top-k, best first
    faces: list[Candidate] = field(default_factory=list)  # crops for recognition

    def predicted(self, t: float) -> Box:
        """Where the face should be at time t if it keeps its speed."""
        dt = min(max(0.0, t - self.last_t), 1.0)
        dx, dy = round(self.velocity[0] * dt), round(self.velocity[1] * dt)
        box = self.box
        return Box(box.left + dx, box.top + dy, box.right + dx, box.bottom + dy)


@dataclass(frozen=True)
class TrackUpdate:
    matched: tuple[tuple[Track, Detection], ...] = ()
    ended: tuple[Track, ...] = ()

    @property
    def started(self) -> tuple[Track, ...]:
        return tuple(track for track, _ in self.matched if track.hits == 1)


class FrameSource(Protocol):
    def read(self) -> Frame | None:
        """Next frame; None when the source is finished (files) or closed."""
        ...


@runtime_checkable
class DecodeGate(Protocol):
    def follow(self, busy: bool) -> None:
        """Decode every frame from now on while busy; only keyframes while quiet."""
        ...


class MotionGate(Protocol):
    def detect(self, gray: Image) -> Motion:
        """Changed regions in full-frame pixels; empty for no motion or recalibration."""
        ...


class FaceDetector(Protocol):
    def locate(self, rgb: Image, regions: list[Box]) -> list[Detection]:
        """Faces inside the given regions, scored for quality."""
        ...


class Tracker(Protocol):
    live: list[Track]

    def update(self, detections: list[Detection], t: float) -> TrackUpdate:
        """Assign detections to tracks; end tracks not seen for the gap."""
        ...


class BestFrame(Protocol):
    def consider(self, track: Track, frame: Frame, detection: Detection) -> None:
        """Keep this frame in the track's top-k (and its face crop) if it is good enough."""
        ...


class Recognizer(Protocol):
    def identify(self, faces: list[Candidate]) -> str:
        """person_id voted across a track's face crops, or "unknown"."""
        ...


class JpegEncoder(Protocol):
    def encode(self, bgr: Image) -> bytes: ...


@dataclass
class Stats:
    frames: int = 0
    motion_frames: int = 0
    recalibrations: int = 0
    detector_runs: int = 0
    faces: int = 0
    tracks: int = 0
    events: int = 0
    face_events: int = 0
    motion_events: int = 0
    withheld: int = 0  # known faces kept local by upload = "unknown-only"
    reported_together: int = 0  # tracks that needed no upload: another's frame showed them


@dataclass(frozen=True)
class PipelineSettings:
    camera_id: str
    detect_every_k: int = 2
    padding: float = 0.25
    report_after_seconds: float = 2.0
    max_track_seconds: float = 30.0
    motion_snapshot_interval_seconds: float = 60.0
    motion_min_seconds: float = 0.5
    motion_gap_seconds: float = 2.0
    upload_unknown_only: bool = False
    # Around a tracked face's last/next box: face widths sideways (people cross the porch),
    # face heights up and down (faces rarely move vertically between two detector runs).
    track_search_padding: float = 1.0
    track_search_padding_y: float = 0.5
    full_search_every: int = 4  # detector runs between searches of whole motion regions
    min_track_hits: int = 2  # detections a track needs to be uploaded (one alone: a false face)
    # Another face seen in a report's frame goes out with it when its look there is at least
    # this share of its best look so far; it then needs no upload of its own. Off when
    # several frames per track are asked for (top_k > 1): each track then sends its own.
    share_frames: bool = True
    group_quality_share: float = 0.5
    # With frame sharing, a frame counts this much better for each other face seen in it,
    # so a track's chosen frame shows whoever came with them unless it is clearly worse.
    company_bonus: float = 0.25


@dataclass
class _MotionEpisode:
    """A stretch of motion; it becomes a snapshot only if no face was seen in it."""

    track_id: str
    start_t: float
    last_t: float
    best_area: int = 0
    best: Candidate | None = None
    saw_face: bool = False


class Pipeline:
    """Runs frames through the stages and submits events; keeps counters in `stats`."""

    def __init__(
        self,
        settings: PipelineSettings,
        source: FrameSource,
        motion: MotionGate,
        detector: FaceDetector,
        tracker: Tracker,
        best: BestFrame,
        encoder: JpegEncoder,
        sink: EventSink,
        recognizer: Recognizer | None = None,
        new_track_id: Callable[[float], str] | None = None,
        decode_gate: DecodeGate | None = None,
    ) -> None:
        self.settings = settings
        self.source = source
        self.motion = motion
        self.detector = detector
        self.tracker = tracker
        self.best = best
        self.encoder = encoder
        self.sink = sink
        self.recognizer = recognizer
        self.decode_gate = decode_gate
        self.stats = Stats()
        self.stop_requested = threading.Event()
        self._new_track_id = new_track_id or TrackIds(settings.camera_id)
        self._last_detect_index: int | None = None
        self._runs_since_full = 0
        self._episode: _MotionEpisode | None = None
        self._last_snapshot_t: float | None = None
        self._last_motion_t: float | None = None
        # Frames with two or more tracked faces, by index: who was seen there, and how well.
        self._together: dict[int, tuple[float, list[tuple[Track, Detection]]]] = {}

    def run(self, on_frame: Callable[[Frame], None] | None = None) -> Stats:
        """Process until the source ends or `stop_requested` is set, then flush."""
        while not self.stop_requested.is_set():
            frame = self.source.read()
            if frame is None:
                break
            self.process(frame)
            if on_frame is not None:
                on_frame(frame)
        self.flush()
        return self.stats

    def process(self, frame: Frame) -> None:
        self.stats.frames += 1
        gray = frame.gray
        height, width = gray.shape[:2]
        motion = self.motion.detect(gray)
        if motion.recalibrated:
            self.stats.recalibrations += 1
        if motion.regions:
            self.stats.motion_frames += 1
            self._last_motion_t = frame.t

        detections: list[Detection] = []
        live = self.tracker.live
        if (motion.regions or live) and self._detection_due(frame.index):
            regions = self._search_regions(motion, frame.t, width, height)
            detections = self.detector.locate(frame.rgb, regions)
            self._last_detect_index = frame.index
            self.stats.detector_runs += 1
            self.stats.faces += len(detections)

        update = self.tracker.update(detections, frame.t)
        self.stats.tracks += len(update.started)
        matched = self._in_company(update.matched)
        for track, detection in matched:
            if not track.reported:
                self.best.consider(track, frame, detection)
        self._remember_together(frame, matched)
        for track in update.ended:
            self._emit_track(track)
        for track in self.tracker.live:
            self._report_when_due(track, frame.t)

        confirmed = any(t.hits >= self.settings.min_track_hits for t in self.tracker.live)
        self._follow_motion(frame, motion, saw_face=confirmed)
        if self.decode_gate is not None:
            self.decode_gate.follow(self._busy(frame.t))

    def _busy(self, t: float) -> bool:
        """Motion within the motion gap, or a face still tracked: every frame counts."""
        if self.tracker.live:
            return True
        last = self._last_motion_t
        return last is not None and t - last < self.settings.motion_gap_seconds

    def flush(self) -> None:
        """End every live track and motion episode (end of file, SIGTERM)."""
        for track in self.tracker.update([], float("inf")).ended:
            self._emit_track(track)
        if self._episode is not None:
            self._end_episode(self._episode.last_t)

    def _search_regions(self, motion: Motion, t: float, width: int, height: int) -> list[Box]:
        """Where to look for faces this time.

        Around each live track's face (last and predicted position: people stop at doors),
        and in every motion region. Between full searches, a motion region that holds a
        tracked face is cut down to the height of that face's band (half a face above and
        below): the rest is that person's body, and searching it would cost several times
        more. Every
        `full_search_every`-th run searches whole regions, so a newcomer next to a tracked
        person is found within about a second.
        """
        settings = self.settings
        bands = [self._band(track, t, width, height) for track in self.tracker.live]
        self._runs_since_full += 1
        full = not bands or self._runs_since_full >= settings.full_search_every
        if full:
            self._runs_since_full = 0
        regions = list(bands)
        for box in motion.regions:
            region = box.padded(settings.padding, width, height)
            holding = [band for band in bands if band.intersection(region).area]
            if not full and holding:
                top = max(region.top, min(band.top for band in holding))
                bottom = min(region.bottom, max(band.bottom for band in holding))
                region = Box(region.left, top, region.right, max(top, bottom))
            regions.append(region)
        return regions

    def _band(self, track: Track, t: float, width: int, height: int) -> Box:
        """A tracked face's last and predicted boxes, grown by the track search padding in
        face sizes (not by the size of their union: a fast walker's band stays a few faces
        high and wide)."""
        face, settings = track.box, self.settings
        dx = round(face.width * settings.track_search_padding)
        dy = round(face.height * settings.track_search_padding_y)
        return face.union(track.predicted(t)).grown(dx, dy, width, height)

    def _detection_due(self, index: int) -> bool:
        last = self._last_detect_index
        return last is None or index - last >= self.settings.detect_every_k

    def _report_when_due(self, track: Track, t: float) -> None:
        """Report a visit while the person is still there.

        The best frame of its first `report_after_seconds` goes out then (a face seen only
        once by then waits for a second sighting). A visit longer than `max_track_seconds`
        starts a new stretch, reported the same way; a track that ends before its stretch
        was reported is reported as it ends.
        """
        settings = self.settings
        into = t - track.segment_start_t
        if into >= settings.max_track_seconds:
            track.segment_start_t, track.reported = t, False
        elif (
            not track.reported
            and track.frames
            and into >= settings.report_after_seconds
            and track.hits >= settings.min_track_hits
        ):
            self._emit_track(track)
            track.reported = True

    def _in_company(
        self, matched: tuple[tuple[Track, Detection], ...]
    ) -> tuple[tuple[Track, Detection], ...]:
        """With frame sharing, each face's quality counts `company_bonus` more for every
        other face seen in the same frame."""
        settings = self.settings
        if not settings.share_frames or len(matched) < 2:
            return matched
        bonus = 1.0 + settings.company_bonus * (len(matched) - 1)
        return tuple(
            (track, replace(detection, quality=detection.quality * bonus))
            for track, detection in matched
        )

    def _remember_together(
        self, frame: Frame, matched: tuple[tuple[Track, Detection], ...]
    ) -> None:
        """Keep the frames where two or more tracked faces were seen, for as long as one of
        them could still be reported with it."""
        if len(matched) >= 2:
            self._together[frame.index] = (frame.t, list(matched))
        oldest = frame.t - self.settings.max_track_seconds
        while self._together:  # kept in frame order: drop from the front while too old
            index, (t, _) = next(iter(self._together.items()))
            if t >= oldest:
                break
            del self._together[index]

    def _seen_with(self, track: Track, candidate: Candidate) -> list[tuple[Track, Detection]]:
        """The other confirmed tracks, not yet reported, whose face in this frame is good
        enough to stand for them (with that face): this report covers them too."""
        settings = self.settings
        if not settings.share_frames:
            return []
        _, seen = self._together.get(candidate.frame_index, (0.0, []))
        return [
            (other, detection)
            for other, detection in seen
            if other is not track
            and other in self.tracker.live
            and not other.reported
            and other.frames
            and other.hits >= settings.min_track_hits
            and detection.quality >= settings.group_quality_share * other.frames[0].quality
        ]

    def _emit_track(self, track: Track) -> None:
        if not track.frames:
            return
        if track.hits < self.settings.min_track_hits:
            log.info("face seen once; not uploaded", extra={"track_id": track.track_id})
            track.frames, track.faces = [], []
            return
        match = None
        if self.recognizer is not None and track.faces:
            match = self.recognizer.identify(track.faces)
        candidates, track.frames, track.faces = track.frames, [], []
        if self.settings.upload_unknown_only and match not in (None, "unknown"):
            self.stats.withheld += len(candidates)
            log.info("known face kept local", extra={"track_id": track.track_id})
            return
        together = self._seen_with(track, candidates[0])
        for other, _ in together:
            other.frames, other.faces, other.reported = [], [], True
            log.info(
                "face reported in another's frame",
                extra={"track_id": other.track_id, "with_track_id": track.track_id},
            )
        self.stats.reported_together += len(together)
        also = tuple(detection.box for _, detection in together)
        for n, candidate in enumerate(candidates):
            track.seq += 1
            self._submit(
                track.track_id, track.seq, "face", candidate, match, also if n == 0 else ()
            )

    def _follow_motion(self, frame: Frame, motion: Motion, saw_face: bool) -> None:
        episode = self._episode
        if motion.regions:
            if episode is None:
                episode = self._episode = _MotionEpisode(
                    self._new_track_id(frame.t), start_t=frame.t, last_t=frame.t
                )
            episode.last_t = frame.t
            if motion.area > episode.best_area:
                episode.best_area = motion.area
                box = motion.regions[0]
                for region in motion.regions[1:]:
                    box = box.union(region)
                episode.best = Candidate(0.0, frame.index, frame.t, frame.bgr.copy(), box)
        if episode is None:
            return
        episode.saw_face = episode.saw_face or saw_face
        quiet_for = frame.t - episode.last_t
        if quiet_for >= self.settings.motion_gap_seconds and not saw_face:
            self._end_episode(frame.t)
        elif frame.t - episode.start_t >= self.settings.max_track_seconds:
            self._end_episode(frame.t)  # long motion: report, then start a new episode

    def _end_episode(self, t: float) -> None:
        episode, self._episode = self._episode, None
        if episode is None or episode.saw_face or episode.best is None:
            return
        if episode.last_t - episode.start_t < self.settings.motion_min_seconds:
            return
        last = self._last_snapshot_t
        interval = self.settings.motion_snapshot_interval_seconds
        if last is not None and episode.best.t - last < interval:
            log.debug("motion snapshot rate-limited", extra={"track_id": episode.track_id})
            return
        self._last_snapshot_t = episode.best.t
        self._submit(episode.track_id, 1, "motion", episode.best, None)

    def _submit(
        self,
        track_id: str,
        seq: int,
        kind: EventKind,
        candidate: Candidate,
        match: str | None,
        also: tuple[Box, ...] = (),
    ) -> None:
        """Send one frame; `also`: the other faces it reports (people who came together)."""
        boxes = (candidate.box, *also) if kind == "face" else ()
        faces = tuple(box.to_face_box() for box in boxes)
        event = FrameEvent(
            camera_id=self.settings.camera_id,
            track_id=track_id,
            seq=seq,
            captured_at=datetime.fromtimestamp(candidate.t, UTC),
            kind=kind,
            jpeg=self.encoder.encode(candidate.bgr),
            local_match=match,
            faces=faces,
            quality=round(candidate.quality, 4),
        )
        self.sink.submit(event)
        self.stats.events += 1
        if kind == "face":
            self.stats.face_events += 1
        else:
            self.stats.motion_events += 1
        log.info(
            "event",
            extra={
                "key": event.key(),
                "kind": kind,
                "local_match": match,
                "frame": candidate.frame_index,
            },
        )


class TrackIds:
    """Stable, unique ids: `{camera}-{start epoch ms}-{n}`; the same file gives the same ids."""

    def __init__(self, camera_id: str) -> None:
        self.camera_id = camera_id
        self.count = 0

    def __call__(self, t: float) -> str:
        self.count += 1
        return f"{self.camera_id}-{round(t * 1000)}-{self.count}"
