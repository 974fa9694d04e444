"""Parsing what arrives: S3 notifications inside SQS bodies, frame metadata, and the
face-search records a Rekognition stream processor writes to Kinesis. Pure code."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from core.schemas import BoundingBox, FrameKind

FRAME_PREFIXES = ("frames/", "kvs/")
_KEY_SAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
# A signed request reaches AWS within five minutes of the time it was signed (SigV4:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-signing.html), and a frame is
# captured before its upload is signed, so an honest edge's captured-at is at most this far
# past S3's event time. Further ahead is a broken clock or a forged value.
CAPTURE_MAX_LEAD = timedelta(minutes=5)
# Frames wait in the edge's spool through a network outage, so a captured-at may lie well
# before the upload; a week covers a long outage (AnalyzeSettings.captured_at_max_age_seconds).
CAPTURE_MAX_AGE = timedelta(days=7)
KVS_PREFIX = "kvs/"
# Kinesis Video Streams image generation sets these S3 object metadata fields on each image it
# delivers ("Retrieving image metadata" in
# https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/s3-real-time-image-create.html):
# the fragment's producer and server timestamps, in epoch milliseconds ("1690707290324").
KVS_PRODUCER_TIMESTAMP = "aws_kinesisvideo_producer_timestamp"
KVS_SERVER_TIMESTAMP = "aws_kinesisvideo_server_timestamp"
_EPOCH_MILLIS = re.compile(r"[0-9]{1,15}")


@dataclass(frozen=True)
class S3Change:
    bucket: str
    key: str
    event_name: str
    etag: str = ""
    size: int = 0
    version_id: str = ""
    event_time: str = ""

    @property
    def removed(self) -> bool:
        return self.event_name.startswith("ObjectRemoved")


def s3_changes(body: str) -> list[S3Change]:
    """The S3 records in one SQS message body; S3's `s3:TestEvent` has none."""
    message = json.loads(body)
    if not isinstance(message, dict) or "Records" not in message:
        return []
    changes = []
    for record in message["Records"]:
        s3 = record["s3"]
        obj = s3.get("get_object") or s3["object"]  # IntelligentTiering events say get_object
        changes.append(
            S3Change(
                bucket=s3["bucket"]["name"],
                key=unquote_plus(obj["key"]),
                event_name=record["eventName"],
                etag=obj.get("eTag") or "",
                size=int(obj.get("size") or 0),
                version_id=obj.get("versionId") or "",
                event_time=record["eventTime"],
            )
        )
    return changes


