"""analyze as a Kinesis consumer: face-search records of a Rekognition stream processor.

The cloud here is this module's own, with a mixed-case prefix as the stack's default name
`Doorman` gives its streams (`Doorman-front-door`): the camera must come from the stack's
stream -> camera map, whatever the case of the prefix.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.cloud import LocalCloud
from localcloud.provision import LocalConfig
from tests.support.cloud import CloudKit, enroll_samples

pytestmark = pytest.mark.integration
CAMERAS = ("stream-gate", "stream-porch", "stream-empty")


@pytest.fixture(scope="module")
def stream_cloud(
    aws_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    sample_faces: dict[str, Path],
) -> Iterator[CloudKit]:
    """streaming=true under prefix `Dm…`, with Eileen Collins enrolled as barred."""
    config = LocalConfig(
        prefix=f"Dm{uuid.uuid4().hex[:6]}", visibility_timeout=2, streaming=True, cameras=CAMERAS
    )
    local = LocalCloud(config, data_dir=tmp_path_factory.mktemp("stream-cloud"), endpoints=aws_env)
    local.start()
    kit = CloudKit(local)
    enroll_samples(kit, sample_faces, ("barred",))
    yield kit
    local.stop()


def face_search(stream: str, matched: list[dict] | None, faces: int = 1) -> bytes:
    """A FaceSearchResponse record as a face-search stream processor writes it."""
    now = time.time()
    stream_arn = f"arn:aws:kinesisvideo:us-east-1:123456789012:stream/{stream}/1700000000"
    detected = {
        "BoundingBox": {"Width": 0.2, "Height": 0.3, "Left": 0.4, "Top": 0.2},
        "Confidence": 99.8,
        "Landmarks": [],
        "Pose": {"Pitch": 1.0, "Roll": 2.0, "Yaw": 3.0},
        "Quality": {"Brightness": 60.0, "Sharpness": 80.0},
    }
    record = {
        "InputInformation": {
            "KinesisVideo": {
                "StreamArn": stream_arn,
                "FragmentNumber": "91343852333289682796718532614445757584843717598",
                "ServerTimestamp": now,
                "ProducerTimestamp": now - 0.3,
                "FrameOffsetInSeconds": 0.4,
            }
        },
        "StreamProcessorInformation": {"Status": "RUNNING"},
        "FaceSearchResponse": [
            {"DetectedFace": detected, "MatchedFaces": matched or []} for _ in range(faces)
        ],
    }
    return json.dumps(record).encode()


def test_stream_records_follow_the_same_decisions(stream_cloud) -> None:
    cloud = stream_cloud
    streams = cloud.r.video_streams.split(",")
    prefix = cloud.local.config.prefix
    assert streams == [f"{prefix}-{camera}" for camera in CAMERAS]
    assert prefix[0].isupper()  # like the default stack name, Doorman
    (face_id,) = cloud.collection_faces("eileen-collins")
    match = {
        "Similarity": 98.6,
        "Face": {
            "BoundingBox": {"Width": 0.3, "Height": 0.4, "Left": 0.3, "Top": 0.2},
            "FaceId": face_id,
            "Confidence": 99.9,
            "ImageId": "00000000-0000-0000-0000-000000000000",
            "ExternalImageId": "eileen-collins",
        },
    }
    kinesis = cloud.local.client("kinesis")
    stream = cloud.r.face_search_stream
    for camera, matched, faces in (
        ("stream-gate", [match], 1),
        ("stream-porch", [], 1),
        ("stream-empty", None, 0),
    ):
        kinesis.put_record(
            StreamName=stream,
            Data=face_search(f"{prefix}-{camera}", matched, faces),
            PartitionKey=camera,
        )
    cloud.drain()

    (gate,) = cloud.events("stream-gate")
    assert gate["source"] == "stream" and gate["image_key"] == ""
    assert gate["faces"][0]["status"] == "barred" and gate["faces"][0]["face_id"] == face_id
    assert gate["severity"] == "critical" and gate["alert_status"] == "sent"
    (email,) = cloud.emails("stream-gate")
    assert "Eileen Collins" in email["body"] and "X-Amz-Signature" not in email["body"]

    (porch,) = cloud.events("stream-porch")
    assert porch["faces"][0]["status"] == "stranger" and porch["severity"] == "warning"
    assert len(cloud.emails("stream-porch")) == 1
    assert cloud.events("stream-empty") == []
    assert cloud.audit_keys(f"processed/stream-gate/{gate['captured_at'][:10]}/")
    # No event is ever filed under a stream name.
    for name in streams:
        assert cloud.events(name) == []


def test_a_stream_that_is_not_one_of_the_stack_s_cameras_is_not_guessed(stream_cloud) -> None:
    """Another stack's stream, or ours in another case: rejected, recorded nowhere, and not
    retried into the failure queue."""
    cloud = stream_cloud
    prefix = cloud.local.config.prefix
    kinesis = cloud.local.client("kinesis")
    strangers = (f"{prefix.lower()}-stream-porch", "Other-stream-porch", "stream-porch")
    before = len(cloud.events("stream-porch"))
    for name in strangers:
        kinesis.put_record(
            StreamName=cloud.r.face_search_stream,
            Data=face_search(name, [], 1),
            PartitionKey=name,
        )
    cloud.drain()
    assert len(cloud.events("stream-porch")) == before
    for name in strangers[:2]:
        assert cloud.events(name) == []
    failures = cloud.sqs.get_queue_url(QueueName=f"{prefix}-stream-failures")["QueueUrl"]
    attributes = cloud.sqs.get_queue_attributes(
        QueueUrl=failures, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
