"""TAR/FAR/ROC arithmetic of bench.accuracy on hand-made probe results."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from bench.accuracy import (
    ProbeResult,
    augment,
    false_accept_rate,
    misidentified,
    roc,
    true_accept_rate,
    zero_far_thresholds,
)

GENUINE = [
    ProbeResult("ann", "ann", 97.0),
    ProbeResult("ann", "ann", 91.0),
    ProbeResult("bob", "ann", 92.0),  # accepted as the wrong person
    ProbeResult("bob", None, 0.0, face_found=False),  # no face: a reject
]
STRANGERS = [
    ProbeResult(None, "ann", 85.0),
    ProbeResult(None, "bob", 91.5),
    ProbeResult(None, None, 0.0),
    ProbeResult(None, None, 0.0, face_found=False),  # left out of the FAR denominator
]


def test_tar_counts_only_the_right_person_at_or_above_the_threshold() -> None:
    assert true_accept_rate(GENUINE, 90) == pytest.approx(2 / 4)
    assert true_accept_rate(GENUINE, 91) == pytest.approx(2 / 4)  # 91 >= 91
    assert true_accept_rate(GENUINE, 95) == pytest.approx(1 / 4)
    assert true_accept_rate(GENUINE, 98) == 0.0


def test_far_is_over_strangers_with_a_detected_face() -> None:
    assert false_accept_rate(STRANGERS, 80) == pytest.approx(2 / 3)
    assert false_accept_rate(STRANGERS, 90) == pytest.approx(1 / 3)
    assert false_accept_rate(STRANGERS, 92) == 0.0


def test_misidentification_is_a_genuine_probe_accepted_as_someone_else() -> None:
    assert misidentified(GENUINE, 90) == 1
    assert misidentified(GENUINE, 93) == 0


def test_roc_is_monotone_and_finds_the_zero_far_thresholds() -> None:
    points = roc(GENUINE, STRANGERS, thresholds=range(80, 100))
    tars = [p.tar for p in points]
    fars = [p.far for p in points]
    assert tars == sorted(tars, reverse=True)
    assert fars == sorted(fars, reverse=True)
    assert zero_far_thresholds(points) == [float(t) for t in range(92, 100)]


def test_rates_need_probes() -> None:
    with pytest.raises(ValueError, match="genuine"):
        true_accept_rate([], 90)
    with pytest.raises(ValueError, match="stranger"):
        false_accept_rate([ProbeResult(None, None, 0.0, face_found=False)], 90)


def test_augment_is_deterministic_and_keeps_the_minimum_side() -> None:
    image = Image.new("RGB", (120, 90), (200, 120, 60))
    first = augment(image, random.Random(3))
    again = augment(image, random.Random(3))
    other = augment(image, random.Random(4))
    assert first.tobytes() == again.tobytes()
    assert first.size != other.size or first.tobytes() != other.tobytes()
    assert min(first.size) >= 79  # rounding may cost one pixel after the crop
