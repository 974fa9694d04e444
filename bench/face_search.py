"""How search time in the local face service scales with collection size.

`python -m bench.face_search [--sizes 1000,10000,100000] [--repeats 20]`

For each size, a collection is filled with that many synthetic 128-d encodings (plus Grace
Hopper's real one), written to a data directory and loaded by a fresh face service. Then,
through boto3 over HTTP:
- SearchFaces (by FaceId): the vectorised search alone, plus HTTP and JSON;
- SearchFacesByImage: the same plus decoding, detecting and encoding the probe photo.
It also times the store's numpy search alone, in process. Medians (and the worst HTTP
times) are printed in milliseconds; every search must find Grace Hopper.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import numpy as np
from rich.console import Console
from rich.table import Table

from localcloud.faceservice import images
from localcloud.faceservice.detection import FaceEngine
from localcloud.faceservice.store import CollectionStore
from localcloud.services import FAKE_CREDENTIALS, REGION, apply_env, start_face_service

FACES = Path(__file__).resolve().parents[1] / "assets" / "faces"
BOX = {"Width": 0.3, "Height": 0.3, "Left": 0.35, "Top": 0.2}


def grace_encoding(engine: FaceEngine) -> np.ndarray:
    rgb = images.decode((FACES / "grace_hopper.jpg").read_bytes()).rgb
    return engine.encode(rgb, engine.detect(rgb)[:1])[0]


def fill(data_dir: Path, size: int, grace: np.ndarray, seed: int = 0) -> str:
    """A collection of `size` random faces plus Grace Hopper's; returns her FaceId."""
    rng = np.random.default_rng(seed)
    # Real encodings have norms near 0.9-1.0 and pairwise distances of 0.7-1.1: scale alike.
    vectors = rng.normal(0.0, 0.085, size=(size, 128)).astype(np.float32)
    store = CollectionStore(data_dir)
    store.create("bench")
    entries = [(str(uuid.uuid4()), "img", f"p{i}", BOX, 99.0) for i in range(size)]
    grace_id = str(uuid.uuid4())
    entries.append((grace_id, "img", "grace_hopper", BOX, 99.0))
    store.add_faces("bench", entries, np.vstack([vectors, grace[None, :]]))
    return grace_id


def timed(call, repeats: int) -> tuple[float, float, dict]:
    times, response = [], {}
    for _ in range(repeats):
        started = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    console = Console()
    apply_env({**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION})
    grace = grace_encoding(FaceEngine())
    probe = (FACES / "grace_hopper.jpg").read_bytes()
    table = Table(title="Local face service: search time vs collection size")
    columns = ("faces", "numpy search ms", "SearchFaces ms", "worst", "ByImage ms", "worst")
    for column in columns:
        table.add_column(column, justify="right")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            grace_id = fill(Path(tmp), size, grace)
            store = CollectionStore(Path(tmp))
            in_process = timed(lambda s=store: s.search("bench", grace, 0.6, 5), args.repeats)
            service = start_face_service(data_dir=Path(tmp))
            try:
                rek = boto3.client("rekognition", endpoint_url=service.url)
                by_id = timed(
                    lambda gid=grace_id, r=rek: r.search_faces(
                        CollectionId="bench", FaceId=gid, MaxFaces=5
                    ),
                    args.repeats,
                )
                by_image = timed(
                    lambda r=rek: r.search_faces_by_image(
                        CollectionId="bench", Image={"Bytes": probe}, MaxFaces=5
                    ),
                    max(args.repeats // 4, 3),
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
            f"{by_image[0]:.1f}",
            f"{by_image[1]:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