def iso_utc(moment: datetime) -> str:
    """Sortable UTC timestamp with milliseconds: 2026-05-01T12:00:00.000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def parse_time(value: str | float | None) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC)
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def key_safe(text: str) -> str:
    return _KEY_SAFE.sub("-", text).strip("-.") or "unknown"


def is_frame_key(key: str) -> bool:
    return key.startswith(FRAME_PREFIXES)


def is_normalised_key(key: str) -> bool:
    """False for a key a path would read differently from S3: a `.` or `..` segment, an
    empty segment (`//`, a leading or trailing `/`) or a backslash. S3 stores such keys as
    written, so `frames/../x.jpg` is an object of its own that no edge agent uploads."""
    if "\\" in key:
        return False
    return all(segment not in ("", ".", "..") for segment in key.split("/"))


def is_kvs_key(key: str) -> bool:
    """An image KVS image generation delivered (kvs/{camera}/...), not an edge upload."""
    return key.startswith(KVS_PREFIX)


def epoch_millis(value: str) -> datetime | None:
    """KVS's epoch-milliseconds text ("1690707290324") as a UTC time; None for anything else."""
    if not _EPOCH_MILLIS.fullmatch(value):
        return None
    millis = int(value)
    try:
        return datetime.fromtimestamp(millis // 1000, UTC) + timedelta(milliseconds=millis % 1000)
    except (ValueError, OverflowError, OSError):
        return None


def kvs_image_timecode(key: str) -> str:
    """The ImageTimecode (epoch ms, as text) in the name KVS gives a generated image:
    `[ImagePrefix_]{AccountID}_{StreamName}_{ImageTimecode}_{RandomID}.{ext}`. It is the field
    before the last `_`, as a stream name may itself hold `_`; "" when the name has no such
    field."""
    stem = key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    fields = stem.rsplit("_", 2)
    return fields[1] if len(fields) == 3 else ""


def camera_from_key(key: str) -> str:
    """frames/{camera_id}/... and kvs/{camera_id}/... name their camera."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[1] else "unknown"


@dataclass(frozen=True)
class CaptureWindow:
    """How far from S3's event time an edge's captured-at may lie: `max_age` before it (the
    edge's spool holds frames through an outage) and `max_lead` after it."""

    max_age: timedelta
    max_lead: timedelta = CAPTURE_MAX_LEAD

    def holds(self, moment: datetime, event_time: datetime) -> bool:
        return event_time - self.max_age <= moment <= event_time + self.max_lead


DEFAULT_CAPTURE_WINDOW = CaptureWindow(max_age=CAPTURE_MAX_AGE)


@dataclass(frozen=True)
class FrameMeta:
    camera_id: str
    captured_at: datetime
    kind: FrameKind = "face"
    track_id: str = ""
    local_match: str = ""
    # the claimed capture time (the edge's captured-at, or KVS's producer timestamp) when it
    # was not believed
    captured_at_refused: str = ""


def _capture_time(
    claims: list[tuple[str, datetime | None]], event_time: datetime, window: CaptureWindow
) -> tuple[datetime, str]:
    """The first claim (its text, its parsed time) that parses and lies inside `window`
    around `event_time`, else the event time; and the text of the first claim refused."""
    refused = ""
    for text, moment in claims:
        if not text:
            continue
        if moment is not None and window.holds(moment, event_time):
            return moment, refused
        refused = refused or text
    return event_time, refused


def frame_meta(
    key: str,
    metadata: Mapping[str, str],
    event_time: datetime,
    window: CaptureWindow = DEFAULT_CAPTURE_WINDOW,
) -> FrameMeta:
    """The edge agent's x-amz-meta-* fields, with the key path as the camera's fallback.

    The capture time is the edge's `captured-at` when it parses and lies inside `window`
    around S3's `event_time`; otherwise it is the event time, and the refused value is kept
    in `captured_at_refused` (year 1 or 9999 would overflow date arithmetic further on, and
    a date years ahead would sort before every real event).

    A `kvs/` image carries no edge fields: its capture time is KVS's producer timestamp (the
    camera's clock), else KVS's server timestamp, else the ImageTimecode in its name, the
    first of them inside the same window; the event time only when none is."""
    kind = metadata.get("kind", "face")
    if is_kvs_key(key):
        texts = [
            metadata.get(KVS_PRODUCER_TIMESTAMP) or "",
            metadata.get(KVS_SERVER_TIMESTAMP) or "",
            kvs_image_timecode(key),
        ]
        claims = [(text, epoch_millis(text)) for text in texts]
    else:
        claimed = metadata.get("captured-at") or ""
        claims = [(claimed, parse_time(claimed))]
    captured_at, refused = _capture_time(claims, event_time, window)
    return FrameMeta(
        camera_id=key_safe(metadata.get("camera-id") or camera_from_key(key)),
        captured_at=captured_at,
        kind="motion" if kind == "motion" else "face",
        track_id=metadata.get("track-id", ""),
        local_match=metadata.get("local-match", ""),
        captured_at_refused=refused,
    )


@dataclass(frozen=True)
class FaceMatch:
    """One collection match: an entry of SearchFacesByImage's `FaceMatches` or of a
    face-search record's `MatchedFaces` (the person is the face's ExternalImageId)."""

    person_id: str
    face_id: str
    similarity: float

    @classmethod
    def from_aws(cls, match: Mapping[str, Any]) -> FaceMatch:
        face = match.get("Face") or {}
        return cls(
            person_id=face.get("ExternalImageId", ""),
            face_id=face.get("FaceId", ""),
            similarity=float(match.get("Similarity", 0.0)),
        )


@dataclass(frozen=True)
class StreamFace:
    bounding_box: BoundingBox
    confidence: float
    matches: list[FaceMatch] = field(default_factory=list)


@dataclass(frozen=True)
class StreamFaces:
    """One FaceSearchResponse record of a Rekognition face-search stream processor."""

    camera_id: str
    captured_at: datetime
    fragment: str
    faces: list[StreamFace]
    raw: Mapping[str, Any] = field(default_factory=dict)


def video_stream_name(stack_name: str, camera: str) -> str:
    """The Kinesis video stream of one camera: `{stack_name}-{camera}` (`Doorman-front-door`).
    The stack gives analyze the reverse map (stream name -> camera) in STREAM_CAMERAS."""
    return f"{stack_name}-{camera}"


class UnknownStream(ValueError):
    """A face-search record from a video stream that is not one of this stack's cameras."""


def camera_for_stream(stream_arn: str, cameras: Mapping[str, str]) -> str:
    """arn:aws:kinesisvideo:region:acct:stream/{name}/{created} -> the camera that `cameras`
    (stream name -> camera id) gives for {name}. A name outside the map is refused: stripping
    a guessed prefix once turned every `Doorman-front-door` record into camera
    `Doorman-front-door`."""
    name = stream_arn.split(":stream/", 1)[1].split("/", 1)[0] if ":stream/" in stream_arn else ""
    camera = cameras.get(name)
    if camera is None:
        raise UnknownStream(
            f"video stream {name or stream_arn!r} is not one of this stack's video streams "
            f"({', '.join(sorted(cameras)) or 'none'})"
        )
    return camera


def parse_face_search(
    payload: Mapping[str, Any], arrival: datetime, cameras: Mapping[str, str]
) -> StreamFaces:
    """One face-search record; `cameras` maps the stack's stream names to camera ids
    (raises UnknownStream for any other stream)."""
    video = payload.get("InputInformation", {}).get("KinesisVideo", {})
    camera = camera_for_stream(str(video.get("StreamArn", "")), cameras)
    captured = (
        parse_time(video.get("ProducerTimestamp"))
        or parse_time(video.get("ServerTimestamp"))
        or arrival
    )
    offset = float(video.get("FrameOffsetInSeconds") or 0.0)
    faces = []
    for entry in payload.get("FaceSearchResponse") or []:
        detected = entry.get("DetectedFace") or {}
        matches = [FaceMatch.from_aws(m) for m in entry.get("MatchedFaces") or []]
        faces.append(
            StreamFace(
                bounding_box=BoundingBox.from_aws(detected.get("BoundingBox") or {}),
                confidence=float(detected.get("Confidence", 0.0)),
                matches=matches,
            )
        )
    return StreamFaces(
        camera_id=camera,
        captured_at=datetime.fromtimestamp(captured.timestamp() + offset, UTC),
        fragment=str(video.get("FragmentNumber", "")),
        faces=faces,
        raw=payload,
    )
