"""How search time in the local face service scales with collection size.

`python -m bench.face_search [--sizes 1000,10000,100000] [--repeats 20]`

For each size, a collection is filled with that many synthetic 128-d encodings (plus Grace
Hopper's real one), written to a data directory and loaded by a fresh face service. The
synthetic faces are spread like real ones: around the mean of the other sample faces'
encodings, about 0.85 apart from each other and from Grace (dlib's "same person" is < 0.6).
Then, through boto3 over HTTP:
- SearchFaces (by FaceId): the vectorised search alone, plus HTTP and JSON;
- SearchFaces with FaceMatchThreshold=0 and MaxFaces=4096: the largest answer there is;
- SearchFacesByImage: the same plus decoding, detecting and encoding the probe photo. Each
  probe is a different photo (brightness and JPEG quality vary), so none is served from the
  face service's per-image detection cache.
It also times the store's numpy search alone, in process. Medians (and the worst HTTP
times) are printed in milliseconds; every search must find Grace Hopper.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import numpy as np
from PIL import Image, ImageEnhance
from rich.console import Console
from rich.table import Table

from core.resources import FAKE_CREDENTIALS
from localcloud.faceservice import images
from localcloud.faceservice.detection import FaceEngine
from localcloud.faceservice.store import CollectionStore
from localcloud.services import REGION, apply_env, start_face_service

FACES = Path(__file__).resolve().parents[1] / "assets" / "faces"
BOX = {"Width": 0.3, "Height": 0.3, "Left": 0.35, "Top": 0.2}


SPREAD = 0.053  # per-dimension noise: sqrt(2 * 128) * 0.053 = 0.85 between two faces


def sample_encodings(engine: FaceEngine) -> dict[str, np.ndarray]:
    """The real encoding of each sample face, by file stem."""
    found = {}
    for path in sorted(FACES.glob("*.[jp][pn]g")):
        rgb = images.decode(path.read_bytes()).rgb
        found[path.stem] = engine.encode(rgb, engine.detect(rgb)[:1])[0]
    return found


def fill(data_dir: Path, size: int, grace: np.ndarray, centre: np.ndarray, seed: int = 0) -> str:
    """A collection of `size` synthetic faces plus Grace Hopper's; returns her FaceId."""
    rng = np.random.default_rng(seed)
    vectors = (centre + rng.normal(0.0, SPREAD, size=(size, 128))).astype(np.float32)
    store = CollectionStore(data_dir)
    store.create("bench")
    # (face id, image id, external image id, bounding box, confidence), as the store keeps them
    entries: list[tuple[str, str, str | None, dict[str, float], float]] = [
        (str(uuid.uuid4()), "img", f"p{i}", BOX, 99.0) for i in range(size)
    ]
    grace_id = str(uuid.uuid4())
    entries.append((grace_id, "img", "grace_hopper", BOX, 99.0))
    store.add_faces("bench", entries, np.vstack([vectors, grace[None, :]]))
    return grace_id


def probe_photos(count: int) -> list[bytes]:
    """`count` different photos of Grace Hopper (brightness and JPEG quality vary)."""
    with Image.open(FACES / "grace_hopper.jpg") as original:
        rgb = original.convert("RGB")
    photos = []
    for i in range(count):
        out = io.BytesIO()
        ImageEnhance.Brightness(rgb).enhance(0.9 + 0.02 * i).save(out, "JPEG", quality=80 + i)
        photos.append(out.getvalue())
    return photos


def timed(call, repeats: int) -> tuple[float, float, dict]:
    """Median and worst milliseconds of `call(i)` for i in range(repeats), and its last answer."""
    times, response = [], {}
    for i in range(repeats):
        started = time.perf_counter()
        response = call(i)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    console = Console()
    apply_env({**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION})
    encodings = sample_encodings(FaceEngine())
    grace = encodings.pop("grace_hopper")
    centre = np.mean(list(encodings.values()), axis=0)
    probes = probe_photos(max(args.repeats // 4, 3))
    table = Table(title="Local face service: search time vs collection size")
    columns = (
        "faces", "numpy search ms", "SearchFaces ms", "worst", "4096 matches ms",
        "ByImage ms", "worst",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            grace_id = fill(Path(tmp), size, grace, centre)
            store = CollectionStore(Path(tmp))
            in_process = timed(lambda _, s=store: s.search("bench", grace, 0.6, 5), args.repeats)
            service = start_face_service(data_dir=Path(tmp))
            try:
                rek = boto3.client("rekognition", endpoint_url=service.url)
                by_id = timed(
                    lambda _, gid=grace_id, r=rek: r.search_faces(
                        CollectionId="bench", FaceId=gid, MaxFaces=5
                    ),
                    args.repeats,
                )
                widest = timed(
                    lambda _, gid=grace_id, r=rek: r.search_faces(
                        CollectionId="bench", FaceId=gid, MaxFaces=4096, FaceMatchThreshold=0
                    ),
                    max(args.repeats // 4, 3),
                )
                by_image = timed(
                    lambda i, r=rek: r.search_faces_by_image(
                        CollectionId="bench", Image={"Bytes": probes[i]}, MaxFaces=5
                    ),
                    len(probes),
                )
                top = by_image[2]["FaceMatches"][0]["Face"]
                assert top["FaceId"] == grace_id, "search did not find Grace Hopper"
                assert all(m["Face"]["FaceId"] != grace_id for m in by_id[2]["FaceMatches"]), (
                    "SearchFaces returned the searched face itself"
                )
            finally:
                service.stop()
        table.add_row(
            f"{size + 1:,}",
            f"{in_process[0]:.2f}",
            f"{by_id[0]:.1f}",
            f"{by_id[1]:.1f}",
            f"{widest[0]:.1f}",
            f"{by_image[0]:.1f}",
            f"{by_image[1]:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
