"""analyze as a Kinesis consumer: face-search records of a Rekognition stream processor."""

from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.integration


def face_search(camera: str, matched: list[dict] | None, faces: int = 1) -> bytes:
    """A FaceSearchResponse record as a face-search stream processor writes it."""
    now = time.time()
    stream_arn = f"arn:aws:kinesisvideo:us-east-1:123456789012:stream/doorman-{camera}/1700000000"
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


def test_stream_records_follow_the_same_decisions(cloud, gallery) -> None:
    (face_id,) = cloud.collection_faces(gallery.barred)
    match = {
        "Similarity": 98.6,
        "Face": {
            "BoundingBox": {"Width": 0.3, "Height": 0.4, "Left": 0.3, "Top": 0.2},
            "FaceId": face_id,
            "Confidence": 99.9,
            "ImageId": "00000000-0000-0000-0000-000000000000",
            "ExternalImageId": gallery.barred,
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
            StreamName=stream, Data=face_search(camera, matched, faces), PartitionKey=camera
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
