"""Face detection, landmarks and encodings with dlib (through face_recognition).

Detection is two-stage, because dlib's HOG detector alone cannot separate a weak real face
(a head tilted back) from a face-like patch (the flag on an astronaut's suit):

1. HOG proposes candidates down to score `CANDIDATE_SCORE`. Images up to `UPSAMPLE_MAX_PIXELS`
   are upsampled once, so faces down to ~40 px are found; larger images (full HD frames) are
   not, which keeps them at a few hundred ms. Images larger than `DETECT_MAX_SIDE` are
   searched shrunk to it (landmarks and encodings still use the full image).
2. Candidates scoring at least `ACCEPT_SCORE` are faces. Weaker ones are re-checked by dlib's
   CNN (MMOD) detector on a small crop around the candidate; only those it confirms are kept.
3. When HOG finds nothing in a small image (up to `WHOLE_IMAGE_CNN_MAX_PIXELS`: a portrait,
   an analyze face crop), the CNN searches the whole image. It finds tilted or soft faces
   HOG misses, as Rekognition does, for about 0.3-0.7 s paid only on those images.

`Confidence` (0-100) is a logistic map of the HOG score, or of the CNN score for candidates
the CNN confirmed: 99+ for clear faces, lower for marginal ones. All dlib calls run under one
lock: the CNN and the predictors keep per-call state and are not safe to share across threads.

Results are memoised per image content (a small LRU keyed by a hash of the pixels), so
DetectFaces followed by DetectLabels or SearchFacesByImage on the same image detects once.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

import cv2
import dlib
import face_recognition
import face_recognition_models
import numpy as np
from PIL import ImageFile

# face_recognition sets this for the whole process when imported, so Pillow would pad a
# truncated JPEG with grey instead of refusing it. Lambda (without face_recognition) and
# Rekognition refuse such a file; localcloud runs analyze and the face service in this
# process, so it must refuse it too.
ImageFile.LOAD_TRUNCATED_IMAGES = False

UPSAMPLE_MAX_PIXELS = 1_100_000
CANDIDATE_SCORE = -0.25
ACCEPT_SCORE = 0.5
CNN_FACE_PX = 90  # candidate face side after scaling, for the CNN check
WHOLE_IMAGE_CNN_MAX_PIXELS = 400_000
CNN_PAD = 0.5  # margin around a candidate, as a fraction of its side
OVERLAP_IOU = 0.3
DETECT_MAX_SIDE = 1920
CACHED_IMAGES = 64
CACHED_ENCODINGS = 512

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Box:
    """Pixel box; may extend past the image edge (dlib does that for cut-off faces)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return max(self.width, 0) * max(self.height, 0)

    def iou(self, other: Box) -> float:
        w = min(self.right, other.right) - max(self.left, other.left)
        h = min(self.bottom, other.bottom) - max(self.top, other.top)
        inter = max(w, 0) * max(h, 0)
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    def css(self) -> tuple[int, int, int, int]:
        """face_recognition's (top, right, bottom, left) order."""
        return (self.top, self.right, self.bottom, self.left)


@dataclass(frozen=True)
class Detection:
    box: Box
    confidence: float  # 0-100
    landmarks: np.ndarray  # (68, 2) float, x/y pixels


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def hog_confidence(score: float) -> float:
    """0-100 from a HOG score: -0.25 -> 74, 0 -> 86, 0.5 -> 96, 1.5 -> 99.8."""
    return 100.0 * _logistic(3.0 * (score + 0.6))


def cnn_confidence(score: float) -> float:
    """0-100 from an MMOD score (its own detection threshold is 0): 0.5 -> 95, 1 -> 99.8."""
    return 100.0 * _logistic(6.0 * score)


