"""The sample people as face encodings, and a checker for "does this frame show X's face".

The checker is independent of the pipelines it judges: dlib HOG over the whole frame
(upsampled once when nothing is found at full size), then face_recognition encodings
compared with the sample photos at dlib's 0.6 tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from bench.baselines import MATCH_TOLERANCE, KnownFaces

FACES_DIR = Path(__file__).resolve().parent.parent / "assets" / "faces"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".ppm"}
# CNN fallback only on small images: on a full frame it costs seconds.
CNN_MAX_PIXELS = 400_000


def _largest(locations: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    return max(locations, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]))


def locate(rgb: np.ndarray, allow_cnn: bool = False) -> list[tuple[int, int, int, int]]:
    import face_recognition

    for upsample in (0, 1):
        found = face_recognition.face_locations(rgb, upsample)
        if found:
            return found
    if allow_cnn and rgb.shape[0] * rgb.shape[1] <= CNN_MAX_PIXELS:
        return face_recognition.face_locations(rgb, 1, model="cnn")
    return []


@cache
def sample_encodings(faces_dir: Path = FACES_DIR) -> dict[str, np.ndarray]:
    """One encoding per sample photo (its largest face), keyed by the file's stem."""
    import face_recognition

    encodings = {}
    for path in sorted(faces_dir.iterdir()):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        rgb = face_recognition.load_image_file(path)
        found = locate(rgb, allow_cnn=True)
        if not found:
            continue
        encodings[path.stem] = face_recognition.face_encodings(rgb, [_largest(found)])[0]
    if not encodings:
        raise FileNotFoundError(f"no usable face photos in {faces_dir}")
    return encodings


def known_faces() -> KnownFaces:
    encodings = sample_encodings()
    return KnownFaces(list(encodings), list(encodings.values()))


@dataclass(frozen=True)
class SeenFace:
    person: str | None  # None: a face that matches no sample person
    distance: float
    box: tuple[int, int, int, int]  # top, right, bottom, left


def faces_in(rgb: np.ndarray) -> list[SeenFace]:
    """Every face HOG finds in the image, each named by its nearest sample person."""
    import face_recognition

    boxes = locate(rgb)
    if not boxes:
        return []
    gallery = sample_encodings()
    names = list(gallery)
    matrix = np.array(list(gallery.values()))
    seen = []
    for box, encoding in zip(boxes, face_recognition.face_encodings(rgb, boxes), strict=True):
        distances = np.linalg.norm(matrix - encoding, axis=1)
        best = int(np.argmin(distances))
        person = names[best] if distances[best] <= MATCH_TOLERANCE else None
        seen.append(SeenFace(person=person, distance=float(distances[best]), box=box))
    return seen
