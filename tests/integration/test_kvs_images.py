"""streaming=images: KVS image generation delivers JPEGs to kvs/{camera}/ and analyze
handles them like edge frames.

moto has no KVS image generation, so the test delivers the images as KVS documents it
(https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/s3-real-time-image-create.html):
the key `{Uri path}/{AccountID}_{StreamName}_{ImageTimecode}_{RandomID}.jpg`, and KVS's own
metadata (aws_kinesisvideo_*) instead of the edge agent's x-amz-meta-* fields.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from functions.kvs_images.deps import ARCHIVE_ENDPOINT_VARIABLE
from localcloud.cloud import REGION, LocalCloud
from localcloud.provision import LocalConfig, function_environments
from localcloud.router import LocalFunction
from localcloud.video_archive import ArchiveServer, SimulatedArchive
from tests.support.cloud import CloudKit, enroll_samples

pytestmark = pytest.mark.integration
# kvs-front and kvs-garden receive generated images; the others, the poller's images.
CAMERAS = ("kvs-front", "kvs-garden", "kvs-porch", "kvs-gate", "kvs-yard")
ACCOUNT = "123456789012"  # moto's account


@pytest.fixture(scope="module")
def images_cloud(
    aws_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    sample_faces: dict[str, Path],
) -> Iterator[CloudKit]:
    """streaming=images under a mixed-case prefix (as `Doorman`), Grace Hopper known and
    Eileen Collins barred."""
    config = LocalConfig(
        prefix=f"Dm{uuid.uuid4().hex[:6]}",
        visibility_timeout=2,
        streaming="images",
        cameras=CAMERAS,
    )
    local = LocalCloud(config, data_dir=tmp_path_factory.mktemp("images-cloud"), endpoints=aws_env)
    local.start()
    kit = CloudKit(local)
    enroll_samples(kit, sample_faces)
    yield kit
    local.stop()


def deliver_as_kvs(
    cloud: CloudKit, camera: str, body: bytes, produced_at: datetime | None = None
) -> str:
    """Put one generated image where and how KVS image generation writes it; the producer
    timestamp (the camera's clock, epoch ms) is `produced_at`, by default now."""
    stream = f"{cloud.local.config.prefix}-{camera}"
    timecode = int((produced_at or datetime.now(UTC)).timestamp() * 1000)
    key = f"kvs/{camera}/{ACCOUNT}_{stream}_{timecode}_{uuid.uuid4()}.jpg"
    cloud.s3.put_object(
        Bucket=cloud.r.uploads_bucket,
        Key=key,
        Body=body,
        ContentType="image/jpeg",
        Metadata={
            "aws_kinesisvideo_producer_timestamp": str(timecode),
            "aws_kinesisvideo_server_timestamp": str(timecode + 350),
            "aws_kinesisvideo_fragment_number": "91343852333182036507421233921329142742245756394",
        },
    )
    return key


def test_images_mode_provisions_one_video_stream_per_camera_and_no_data_stream(
    images_cloud,
) -> None:
    cloud = images_cloud
    prefix = cloud.local.config.prefix
    names = [f"{prefix}-{camera}" for camera in CAMERAS]
    assert cloud.r.video_streams.split(",") == names
    assert cloud.r.cameras.split(",") == list(CAMERAS)
    assert cloud.r.face_search_stream == "" and cloud.r.stream_processor_name == ""
    kinesisvideo = cloud.local.client("kinesisvideo")
    for name in names:
        info = kinesisvideo.describe_stream(StreamName=name)["StreamInfo"]
        assert info["DataRetentionInHours"] > 0  # image generation needs retained media


def test_generated_images_are_analyzed_with_the_camera_from_their_key(
    images_cloud, sample_faces
) -> None:
    cloud = images_cloud
    known_key = deliver_as_kvs(cloud, "kvs-front", sample_faces["grace_hopper"].read_bytes())
    barred_key = deliver_as_kvs(cloud, "kvs-garden", sample_faces["astronaut"].read_bytes())
    cloud.drain()

    (front,) = cloud.events("kvs-front")
    assert front["image_key"] == known_key and front["source"] == "frame"
    (face,) = front["faces"]
    assert face["status"] == "known" and face["person"]["person_id"] == "grace-hopper"
    assert front["severity"] == "info" and front["alert_status"] == "none"
    assert cloud.emails("kvs-front") == []
    assert cloud.tags(cloud.r.uploads_bucket, known_key) == {"classification": "quiet"}

    (garden,) = cloud.events("kvs-garden")
    assert garden["image_key"] == barred_key
    assert [f["status"] for f in garden["faces"]] == ["barred"]
    assert garden["severity"] == "critical" and garden["alert_status"] == "sent"
    (email,) = cloud.emails("kvs-garden")
    assert sorted(email["destinations"]["ToAddresses"]) == [
        "owner@example.com",
        "police@example.com",
    ]
    assert email["subject"].startswith("Doorman critical: Barred person: Eileen Collins")
    assert cloud.tags(cloud.r.uploads_bucket, barred_key) == {"classification": "alarm"}

    # Nothing is filed under the stream name or the account.
    prefix = cloud.local.config.prefix
    for camera in CAMERAS:
        assert cloud.events(f"{prefix}-{camera}") == []
    assert cloud.events(ACCOUNT) == []


def empty_doorstep() -> bytes:
    """A 640x480 picture of nobody: what most of KVS's images (one every 2 s) look like."""
    picture = Image.new("RGB", (640, 480))
    picture.putdata([(40 + x // 8, 60 + y // 8, 80) for y in range(480) for x in range(640)])
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def audit_names(cloud: CloudKit, camera: str) -> list[str]:
    return cloud.audit_keys(f"processed/{camera}/") + cloud.audit_keys(f"rekognition/{camera}/")


def image_id(key: str) -> str:
    """The RandomID at the end of the name KVS gives an image (it survives key_safe)."""
    return key.rsplit("_", 1)[-1].removesuffix(".jpg")


def test_a_generated_image_of_nobody_is_tagged_quiet_and_records_nothing(
    images_cloud, sample_faces
) -> None:
    cloud = images_cloud
    quiet_key = deliver_as_kvs(cloud, "kvs-front", empty_doorstep())
    face_key = deliver_as_kvs(cloud, "kvs-front", sample_faces["grace_hopper"].read_bytes())
    cloud.drain()

    assert cloud.tags(cloud.r.uploads_bucket, quiet_key) == {"classification": "quiet"}
    recorded = {event["image_key"] for event in cloud.events("kvs-front")}
    assert quiet_key not in recorded, "no Events item for an image with no face"
    assert not [k for k in audit_names(cloud, "kvs-front") if image_id(quiet_key) in k]

    # The image with a face is recorded as before, with its audit files.
    assert face_key in recorded
    assert cloud.tags(cloud.r.uploads_bucket, face_key) == {"classification": "quiet"}
    assert [k for k in audit_names(cloud, "kvs-front") if image_id(face_key) in k]


def test_a_generated_image_is_recorded_at_its_producer_timestamp(
    images_cloud, sample_faces
) -> None:
    """KVS delivers a fragment's image a little after the camera captured it; the event
    carries the producer timestamp from the object's metadata, not S3's event time."""
    cloud = images_cloud
    produced_at = (datetime.now(UTC) - timedelta(seconds=90)).replace(microsecond=123000)
    key = deliver_as_kvs(
        cloud, "kvs-front", sample_faces["grace_hopper"].read_bytes(), produced_at=produced_at
    )
    cloud.drain()

    (event,) = [e for e in cloud.events("kvs-front") if e["image_key"] == key]
    stamp = produced_at.strftime("%Y-%m-%dT%H:%M:%S.123Z")
    assert event["captured_at"] == stamp
    assert event["event_time"].startswith(f"{stamp}#")
    assert event["captured_at_refused"] == ""
    (sighting,) = [s for s in cloud.sightings("grace-hopper") if s["image_id"] == key]
    assert sighting["timestamp"] == stamp


# --- The images poller (functions/kvs_images): GetImages over the stream's archive --------
# Stock kvssink can't tag fragments for image generation, so `doorman push` video reaches
# kvs/ through the poller. moto has no GetImages; localcloud.video_archive serves it over
# HTTP from recorded frames, and the real handler runs in the local Lambda sandbox. Each
# test owns a camera, and asserts about that camera's keys and cursor only.


@pytest.fixture(scope="module")
def archive(images_cloud: CloudKit) -> Iterator[tuple[SimulatedArchive, LocalFunction]]:
    """The simulated archive on a free port, and the poller function reading it."""
    recorded = SimulatedArchive()
    server = ArchiveServer(recorded).start()
    local = images_cloud.local
    env = function_environments(local.resources, local.config)["kvs_images"]
    poller = LocalFunction(
        "kvs_images",
        {**local.env(), **env, ARCHIVE_ENDPOINT_VARIABLE: server.url},
        region=REGION,
        prefix=local.config.prefix,
    )
    yield recorded, poller
    server.stop()


def stream_of(cloud: CloudKit, camera: str) -> str:
    return f"{cloud.local.config.prefix}-{camera}"


def record_video(
    cloud: CloudKit, recorded: SimulatedArchive, camera: str, jpeg: bytes, seconds: float
) -> None:
    """What a camera pushed with PutMedia: 4 frames a second for the last `seconds`."""
    now = datetime.now(UTC)
    for n in range(int(seconds * 4)):
        recorded.record(stream_of(cloud, camera), now - timedelta(seconds=n / 4), jpeg)


def polled_keys(cloud: CloudKit, camera: str) -> list[str]:
    listed = cloud.s3.list_objects_v2(Bucket=cloud.r.uploads_bucket, Prefix=f"kvs/{camera}/")
    return sorted(o["Key"] for o in listed.get("Contents", []) if "_getimages" in o["Key"])


def set_cursor(cloud: CloudKit, camera: str, place: float | str | None) -> str:
    """Set where the poller believes it stopped reading `camera`: `place` seconds ago, at
    an ISO time, or None (never read it). Returns the ISO time set."""
    dynamodb = cloud.local.client("dynamodb")
    key = {"pk": {"S": f"kvs-cursor#{camera}"}}
    if place is None:
        dynamodb.delete_item(TableName=cloud.r.state_table, Key=key)
        return ""
    if isinstance(place, str):
        read_until = place
    else:
        read_until = (datetime.now(UTC) - timedelta(seconds=place)).isoformat()
    item = {**key, "read_until": {"S": read_until}}
    dynamodb.put_item(TableName=cloud.r.state_table, Item=item)
    return read_until


def cursor(cloud: CloudKit, camera: str) -> str:
    item = cloud.local.client("dynamodb").get_item(
        TableName=cloud.r.state_table, Key={"pk": {"S": f"kvs-cursor#{camera}"}}
    )
    return item.get("Item", {}).get("read_until", {}).get("S", "")


SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


def test_the_poller_turns_pushed_video_into_analysed_images(
    images_cloud, archive, sample_faces
) -> None:
    cloud, (recorded, poller) = images_cloud, archive
    record_video(cloud, recorded, "kvs-porch", sample_faces["grace_hopper"].read_bytes(), 30)

    report = poller.invoke(SCHEDULED)

    # The first read of a camera covers one interval of video, ending 5 s ago: the images
    # at its start and end, 2 s apart, each stored once under its own deterministic key.
    keys = polled_keys(cloud, "kvs-porch")
    assert len(keys) == 2 and report["stored"] >= 2
    assert stream_of(cloud, "kvs-porch") not in report["unreadable"]
    cloud.drain()
    events = {e["image_key"]: e for e in cloud.events("kvs-porch")}
    for key in keys:
        event = events[key]
        assert [f["status"] for f in event["faces"]] == ["known"]
        assert event["faces"][0]["person"]["person_id"] == "grace-hopper"
        # Filed at the moment KVS took the image (the producer timestamp), to the ms.
        timecode = int(key.rsplit("_", 2)[1])
        captured = datetime.fromisoformat(event["captured_at"].replace("Z", "+00:00"))
        assert round(captured.timestamp() * 1000) == timecode

    # Straight away there is less than one new interval of video: nothing is read.
    read_until = cursor(cloud, "kvs-porch")
    poller.invoke(SCHEDULED)
    assert polled_keys(cloud, "kvs-porch") == keys
    assert cursor(cloud, "kvs-porch") == read_until


def test_video_read_twice_is_stored_once(images_cloud, archive, sample_faces) -> None:
    """An overlapping or retried run reads the same moments again: S3's conditional write
    keeps the first image (the one analysed) and the run counts the rest."""
    cloud, (recorded, poller) = images_cloud, archive
    record_video(cloud, recorded, "kvs-yard", empty_doorstep(), 30)
    read_until = set_cursor(cloud, "kvs-yard", 20)
    poller.invoke(SCHEDULED)
    keys = polled_keys(cloud, "kvs-yard")
    assert len(keys) >= 7  # 15 s of video, one image every 2 s

    set_cursor(cloud, "kvs-yard", read_until)  # a second run from the same place
    again = poller.invoke(SCHEDULED)
    assert again["already_stored"] >= len(keys)
    assert set(keys) <= set(polled_keys(cloud, "kvs-yard"))


def test_an_unreadable_stream_keeps_its_place_and_holds_up_no_other_camera(
    images_cloud, archive, sample_faces
) -> None:
    cloud, (recorded, poller) = images_cloud, archive
    set_cursor(cloud, "kvs-gate", None)
    set_cursor(cloud, "kvs-porch", 30)
    record_video(cloud, recorded, "kvs-porch", sample_faces["grace_hopper"].read_bytes(), 40)
    porch_before = polled_keys(cloud, "kvs-porch")

    report = poller.invoke(SCHEDULED)
    assert stream_of(cloud, "kvs-gate") in report["unreadable"]
    assert cursor(cloud, "kvs-gate") == ""
    assert len(polled_keys(cloud, "kvs-porch")) > len(porch_before)  # the porch went on

    # Once the gate camera's video can be read, its images arrive and alert.
    record_video(cloud, recorded, "kvs-gate", sample_faces["astronaut"].read_bytes(), 30)
    report = poller.invoke(SCHEDULED)
    assert stream_of(cloud, "kvs-gate") not in report["unreadable"]
    assert polled_keys(cloud, "kvs-gate")
    cloud.drain()
    gate = cloud.events("kvs-gate")
    assert gate and all(e["severity"] == "critical" for e in gate)


def test_moments_without_video_store_nothing(images_cloud, archive) -> None:
    """A camera that stopped pushing ten minutes ago: KVS answers NO_MEDIA for the last
    minute, so nothing is stored, and the cursor still moves on."""
    cloud, (recorded, poller) = images_cloud, archive
    recorded.record(
        stream_of(cloud, "kvs-front"), datetime.now(UTC) - timedelta(minutes=10), empty_doorstep()
    )
    set_cursor(cloud, "kvs-front", 60)
    report = poller.invoke(SCHEDULED)
    assert report["without_image"] >= 27  # 55 s of video, one moment every 2 s
    assert polled_keys(cloud, "kvs-front") == []
    moved_to = datetime.fromisoformat(cursor(cloud, "kvs-front"))
    assert datetime.now(UTC) - moved_to < timedelta(seconds=10)
