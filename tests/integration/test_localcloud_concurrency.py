"""Handlers side by side, as Lambda runs them: no frame lost, none analysed twice, and the
cooldown still allows exactly one alert per camera when a camera's frames are handled at
the same time (the cooldown slot is a conditional write, not a read-then-write)."""

from __future__ import annotations

import uuid

import pytest

from tests.support.cloud import CloudKit

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:No application metrics to publish"),
]

CAMERAS = tuple(f"busy-{n}" for n in range(6))
FRAMES_PER_CAMERA = 4


@pytest.fixture(scope="module")
def kit(aws_env, tmp_path_factory):
    from localcloud.cloud import LocalCloud
    from localcloud.provision import LocalConfig

    config = LocalConfig(
        prefix=f"dmbusy{uuid.uuid4().hex[:5]}", visibility_timeout=2, cameras=CAMERAS, concurrency=4
    )
    local = LocalCloud(config, data_dir=tmp_path_factory.mktemp("busy"), endpoints=aws_env)
    local.start()
    yield CloudKit(local)
    local.stop()


def test_concurrent_handlers_lose_nothing_and_alert_once_per_camera(kit, sample_faces) -> None:
    stranger = sample_faces["luispedro"].read_bytes()
    router = kit.local.router
    with router.paused():  # let the frames pile up, so the pollers take batches at once
        keys = [
            kit.put_frame(stranger, camera=c) for c in CAMERAS for _ in range(FRAMES_PER_CAMERA)
        ]
    kit.drain()

    analyze = kit.local.functions["analyze"]
    assert analyze.peak_running > 1, "the frames were never handled side by side"
    events = {c: kit.events(c) for c in CAMERAS}
    recorded = sorted(e["image_key"] for found in events.values() for e in found)
    assert recorded == sorted(keys), "each frame exactly one event"
    for camera, found in events.items():
        statuses = sorted(e["alert_status"] for e in found)
        assert statuses == ["cooldown"] * (FRAMES_PER_CAMERA - 1) + ["sent"], camera
        assert len(kit.emails(camera)) == 1, camera
    assert kit.dlq_messages(kit.r.frames_queue_url, wait=0) == []
    assert kit.dlq_messages(kit.r.alerts_queue_url, wait=0) == []
    assert router.errors == []
