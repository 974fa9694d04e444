"""Similarity on Rekognition's 0-100 scale from dlib's face distance.

dlib's 128-d face encodings are compared by Euclidean distance `d`; dlib's own tolerance for
"same person" is d <= 0.6. Rekognition reports Similarity from 0 to 100, and Doorman's
thresholds (known >= 90, barred >= 95, "possible match" above 80) are set on that scale.

The map is a logistic curve, clipped to 0..100:

    similarity(d) = 100 / (1 + exp((d - 0.75) / 0.108))

It is strictly decreasing in `d`, and calibrated so that

    d = 0.00 -> 99.9     d = 0.40 -> 96.2     d = 0.45 -> 94.1
    d = 0.50 -> 91.0     d = 0.55 -> 86.4     d = 0.60 -> 80.0
    d = 0.70 -> 61.4     d = 0.80 -> 38.6     d = 1.00 ->  9.0

so dlib's 0.6 tolerance sits at 80 and 0.45 scores above 90. `distance_for(s)` is the
inverse, used to turn a FaceMatchThreshold into a distance cut-off.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np

MIDPOINT = 0.75
SCALE = 0.108


@overload
def similarity(distance: float) -> float: ...
@overload
def similarity(distance: np.ndarray) -> np.ndarray: ...


def similarity(distance: np.ndarray | float) -> np.ndarray | float:
    """Similarity (0-100) for one distance (a float) or an array of distances (an array)."""
    d = np.asarray(distance, dtype=np.float64)
    z = np.clip((d - MIDPOINT) / SCALE, -700.0, 700.0)
    result = np.clip(100.0 / (1.0 + np.exp(z)), 0.0, 100.0)
    return float(result) if result.ndim == 0 else result


def distance_for(similarity_value: float) -> float:
    """Largest distance whose similarity is still >= `similarity_value` (0 < s < 100)."""
    s = min(max(float(similarity_value), 1e-9), 100.0 - 1e-9)
    return MIDPOINT + SCALE * math.log(100.0 / s - 1.0)
