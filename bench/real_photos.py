"""Real-photo accuracy of the LOCAL FACE SERVICE (localcloud's Rekognition stand-in), on the
CompreFace sample photos. This measures Doorman's local face service, not Amazon
Rekognition: the cloud path in AWS would give other figures.

- Recognition, over all pairs: every portrait (people A: 6 photos, B: 2, C: 1) is compared
  (CompareFaces, threshold 0) with every other portrait and with every group photo. A pair
  of photos of the same person is genuine; any other pair of faces, including each face of
  each group photo (all different people from A, B and C), is an impostor pair. TAR and FAR
  at similarity 80, 90 and 95.
- Detection: DetectFaces on each group photo; a box that contains an unclaimed nose point
  is a hit, a nose without a box a miss, a box without a nose a false face.

Photos are scaled to at most 1920 px on the long side and sent as JPEG (quality 92), as a
camera frame would be.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2

from bench.detection import Photo, load_photos, match
from edge_agent.pipeline import Box

THRESHOLDS = (80.0, 90.0, 95.0)


@dataclass(frozen=True)
class Pair:
    source: str
    target: str
    genuine: bool
    similarity: float  # best match of the source face among the target's faces; 0: none


def jpeg(photo: Photo) -> bytes:
    ok, buffer = cv2.imencode(
        ".jpg", cv2.cvtColor(photo.rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    if not ok:
        raise RuntimeError(f"{photo.name}: JPEG encoding failed")
    return buffer.tobytes()


def person_of(name: str, people: dict[str, list[str]]) -> str | None:
    return next((person for person, names in people.items() if name in names), None)


def rates(pairs: Sequence[Pair], threshold: float) -> dict[str, float]:
    genuine = [p for p in pairs if p.genuine]
    impostor = [p for p in pairs if not p.genuine]
    return {
        "threshold": threshold,
        "tar": sum(p.similarity >= threshold for p in genuine) / len(genuine),
        "far": sum(p.similarity >= threshold for p in impostor) / len(impostor),
    }


def _compare(client: Any, source: bytes, target: bytes) -> list[float]:
    """Similarities of the source's face to each face of the target ([] when none)."""
    try:
        response = client.compare_faces(
            SourceImage={"Bytes": source}, TargetImage={"Bytes": target}, SimilarityThreshold=0
        )
    except client.exceptions.InvalidParameterException:
        return []  # no face in the source or the target
    return [float(m["Similarity"]) for m in response["FaceMatches"]]


def recognition_pairs(
    client: Any, photos: Sequence[Photo], people: dict[str, list[str]], tick: Callable[[], None]
) -> list[Pair]:
    portraits = [p for p in photos if not p.group]
    groups = [p for p in photos if p.group and p.noses]
    data = {p.name: jpeg(p) for p in portraits + groups}
    pairs = []
    for a, b in itertools.combinations(portraits, 2):
        scores = _compare(client, data[a.name], data[b.name])
        same = person_of(a.name, people) == person_of(b.name, people)
        pairs.append(Pair(a.name, b.name, same, max(scores, default=0.0)))
        tick()
    for portrait, group in itertools.product(portraits, groups):
        scores = _compare(client, data[portrait.name], data[group.name])
        pairs += [Pair(portrait.name, group.name, False, s) for s in scores]
        tick()
    return pairs


def detection(client: Any, photos: Sequence[Photo], tick: Callable[[], None]) -> dict[str, int]:
    totals = {"faces": 0, "hits": 0, "misses": 0, "false_faces": 0}
    for photo in photos:
        if not photo.group:
            continue
        height, width = photo.rgb.shape[:2]
        details = client.detect_faces(Image={"Bytes": jpeg(photo)})["FaceDetails"]
        boxes = []
        for detail in details:
            b = detail["BoundingBox"]
            left, top = round(b["Left"] * width), round(b["Top"] * height)
            right, bottom = left + round(b["Width"] * width), top + round(b["Height"] * height)
            boxes.append(Box(left, top, right, bottom))
        hits, misses, false = match(boxes, photo.noses)
        totals["faces"] += len(photo.noses)
        totals["hits"] += hits
        totals["misses"] += misses
        totals["false_faces"] += false
        tick()
    return totals


def count() -> int:
    portraits, groups = 9, 8
    return portraits * (portraits - 1) // 2 + portraits * groups + groups + 1


def run(progress: Callable[[], None] | None = None) -> dict[str, Any]:
    """Start a face service, measure, stop it."""
    import json

    import boto3

    from bench.detection import samples_dir
    from core.resources import FAKE_CREDENTIALS
    from localcloud.services import REGION, start_face_service

    tick = progress or (lambda: None)
    folder = samples_dir()
    people = json.loads((folder / "annotations.json").read_text())["people"]
    photos = load_photos(folder)
    with start_face_service() as service:
        client = boto3.client(
            "rekognition",
            endpoint_url=service.url,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        pairs = recognition_pairs(client, photos, people, tick)
        found = detection(client, photos, tick)
    tick()
    genuine = sum(p.genuine for p in pairs)
    return {
        "measures": "the local face service (localcloud), not Amazon Rekognition",
        "rates": [rates(pairs, t) for t in THRESHOLDS],
        "genuine_pairs": genuine,
        "impostor_pairs": len(pairs) - genuine,
        "genuine_similarities": [
            f"{p.source}~{p.target} ({p.similarity:.1f})" for p in pairs if p.genuine
        ],
        "detection": {**found, "recall": found["hits"] / found["faces"] if found["faces"] else 0},
        "notes": [
            "CompreFace sample photos (Apache-2.0, exadel-inc/CompreFace); this measures "
            "Doorman's local face service, not Amazon Rekognition",
            "genuine: two photos of the same person (A, B); impostor: every other pair of "
            "faces, each face of each group photo against each portrait included",
        ],
    }
