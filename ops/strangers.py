"""Remembered strangers, for the operator: find one by id, list them, erase one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

from adapters.discovery import Target
from adapters.faces import FaceIndex
from adapters.strangers import StrangerRegistry
from core.strangers import STRANGER_PREFIX, Stranger, is_stranger_id
from ops.people import OperatorError, person_id_for

_HEX = frozenset("0123456789abcdef")


def registry(target: Target) -> StrangerRegistry:
    """The deployment's strangers (an error on a stack from before they existed)."""
    res = target.resources
    if not res.strangers_collection_id:
        raise OperatorError(
            "this deployment has no strangers collection (deploy the current stack first)"
        )
    resource = target.tables().people._resource  # the target's session, batch writes included
    return StrangerRegistry.of(
        target.client("dynamodb"),
        state_table=res.state_table,
        sightings_table=res.sightings_table,
        faces=FaceIndex(target.client("rekognition"), res.strangers_collection_id),
        storage=target.storage(),
        bucket=res.audit_bucket,
        resource=resource,
    )


def looks_like_stranger(text: str) -> bool:
    """`stranger:7f3a…`, `stranger 7f3a`, or a bare hex prefix of at least 4 digits."""
    wanted = _normal(text)
    return wanted is not None


def _normal(text: str) -> str | None:
    """The hex part a user typed for a stranger, or None when it cannot be one."""
    value = text.strip().lower()
    for prefix in (STRANGER_PREFIX, "stranger ", "stranger-"):
        if value.startswith(prefix):
            value = value.removeprefix(prefix).strip()
            break
    if len(value) >= 4 and set(value) <= _HEX and len(value) <= 12:
        return value
    return None


def find_stranger(strangers: StrangerRegistry, text: str) -> Stranger:
    """The one stranger whose id `text` names (a full id, or an unambiguous hex prefix as
    shown by `doorman events`); a clear error otherwise."""
    if is_stranger_id(text.strip()):
        found = strangers.get(text.strip())
        if found is None:
            raise OperatorError(f"no stranger {text.strip()} (it may have expired)")
        return found
    wanted = _normal(text)
    if wanted is None:
        raise OperatorError(f"{text!r} is not a stranger id (as shown by `doorman strangers`)")
    matches = [
        s for s in strangers.all() if s.stranger_id.removeprefix(STRANGER_PREFIX).startswith(wanted)
    ]
    if not matches:
        raise OperatorError(f"no stranger {text!r} (see `doorman strangers`)")
    if len(matches) > 1:
        ids = ", ".join(s.stranger_id for s in matches)
        raise OperatorError(f"{text!r} matches several strangers ({ids}); give more digits")
    return matches[0]


@dataclass(frozen=True)
class StrangerRow:
    stranger_id: str
    short_id: str
    sightings: int
    first_seen: str
    first_camera: str
    last_seen: str
    last_camera: str
    cameras: list[str]
    crops: int
    named_as: str


def stranger_rows(target: Target) -> list[StrangerRow]:
    return [
        StrangerRow(
            stranger_id=s.stranger_id,
            short_id=s.short_id,
            sightings=s.sightings,
            first_seen=s.first_seen,
            first_camera=s.first_camera,
            last_seen=s.last_seen,
            last_camera=s.last_camera,
            cameras=list(s.cameras),
            crops=len(s.crops),
            named_as=s.named_as,
        )
        for s in registry(target).all()
    ]


# -- the report's strangers section ----------------------------------------------------------
@dataclass(frozen=True)
class StrangerCard:
    """One remembered stranger in `doorman report`: the best crop, counts and places."""

    stranger_id: str
    short_id: str
    sightings: int
    first_seen: str  # "YYYY-MM-DD HH:MM" UTC
    first_camera: str
    last_seen: str
    cameras: str
    named_as: str
    thumb: str | None  # relative to the report, or None when no crop could be read


def _shown(moment: str) -> str:
    return moment[:16].replace("T", " ")


def write_stranger_cards(
    target: Target,
    directory: Path,
    since: str = "",
    camera: str | None = None,
    only: set[str] | None = None,
) -> list[StrangerCard]:
    """A card per stranger seen since `since` (an ISO floor; at `camera` when given; among
    the ids in `only` when given), most often seen first, with its best crop written to
    thumbs/stranger-{hex}.jpg."""
    if not target.resources.strangers_collection_id:
        return []
    storage, bucket = target.storage(), target.resources.audit_bucket
    thumbs = directory / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    cards = []
    for s in registry(target).all():
        if s.last_seen < since or (camera and camera not in s.cameras):
            continue
        if only is not None and s.stranger_id not in only:
            continue
        thumb = None
        if s.crops:
            name = f"thumbs/stranger-{s.stranger_id.removeprefix(STRANGER_PREFIX)}.jpg"
            try:
                (directory / name).write_bytes(storage.read(bucket, s.crops[0].key))
                thumb = name
            except ClientError:
                thumb = None  # the crop is gone (erased meanwhile): the card says so
        cards.append(
            StrangerCard(
                stranger_id=s.stranger_id,
                short_id=s.short_id,
                sightings=s.sightings,
                first_seen=_shown(s.first_seen),
                first_camera=s.first_camera,
                last_seen=_shown(s.last_seen),
                cameras=", ".join(s.cameras),
                named_as=s.named_as,
                thumb=thumb,
            )
        )
    return sorted(cards, key=lambda c: (-c.sightings, c.first_seen))


def person_or_stranger(target: Target, text: str) -> str:
    """The id to filter events by: a remembered stranger (`stranger 7f3a`, its full id or
    an unambiguous hex prefix) or else a person, "stranger" for every stranger
    (ops.people.person_id_for)."""
    if target.resources.strangers_collection_id and looks_like_stranger(text):
        try:
            return find_stranger(registry(target), text).stranger_id
        except OperatorError:
            if text.strip().lower().startswith("stranger"):
                raise
    return person_id_for(target, text)
