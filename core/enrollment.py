"""Enrollment rules: who a photo shows, and what its outcome tag says."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from core.schemas import WATCHLISTS, BoundingBox, Watchlist

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


@dataclass(frozen=True)
class Claim:
    """The person a photo claims to show."""

    name: str
    watchlist: Watchlist


def claim_from(tags: Mapping[str, str], key: str) -> Claim | Outcome:
    """Tags `name`/`watchlist` win; otherwise the key `{watchlist}/{Display Name}/{file}`."""
    parts = key.split("/")
    path_watchlist, path_name = (parts[0], parts[1]) if len(parts) >= 3 else ("", "")
    name = " ".join((tags.get(NAME_TAG) or path_name).split())[:MAX_NAME]
    watchlist = (tags.get(WATCHLIST_TAG) or "").strip().lower()
    if not watchlist:
        watchlist = path_watchlist.lower() if tags.get(NAME_TAG) is None else ""
    watchlist = watchlist or DEFAULT_WATCHLIST
    if watchlist not in WATCHLISTS:
        return "bad-watchlist"
    if not name:
        return "no-name"
    return Claim(name=name, watchlist=watchlist)  # type: ignore[arg-type]


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


def fingerprint(etag: str, version_id: str, tags: Mapping[str, str]) -> str:
    """Identifies the inputs of an enrollment: the photo's bytes and its person tags."""
    parts = [etag, version_id, tags.get(NAME_TAG, "\0"), tags.get(WATCHLIST_TAG, "\0")]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
