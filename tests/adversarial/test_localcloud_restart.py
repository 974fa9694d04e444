"""Restarting `doorman local up` must lose nothing.

Before, a restart with the same `--data-dir` kept only the face collection: people, buckets,
events and 89 queued frames were lost, and a known person became a stranger because her
People item was gone. Here `python -m localcloud` runs as a user runs it (its own process,
127.0.0.1, fixed ports, a data directory), is stopped with SIGTERM while frames are still
queued or being handled, and is started again on the same directory; then killed with
SIGKILL, and started once more.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from localcloud.services import free_port
from tests.support.cloud import CloudKit, enroll_samples
from tests.support.localup import LocalUp

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# `doorman local up` lists these cameras (LocalConfig's defaults); analyze rejects others.
CAMERAS = ("front-door", "garden", "side-gate", "street", "porch", "door", "front")
GRACE = "grace-hopper"


def _mails(up: LocalUp) -> int:
    """Messages moto's SES has sent (kept across restarts with the rest of SES)."""
    return int(float(up.client("ses").get_send_quota()["SentLast24Hours"]))


def _events_by_key(kit: CloudKit) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for camera in CAMERAS:
        for event in kit.events(camera):
            found.setdefault(event["image_key"], []).append(event)
    return found


def _grace_versions(kit: CloudKit) -> list[str]:
    listed = kit.s3.list_object_versions(Bucket=kit.r.faces_bucket, Prefix="console/grace.jpg")
    return sorted(v["VersionId"] for v in listed.get("Versions", []))


def _armed_version(kit: CloudKit) -> int:
    return int(kit.ssm.get_parameter(Name=kit.r.armed_parameter)["Parameter"]["Version"])


@pytest.fixture
def ports() -> tuple[int, int]:
    return free_port(), free_port()


def test_sigterm_with_queued_frames_then_restart_keeps_everything_even_after_sigkill(
    tmp_path, ports, sample_faces, augmented
) -> None:
    data = tmp_path / "data"
    up = LocalUp(data, *ports)
    try:
        kit = CloudKit(up)
        enroll_samples(kit, sample_faces, ("known",))
        before = kit.put_frame(augmented("grace_hopper", 1), camera="front-door")
        kit.drain()
        versions, armed = _grace_versions(kit), _armed_version(kit)
        stranger = sample_faces["luispedro"].read_bytes()
        queued = [kit.put_frame(stranger, camera=c) for c in CAMERAS for _ in range(2)]
        waiting_at_sigterm = up.queued()
        code, seconds = up.terminate()
    finally:
        up.kill()
    print(f"SIGTERM with {waiting_at_sigterm} frames queued: stopped in {seconds:.2f} s")
    assert code == 0, up.log.read_text()[-2000:]
    assert waiting_at_sigterm > 0, "the frames were all handled before SIGTERM"

    up = LocalUp(data, *ports)
    try:
        kit = CloudKit(up)
        kit.drain()
        person = kit.person(GRACE)
        assert person is not None and person["name"] == "Grace Hopper"
        assert kit.tags(kit.r.faces_bucket, "console/grace.jpg")["enrollment"] == "indexed"
        assert _grace_versions(kit) == versions
        assert _armed_version(kit) == armed, "a restart must not rewrite the armed switch"

        events = _events_by_key(kit)
        assert [e["faces"][0]["person"]["person_id"] for e in events[before]] == [GRACE]
        lost = [key for key in queued if key not in events]
        doubled = [key for key, found in events.items() if len(found) > 1]
        assert lost == [] and doubled == []
        sent = sum(1 for found in events.values() for e in found if e["alert_status"] == "sent")
        assert sent >= 1 and _mails(up) == sent, "every alert mailed once, none twice"
        assert kit.dlq_messages(kit.r.frames_queue_url, wait=0) == []

        after = kit.put_frame(augmented("grace_hopper", 2), camera="front-door")
        kit.drain()
        (event,) = _events_by_key(kit)[after]
        (face,) = event["faces"]
        assert face["status"] == "known" and face["person"]["person_id"] == GRACE
        assert kit.audit_json(event["processed_key"])["faces"][0]["person"]["name"] == (
            "Grace Hopper"
        )
    finally:
        up.kill()  # SIGKILL: no clean stop; moto saves when it sees its parent gone
    _wait_until_closed(ports[0])

    up = LocalUp(data, *ports)
    try:
        kit = CloudKit(up)
        (event,) = _events_by_key(kit)[after]
        assert event["faces"][0]["person"]["person_id"] == GRACE
    finally:
        code, _ = up.terminate()
        up.kill()
    assert code == 0


def _wait_until_closed(port: int, timeout: float = 30.0) -> None:
    """Until nothing listens on `port` (the killed cloud's moto has saved and exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} still open {timeout:.0f} s after the kill")


def test_a_snapshot_it_cannot_read_stops_start_up_and_is_left_alone(tmp_path, ports) -> None:
    data = tmp_path / "data"
    data.mkdir()
    snapshot = data / "moto-state.pickle"
    snapshot.write_bytes(b"not a snapshot")
    done = subprocess.run(
        [sys.executable, "-m", "localcloud", "--data-dir", str(data),
         "--moto-port", str(ports[0]), "--face-port", str(ports[1])],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"cannot read the local cloud's state in {snapshot}" in done.stderr
    assert snapshot.read_bytes() == b"not a snapshot"