class FaceEngine:
    """Finds faces, their 68 landmarks and their 128-d encodings in RGB images."""

    def __init__(self) -> None:
        self._hog = dlib.get_frontal_face_detector()
        self._cnn = dlib.cnn_face_detection_model_v1(
            face_recognition_models.cnn_face_detector_model_location()
        )
        self._lock = threading.Lock()
        self._detections: OrderedDict[bytes, list[Detection]] = OrderedDict()
        self._encodings: OrderedDict[tuple[bytes, Box], np.ndarray] = OrderedDict()

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """Faces in the image, largest first."""
        key = _image_key(rgb)
        with self._lock:
            cached = _lru_get(self._detections, key)
        if cached is None:
            cached = self._detect(rgb)
            with self._lock:
                _lru_put(self._detections, key, cached, CACHED_IMAGES)
        return list(cached)

    def encode(self, rgb: np.ndarray, detections: list[Detection]) -> np.ndarray:
        """(len(detections), 128) float32 encodings."""
        if not detections:
            return np.zeros((0, 128), np.float32)
        key = _image_key(rgb)
        with self._lock:
            cached = [_lru_get(self._encodings, (key, d.box)) for d in detections]
            missing = [i for i, vector in enumerate(cached) if vector is None]
            computed = (
                face_recognition.face_encodings(
                    rgb, known_face_locations=[detections[i].box.css() for i in missing]
                )
                if missing
                else []
            )
            fresh = dict(zip(missing, computed, strict=True))
            vectors: list[np.ndarray] = []
            for i, (detection, vector) in enumerate(zip(detections, cached, strict=True)):
                if vector is None:
                    vector = np.asarray(fresh[i], dtype=np.float32)
                    _lru_put(self._encodings, (key, detection.box), vector, CACHED_ENCODINGS)
                vectors.append(vector)
        return np.vstack(vectors)

    def _detect(self, rgb: np.ndarray) -> list[Detection]:
        height, width = rgb.shape[:2]
        upsample = 1 if width * height <= UPSAMPLE_MAX_PIXELS else 0
        # Large photos (a 12 MP phone picture) are searched at full-HD size, then mapped back.
        shrink = min(DETECT_MAX_SIDE / max(height, width), 1.0)
        searched = rgb
        if shrink < 1.0:
            size = (round(width * shrink), round(height * shrink))
            searched = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        with self._lock:
            rects, scores, _ = self._hog.run(searched, upsample, CANDIDATE_SCORE)
            kept: list[tuple[Box, float]] = []
            for rect, score in sorted(zip(rects, scores, strict=True), key=lambda rs: -rs[1]):
                box = Box(
                    *(
                        round(v / shrink)
                        for v in (rect.left(), rect.top(), rect.right(), rect.bottom())
                    )
                )
                if any(box.iou(other) > OVERLAP_IOU for other, _ in kept):
                    continue
                if score >= ACCEPT_SCORE:
                    kept.append((box, hog_confidence(score)))
                    continue
                confirmed = self._cnn_score(rgb, box)
                if confirmed is not None:
                    kept.append((box, max(hog_confidence(score), cnn_confidence(confirmed))))
            if not kept and width * height <= WHOLE_IMAGE_CNN_MAX_PIXELS:
                kept = self._cnn_faces(rgb)
            shapes = face_recognition.api._raw_face_landmarks(
                rgb, [box.css() for box, _ in kept], model="large"
            )
        detections = [
            Detection(box, round(conf, 4), np.array([(p.x, p.y) for p in shape.parts()], float))
            for (box, conf), shape in zip(kept, shapes, strict=True)
        ]
        return sorted(detections, key=lambda d: -d.box.area)

    def _cnn_faces(self, rgb: np.ndarray) -> list[tuple[Box, float]]:
        """Faces the CNN finds in the whole image (its own threshold, score >= 0)."""
        found = sorted(self._cnn(rgb, 0), key=lambda d: -d.confidence)
        kept: list[tuple[Box, float]] = []
        for d in found:
            r = d.rect
            box = Box(r.left(), r.top(), r.right(), r.bottom())
            if not any(box.iou(other) > OVERLAP_IOU for other, _ in kept):
                kept.append((box, cnn_confidence(d.confidence)))
        return kept

    def _cnn_score(self, rgb: np.ndarray, box: Box) -> float | None:
        """Best MMOD score for a face inside a small crop around `box`, or None."""
        height, width = rgb.shape[:2]
        side = max(box.width, box.height, 1)
        pad = int(side * CNN_PAD)
        x0, y0 = max(box.left - pad, 0), max(box.top - pad, 0)
        x1, y1 = min(box.right + pad, width), min(box.bottom + pad, height)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        scale = CNN_FACE_PX / side
        crop = cv2.resize(
            np.ascontiguousarray(rgb[y0:y1, x0:x1]),
            (max(int((x1 - x0) * scale), 1), max(int((y1 - y0) * scale), 1)),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        )
        found = self._cnn(crop, 0)
        return max((d.confidence for d in found), default=None)


def _image_key(rgb: np.ndarray) -> bytes:
    digest = hashlib.blake2b(repr(rgb.shape).encode(), digest_size=16)
    digest.update(np.ascontiguousarray(rgb).data)
    return digest.digest()


def _lru_get(cache: OrderedDict[K, V], key: K) -> V | None:
    value = cache.get(key)
    if value is not None:
        cache.move_to_end(key)
    return value


def _lru_put(cache: OrderedDict[K, V], key: K, value: V, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)
