"""Parsing what arrives: S3 notifications inside SQS bodies, frame metadata, and the
face-search records a Rekognition stream processor writes to Kinesis. Pure code."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from core.schemas import BoundingBox, FrameKind

FRAME_PREFIXES = ("frames/", "kvs/")
_KEY_SAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


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


def camera_from_key(key: str) -> str:
    """frames/{camera_id}/... and kvs/{camera_id}/... name their camera."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[1] else "unknown"


@dataclass(frozen=True)
class FrameMeta:
    camera_id: str
    captured_at: datetime
    kind: FrameKind = "face"
    track_id: str = ""
    local_match: str = ""


def frame_meta(key: str, metadata: Mapping[str, str], fallback_time: datetime) -> FrameMeta:
    """The edge agent's x-amz-meta-* fields, with the key path and event time as fallbacks."""
    kind = metadata.get("kind", "face")
    return FrameMeta(
        camera_id=key_safe(metadata.get("camera-id") or camera_from_key(key)),
        captured_at=parse_time(metadata.get("captured-at")) or fallback_time,
        kind="motion" if kind == "motion" else "face",
        track_id=metadata.get("track-id", ""),
        local_match=metadata.get("local-match", ""),
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


def camera_from_stream_arn(arn: str) -> str:
    """arn:aws:kinesisvideo:region:acct:stream/{name}/{created} -> camera id (name minus
    an optional "doorman-" prefix)."""
    name = arn.split(":stream/", 1)[-1].split("/", 1)[0]
    return key_safe(name.removeprefix("doorman-"))


def parse_face_search(payload: Mapping[str, Any], arrival: datetime) -> StreamFaces:
    video = payload.get("InputInformation", {}).get("KinesisVideo", {})
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
        camera_id=camera_from_stream_arn(str(video.get("StreamArn", ""))),
        captured_at=datetime.fromtimestamp(captured.timestamp() + offset, UTC),
        fragment=str(video.get("FragmentNumber", "")),
        faces=faces,
        raw=payload,
    )
