"""The motion-only rate limit and the hobby script's nearest-face match."""

from __future__ import annotations

import numpy as np
import pytest

from bench.baselines import KnownFaces, one_per_second


def test_one_per_second_takes_the_first_frame_then_one_per_second_of_motion() -> None:
    motion = [*range(0, 25), *range(100, 103)]  # 25 frames of motion, a pause, 3 more
    assert one_per_second(motion, fps=10) == [0, 10, 20, 100]


def test_one_per_second_with_nothing_moving_uploads_nothing() -> None:
    assert one_per_second([], fps=15) == []
    with pytest.raises(ValueError):
        one_per_second([1], fps=0)


def test_known_faces_names_the_nearest_within_the_tolerance() -> None:
    ann, bob = np.zeros(128), np.full(128, 0.1)
    known = KnownFaces(["ann", "bob"], [ann, bob])
    assert known.identify(np.full(128, 0.01)) == "ann"
    assert known.identify(np.full(128, 0.09)) == "bob"
    assert known.identify(np.full(128, 1.0)) is None  # far from both
    assert KnownFaces([], []).identify(ann) is None
