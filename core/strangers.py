"""Strangers Doorman remembers: stable ids, their record, best crops and how they read.

A face that matches no watchlist is searched in a second collection, the strangers
collection. A match gives the sighting that stranger's id; otherwise a new id is made and
the face indexed under it (ExternalImageId = the stranger id). Each stranger has one record
in the State table (`stranger#{id}`, core.tablekeys): first and last seen, the number of
sightings, the cameras, and the best few face crops (by quality, at most `max_crops`),
whose faces are the ones the collection holds for the stranger.

Pure: no I/O. functions/analyze/strangers.py, functions/expire_strangers and ops/ use it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.records import parse_time

STRANGER_PREFIX = "stranger:"
# ExternalImageId allows `:`, and a slug (core.slugs) never holds one, so a stranger id can
# never be a person id: `stranger:` + 12 hex digits of a hash of the first crop.
STRANGER_ID = re.compile(r"stranger:[0-9a-f]{12}")
SHORT_ID_LENGTH = 4  # "stranger 7f3a" in mail, events and the report
# The default of `stranger_threshold` (similarity, 0-100), measured on the CompreFace samples
# (README "Design notes", "Strangers"): same-person pairs scored at least 94.1 and pairs of
# different people at most 91.9 (545 pairs), through analyze's own crops.
STRANGER_THRESHOLD = 93.0
STRANGER_RETENTION_DAYS = 30
MAX_CROPS = 3
RECENT_ORIGINS = 20  # frames (and faces in them) a stranger record remembers having counted
CROPS_PREFIX = "strangers/"  # in the audit bucket: strangers/{hex}/{crop hash}.jpg


class StrangerCrop(BaseModel):
    """One stored face crop of a stranger and the collection face indexed from it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str  # in the audit bucket
    face_id: str
    quality: float
    captured_at: str
    camera_id: str


class Stranger(BaseModel):
    """The State item `stranger#{id}` (plus `pk`, which the adapter adds)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    stranger_id: str
    first_seen: str
    first_camera: str
    last_seen: str
    last_camera: str
    sightings: int = 0
    cameras: list[str] = Field(default_factory=list)
    crops: list[StrangerCrop] = Field(default_factory=list)
    # Set by `doorman name` / `merge`: the person this stranger turned out to be.
    named_as: str = ""
    # The last frames counted (`{frame id}#{face index}`), so a retried frame is not
    # counted again; a new upload of the same picture is a new frame, and counts.
    recent_origins: list[str] = Field(default_factory=list)
    version: int = 0

    def counted(self, origin: str) -> bool:
        return bool(origin) and origin in self.recent_origins

    @property
    def face_ids(self) -> list[str]:
        return [crop.face_id for crop in self.crops if crop.face_id]

    @property
    def short_id(self) -> str:
        return short_id(self.stranger_id)


def is_stranger_id(value: str) -> bool:
    return bool(STRANGER_ID.fullmatch(value))


def new_stranger_id(seed: bytes) -> str:
    """A stable id from the first crop's bytes: a retried frame makes the same stranger."""
    return STRANGER_PREFIX + hashlib.sha256(seed).hexdigest()[:12]


def short_id(stranger_id: str) -> str:
    return stranger_id.removeprefix(STRANGER_PREFIX)[:SHORT_ID_LENGTH]


def crops_prefix(stranger: Stranger | str) -> str:
    """Where a stranger's crops live in the audit bucket."""
    stranger_id = stranger if isinstance(stranger, str) else stranger.stranger_id
    return f"{CROPS_PREFIX}{stranger_id.removeprefix(STRANGER_PREFIX)}/"


def crop_key(stranger_id: str, crop: bytes) -> str:
    return f"{crops_prefix(stranger_id)}{hashlib.sha256(crop).hexdigest()[:16]}.jpg"


