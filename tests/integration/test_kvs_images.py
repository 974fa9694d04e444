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

from localcloud.cloud import LocalCloud
from localcloud.provision import LocalConfig
from tests.support.cloud import CloudKit, enroll_samples

pytestmark = pytest.mark.integration
CAMERAS = ("kvs-front", "kvs-garden")
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
