"""Through plain boto3, the local face service recognises another photo of Grace Hopper and
no one else (what the interim `localcloud.face_demo` showed, kept as a test)."""

from __future__ import annotations

import io
from pathlib import Path

import boto3
import pytest
from PIL import Image, ImageEnhance

from localcloud.runtime import start_services
from localcloud.services import apply_env, restore_env

pytestmark = pytest.mark.integration

FACES = Path(__file__).resolve().parents[2] / "assets" / "faces"
KNOWN_THRESHOLD = 90.0


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


def test_face_service_recognises_grace_and_rejects_strangers():
    services = start_services()
    previous = apply_env(services.env())
    try:
        rekognition = boto3.client("rekognition")  # plain client; endpoint from the env
        rekognition.create_collection(CollectionId="doorman-demo")
        rekognition.index_faces(
            CollectionId="doorman-demo",
            Image={"Bytes": (FACES / "grace_hopper.jpg").read_bytes()},
            ExternalImageId="grace_hopper",
            MaxFaces=1,
        )
        probes = {
            "grace again": (another_photo(FACES / "grace_hopper.jpg"), True),
            "astronaut": ((FACES / "astronaut.png").read_bytes(), False),
            "luispedro": ((FACES / "luispedro.jpg").read_bytes(), False),
            "takeo": ((FACES / "takeo.jpg").read_bytes(), False),
        }
        for label, (image, is_grace) in probes.items():
            matches = rekognition.search_faces_by_image(
                CollectionId="doorman-demo",
                Image={"Bytes": image},
                FaceMatchThreshold=0,
                MaxFaces=1,
            )["FaceMatches"]
            score = matches[0]["Similarity"] if matches else 0.0
            assert (score >= KNOWN_THRESHOLD) == is_grace, (label, score)
            if is_grace:
                assert matches[0]["Face"]["ExternalImageId"] == "grace_hopper"
    finally:
        restore_env(previous)
        services.stop()
