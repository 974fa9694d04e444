"""Optional local recognition against a gallery of known faces.

The gallery is a folder per person: `known_faces/<person_id>/*.jpg` (or the folder that
`doorman gallery sync` fills). Each photo's encoding is cached in
`<gallery>/.encodings.npz`, keyed by the SHA-256 of the photo, so a restart encodes only
new or changed photos. A folder name that is not a valid person_id (e.g. "José Núñez",
made by hand) is slugified ("jose-nunez"): the match travels in S3 metadata, which is ASCII.
A track's identity is a vote over its best face crops: a person wins only with a strict
majority of matching crops; otherwise the track is "unknown".
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import face_recognition
import numpy as np

from core.slugs import EXTERNAL_IMAGE_ID, slugify
from edge_agent.pipeline import Candidate

log = logging.getLogger(__name__)

UNKNOWN = "unknown"
CACHE_NAME = ".encodings.npz"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}


@dataclass(frozen=True)
class Gallery:
    people: tuple[str, ...]  # person_id per row of `encodings`
    encodings: np.ndarray  # (n, 128)
    encoded: int = 0  # photos encoded now (not from the cache)
    skipped: tuple[str, ...] = ()  # photos without exactly one usable face

    def __len__(self) -> int:
        return len(self.people)


def load_gallery(directory: Path) -> Gallery:
    directory = Path(directory)
    if not directory.is_dir():
        log.warning("gallery folder missing; every face is unknown", extra={"dir": str(directory)})
        return Gallery((), np.zeros((0, 128)))
    cache_path = directory / CACHE_NAME
    cache = _read_cache(cache_path)
    fresh: dict[str, np.ndarray | None] = {}
    people, rows, skipped, encoded = [], [], [], 0
    for photo in sorted(directory.glob("*/*")):
        if photo.suffix.lower() not in PHOTO_SUFFIXES or photo.name.startswith("."):
            continue
        digest = hashlib.sha256(photo.read_bytes()).hexdigest()
        if digest in cache:
            encoding = cache[digest]
        else:
            encoding = _encode_photo(photo)
            encoded += 1
        fresh[digest] = encoding
        if encoding is None:
            skipped.append(str(photo.relative_to(directory)))
            continue
        people.append(person_id_of(photo.parent.name))
        rows.append(encoding)
    if encoded or set(fresh) != set(cache):
        _write_cache(cache_path, fresh)
    matrix = np.vstack(rows) if rows else np.zeros((0, 128))
    return Gallery(tuple(people), matrix, encoded, tuple(skipped))


def person_id_of(folder: str) -> str:
    """The folder name if it already is a person_id (as `gallery sync` writes), else its slug."""
    return folder if EXTERNAL_IMAGE_ID.fullmatch(folder) else slugify(folder)


class GalleryRecognizer:
    def __init__(self, gallery: Gallery, tolerance: float) -> None:
        self.gallery = gallery
        self.tolerance = tolerance

    def identify(self, faces: list[Candidate]) -> str:
        votes = Counter(self._match(face) for face in faces)
        if not votes:
            return UNKNOWN
        person, count = votes.most_common(1)[0]
        return person if count * 2 > sum(votes.values()) else UNKNOWN

    def _match(self, face: Candidate) -> str:
        if len(self.gallery) == 0 or face.face_rgb is None or face.face_in_crop is None:
            return UNKNOWN
        box = face.face_in_crop
        encodings = face_recognition.face_encodings(
            np.ascontiguousarray(face.face_rgb),
            [(box.top, box.right, box.bottom, box.left)],
            model="small",
        )
        if not encodings:
            return UNKNOWN
        distances = face_recognition.face_distance(self.gallery.encodings, encodings[0])
        best = int(np.argmin(distances))
        return self.gallery.people[best] if distances[best] <= self.tolerance else UNKNOWN


def _encode_photo(photo: Path) -> np.ndarray | None:
    """The encoding of the photo's largest face; None if there is none or it is unreadable."""
    try:
        image = face_recognition.load_image_file(photo)
    except (OSError, ValueError) as exc:
        log.warning("gallery photo unreadable", extra={"photo": str(photo), "error": str(exc)})
        return None
    locations = face_recognition.face_locations(image, number_of_times_to_upsample=1)
    if not locations:
        log.warning("gallery photo has no face", extra={"photo": str(photo)})
        return None
    largest = max(locations, key=lambda loc: (loc[2] - loc[0]) * (loc[1] - loc[3]))
    return face_recognition.face_encodings(image, [largest], model="small")[0]


def _read_cache(path: Path) -> dict[str, np.ndarray | None]:
    try:
        with np.load(path, allow_pickle=False) as data:
            digests, encodings, usable = data["digests"], data["encodings"], data["usable"]
    except (OSError, KeyError, ValueError):
        return {}
    return {
        str(digest): (encoding if ok else None)
        for digest, encoding, ok in zip(digests, encodings, usable, strict=True)
    }


def _write_cache(path: Path, entries: dict[str, np.ndarray | None]) -> None:
    digests = sorted(entries)
    encodings = np.array(
        [entries[d] if entries[d] is not None else np.zeros(128) for d in digests]
    ).reshape(len(digests), 128)
    usable = np.array([entries[d] is not None for d in digests], dtype=bool)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".encodings-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(
                handle, digests=np.array(digests, dtype=str), encodings=encodings, usable=usable
            )
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        log.warning("encoding cache not written", extra={"path": str(path), "error": str(exc)})
