"""Enrollment rules: who a photo shows, and what its outcome tag says."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from core.schemas import BoundingBox, Watchlist

Outcome = Literal[
    "indexed",
    "no-face",
    "many-faces",
    "low-quality",
    "bad-image",
    "too-large",
    "bad-watchlist",
    "no-name",
]
OUTCOME_TAG = "enrollment"
NAME_TAG = "name"
WATCHLIST_TAG = "watchlist"
# The person_id enroll chose for an indexed photo, for readers without the People table
# (the edge's gallery sync). Written by enroll beside OUTCOME_TAG.
PERSON_ID_TAG = "person-id"
DEFAULT_WATCHLIST: Watchlist = "known"
MAX_NAME = 200
# A second face at least this fraction of the largest one makes the photo ambiguous.
CROWD_RATIO = 0.5
# IndexFaces UnindexedFaces reasons that mean "this face is there but not good enough".
QUALITY_REASONS = frozenset(
    {
        "LOW_BRIGHTNESS",
        "LOW_SHARPNESS",
        "LOW_CONFIDENCE",
        "SMALL_BOUNDING_BOX",
        "LOW_FACE_QUALITY",
        "EXTREME_POSE",
    }
)


_WATCHLIST_NAMES: dict[str, Watchlist] = {name: name for name in get_args(Watchlist)}


@dataclass(frozen=True)
class Claim:
    """The person a photo claims to show."""

    name: str
    watchlist: Watchlist


def person_folder(watchlist: str, name: str) -> str:
    """`{watchlist}/{Display Name}/`: where a person's photos go when nobody tags them."""
    return f"{watchlist}/{name.replace('/', '-').strip()}/"


def photo_path(watchlist: str, name: str, filename: str) -> str:
    return person_folder(watchlist, name) + filename


def path_parts(key: str) -> tuple[str, str]:
    """(watchlist, display name) read from a key laid out as `person_folder` does, else
    ("", "")."""
    parts = key.split("/")
    return (parts[0], parts[1]) if len(parts) >= 3 else ("", "")


def file_name_tag(tags: Mapping[str, str], key: str) -> str | None:
    """The console convention of the AWS sample Doorman replaces: `me.jpg` tagged with key
    `me.jpg` and value `Jane Doe`. The value of the tag whose key is the object's file name,
    or None."""
    return tags.get(key.rsplit("/", 1)[-1])


def claim_from(tags: Mapping[str, str], key: str) -> Claim | Outcome:
    """Tags `name`/`watchlist` win; then a tag named after the file (`me.jpg` = `Jane Doe`,
    watchlist `known` unless a `watchlist` tag says otherwise); otherwise the key
    `{watchlist}/{Display Name}/{file}`."""
    path_watchlist, path_name = path_parts(key)
    tagged = tags.get(NAME_TAG)
    if tagged is None and (by_file := file_name_tag(tags, key)) is not None:
        tagged = by_file
    name = " ".join((tagged if tagged is not None else path_name).split())[:MAX_NAME]
    watchlist = (tags.get(WATCHLIST_TAG) or "").strip().lower()
    if not watchlist:
        watchlist = path_watchlist.lower() if tagged is None else ""
    chosen = _WATCHLIST_NAMES.get(watchlist or DEFAULT_WATCHLIST)
    if chosen is None:
        return "bad-watchlist"
    if not name:
        return "no-name"
    return Claim(name=name, watchlist=chosen)


def crowd_outcome(boxes: Iterable[BoundingBox]) -> Outcome | None:
    """ "no-face", "many-faces" (a second face at least half the largest), or None (one face)."""
    heights = sorted((box.height for box in boxes), reverse=True)
    if not heights:
        return "no-face"
    if len(heights) > 1 and heights[1] >= CROWD_RATIO * heights[0]:
        return "many-faces"
    return None


def unindexed_outcome(reasons: Iterable[str]) -> Outcome:
    return "low-quality" if QUALITY_REASONS.intersection(reasons) else "no-face"


def fingerprint(etag: str, version_id: str, tags: Mapping[str, str], key: str = "") -> str:
    """Identifies the inputs of an enrollment: the photo's bytes and its person tags (with
    the file-name tag of the console convention, when there is one)."""
    parts = [etag, version_id, tags.get(NAME_TAG, "\0"), tags.get(WATCHLIST_TAG, "\0")]
    by_file = file_name_tag(tags, key) if key else None
    if by_file is not None:  # absent: the same fingerprint as before the convention
        parts.append(by_file)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
