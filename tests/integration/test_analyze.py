"""analyze (and notify) through the router: frames -> records, tags, decisions and mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote_plus

import pytest

from tests.support.images import (
    corrupt_jpeg,
    no_face_jpeg,
    noise_jpeg,
    side_by_side,
    small_in_scene,
)

pytestmark = pytest.mark.integration
# S3 tag values cannot hold "<", so this display name comes from the key path.
SCRIPT_NAME = "Takeo <script>alert(1)"


def test_known_face_is_recorded_quietly(cloud, gallery, augmented) -> None:
    key = cloud.put_frame(augmented("grace_hopper", 3), camera="hall")
    cloud.drain()

    (event,) = cloud.events("hall")
    assert event["image_key"] == key
    (face,) = event["faces"]
    assert face["status"] == "known"
    assert face["person"]["person_id"] == gallery.known
    assert face["person"]["similarity"] >= 90
    assert event["severity"] == "info" and event["alarm"] is False
    assert event["alert_status"] == "none"
    assert int(event["expires_at"]) > datetime.now(UTC).timestamp() + 29 * 86400

    (sighting,) = [s for s in cloud.sightings(gallery.known) if s["camera_id"] == "hall"]
    assert sighting["image_id"] == key
    assert sighting["face_id"] in cloud.collection_faces(gallery.known)
    assert {"confidence", "bounding_box", "emotions", "timestamp"} <= set(sighting)

    processed = cloud.audit_json(event["processed_key"])
    assert processed["faces"][0]["person"]["name"] == "Grace Hopper"
    raw = cloud.audit_keys(f"rekognition/hall/{event['captured_at'][:10]}/")
    assert [k.rsplit("/", 1)[1] for k in raw] == ["DetectFaces.json", "SearchFacesByImage-0.json"]
    assert cloud.tags(cloud.r.uploads_bucket, key) == {"classification": "quiet"}
    assert cloud.emails("hall") == []


def test_stranger_sends_a_warning_to_the_owner(cloud, gallery, sample_faces) -> None:
    key = cloud.put_frame(sample_faces["luispedro"].read_bytes(), camera="porch")
    cloud.drain()

    (event,) = cloud.events("porch")
    assert [f["status"] for f in event["faces"]] == ["stranger"]
    assert event["severity"] == "warning" and event["alert_status"] == "sent"
    assert any(s["camera_id"] == "porch" for s in cloud.sightings("unknown"))
    assert cloud.tags(cloud.r.uploads_bucket, key) == {"classification": "alarm"}
    (email,) = cloud.emails("porch")
    assert email["destinations"]["ToAddresses"] == ["owner@example.com"]
    assert email["subject"].startswith("Doorman warning")
    assert "1 unknown face(s)" in email["body"]
    assert "X-Amz-Signature" in email["body"] and "Expires=3600" in email["body"]


def test_two_people_two_searches_and_escaped_names(enrolled, sample_faces) -> None:
    cloud = enrolled
    cloud.put_photo(f"known/{SCRIPT_NAME}/takeo.jpg", sample_faces["takeo"].read_bytes())
    cloud.drain()

    frame = side_by_side(sample_faces["takeo"], sample_faces["luispedro"])
    key = cloud.put_frame(frame, camera="garden")
    cloud.drain()

    (event,) = [e for e in cloud.events("garden") if e["image_key"] == key]
    assert sorted(f["status"] for f in event["faces"]) == ["known", "stranger"]
    raw = cloud.audit_keys(f"rekognition/garden/{event['captured_at'][:10]}/")
    searches = [k for k in raw if "SearchFacesByImage" in k]
    assert len(searches) == 2
    (email,) = cloud.emails_about(event)
    assert "<script>" not in email["body"]
    assert "Takeo &lt;script&gt;alert(1)" in email["body"]


def test_barred_alerts_even_when_disarmed_but_strangers_do_not(
    cloud, gallery, sample_faces
) -> None:
    cloud.set_armed("disarmed")
    try:
        shed_key = cloud.put_frame(sample_faces["luispedro"].read_bytes(), camera="shed")
        gate_key = cloud.put_frame(sample_faces["astronaut"].read_bytes(), camera="gate")
        cloud.drain()
    finally:
        cloud.set_armed("armed")

    (shed,) = [e for e in cloud.events("shed") if e["image_key"] == shed_key]
    assert shed["severity"] == "warning" and shed["alert_status"] == "disarmed"
    assert cloud.emails_about(shed) == []

    (gate,) = [e for e in cloud.events("gate") if e["image_key"] == gate_key]
    assert gate["faces"][0]["status"] == "barred"
    assert gate["severity"] == "critical" and gate["alert_status"] == "sent"
    (email,) = cloud.emails_about(gate)
    assert sorted(email["destinations"]["ToAddresses"]) == [
        "owner@example.com",
        "police@example.com",
    ]
    assert email["subject"].startswith("Doorman critical: Barred person: Eileen Collins")
    published = [m for m in cloud.sns_messages() if m["alert_id"] == gate["alert_id"]]
    assert len(published) == 1
    assert published[0]["severity"] == "critical"
    assert published[0]["people"][0]["person_id"] == gallery.barred


def test_motion_snapshot_without_face_runs_detect_labels(cloud) -> None:
    key = cloud.put_frame(no_face_jpeg(), camera="yard", kind="motion")
    cloud.drain()

    (event,) = [e for e in cloud.events("yard") if e["image_key"] == key]
    assert event["kind"] == "motion" and event["faces"] == []
    assert event["severity"] == "info" and event["alarm_labels"] == []
    raw = cloud.audit_keys(f"rekognition/yard/{event['captured_at'][:10]}/")
    assert [k.rsplit("/", 1)[1] for k in raw] == ["DetectFaces.json", "DetectLabels.json"]
    assert cloud.tags(cloud.r.uploads_bucket, key) == {"classification": "quiet"}


def test_a_far_away_person_on_a_motion_snapshot_raises_the_motion_alarm(
    cloud, sample_faces
) -> None:
    far_away = small_in_scene(sample_faces["luispedro"], 0.16)  # a ~36 px face: too small
    motion = cloud.put_frame(far_away, camera="lane", kind="motion")
    face = cloud.put_frame(far_away, camera="lane-face", kind="face")
    cloud.drain()

    (event,) = cloud.events("lane")
    assert [f["status"] for f in event["faces"]] == ["too-small"]
    assert event["alarm_labels"] == ["Human", "Person"]
    assert event["severity"] == "warning" and event["alert_status"] == "sent"
    raw = cloud.audit_keys(f"rekognition/lane/{event['captured_at'][:10]}/")
    assert [k.rsplit("/", 1)[1] for k in raw] == ["DetectFaces.json", "DetectLabels.json"]
    assert cloud.tags(cloud.r.uploads_bucket, motion) == {"classification": "alarm"}
    (email,) = cloud.emails("lane")
    assert email["subject"] == "Doorman warning: Motion alarm at lane"
    assert email["destinations"]["ToAddresses"] == ["owner@example.com"]
    assert "Human, Person" in email["body"]

    # A face frame is not checked for labels: the same picture is only recorded.
    (quiet,) = cloud.events("lane-face")
    assert quiet["labels"] == [] and quiet["severity"] == "info"
    assert cloud.tags(cloud.r.uploads_bucket, face) == {"classification": "quiet"}
    assert cloud.emails("lane-face") == []


def test_the_same_s3_event_twice_gives_one_event_and_one_email(cloud, sample_faces) -> None:
    queue = cloud.r.frames_queue_url
    with cloud.local.router.paused():
        cloud.put_frame(sample_faces["luispedro"].read_bytes(), camera="twice")
        (message,) = cloud.sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0)["Messages"]
        cloud.sqs.send_message(QueueUrl=queue, MessageBody=message["Body"])
    cloud.drain()

    assert len(cloud.events("twice")) == 1
    assert len(cloud.emails("twice")) == 1


def test_ten_frames_of_one_stranger_in_the_cooldown_give_one_email(cloud, sample_faces) -> None:
    start = datetime.now(UTC)
    body = sample_faces["luispedro"].read_bytes()
    for n in range(10):
        cloud.put_frame(
            body, camera="drive", track=f"t{n}", captured_at=start + timedelta(seconds=n)
        )
    cloud.drain(timeout=180)

    events = cloud.events("drive")
    assert len(events) == 10
    assert sorted(e["alert_status"] for e in events) == ["cooldown"] * 9 + ["sent"]
    assert len(cloud.emails("drive")) == 1


def test_poison_records_get_outcomes_without_blocking_the_batch(cloud, gallery, augmented) -> None:
    bucket, day = cloud.r.uploads_bucket, "frames/poison/2026/01/01"
    router = cloud.local.router
    analyze = cloud.local.functions["analyze"]
    failed_before = router.status()["analyze"]["failed"]
    with router.paused():
        poison = {
            f"{day}/corrupt.jpg": corrupt_jpeg(),
            f"{day}/huge.jpg": noise_jpeg(20),
            f"{day}/notes.jpg": b"just some text, no picture\n" * 40,
        }
        for key, body in poison.items():
            cloud.put_frame(body, camera="poison", key=key)
        good = cloud.put_frame(augmented("grace_hopper", 5), camera="poison")
        # A record for a key outside frames/ and kvs/ (S3 itself would not send it).
        cloud.s3.put_object(Bucket=bucket, Key="exports/report.jpg", Body=b"x")
        cloud.sqs.send_message(
            QueueUrl=cloud.r.frames_queue_url,
            MessageBody=cloud.s3_event(bucket, "exports/report.jpg"),
        )
        invocations = len(analyze.durations)
    cloud.drain()

    assert [records for records, _ in analyze.durations[invocations:]] == [5], "one batch"
    for key in poison:
        assert cloud.tags(bucket, key) == {"classification": "rejected"}, key
    assert cloud.tags(bucket, good) == {"classification": "quiet"}
    (event,) = cloud.events("poison")
    assert event["image_key"] == good
    assert cloud.tags(bucket, "exports/report.jpg") == {}
    assert router.status()["analyze"]["failed"] == failed_before
    assert not cloud.dlq_messages(cloud.r.frames_queue_url, wait=0)


def test_kvs_image_generation_frames_are_analyzed(cloud, sample_faces) -> None:
    key = "kvs/backdoor/2026/01/01/image-001.jpg"
    cloud.s3.put_object(
        Bucket=cloud.r.uploads_bucket, Key=key, Body=sample_faces["luispedro"].read_bytes()
    )
    cloud.drain()
    (event,) = cloud.events("backdoor")
    assert event["image_key"] == key and event["faces"][0]["status"] == "stranger"


def test_failures_end_in_the_dlq_after_three_receives(cloud) -> None:
    analyze = cloud.local.functions["analyze"]
    missing = f"{cloud.local.config.prefix}-no-such-table"
    with analyze.reconfigured(EVENTS_TABLE=missing):
        key = cloud.put_frame(no_face_jpeg(seed=11), camera="broken")
        cloud.sqs.send_message(QueueUrl=cloud.r.alerts_queue_url, MessageBody="{not an alert")
        frames_dead = cloud.dlq_messages(cloud.r.frames_queue_url, wait=60)
        alerts_dead = cloud.dlq_messages(cloud.r.alerts_queue_url, wait=30)

    (dead,) = frames_dead
    assert quote_plus(key) in dead["Body"]
    assert int(dead["Attributes"]["ApproximateReceiveCount"]) >= 3
    (dead_alert,) = alerts_dead
    assert dead_alert["Body"] == "{not an alert"
    assert cloud.events("broken") == []


def test_cooldown_slot_is_kept_by_the_alert_that_took_it(cloud) -> None:
    """A retried record (same alert id) may alert again; another alert may not until the
    slot expires."""
    from adapters.tables import StateTable

    state = StateTable(cloud.dynamodb, cloud.r.state_table)
    pk, now = "cooldown#unit-cam#unknown", 1_800_000_000
    assert state.acquire_cooldown(pk, holder="alert-1", now=now, seconds=300)
    assert not state.acquire_cooldown(pk, holder="alert-2", now=now + 10, seconds=300)
    assert state.acquire_cooldown(pk, holder="alert-1", now=now + 20, seconds=300)
    assert state.acquire_cooldown(pk, holder="alert-3", now=now + 400, seconds=300)