def crop_quality(detail: Mapping[str, Any], width: int, height: int) -> float:
    """0-100: how good a face crop is for remembering and naming someone. Sharpness and
    brightness (DetectFaces `Quality`), detection confidence, a frontal pose and the face's
    size in pixels (full marks from 160 px) all count."""
    quality = detail.get("Quality") or {}
    pose = detail.get("Pose") or {}
    box = detail.get("BoundingBox") or {}
    side = min(float(box.get("Width", 0)) * width, float(box.get("Height", 0)) * height)
    sharpness = float(quality.get("Sharpness", 50.0)) / 100
    brightness = 1 - abs(float(quality.get("Brightness", 50.0)) - 55) / 100
    confidence = float(detail.get("Confidence", 0.0)) / 100
    frontal = max(0.0, 1 - (abs(float(pose.get("Yaw", 0))) + abs(float(pose.get("Pitch", 0)))) / 90)
    size = min(side / 160, 1.0)
    return round(100 * sharpness * brightness * confidence * frontal * size, 3)


@dataclass(frozen=True)
class CropPlan:
    """What one new crop does to the best crops: keep it (and evict `evicted`), or not."""

    keep: bool
    evicted: tuple[StrangerCrop, ...] = ()


def plan_crop(crops: list[StrangerCrop], quality: float, max_crops: int = MAX_CROPS) -> CropPlan:
    """Keep the crop while there is room, or when it beats the worst kept one."""
    if len(crops) < max_crops:
        return CropPlan(keep=True)
    worst = min(crops, key=lambda c: c.quality)
    if quality > worst.quality:
        return CropPlan(keep=True, evicted=(worst,))
    return CropPlan(keep=False)


def seen(
    stranger: Stranger | None,
    stranger_id: str,
    *,
    camera_id: str,
    captured_at: str,
    crop: StrangerCrop | None = None,
    evicted: tuple[StrangerCrop, ...] = (),
    origin: str = "",
) -> Stranger:
    """The record after one more sighting (a new record when `stranger` is None); `origin`
    names the frame and face it came from (see `Stranger.recent_origins`)."""
    if stranger is None:
        stranger = Stranger(
            stranger_id=stranger_id,
            first_seen=captured_at,
            first_camera=camera_id,
            last_seen=captured_at,
            last_camera=camera_id,
        )
    update: dict[str, Any] = {"sightings": stranger.sightings + 1}
    if origin:
        update["recent_origins"] = [*stranger.recent_origins, origin][-RECENT_ORIGINS:]
    if captured_at < stranger.first_seen:
        update |= {"first_seen": captured_at, "first_camera": camera_id}
    if captured_at >= stranger.last_seen:
        update |= {"last_seen": captured_at, "last_camera": camera_id}
    if camera_id not in stranger.cameras:
        update["cameras"] = [*stranger.cameras, camera_id]
    if crop is not None or evicted:
        gone = {c.key for c in evicted}
        kept = [c for c in stranger.crops if c.key not in gone]
        if crop is not None and all(c.key != crop.key for c in kept):
            kept.append(crop)
        update["crops"] = sorted(kept, key=lambda c: -c.quality)
    return stranger.model_copy(update=update)


def expired(stranger: Stranger, now: datetime, retention_days: int) -> bool:
    """Not seen for `retention_days` (a record whose time cannot be read counts as expired)."""
    last = parse_time(stranger.last_seen)
    return last is None or now - last >= timedelta(days=retention_days)


def since_phrase(first_seen: str, now: datetime) -> str:
    """ "since Monday" within the last week, else "since 3 Nov" (or "since 3 Nov 2025")."""
    moment = parse_time(first_seen)
    if moment is None:
        return ""
    if now - moment < timedelta(days=6) and moment.date() != now.date():
        return f"since {moment:%A}"
    if moment.date() == now.date():
        return "since today"
    if moment.year == now.year:
        return f"since {moment.day} {moment:%b}"
    return f"since {moment.day} {moment:%b %Y}"


def describe(
    stranger_id: str, sightings: int, first_seen: str, first_camera: str, now: datetime
) -> str:
    """ "stranger 7f3a, seen 3 times since Monday, first at the side gate" (camera ids read
    with spaces for `-` and `_`)."""
    times = "once" if sightings == 1 else f"{sightings} times"
    since = since_phrase(first_seen, now)
    parts = [f"stranger {short_id(stranger_id)}", f"seen {times}" + (f" {since}" if since else "")]
    if first_camera:
        parts.append(f"first at the {first_camera.replace('-', ' ').replace('_', ' ')}")
    return ", ".join(parts)
