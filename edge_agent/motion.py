"""Motion gate: a cheap test of "did something move?" that decides where to look for faces.

The grey frame is downscaled to `width` pixels, blurred, and compared with a running
average. Changed pixels are thresholded, dilated and grouped into contours; contours
smaller than `min_area` (a fraction of the frame) are ignored, as are masked areas.
When more than `recalibrate_fraction` of the frame changes at once (lights, IR switch,
auto-exposure) the average is reset to the current frame and no motion is reported.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from edge_agent.config import MotionConfig
from edge_agent.pipeline import Box, Motion


class RunningAverageMotionGate:
    def __init__(self, config: MotionConfig) -> None:
        self.config = config
        self._average: np.ndarray | None = None
        self._shape: tuple[int, int] | None = None  # full-resolution (height, width)
        self._small: tuple[int, int] = (0, 0)  # (width, height) of the motion frame
        self._keep: np.ndarray | None = None  # 255 where motion counts, 0 where masked
        self._kernel = np.ones((3, 3), np.uint8)

    def detect(self, gray: np.ndarray) -> Motion:
        if self._shape != gray.shape[:2]:
            self._configure(gray.shape[:2])
        small = self._downscale(gray)
        if self._average is None:
            self._average = small.astype(np.float32)
            return Motion()

        delta = cv2.absdiff(small, cv2.convertScaleAbs(self._average))
        _, changed = cv2.threshold(delta, self.config.threshold, 255, cv2.THRESH_BINARY)
        if self._keep is not None:
            changed = cv2.bitwise_and(changed, self._keep)
        fraction = cv2.countNonZero(changed) / self._countable
        if fraction > self.config.recalibrate_fraction:
            self._average = small.astype(np.float32)
            return Motion(changed_fraction=fraction, recalibrated=True)

        cv2.accumulateWeighted(small, self._average, self.config.alpha)
        changed = cv2.dilate(changed, self._kernel, iterations=2)
        contours, _ = cv2.findContours(changed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_area = self.config.min_area * self._small[0] * self._small[1]
        regions = tuple(
            self._to_full(cv2.boundingRect(contour))
            for contour in contours
            if cv2.contourArea(contour) >= min_area
        )
        return Motion(regions=regions, changed_fraction=fraction)

    def _configure(self, shape: tuple[int, int]) -> None:
        height, width = shape
        small_w = min(self.config.width, width)
        small_h = max(1, round(height * small_w / width))
        self._shape, self._small = shape, (small_w, small_h)
        self._scale = width / small_w
        self._average = None
        self._keep = mask_image(self.config.masks, (width, height), (small_w, small_h))
        self._countable = max(
            1, small_w * small_h if self._keep is None else cv2.countNonZero(self._keep)
        )

    def _downscale(self, gray: np.ndarray) -> np.ndarray:
        small_w, small_h = self._small
        if gray.shape[1] >= 4 * small_w:
            # Linear to twice the size, then area-average: nearly INTER_AREA's noise
            # suppression at half its cost (measured: 0.47 ms vs 1.0 ms at 1080p).
            gray = cv2.resize(gray, (2 * small_w, 2 * small_h), interpolation=cv2.INTER_LINEAR)
        small = cv2.resize(gray, (small_w, small_h), interpolation=cv2.INTER_AREA)
        if self.config.blur:
            small = cv2.GaussianBlur(small, (self.config.blur, self.config.blur), 0)
        return small

    def _to_full(self, rect: Sequence[int]) -> Box:
        x, y, w, h = rect
        height, width = self._shape or (0, 0)
        s = self._scale
        return Box(
            max(0, int(x * s)),
            max(0, int(y * s)),
            min(width, int(np.ceil((x + w) * s))),
            min(height, int(np.ceil((y + h) * s))),
        )


def mask_image(
    masks: list[list[tuple[float, float]]],
    full_size: tuple[int, int],
    small_size: tuple[int, int],
) -> np.ndarray | None:
    """255 where motion counts, 0 inside mask polygons; None when there are no masks.

    A polygon whose coordinates all lie in [0, 1] is relative to the frame; otherwise
    it is in pixels of the full-resolution frame.
    """
    if not masks:
        return None
    full_w, full_h = full_size
    small_w, small_h = small_size
    keep = np.full((small_h, small_w), 255, np.uint8)
    for polygon in masks:
        points = np.asarray(polygon, dtype=np.float64)
        if points.max() <= 1.0:
            points = points * (small_w, small_h)
        else:
            points = points * (small_w / full_w, small_h / full_h)
        cv2.fillPoly(keep, [np.round(points).astype(np.int32)], 0)
    return keep
