"""A stolen edge credential must not flood the owner and the police: frames from cameras the
stack does not know are rejected, and alerts about one identity are rate-limited across
cameras (no AWS needed)."""

from __future__ import annotations

from datetime import timedelta

from aws_lambda_powertools import Logger, Metrics

from core.schemas import FrameRef
from core.tablekeys import cooldown_key, identity_limit_key, parse_cooldown_key
from functions.analyze.reporting import report
from tests.unit.functions.fakes import jpeg, match
from tests.unit.functions.test_analyze_logic import SETTINGS, Door

BARRED = [match("eileen-collins", 99.0)]


def upload(door: Door, key: str, metadata: dict[str, str]) -> FrameRef:
    door.bucket.put("uploads", key, jpeg(shade=7), metadata)
    door.camera.shows(BARRED)
    return FrameRef(bucket="uploads", key=key, etag="e")


def test_settings_list_the_configured_cameras() -> None:
    assert {"front-door", "garden", "side-gate"} <= set(SETTINGS.cameras)
    assert SETTINGS.alert_rate_seconds == 600


def test_a_frame_from_an_unconfigured_camera_is_rejected_and_alerts_nobody() -> None:
    door = Door()
    for n in range(5):
        camera = f"forged-{n}"
        frame = upload(
            door, f"frames/{camera}/2026/05/01/t{n}-001.jpg", {"camera-id": camera, "kind": "face"}
        )
        outcome = door.analyzer.analyze_frame(frame)
        assert (outcome.status, outcome.reason) == ("rejected", "unknown camera")
        assert door.bucket.object_tags["uploads", frame.key] == {"classification": "rejected"}
    assert door.queue.sent == [] and door.log.events == [] and door.camera.calls == 0


def test_a_frame_whose_metadata_and_key_name_different_cameras_is_rejected() -> None:
    door = Door()
    frame = upload(
        door, "frames/garden/2026/05/01/t1-001.jpg", {"camera-id": "front-door", "kind": "face"}
    )
    outcome = door.analyzer.analyze_frame(frame)
    assert (outcome.status, outcome.reason) == ("rejected", "camera mismatch")
    assert door.queue.sent == [] and door.camera.calls == 0


def test_a_kvs_image_of_an_unconfigured_camera_is_rejected() -> None:
    door = Door()
    frame = upload(door, "kvs/forged/1_Doorman-forged_1777636800000_x.jpg", {})
    outcome = door.analyzer.analyze_frame(frame)
    assert (outcome.status, outcome.reason) == ("rejected", "unknown camera")
    assert door.queue.sent == [] and door.camera.calls == 0


def test_one_identity_alerts_once_per_window_across_cameras() -> None:
    door = Door()
    statuses = [door.frame(BARRED, camera=c) for c in ("front-door", "garden", "side-gate")]
    assert statuses == ["sent", "rate-limited", "rate-limited"]
    assert [a.severity for a in door.queue.sent] == ["critical"]
    assert [e.alert_status for e in door.log.events] == statuses
    now = int(door.analyzer.clock().timestamp())
    assert door.state.slots[identity_limit_key("eileen-collins")][1] == now + 600


def test_the_rate_limit_expires_after_its_window() -> None:
    door = Door()
    assert door.frame(BARRED, camera="front-door") == "sent"
    later = door.analyzer.clock() + timedelta(seconds=601)
    door.analyzer.alerter.clock = lambda: later
    assert door.frame(BARRED, camera="garden") == "sent"


def test_a_rate_limited_identity_leaves_room_for_others() -> None:
    door = Door()
    assert door.frame(BARRED, camera="front-door") == "sent"
    assert door.frame(BARRED, [match("grace-hopper", 50.0)], camera="garden") == "sent"
    _, second = door.queue.sent
    assert (second.severity, second.reason) == ("warning", "unknown-face")


def test_rate_limited_frames_are_counted(capsys) -> None:
    door = Door()
    door.frame(BARRED, camera="front-door")
    door.bucket.put(
        "uploads", "frames/garden/2026/05/01/x-001.jpg", jpeg(shade=9), {"camera-id": "garden"}
    )
    door.camera.shows(BARRED)
    outcome = door.analyzer.analyze_frame(
        FrameRef(bucket="uploads", key="frames/garden/2026/05/01/x-001.jpg", etag="e")
    )
    assert outcome.alert_status == "rate-limited" and not outcome.alerted
    metrics = Metrics(namespace="Doorman", service="analyze")
    report(Logger(service="analyze"), metrics, outcome)
    assert metrics.metric_set["AlertsRateLimited"]["Value"] == [1.0]
    metrics.clear_metrics()


def test_strangers_stay_per_camera_as_unknown_is_anyone() -> None:
    door = Door()
    assert door.frame([], camera="front-door") == "sent"
    assert door.frame([], camera="garden") == "sent"
    assert identity_limit_key("unknown") not in door.state.slots


def test_a_zero_window_turns_the_rate_limit_off() -> None:
    door = Door(SETTINGS.model_copy(update={"alert_rate_seconds": 0}))
    assert door.frame(BARRED, camera="front-door") == "sent"
    assert door.frame(BARRED, camera="garden") == "sent"


def test_the_identity_slot_is_a_cooldown_slot_forget_finds() -> None:
    pk = identity_limit_key("eileen-collins")
    slot = parse_cooldown_key(pk)
    assert slot is not None and slot.identity == "eileen-collins"
    assert pk != cooldown_key("front-door", "eileen-collins")
    # No configured camera can be the all-cameras marker.
    assert slot.camera_id not in SETTINGS.cameras
