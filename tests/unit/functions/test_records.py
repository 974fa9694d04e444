from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.records import (
    UnknownStream,
    camera_for_stream,
    camera_from_key,
    epoch_millis,
    frame_meta,
    is_frame_key,
    iso_utc,
    kvs_image_timecode,
    parse_face_search,
    parse_time,
    s3_changes,
    video_stream_name,
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


def face_search_payload(stream_arn: str) -> dict:
    return {
        "InputInformation": {
            "KinesisVideo": {
                "StreamArn": stream_arn,
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


def arn(stream: str) -> str:
    return f"arn:aws:kinesisvideo:us-east-1:111122223333:stream/{stream}/1600000000000"


def test_face_search_records() -> None:
    cameras = {"Doorman-porch": "porch"}
    found = parse_face_search(face_search_payload(arn("Doorman-porch")), T0, cameras)
    assert found.camera_id == "porch"
    assert iso_utc(found.captured_at) == "2026-05-01T12:00:01.500Z"
    assert [len(f.matches) for f in found.faces] == [1, 0]
    assert found.faces[0].matches[0].person_id == "ann"


@pytest.mark.parametrize("stack", ["Doorman", "doorman", "HomeCams", "Door-Man-2"])
def test_the_stack_s_stream_names_map_back_to_their_cameras(stack: str) -> None:
    """Streams are named {stack_name}-{camera} (the default stack is `Doorman`, capital D):
    the camera comes from the stack's own map, never from guessing at a prefix."""
    cameras = {video_stream_name(stack, c): c for c in ("front-door", "garage", "doorman-x")}
    assert video_stream_name(stack, "front-door") == f"{stack}-front-door"
    for stream, camera in cameras.items():
        assert camera_for_stream(arn(stream), cameras) == camera
        found = parse_face_search(face_search_payload(arn(stream)), T0, cameras)
        assert found.camera_id == camera


def test_a_stream_the_stack_does_not_know_is_refused_not_guessed() -> None:
    cameras = {"Doorman-front-door": "front-door"}
    for stream in ("doorman-front-door", "Other-front-door", "front-door", ""):
        with pytest.raises(UnknownStream, match="not one of this stack's video streams"):
            camera_for_stream(arn(stream) if stream else "", cameras)
    with pytest.raises(UnknownStream):
        parse_face_search(face_search_payload(arn("Doorman-garage")), T0, cameras)


# KVS image generation: the key and the object metadata KVS writes ("Amazon S3 object path
# (image)" and "Retrieving image metadata" in
# https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/s3-real-time-image-create.html).
KVS_KEY = "kvs/door/111122223333_Doorman-door_1777636790250_f20f9add-7e57-4399-a30f.jpg"
KVS_METADATA = {
    "aws_kinesisvideo_producer_timestamp": "1777636790250",  # 11:59:50.250, epoch ms
    "aws_kinesisvideo_server_timestamp": "1777636790600",
    "aws_kinesisvideo_fragment_number": "91343852333182036507421233921329142742245756394",
}


def test_epoch_millis_reads_kvs_timestamps_exactly_and_nothing_else() -> None:
    moment = epoch_millis("1690707290324")  # the doc's example
    assert moment is not None and iso_utc(moment) == "2023-07-30T08:54:50.324Z"
    for bad in ("", "1690707290.324", "-1", "2023-07-30T08:54:50Z", "1e12", "١٢٣", "9" * 16):
        assert epoch_millis(bad) is None, bad
    assert epoch_millis("9" * 15) is None, "year 33658 does not fit a datetime"


def test_the_image_timecode_comes_from_the_name_kvs_gives_an_image() -> None:
    assert kvs_image_timecode(KVS_KEY) == "1777636790250"
    # a stream name may hold `_`, and an ImagePrefix may come first
    assert kvs_image_timecode("kvs/d/pre_1111_my_door_stream_1690707290324_a-b.jpg") == (
        "1690707290324"
    )
    assert kvs_image_timecode("kvs/door/image-001.jpg") == ""


def test_a_kvs_image_is_captured_at_its_producer_timestamp() -> None:
    meta = frame_meta(KVS_KEY, KVS_METADATA, T0)
    assert iso_utc(meta.captured_at) == "2026-05-01T11:59:50.250Z"
    assert (meta.camera_id, meta.kind, meta.captured_at_refused) == ("door", "face", "")


def test_a_kvs_image_falls_back_to_the_server_timestamp_then_its_name_then_the_event() -> None:
    unset_clock = {**KVS_METADATA, "aws_kinesisvideo_producer_timestamp": "5000"}  # 1970
    meta = frame_meta(KVS_KEY, unset_clock, T0)
    assert iso_utc(meta.captured_at) == "2026-05-01T11:59:50.600Z"
    assert meta.captured_at_refused == "5000"

    meta = frame_meta(KVS_KEY, {}, T0)
    assert (iso_utc(meta.captured_at), meta.captured_at_refused) == (
        "2026-05-01T11:59:50.250Z",
        "",
    )

    far_ahead = "1777640400000"  # 13:00, an hour past S3's event time
    key = KVS_KEY.replace("1777636790250", far_ahead)
    meta = frame_meta(key, dict.fromkeys(KVS_METADATA, far_ahead), T0)
    assert (meta.captured_at, meta.captured_at_refused) == (T0, far_ahead)


def test_a_kvs_image_ignores_an_edge_style_captured_at() -> None:
    """Only KVS writes kvs/; its time fields are its own, never the edge's."""
    meta = frame_meta(KVS_KEY, {**KVS_METADATA, "captured-at": "2026-05-01T11:00:00Z"}, T0)
    assert iso_utc(meta.captured_at) == "2026-05-01T11:59:50.250Z"
