"""Recognition accuracy through the face service, with a real boto3 Rekognition client.

Protocol (every figure comes from `SearchFacesByImage` answers of the running service):
- Each sample face in assets/faces is one person. A person is enrolled with the original
  photo plus `ENROLL_AUGMENTED` augmented copies; `PROBES_PER_PERSON` other augmented copies
  (different seeds: crop, scale, brightness, JPEG quality, rotation) are held out as probes.
- Genuine probes search the collection of everybody. A probe is a true accept at threshold t
  when its best match is the right person with similarity >= t.
- Strangers, leave-one-out: for each person, a collection of everybody else is searched with
  that person's original photo and probes. Any match >= t is a false accept.
- Each probe is searched once with FaceMatchThreshold 0, so its best similarity gives the
  decision at every threshold (ROC at 70..99) without searching again.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance

from bench.faces import FACES_DIR, IMAGE_SUFFIXES

DEFAULT_KNOWN_THRESHOLD = 90.0
ROC_THRESHOLDS = tuple(range(70, 100))
ENROLL_AUGMENTED = 2
PROBES_PER_PERSON = 8
MIN_SIDE = 80  # Rekognition's smallest image side


@dataclass(frozen=True)
class ProbeResult:
    """One search: who the photo shows (None: a stranger to the collection) and the answer."""

    truth: str | None
    best_match: str | None
    similarity: float  # of the best match; 0 when nothing matched or no face was found
    face_found: bool = True


@dataclass(frozen=True)
class RocPoint:
    threshold: float
    tar: float
    far: float
    misidentified: int  # genuine probes accepted as somebody else


def accepted(result: ProbeResult, threshold: float) -> bool:
    return result.best_match is not None and result.similarity >= threshold


def true_accept_rate(genuine: Sequence[ProbeResult], threshold: float) -> float:
    """Share of genuine probes accepted as the right person; a probe in which no face was
    found counts as a reject."""
    if not genuine:
        raise ValueError("no genuine probes")
    hits = sum(1 for r in genuine if accepted(r, threshold) and r.best_match == r.truth)
    return hits / len(genuine)


def false_accept_rate(strangers: Sequence[ProbeResult], threshold: float) -> float:
    """Share of strangers accepted as somebody, over the stranger photos with a face found
    (a photo without a detected face cannot be accepted, so it would flatter the rate)."""
    with_face = [r for r in strangers if r.face_found]
    if not with_face:
        raise ValueError("no stranger probes with a detected face")
    return sum(1 for r in with_face if accepted(r, threshold)) / len(with_face)


def misidentified(genuine: Sequence[ProbeResult], threshold: float) -> int:
    return sum(1 for r in genuine if accepted(r, threshold) and r.best_match != r.truth)


def roc(
    genuine: Sequence[ProbeResult],
    strangers: Sequence[ProbeResult],
    thresholds: Iterable[float] = ROC_THRESHOLDS,
) -> list[RocPoint]:
    return [
        RocPoint(
            threshold=float(t),
            tar=true_accept_rate(genuine, t),
            far=false_accept_rate(strangers, t),
            misidentified=misidentified(genuine, t),
        )
        for t in thresholds
    ]


def zero_far_thresholds(points: Sequence[RocPoint]) -> list[float]:
    return [p.threshold for p in points if p.far == 0.0]


# --- augmentation -------------------------------------------------------------------------


def augment(image: Image.Image, rng: random.Random) -> Image.Image:
    """A plausible other photo of the same face: crop, scale, brightness, rotation, JPEG.

    Crops keep the centre 80-100 % of each side, so the face (centred in the samples)
    stays in the frame; the result is never smaller than Rekognition's 80 px minimum.
    """
    img = image.convert("RGB")
    w, h = img.size
    keep = rng.uniform(0.8, 1.0)
    cw, ch = int(w * keep), int(h * keep)
    left = rng.randint(0, w - cw)
    top = rng.randint(0, h - ch)
    img = img.crop((left, top, left + cw, top + ch))
    scale = rng.uniform(0.7, 1.2)
    scale = max(scale, MIN_SIDE / min(img.size))
    img = img.resize(
        (round(img.width * scale), round(img.height * scale)), Image.Resampling.BILINEAR
    )
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.65, 1.35))
    img = img.rotate(
        rng.uniform(-10, 10), resample=Image.Resampling.BILINEAR, fillcolor=(128, 128, 128)
    )
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=rng.randint(35, 90))
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def jpeg_bytes(image: Image.Image, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


@dataclass(frozen=True)
class PhotoSet:
    person: str
    enroll: tuple[bytes, ...]
    probes: tuple[bytes, ...]
    original: bytes


def sample_people(faces_dir: Path = FACES_DIR) -> dict[str, Path]:
    people = {p.stem: p for p in sorted(faces_dir.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}
    if len(people) < 2:
        raise FileNotFoundError(f"need at least two sample faces in {faces_dir}")
    return people


def photo_sets(
    people: dict[str, Path],
    enroll_augmented: int = ENROLL_AUGMENTED,
    probes: int = PROBES_PER_PERSON,
    seed: int = 7,
) -> list[PhotoSet]:
    """Enrollment and held-out probe photos per person; seeds never overlap between the two."""
    sets = []
    for n, (person, path) in enumerate(sorted(people.items())):
        original = Image.open(path).convert("RGB")
        enroll_rng = random.Random(f"{seed}-{n}-enroll")
        probe_rng = random.Random(f"{seed}-{n}-probe")
        sets.append(
            PhotoSet(
                person=person,
                original=jpeg_bytes(original),
                enroll=(
                    jpeg_bytes(original),
                    *tuple(
                        jpeg_bytes(augment(original, enroll_rng)) for _ in range(enroll_augmented)
                    ),
                ),
                probes=tuple(jpeg_bytes(augment(original, probe_rng)) for _ in range(probes)),
            )
        )
    return sets


# --- talking to the face service ----------------------------------------------------------


def _enroll(client: Any, collection: str, sets: Iterable[PhotoSet]) -> dict[str, int]:
    client.create_collection(CollectionId=collection)
    indexed: dict[str, int] = {}
    for photo_set in sets:
        count = 0
        for data in photo_set.enroll:
            response = client.index_faces(
                CollectionId=collection,
                Image={"Bytes": data},
                ExternalImageId=photo_set.person,
                MaxFaces=1,
                QualityFilter="AUTO",
            )
            count += len(response["FaceRecords"])
        indexed[photo_set.person] = count
    return indexed


def _search(client: Any, collection: str, data: bytes, truth: str | None) -> ProbeResult:
    try:
        response = client.search_faces_by_image(
            CollectionId=collection, Image={"Bytes": data}, FaceMatchThreshold=0, MaxFaces=5
        )
    except client.exceptions.InvalidParameterException:
        return ProbeResult(truth=truth, best_match=None, similarity=0.0, face_found=False)
    matches = response["FaceMatches"]
    if not matches:
        return ProbeResult(truth=truth, best_match=None, similarity=0.0)
    best = max(matches, key=lambda m: m["Similarity"])
    return ProbeResult(
        truth=truth, best_match=best["Face"]["ExternalImageId"], similarity=best["Similarity"]
    )


def search_count(people: int, probes: int) -> int:
    """Progress steps of `measure`: every search plus one per leave-one-out enrollment."""
    return people * (2 * probes + 2)


def measure(client: Any, sets: Sequence[PhotoSet], progress=None) -> dict[str, Any]:
    """Run the protocol against a face service; returns the accuracy section of the results."""
    tick = progress or (lambda: None)
    collections = []
    try:
        everybody = "bench-accuracy-all"
        collections.append(everybody)
        indexed = _enroll(client, everybody, sets)
        genuine = []
        for photo_set in sets:
            if not indexed[photo_set.person]:
                continue  # no face indexed: reported under not_enrolled, still a stranger
            for data in photo_set.probes:
                genuine.append(_search(client, everybody, data, photo_set.person))
                tick()
        strangers = []
        for left_out in sets:
            collection = f"bench-accuracy-without-{left_out.person}"
            collections.append(collection)
            _enroll(client, collection, [s for s in sets if s is not left_out])
            tick()
            for data in (left_out.original, *left_out.probes):
                strangers.append(_search(client, collection, data, None))
                tick()
    finally:
        for collection in collections:
            client.delete_collection(CollectionId=collection)
    points = roc(genuine, strangers)
    at_default = next(p for p in points if p.threshold == DEFAULT_KNOWN_THRESHOLD)
    return {
        "people": [s.person for s in sets],
        "enrolled_faces": indexed,
        "enroll_photos_per_person": len(sets[0].enroll),
        "not_enrolled": [person for person, count in indexed.items() if not count],
        "genuine_probes": len(genuine),
        "stranger_probes": len(strangers),
        "stranger_probes_with_face": sum(1 for r in strangers if r.face_found),
        "genuine_without_face": sum(1 for r in genuine if not r.face_found),
        "genuine_without_face_by_person": {
            s.person: sum(1 for r in genuine if r.truth == s.person and not r.face_found)
            for s in sets
            if any(r.truth == s.person and not r.face_found for r in genuine)
        },
        "strangers_without_face": sum(1 for r in strangers if not r.face_found),
        "default_threshold": DEFAULT_KNOWN_THRESHOLD,
        "tar_at_default": at_default.tar,
        "tar_at_default_face_found": true_accept_rate(
            [r for r in genuine if r.face_found], DEFAULT_KNOWN_THRESHOLD
        ),
        "far_at_default": at_default.far,
        "misidentified_at_default": at_default.misidentified,
        "zero_far_thresholds": zero_far_thresholds(points),
        "roc": [asdict(p) for p in points],
        "genuine": [asdict(r) for r in genuine],
        "strangers": [asdict(r) for r in strangers],
        "similarity_stats": _similarity_stats(genuine, strangers),
    }


def _similarity_stats(
    genuine: Sequence[ProbeResult], strangers: Sequence[ProbeResult]
) -> dict[str, float]:
    right = [r.similarity for r in genuine if r.face_found and r.best_match == r.truth]
    other = [r.similarity for r in strangers if r.face_found]
    stats: dict[str, float] = {}
    if right:
        stats["genuine_min"] = float(np.min(right))
        stats["genuine_median"] = float(np.median(right))
    if other:
        stats["stranger_max"] = float(np.max(other))
        stats["stranger_median"] = float(np.median(other))
    return stats


def run(progress=None, probes: int = PROBES_PER_PERSON) -> dict[str, Any]:
    """Start a face service on a free port, measure against it, stop it."""
    import boto3

    from core.resources import FAKE_CREDENTIALS
    from localcloud.services import REGION, start_face_service

    sets = photo_sets(sample_people(), probes=probes)
    with start_face_service() as service:
        client = boto3.client(
            "rekognition",
            endpoint_url=service.url,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        return measure(client, sets, progress)
