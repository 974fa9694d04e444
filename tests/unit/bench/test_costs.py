"""bench.costs scales measured uploads to a camera-day and prices them with `doorman cost`."""

from __future__ import annotations

import pytest

from bench.costs import MOTION_FRAMES_PER_DAY, camera_month
from core.cost import Usage, estimate


def _uploads() -> dict:
    return {
        "totals": {
            "doorman": {
                "uploads": 10,
                "face_uploads": 8,
                "motion_uploads": 2,
                "faces_per_upload": 1.5,
            },
            "naive": {"uploads": 100},
            "motion-only (1/s)": {"uploads": 35},
            "motion-only (every frame)": {"uploads": 350},
        }
    }


def test_the_day_is_scaled_so_motion_only_per_second_sends_the_reference_count() -> None:
    rows = {r["pipeline"]: r for r in camera_month(_uploads())["rows"]}
    scale = MOTION_FRAMES_PER_DAY / 35
    assert rows["motion-only (1/s)"]["uploads_per_day"] == pytest.approx(MOTION_FRAMES_PER_DAY)
    assert rows["doorman"]["uploads_per_day"] == pytest.approx(10 * scale, abs=0.05)
    assert rows["motion-only (every frame)"]["uploads_per_day"] == pytest.approx(350 * scale)


def test_doorman_is_priced_with_its_measured_faces_and_snapshots() -> None:
    rows = {r["pipeline"]: r for r in camera_month(_uploads())["rows"]}
    expected = estimate(
        Usage(events_per_day=100, faces_per_event=1.5, enrolled=10, label_share=0.2)
    )
    assert rows["doorman"]["usd_per_month"] == pytest.approx(expected.total, abs=0.01)
    ordered = [rows[n]["usd_per_month"] for n in ("doorman", "motion-only (every frame)")]
    assert ordered == sorted(ordered)
    assert (
        rows["24/7 streaming"]["usd_per_month"] > rows["motion-only (every frame)"]["usd_per_month"]
    )


def test_no_motion_uploads_cannot_be_scaled() -> None:
    uploads = _uploads()
    uploads["totals"]["motion-only (1/s)"]["uploads"] = 0
    with pytest.raises(ValueError, match="motion-only"):
        camera_month(uploads)
