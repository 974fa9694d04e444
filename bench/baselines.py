"""The pipelines Doorman is compared with, written the way people usually write them.

- `naive`: the hobby script. MOG2 background subtraction on full frames, a Haar cascade on
  every frame, a face_recognition encoding of every detected face, and an upload of every
  motion frame that has a face.
- `motion-only`: what Motion and IntelliCam do. An upload of every frame with motion, or of
  one frame per second of motion.
- `decode-only`: the lower bound. Decode the video and nothing else.

Each pass records which frames it would upload, so `bench.uploads` can count and check them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from cv2.data import haarcascades

# Share of the frame that must be foreground before MOG2 calls it motion (Motion's default
# of 1500 changed pixels at 640x480 is about 0.5 %).
MOTION_MIN_FRACTION = 0.005
HAAR_FILE = "haarcascade_frontalface_default.xml"
# Settings copied by most tutorials.
HAAR_SCALE_FACTOR = 1.1
HAAR_MIN_NEIGHBORS = 5
HAAR_MIN_SIZE = (40, 40)
# face_recognition's documented default tolerance.
MATCH_TOLERANCE = 0.6


def iter_frames(video: Path, max_frames: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Decode a video frame by frame (BGR), stopping after `max_frames` when given."""
    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        raise FileNotFoundError(f"cannot open video {video}")
    try:
        index = 0
        while max_frames is None or index < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            yield index, frame
            index += 1
    finally:
        capture.release()


def video_fps(video: Path) -> float:
    capture = cv2.VideoCapture(str(video))
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    if not fps or fps <= 0:
        raise ValueError(f"{video} reports no frame rate")
    return float(fps)


class Mog2Motion:
    """MOG2 on the full frame; motion when enough pixels are confidently foreground."""

    def __init__(self, min_fraction: float = MOTION_MIN_FRACTION) -> None:
        self._subtractor = cv2.createBackgroundSubtractorMOG2(detectShadows=True)
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        self._min_fraction = min_fraction

    def detect(self, frame: np.ndarray) -> bool:
        mask = self._subtractor.apply(frame)
        # 255 is foreground, 127 a shadow: keep only the foreground, then open away speckle.
        _, mask = cv2.threshold(mask, 200, 255, cv2.THRESH_BINARY)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        return cv2.countNonZero(mask) >= self._min_fraction * mask.size


class HaarFaces:
    """OpenCV's frontal-face Haar cascade on the whole grey frame."""

    def __init__(self) -> None:
        self._cascade = cv2.CascadeClassifier(haarcascades + HAAR_FILE)
        if self._cascade.empty():
            raise RuntimeError(f"cannot load {HAAR_FILE} from {haarcascades}")

    def locate(self, frame: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Face boxes as (top, right, bottom, left), face_recognition's order."""
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        boxes = self._cascade.detectMultiScale(
            gray,
            scaleFactor=HAAR_SCALE_FACTOR,
            minNeighbors=HAAR_MIN_NEIGHBORS,
            minSize=HAAR_MIN_SIZE,
        )
        return [(int(y), int(x + w), int(y + h), int(x)) for x, y, w, h in boxes]


class KnownFaces:
    """The hobby script's "who is it": nearest known encoding within the tolerance."""

    def __init__(self, names: Sequence[str], encodings: Sequence[np.ndarray]) -> None:
        self.names = list(names)
        self._encodings = np.array(encodings, dtype=np.float64).reshape(-1, 128)

    def identify(self, encoding: np.ndarray) -> str | None:
        if not self.names:
            return None
        distances = np.linalg.norm(self._encodings - encoding, axis=1)
        best = int(np.argmin(distances))
        return self.names[best] if distances[best] <= MATCH_TOLERANCE else None


@dataclass
class FrameDecision:
    motion: bool
    faces: list[tuple[int, int, int, int]]
    names: list[str | None] = field(default_factory=list)

    @property
    def upload(self) -> bool:
        return self.motion and bool(self.faces)


class NaivePipeline:
    """One frame at a time, everything on every frame, like the tutorials."""

    def __init__(self, known: KnownFaces | None, encode: bool = True) -> None:
        import face_recognition  # heavy import; only the naive pipeline needs it here

        self._face_recognition = face_recognition
        self._motion = Mog2Motion()
        self._haar = HaarFaces()
        self._known = known
        self._encode = encode

    def process(self, frame: np.ndarray) -> FrameDecision:
        motion = self._motion.detect(frame)
        faces = self._haar.locate(frame)
        decision = FrameDecision(motion=motion, faces=faces)
        if faces and self._encode:
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            encodings = self._face_recognition.face_encodings(rgb, known_face_locations=faces)
            decision.names = [self._known.identify(e) if self._known else None for e in encodings]
        if decision.upload:
            # The script would now JPEG-encode the frame and send it.
            cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
        return decision


@dataclass
class BaselinePass:
    """Per-frame outcome of the baselines over one video (one decode for all of them)."""

    fps: float
    frames: int = 0
    motion_frames: list[int] = field(default_factory=list)
    naive_uploads: list[int] = field(default_factory=list)

    def motion_only_every_frame(self) -> list[int]:
        return list(self.motion_frames)

    def motion_only_per_second(self) -> list[int]:
        return one_per_second(self.motion_frames, self.fps)


def run_baselines(video: Path, haar_on_motion_only: bool = True) -> BaselinePass:
    """Run the naive and motion-only baselines over a whole video for upload counting.

    The upload decision is `motion and face`, so with `haar_on_motion_only` the cascade is
    skipped on frames without motion and encodings are skipped entirely: neither changes
    what is uploaded, and the pass over the scenario set stays within the time budget.
    Throughput is measured separately with the full naive pipeline.
    """
    motion = Mog2Motion()
    haar = HaarFaces()
    result = BaselinePass(fps=video_fps(video))
    for index, frame in iter_frames(video):
        result.frames += 1
        moving = motion.detect(frame)
        if moving:
            result.motion_frames.append(index)
        if moving or not haar_on_motion_only:
            faces = haar.locate(frame)
            if moving and faces:
                result.naive_uploads.append(index)
    return result


def one_per_second(motion_frames: Sequence[int], fps: float) -> list[int]:
    """Upload the first motion frame, then at most one per second while motion goes on."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    uploads: list[int] = []
    next_allowed = -np.inf
    for index in sorted(motion_frames):
        if index >= next_allowed:
            uploads.append(index)
            next_allowed = index + fps
    return uploads


def read_frames(video: Path, indices: set[int]) -> dict[int, np.ndarray]:
    """Decode the wanted frames by reading forward (seeking in H.264 is not frame-exact)."""
    wanted = set(indices)
    frames: dict[int, np.ndarray] = {}
    if not wanted:
        return frames
    last = max(wanted)
    for index, frame in iter_frames(video, max_frames=last + 1):
        if index in wanted:
            frames[index] = frame
    return frames
