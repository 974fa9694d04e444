"""Motion gate on synthetic frames: noise is quiet, movement is found, lights recalibrate."""

from __future__ import annotations

import numpy as np
import pytest

from edge_agent.config import MotionConfig
from edge_agent.motion import RunningAverageMotionGate, mask_image

W, H = 640, 360


def scene(rng: np.random.Generator, square_at: tuple[int, int] | None = None, gain: float = 1.0):
    base = np.tile(np.linspace(60, 180, W, dtype=np.float32), (H, 1))
    frame = base * gain + rng.normal(0, 4, (H, W))
    if square_at is not None:
        x, y = square_at
        frame[y : y + 80, x : x + 80] = 20
    return np.clip(frame, 0, 255).astype(np.uint8)


def run(gate: RunningAverageMotionGate, frames):
    return [gate.detect(frame) for frame in frames]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1)


def test_sensor_noise_is_not_motion(rng: np.random.Generator) -> None:
    results = run(RunningAverageMotionGate(MotionConfig()), [scene(rng) for _ in range(30)])
    assert all(not r.regions and not r.recalibrated for r in results)


def test_a_moving_object_is_found_where_it_is(rng: np.random.Generator) -> None:
    gate = RunningAverageMotionGate(MotionConfig())
    run(gate, [scene(rng) for _ in range(5)])
    for step in range(6):
        x, y = 100 + 40 * step, 150
        motion = gate.detect(scene(rng, (x, y)))
        assert motion.regions, f"step {step}: no motion"
        assert any(
            box.left <= x + 40 <= box.right and box.top <= y + 40 <= box.bottom
            for box in motion.regions
        )
        # Regions are in full-frame pixels, not in the downscaled motion frame.
        assert all(box.right <= W and box.bottom <= H for box in motion.regions)


def test_lights_switching_on_recalibrates_instead_of_reporting(rng: np.random.Generator) -> None:
    gate = RunningAverageMotionGate(MotionConfig())
    run(gate, [scene(rng) for _ in range(5)])
    switched = gate.detect(scene(rng, gain=1.5))
    assert switched.recalibrated and not switched.regions
    assert switched.changed_fraction > 0.5
    after = run(gate, [scene(rng, gain=1.5) for _ in range(10)])
    assert all(not r.regions for r in after)


def test_small_changes_below_min_area_are_ignored(rng: np.random.Generator) -> None:
    gate = RunningAverageMotionGate(MotionConfig(min_area=0.05))
    run(gate, [scene(rng) for _ in range(5)])
    assert not gate.detect(scene(rng, (200, 100))).regions  # 80x80 px is 2.8 % of the frame


@pytest.mark.parametrize(
    "mask",
    [
        [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]],  # relative: the left half
        [[0, 0], [320, 0], [320, 360], [0, 360]],  # pixels: the same half
    ],
)
def test_masked_areas_never_report_motion(rng: np.random.Generator, mask) -> None:
    gate = RunningAverageMotionGate(MotionConfig(masks=[mask]))
    run(gate, [scene(rng) for _ in range(5)])
    assert not gate.detect(scene(rng, (100, 150))).regions  # inside the mask
    gate.detect(scene(rng))
    outside = gate.detect(scene(rng, (450, 150)))
    assert outside.regions and all(box.left >= 300 for box in outside.regions)


def test_mask_image_scales_pixel_and_relative_polygons() -> None:
    relative = mask_image([[(0, 0), (0.5, 0), (0.5, 1), (0, 1)]], (1920, 1080), (320, 180))
    pixels = mask_image([[(0, 0), (960, 0), (960, 1080), (0, 1080)]], (1920, 1080), (320, 180))
    assert relative is not None and pixels is not None
    assert np.array_equal(relative, pixels)
    assert relative[:, :150].max() == 0 and relative[:, 170:].min() == 255
    assert mask_image([], (1920, 1080), (320, 180)) is None


def test_resolution_change_restarts_the_background(rng: np.random.Generator) -> None:
    gate = RunningAverageMotionGate(MotionConfig())
    run(gate, [scene(rng) for _ in range(3)])
    assert not gate.detect(np.zeros((480, 854), np.uint8)).regions  # a new first frame
