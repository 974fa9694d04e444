"""Every DynamoDB key format Doorman writes, built and read in this one place.

State table (PK `pk`), beside Powertools' idempotency records (`{function}#{hash}`):
- `photo#{bucket}/{key}`: enroll's record of one faces-bucket photo;
- `cooldown#{camera_id}#{identity}`: the alert slot of one identity on one camera;
- `cooldown#*#{identity}`: the alert slot of one identity across all cameras (the rate
  limit; `*` is never a camera id, and forget finds it as any cooldown slot);
- `kvs-cursor#{camera_id}`: how far the images poller has read that camera's video
  (functions/kvs_images; no personal data);
- `stranger-creation`: the lease on making a new stranger (adapters.strangers
  .StrangerCreationLease): who holds it and until when (`expires_at`, also its TTL);
- `stranger#{stranger_id}`: one remembered stranger (core.strangers.Stranger): first and
  last seen, sightings, cameras and best crops. No TTL: functions/expire_strangers deletes
  it with the stranger's faces and crops, `stranger_retention_days` after the last sighting.

Events sort key `{captured_at}#{image_hash}`; Sightings sort key
`{captured_at}#{camera_id}#{image_hash}#{n}`. Both start with the ISO capture time, so a
time floor is a plain string comparison.

Whoever builds a key and whoever looks for it (`doorman forget`) use these functions, so a
format change cannot leave personal data behind.
"""

from __future__ import annotations

from dataclasses import dataclass

PHOTO_PREFIX = "photo#"
STRANGER_CREATION_KEY = "stranger-creation"
COOLDOWN_PREFIX = "cooldown#"
STATE_PREFIXES = (PHOTO_PREFIX, COOLDOWN_PREFIX)
SEPARATOR = "#"
# The camera of the cross-camera slot: camera ids are `A-Za-z0-9_.-`, so never `*`.
ALL_CAMERAS = "*"


@dataclass(frozen=True)
class PhotoKey:
    bucket: str
    key: str


@dataclass(frozen=True)
class CooldownKey:
    camera_id: str
    identity: str  # a person_id, "unknown" (strangers) or "alarm-label"


def photo_key(bucket: str, key: str) -> str:
    return f"{PHOTO_PREFIX}{bucket}/{key}"


def parse_photo_key(pk: str) -> PhotoKey | None:
    """The photo a State key is about, or None when it is not a photo record."""
    if not pk.startswith(PHOTO_PREFIX):
        return None
    bucket, slash, key = pk.removeprefix(PHOTO_PREFIX).partition("/")
    return PhotoKey(bucket, key) if slash and bucket and key else None


KVS_CURSOR_PREFIX = "kvs-cursor#"


def kvs_cursor_key(camera_id: str) -> str:
    return f"{KVS_CURSOR_PREFIX}{camera_id}"


STRANGER_KEY_PREFIX = "stranger#"


def stranger_key(stranger_id: str) -> str:
    return f"{STRANGER_KEY_PREFIX}{stranger_id}"


def cooldown_key(camera_id: str, identity: str) -> str:
    return f"{COOLDOWN_PREFIX}{camera_id}{SEPARATOR}{identity}"


def identity_limit_key(identity: str) -> str:
    """The slot that rate-limits alerts about `identity` across every camera."""
    return cooldown_key(ALL_CAMERAS, identity)


def parse_cooldown_key(pk: str) -> CooldownKey | None:
    """The camera and identity of a cooldown slot, or None when `pk` is not one.

    Identities (slugs, "unknown", "alarm-label") never hold the separator, so the last one
    splits them off even from a camera id that does."""
    if not pk.startswith(COOLDOWN_PREFIX):
        return None
    camera_id, separator, identity = pk.removeprefix(COOLDOWN_PREFIX).rpartition(SEPARATOR)
    return CooldownKey(camera_id, identity) if separator and camera_id and identity else None


def event_sort_key(captured_at: str, image_hash: str) -> str:
    return f"{captured_at}{SEPARATOR}{image_hash}"


def sighting_sort_key(captured_at: str, camera_id: str, image_hash: str, index: int) -> str:
    return SEPARATOR.join((captured_at, camera_id, image_hash, str(index)))


def sort_key_time(sort_key: str) -> str:
    """The ISO capture time an Events or Sightings sort key starts with."""
    return sort_key.split(SEPARATOR, 1)[0]
