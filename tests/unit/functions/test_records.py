from __future__ import annotations

import json
from datetime import UTC, datetime

from core.records import (
    camera_from_key,
    camera_from_stream_arn,
    frame_meta,
    is_frame_key,
    iso_utc,
    parse_face_search,
    parse_time,
    s3_changes,
)

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def s3_body(key: str, event: str = "ObjectCreated:Put", **obj) -> str:
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventTime": "2026-05-01T12:00:01.000Z",
        "eventName": event,
        "s3": {"bucket": {"name": "b", "arn": "arn:aws:s3:::b"}, "object": {"key": key, **obj}},
    }
    return json.dumps({"Records": [record]})


def test_s3_keys_are_url_decoded() -> None:
    (change,) = s3_changes(s3_body("barred/Jos%C3%A9+N%C3%BA%C3%B1ez/a+b.jpg", size=5, eTag="e"))
    assert change.key == "barred/José Núñez/a b.jpg"
    assert (change.bucket, change.etag, change.size) == ("b", "e", 5)
    assert not change.removed


def test_removals_and_test_events() -> None:
    (change,) = s3_changes(s3_body("k.jpg", "ObjectRemoved:DeleteMarkerCreated"))
    assert change.removed and change.etag == ""
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    assert s3_changes(json.dumps(test_event)) == []


def test_frame_keys_and_cameras() -> None:
    assert is_frame_key("frames/door/2026/05/01/t-001.jpg")
    assert is_frame_key("kvs/door/x.jpg")
    assert not is_frame_key("exports/frames/x.jpg")
    assert camera_from_key("frames/door/2026/05/01/t-001.jpg") == "door"
    assert camera_from_key("frames/x.jpg") == "unknown"


def test_frame_meta_prefers_metadata_and_falls_back_to_key_and_event_time() -> None:
    meta = frame_meta(
        "frames/door/2026/05/01/t-001.jpg",
        {"camera-id": "porch", "captured-at": "2026-05-01T11:00:00.250+00:00", "kind": "motion"},
        T0,
    )
    assert meta.camera_id == "porch" and meta.kind == "motion"
    assert iso_utc(meta.captured_at) == "2026-05-01T11:00:00.250Z"
    fallback = frame_meta("frames/door/a.jpg", {"captured-at": "garbage", "kind": "??"}, T0)
    assert (fallback.camera_id, fallback.captured_at, fallback.kind) == ("door", T0, "face")
    unsafe = frame_meta("frames/door/a.jpg", {"camera-id": "../<b>"}, T0)
    assert unsafe.camera_id == "b"


def test_parse_time_handles_numbers_naive_and_bad_input() -> None:
    assert parse_time(T0.timestamp()) == T0
    assert parse_time("2026-05-01T12:00:00") == T0
    assert parse_time("nope") is None and parse_time(None) is None


def test_face_search_records() -> None:
    payload = {
        "InputInformation": {
            "KinesisVideo": {
                "StreamArn": "arn:aws:kinesisvideo:us-east-1:1:stream/doorman-porch/1600",
                "FragmentNumber": "913",
                "ProducerTimestamp": T0.timestamp(),
                "FrameOffsetInSeconds": 1.5,
            }
        },
        "FaceSearchResponse": [
            {
                "DetectedFace": {"BoundingBox": {"Width": 0.1, "Height": 0.2}, "Confidence": 99},
                "MatchedFaces": [
                    {"Similarity": 97.5, "Face": {"FaceId": "f1", "ExternalImageId": "ann"}}
                ],
            },
            {"DetectedFace": {}, "MatchedFaces": []},
        ],
    }
    found = parse_face_search(payload, arrival=T0)
    assert found.camera_id == "porch"
    assert iso_utc(found.captured_at) == "2026-05-01T12:00:01.500Z"
    assert [len(f.matches) for f in found.faces] == [1, 0]
    assert found.faces[0].matches[0].person_id == "ann"
    assert camera_from_stream_arn("arn:aws:kinesisvideo:r:1:stream/garage/1") == "garage"
