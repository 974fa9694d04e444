"""Interim demo: `python -m localcloud.face_demo`.

Starts moto and the face service on free ports. It enrols Grace Hopper from one photo, then
searches the collection with a different photo of her and with three strangers, and prints
what a plain boto3 Rekognition client gets back. It exits 1 if the face service does not
recognise her or takes a stranger for her.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import boto3
from PIL import Image, ImageEnhance
from rich.console import Console
from rich.table import Table

from .__main__ import start_services
from .services import apply_env, restore_env

FACES = Path(__file__).resolve().parents[1] / "assets" / "faces"
KNOWN_THRESHOLD = 90.0
COLLECTION = "doorman-demo"


def another_photo(path: Path) -> bytes:
    """A different photo of the same person: cropped, smaller, darker, tilted, recompressed."""
    with Image.open(path) as image:
        w, h = image.size
        image = image.convert("RGB").crop((int(w * 0.06), int(h * 0.04), w, int(h * 0.95)))
        image = image.resize((int(image.width * 0.8), int(image.height * 0.8)))
        image = ImageEnhance.Brightness(image).enhance(0.75).rotate(6, resample=Image.BICUBIC)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=60)
        return out.getvalue()


def run(console: Console) -> bool:
    console.rule("[bold]Doorman face service demo")
    with console.status("Starting moto and the face service on 127.0.0.1 ..."):
        services = start_services()
    previous = apply_env(services.env())
    try:
        console.print(f"moto:         {services.moto.url}")
        console.print(f"face service: {services.face.url}  (AWS_ENDPOINT_URL_REKOGNITION)")
        rekognition = boto3.client("rekognition")  # plain client; endpoint from the env
        rekognition.create_collection(CollectionId=COLLECTION)
        enrolled = rekognition.index_faces(
            CollectionId=COLLECTION,
            Image={"Bytes": (FACES / "grace_hopper.jpg").read_bytes()},
            ExternalImageId="grace_hopper",
            MaxFaces=1,
        )["FaceRecords"][0]["Face"]
        console.print(
            f"Enrolled [bold]Grace Hopper[/] from grace_hopper.jpg: FaceId {enrolled['FaceId']}, "
            f"detection confidence {enrolled['Confidence']:.1f}"
        )

        probes = [
            ("another photo of Grace Hopper", another_photo(FACES / "grace_hopper.jpg"), True),
            ("Eileen Collins (astronaut.png)", (FACES / "astronaut.png").read_bytes(), False),
            ("Luis Pedro Coelho (luispedro.jpg)", (FACES / "luispedro.jpg").read_bytes(), False),
            ("Takeo Kanade (takeo.jpg)", (FACES / "takeo.jpg").read_bytes(), False),
        ]
        table = Table(title="SearchFacesByImage against the collection")
        for column in ("photo", "closest enrolled face", "similarity", "verdict", "ms"):
            table.add_column(column, justify="right" if column in ("similarity", "ms") else "left")
        all_ok = True
        for label, image, is_grace in probes:
            started = time.perf_counter()
            matches = rekognition.search_faces_by_image(
                CollectionId=COLLECTION, Image={"Bytes": image}, FaceMatchThreshold=0, MaxFaces=1
            )["FaceMatches"]
            elapsed = (time.perf_counter() - started) * 1000
            best = matches[0] if matches else None
            score = best["Similarity"] if best else 0.0
            recognised = score >= KNOWN_THRESHOLD
            ok = recognised == is_grace
            all_ok &= ok
            verdict = "known: Grace Hopper" if recognised else "stranger"
            table.add_row(
                label,
                best["Face"]["ExternalImageId"] if best else "-",
                f"{score:.1f}",
                f"[{'green' if ok else 'red'}]{verdict}[/]",
                f"{elapsed:.0f}",
            )
        console.print(table)
        console.print(
            f"Known at similarity >= {KNOWN_THRESHOLD:.0f}; dlib distance 0.6 maps to 80 "
            "(see localcloud/faceservice/similarity.py)."
        )
        console.print("[green]As expected.[/]" if all_ok else "[red]Unexpected result.[/]")
        return all_ok
    finally:
        restore_env(previous)
        services.stop()


def main() -> None:
    sys.exit(0 if run(Console()) else 1)


if __name__ == "__main__":
    main()
