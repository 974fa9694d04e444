"""The distance -> similarity map of the local face service."""

from __future__ import annotations

import numpy as np
import pytest

from localcloud.faceservice.similarity import distance_for, similarity


def test_calibration_points():
    assert similarity(0.6) == pytest.approx(80.0, abs=1.0)
    assert similarity(0.45) >= 90.0
    assert similarity(0.0) > 99.0
    assert similarity(1.2) < 2.0


def test_strictly_decreasing_and_bounded():
    distances = np.linspace(0.0, 2.0, 401)
    scores = similarity(distances)
    assert np.all(np.diff(scores) < 0)
    assert scores.min() >= 0.0 and scores.max() <= 100.0
    assert isinstance(similarity(0.5), float)


def test_extreme_distances_do_not_overflow():
    with np.errstate(all="raise"):
        assert similarity(1e6) < 1e-9
        assert similarity(-1e6) == pytest.approx(100.0)


@pytest.mark.parametrize("score", [50.0, 80.0, 90.0, 95.0, 99.0])
def test_distance_for_inverts_similarity(score):
    cutoff = distance_for(score)
    assert similarity(cutoff) == pytest.approx(score, abs=1e-6)
    assert similarity(cutoff + 1e-3) < score < similarity(cutoff - 1e-3)


def test_distance_for_extremes_are_finite():
    assert distance_for(0.0) > 2.0  # everything matches
    assert distance_for(100.0) < 0.0  # nothing matches
