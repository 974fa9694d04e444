"""Face detection on real photos: the edge detectors (dlib HOG, YuNet) on the CompreFace
samples, at several `min_face_px`.

The samples (../shared/datasets/compreface-samples, Apache-2.0, from exadel-inc/CompreFace)
hold group photos with one annotated nose point per face, and single portraits. A detection
is a hit when it contains a nose point not already claimed; a nose no detection contains is
a miss; a detection without a nose is a false face. Photos larger than a camera frame are
first scaled to 1920 px on their long side (the portraits are 24-megapixel stills). Each
photo is searched whole, as one motion region; time per photo is the median of `REPEATS`
runs, on one thread.

    python -m bench.detection            # prints the table
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge_agent.pipeline import Box, Detection

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "compreface-samples"
MIN_FACE_PX = (20, 32, 48, 64, 80)
DETECTORS = ("hog", "yunet")
FRAME_LONG_SIDE = 1920
REPEATS = 3


@dataclass(frozen=True)
class Photo:
    name: str
    rgb: np.ndarray
    noses: tuple[tuple[float, float], ...]
    group: bool


@dataclass
class Tally:
    detector: str
    min_face_px: int
    faces: int = 0
    hits: int = 0
    misses: int = 0
    false_faces: int = 0
    ms_per_photo: float = 0.0
    group_faces: int = 0
    group_hits: int = 0

    @property
    def recall(self) -> float:
        return self.hits / self.faces if self.faces else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "recall": self.recall,
            "group_recall": self.group_hits / self.group_faces if self.group_faces else 0.0,
        }


def samples_dir() -> Path:
    if not (SAMPLES_DIR / "annotations.json").is_file():
        raise FileNotFoundError(f"CompreFace samples not found in {SAMPLES_DIR}")
    return SAMPLES_DIR


def load_photos(folder: Path | None = None) -> list[Photo]:
    folder = folder or samples_dir()
    annotations = json.loads((folder / "annotations.json").read_text())
    singles = {name for names in annotations["people"].values() for name in names}
    photos = []
    for name, noses in sorted(annotations["noses"].items()):
        bgr = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError(f"{folder / name}: not an image")
        scale = min(1.0, FRAME_LONG_SIDE / max(bgr.shape[:2]))
        if scale < 1.0:
            size = (round(bgr.shape[1] * scale), round(bgr.shape[0] * scale))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        points = tuple((x * scale, y * scale) for x, y in noses)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        photos.append(Photo(name, rgb, points, group=name not in singles))
    return photos


def match(boxes: Sequence[Box], noses: Sequence[tuple[float, float]]) -> tuple[int, int, int]:
    """(hits, misses, false faces): each nose claimed by at most one box, and the reverse."""
    claimed: set[int] = set()
    hits = 0
    for box in sorted(boxes, key=lambda b: b.area):
        inside = [
            n
            for n, (x, y) in enumerate(noses)
            if n not in claimed and box.left <= x < box.right and box.top <= y < box.bottom
        ]
        if inside:
            cx, cy = box.center
            nearest = min(inside, key=lambda n: (noses[n][0] - cx) ** 2 + (noses[n][1] - cy) ** 2)
            claimed.add(nearest)
            hits += 1
    return hits, len(noses) - hits, len(boxes) - hits


def detector_for(name: str, min_face_px: int) -> Callable[[np.ndarray, list[Box]], list[Detection]]:
    from edge_agent.assembly import build_detector
    from edge_agent.config import FacesConfig

    return build_detector(FacesConfig(detector=name, min_face_px=min_face_px)).locate


def evaluate(name: str, min_face_px: int, photos: Sequence[Photo]) -> Tally:
    locate = detector_for(name, min_face_px)
    tally = Tally(name, min_face_px)
    times = []
    for photo in photos:
        height, width = photo.rgb.shape[:2]
        region = [Box(0, 0, width, height)]
        runs = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            found = locate(photo.rgb, region)
            runs.append(time.perf_counter() - started)
        times.append(statistics.median(runs))
        hits, misses, false = match([d.box for d in found], photo.noses)
        tally.faces += len(photo.noses)
        tally.hits += hits
        tally.misses += misses
        tally.false_faces += false
        if photo.group:
            tally.group_faces += len(photo.noses)
            tally.group_hits += hits
    tally.ms_per_photo = 1000 * statistics.mean(times)
    return tally


def run(progress: Callable[[], None] | None = None) -> dict[str, Any]:
    """The detection section: every detector at every min_face_px."""
    cv2.setNumThreads(1)
    tick = progress or (lambda: None)
    photos = load_photos()
    rows = []
    for name in DETECTORS:
        for min_face in MIN_FACE_PX:
            rows.append(evaluate(name, min_face, photos).as_dict())
            tick()
    return {
        "rows": rows,
        "photos": len(photos),
        "faces": sum(len(p.noses) for p in photos),
        "group_faces": sum(len(p.noses) for p in photos if p.group),
        "notes": [
            "CompreFace sample photos (Apache-2.0, exadel-inc/CompreFace): "
            f"{len(photos)} photos, {sum(len(p.noses) for p in photos)} annotated faces; "
            "a hit is a detection containing an unclaimed nose point",
            f"photos scaled to at most {FRAME_LONG_SIDE} px on the long side; each searched "
            f"whole, median of {REPEATS} runs on one thread",
        ],
    }


def count() -> int:
    return len(DETECTORS) * len(MIN_FACE_PX)


if __name__ == "__main__":
    section = run()
    print(f"{section['photos']} photos, {section['faces']} faces")
    for row in section["rows"]:
        print(
            f"{row['detector']:6} min_face_px={row['min_face_px']:3}  hits {row['hits']:3}  "
            f"misses {row['misses']:3}  false {row['false_faces']:3}  recall {row['recall']:.0%}  "
            f"group recall {row['group_recall']:.0%}  {row['ms_per_photo']:.1f} ms/photo"
        )
