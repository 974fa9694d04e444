"""The face service's detector finds faces HOG alone misses, and only real ones."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.accuracy import augment
from localcloud.faceservice.detection import CANDIDATE_SCORE, FaceEngine
from tests.support.images import no_face_jpeg, open_rgb

FACES = Path(__file__).resolve().parents[2] / "assets" / "faces"


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine()


def test_a_tilted_small_face_hog_misses_is_found_by_the_whole_image_cnn(engine):
    original = Image.open(FACES / "einstein_podium.jpg")
    probe = np.ascontiguousarray(np.asarray(augment(original, random.Random(2))))
    _, scores, _ = engine._hog.run(probe, 1, CANDIDATE_SCORE)
    assert len(scores) == 0  # the case this stage exists for

    found = engine.detect(probe)

    assert len(found) == 1
    reference = np.ascontiguousarray(np.asarray(original.convert("RGB")))
    same = np.linalg.norm(
        engine.encode(probe, found)[0] - engine.encode(reference, engine.detect(reference))[0]
    )
    assert same < 0.6  # it is Einstein's face, not a face-like patch


def test_no_face_stays_no_face(engine):
    assert engine.detect(np.asarray(open_rgb(no_face_jpeg()))) == []
