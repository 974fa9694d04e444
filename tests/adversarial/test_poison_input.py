"""Poison input: timestamps, keys and races that must get a defined outcome, pay for no
Rekognition call twice, and never overwrite what an earlier frame recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.storage import ObjectChanged, ObjectHead, Storage
from adapters.tables import EventsTable
from core.records import CAPTURE_MAX_LEAD, CaptureWindow, frame_meta, is_normalised_key
from core.schemas import EventRecord, FrameRef
from functions.analyze.logic import Analyzer, Ports

# The localcloud fixtures (local_cloud, cloud, gallery) of the integration suite.
from tests.support.images import FACES_DIR, no_face_jpeg
from tests.unit.functions.fakes import (
    AlertQueue,
    Bucket,
    Camera,
    Log,
    People,
    Ssm,
    State,
    analyze_settings,
    jpeg,
)

EVENT_TIME = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
WINDOW = CaptureWindow(max_age=timedelta(days=7))
YEAR_ONE = datetime(1, 1, 1, tzinfo=UTC)
YEAR_9999 = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def edge_time(moment: datetime) -> str:
    """captured-at as the edge agent writes it."""
    return moment.isoformat(timespec="milliseconds")


# ---- captured-at is bounded by S3's event time (pure) -------------------------------------


@pytest.mark.parametrize(
    "claimed",
    [
        edge_time(YEAR_ONE),
        edge_time(YEAR_9999),
        edge_time(EVENT_TIME + timedelta(days=3653)),  # ten years ahead
        edge_time(EVENT_TIME + CAPTURE_MAX_LEAD + timedelta(seconds=1)),
        edge_time(EVENT_TIME - timedelta(days=7, seconds=1)),
        "garbage",
    ],
)
def test_a_captured_at_outside_the_window_is_replaced_by_the_event_time_and_kept(
    claimed: str,
) -> None:
    meta = frame_meta("frames/door/a.jpg", {"captured-at": claimed}, EVENT_TIME, WINDOW)
    assert meta.captured_at == EVENT_TIME
    assert meta.captured_at_refused == claimed


@pytest.mark.parametrize(
    "moment",
    [EVENT_TIME, EVENT_TIME - timedelta(days=7), EVENT_TIME + CAPTURE_MAX_LEAD],
)
def test_a_captured_at_inside_the_window_is_kept(moment: datetime) -> None:
    meta = frame_meta("frames/door/a.jpg", {"captured-at": edge_time(moment)}, EVENT_TIME, WINDOW)
    assert meta.captured_at == moment
    assert meta.captured_at_refused == ""


def test_no_captured_at_uses_the_event_time_without_a_flag() -> None:
    meta = frame_meta("kvs/door/image-001.jpg", {}, EVENT_TIME, WINDOW)
    assert (meta.captured_at, meta.captured_at_refused) == (EVENT_TIME, "")


# ---- keys must be normalised (pure) --------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "frames/../x.jpg",
        "frames/door/../../x.jpg",
        "frames/./door/x.jpg",
        "frames//door/x.jpg",
        "frames/door/x.jpg/",
        "frames\\door\\x.jpg",
        "frames/door/..",
    ],
)
def test_keys_that_are_not_normalised_are_refused(key: str) -> None:
    assert not is_normalised_key(key)


@pytest.mark.parametrize(
    "key", ["frames/door/2026/05/01/t-001.jpg", "kvs/door/a..b.jpg", "frames/door/.hidden.jpg"]
)
def test_normalised_keys_pass(key: str) -> None:
    assert is_normalised_key(key)


# ---- the analyzer reads the object it checked (in-memory ports) ---------------------------


class ReplacedAfterHead(Bucket):
    """The uploads bucket, where another upload replaces the frame right after `head`."""

    def head(self, bucket: str, key: str) -> ObjectHead | None:
        checked = super().head(bucket, key)
        data, metadata, _ = self.objects[bucket, key]
        self.put(bucket, key, data + b"replaced", metadata)
        return checked

    def read(self, bucket: str, key: str, *, version_id: str = "", etag: str = "") -> bytes:
        current = super().head(bucket, key)
        if current is None or version_id != current.version_id or etag != current.etag:
            raise ObjectChanged(f"{bucket}/{key}")
        return self.objects[bucket, key][0]


def test_a_frame_replaced_after_its_check_is_not_analysed() -> None:
    storage, faces, log = ReplacedAfterHead(), Camera(), Log()
    settings = analyze_settings()
    ports = Ports(
        storage=storage,
        faces=faces,
        people=People(),
        events=log,
        sightings=log,
        state=State(),
        alerts=AlertQueue(),
        parameters=Ssm(),
    )
    key = "frames/door/2026/05/01/t-001.jpg"
    storage.put("uploads", key, jpeg(), {"camera-id": "door"})

    outcome = Analyzer(ports, settings).analyze_frame(FrameRef(bucket="uploads", key=key, etag="e"))

    assert (outcome.status, outcome.reason) == ("gone", "object replaced since it was checked")
    assert faces.calls == 0 and log.events == []


# ---- through localcloud --------------------------------------------------------------------


def rekognition_calls(cloud) -> int:
    """Billed Rekognition calls analyze has made (its FaceIndex counts them)."""
    return cloud.local.functions["analyze"].module.deps.faces.calls


@pytest.mark.integration
def test_poison_timestamps_are_analysed_once_at_the_event_time(cloud, gallery, augmented) -> None:
    camera, day = "poison-time", "frames/poison-time/2026/01/01"
    router = cloud.local.router
    failed_before = router.status()["analyze"]["failed"]
    calls_before = rekognition_calls(cloud)
    claims = {
        "year-one": YEAR_ONE,
        "year-9999": YEAR_9999,
        "ten-years-ahead": datetime.now(UTC) + timedelta(days=3653),
    }
    started = datetime.now(UTC)
    for seed, (name, moment) in enumerate(claims.items(), start=20):
        cloud.put_frame(
            augmented("grace_hopper", seed),
            camera=camera,
            captured_at=moment,
            key=f"{day}/{name}-001.jpg",
        )
    cloud.drain()

    events = {e["image_key"].rsplit("/", 1)[1]: e for e in cloud.events(camera)}
    assert sorted(events) == sorted(f"{name}-001.jpg" for name in claims)
    for name, moment in claims.items():
        event = events[f"{name}-001.jpg"]
        assert event["captured_at_refused"] == edge_time(moment)
        recorded = datetime.fromisoformat(event["captured_at"].replace("Z", "+00:00"))
        assert started - timedelta(seconds=5) <= recorded <= datetime.now(UTC)
        assert event["faces"][0]["status"] == "known"
    # One DetectFaces and one SearchFacesByImage per frame, and no retry paid for.
    assert rekognition_calls(cloud) - calls_before == 2 * len(claims)
    assert router.status()["analyze"]["failed"] == failed_before
    assert not cloud.dlq_messages(cloud.r.frames_queue_url, wait=0)


@pytest.mark.integration
def test_a_key_with_dot_dot_is_rejected_without_an_alert(cloud, gallery) -> None:
    key = "frames/poison-key/../poison-key/t-001.jpg"
    cloud.s3.put_object(
        Bucket=cloud.r.uploads_bucket,
        Key=key,
        Body=(FACES_DIR / "luispedro.jpg").read_bytes(),
        Metadata={"camera-id": "poison-key"},
    )
    assert cloud.s3.head_object(Bucket=cloud.r.uploads_bucket, Key=key)  # stored as written
    calls_before = rekognition_calls(cloud)
    cloud.drain()

    assert cloud.events("poison-key") == []
    assert cloud.emails("poison-key") == []
    assert rekognition_calls(cloud) == calls_before
    assert cloud.tags(cloud.r.uploads_bucket, key) == {"classification": "rejected"}


@pytest.mark.integration
def test_keys_that_sanitise_alike_get_their_own_audit_files(cloud, gallery) -> None:
    day = "frames/poison-audit/2026/01/01"
    keys = [f"{day}/a b/t-001.jpg", f"{day}/a-b/t-001.jpg"]
    for shade, key in zip((60, 200), keys, strict=True):
        cloud.put_frame(no_face_jpeg(seed=shade), camera="poison-audit", key=key)
    cloud.drain()

    events = cloud.events("poison-audit")
    assert sorted(e["image_key"] for e in events) == sorted(keys)
    assert len({e["processed_key"] for e in events}) == 2
    for event in events:
        assert cloud.audit_json(event["processed_key"])["image_key"] == event["image_key"]


@pytest.mark.integration
def test_the_same_frame_under_a_new_key_keeps_the_first_alert_status(cloud, gallery) -> None:
    camera = "poison-copy"
    body = (FACES_DIR / "luispedro.jpg").read_bytes()
    moment = datetime.now(UTC)
    first = cloud.put_frame(body, camera=camera, captured_at=moment, track="first")
    cloud.drain()
    cloud.put_frame(body, camera=camera, captured_at=moment, track="second")
    cloud.drain()

    (event,) = cloud.events(camera)
    assert event["image_key"] == first
    assert event["alert_status"] == "sent"
    assert len(cloud.emails(camera)) == 1


@pytest.mark.integration
def test_events_table_never_overwrites_another_uploads_event(cloud) -> None:
    table = EventsTable(cloud.dynamodb, cloud.r.events_table)
    sent = EventRecord(
        camera_id="poison-table",
        event_time="2026-05-01T12:00:00.000Z#abc",
        captured_at="2026-05-01T12:00:00.000Z",
        image_hash="abc",
        image_key="frames/poison-table/a.jpg",
        severity="warning",
        alarm=True,
        processed_key="processed/poison-table/a.json",
        alert_id="first",
        alert_status="sent",
        expires_at=2_000_000_000,
    )
    assert table.put(sent)
    retried = sent.model_copy(update={"alert_status": "cooldown"})
    assert table.put(retried), "the same record (same alert id) may rewrite its event"
    assert table.put(sent)
    other = sent.model_copy(
        update={"alert_id": "second", "alert_status": "cooldown", "image_key": "b.jpg"}
    )
    assert not table.put(other)
    stored = table.get("poison-table", sent.event_time)
    assert stored is not None
    assert (stored["alert_status"], stored["image_key"]) == ("sent", sent.image_key)


@pytest.mark.integration
def test_a_read_is_pinned_to_the_object_that_was_checked(cloud) -> None:
    storage = Storage(cloud.s3)
    bucket, key = cloud.r.uploads_bucket, "frames/poison-swap/2026/01/01/t-001.jpg"
    small = no_face_jpeg(seed=5)
    cloud.s3.put_object(Bucket=bucket, Key=key, Body=small)
    head = storage.head(bucket, key)
    assert head is not None
    assert storage.read(bucket, key, version_id=head.version_id, etag=head.etag) == small
    cloud.s3.put_object(Bucket=bucket, Key=key, Body=small + b"\x00")  # replaced meanwhile
    with pytest.raises(ObjectChanged):
        storage.read(bucket, key, version_id=head.version_id, etag=head.etag)


@pytest.mark.integration
def test_a_versioned_read_gets_the_version_that_was_checked(cloud) -> None:
    storage = Storage(cloud.s3)
    bucket, key = f"{cloud.local.config.prefix}-poison-versions", "versions.bin"
    cloud.s3.create_bucket(Bucket=bucket)
    cloud.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    cloud.s3.put_object(Bucket=bucket, Key=key, Body=b"checked")
    head = storage.head(bucket, key)
    assert head is not None and head.version_id
    cloud.s3.put_object(Bucket=bucket, Key=key, Body=b"replaced")
    assert storage.read(bucket, key, version_id=head.version_id) == b"checked"
    assert storage.read(bucket, key) == b"replaced"
