"""`doorman correct EVENT --face N --not NAME | --is NAME`: fix who a past face was.

The face is cut from the event's frame as analyze cut it (core.imaging.crop_region). With
`--not`, that crop is indexed in the watchlists' collection as a negative face of the person
(core.corrections): from then on a face closer to it than to the person's own faces is not
named that person. With `--is`, the crop goes through the real enroll path as a photo of the
right person (a tagged upload), like `doorman name` does with a stranger's crops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

from adapters.discovery import Target
from adapters.faces import FaceIndex, ImageNotAccepted, image_bytes
from core.corrections import negative_id
from core.enrollment import NAME_TAG, photo_path
from core.imaging import ImageRejected, crop_jpeg, crop_region, load_image
from core.schemas import BoundingBox
from ops.events import EventView, event_id, event_view
from ops.naming import check_watchlist, enrolled_person
from ops.people import (
    EnrollResult,
    OperatorError,
    Upload,
    enrollment_tags,
    find_people,
    wait_for_enrollment,
)

MIN_EVENT_ID = 6


def find_event(target: Target, which: str) -> EventView:
    """The one event whose id (the `event` column of `doorman events`) starts with `which`
    (at least 6 hex digits)."""
    wanted = which.strip().lower()
    if len(wanted) < MIN_EVENT_ID or any(c not in "0123456789abcdef" for c in wanted):
        raise OperatorError(
            f"{which!r} is not an event id (the `event` column of `doorman events`)"
        )
    found = [
        event_view(item)
        for item in target.tables().events.every()
        if event_id(str(item.get("camera_id", "")), str(item.get("event_time", ""))).startswith(
            wanted
        )
    ]
    if not found:
        raise OperatorError(f"no event {which!r} (see `doorman events`; events expire)")
    if len(found) > 1:
        raise OperatorError(f"{which!r} matches {len(found)} events; give more digits")
    return found[0]


def face_crop(target: Target, event: EventView, number: int) -> bytes:
    """Face `number` (1-based, in the order `doorman events` lists them) cut from the frame."""
    if not 1 <= number <= len(event.faces):
        count = len(event.faces)
        raise OperatorError(
            f"event {event.event_id} has {count} face{'s' if count != 1 else ''}"
            + (f": use --face 1 to {count}" if count else "")
            + f", not {number}"
        )
    if not event.image_key:
        raise OperatorError(f"event {event.event_id} has no frame (a stream record)")
    bucket = event.bucket or target.resources.uploads_bucket
    try:
        image = load_image(target.storage().read(bucket, event.image_key))
    except ClientError as exc:
        raise OperatorError(f"the frame of event {event.event_id} is gone ({exc})") from exc
    except ImageRejected as exc:
        raise OperatorError(f"the frame of event {event.event_id} is unreadable") from exc
    box = BoundingBox.model_validate(event.faces[number - 1].box)
    region = crop_region(box, image.width, image.height)
    if region is None:
        raise OperatorError(f"face {number} of event {event.event_id} is too small to correct")
    return crop_jpeg(image, region)


@dataclass(frozen=True)
class Correction:
    event: EventView
    person_id: str
    face_id: str = ""  # --not: the negative face
    results: tuple[EnrollResult, ...] = ()  # --is: the enrollment outcome


def not_person(target: Target, which: str, number: int, name: str) -> Correction:
    """Index face `number` of the event as "not NAME"."""
    event = find_event(target, which)
    matches = find_people(target, name)
    if not matches:
        raise OperatorError(f"nobody called {name!r} (see `doorman people`)")
    if len(matches) > 1:
        ids = ", ".join(p.person_id for p in matches)
        raise OperatorError(f"{name!r} matches several people ({ids}); use a person_id")
    crop = face_crop(target, event, number)
    person = matches[0]
    faces = FaceIndex(target.client("rekognition"), target.resources.collection_id)
    try:
        indexed = faces.index_face(
            image_bytes(crop), external_image_id=negative_id(person.person_id)
        )
    except ImageNotAccepted as exc:
        raise OperatorError(f"Rekognition refused the face crop: {exc.code}") from exc
    records = indexed.get("FaceRecords") or []
    if not records:
        raise OperatorError(f"face {number} of event {event.event_id} could not be indexed")
    return Correction(event, person.person_id, face_id=str(records[0]["Face"]["FaceId"]))


def is_person(
    target: Target,
    which: str,
    number: int,
    name: str,
    watchlist: str,
    *,
    timeout: float = 90.0,
    on_result: Callable[[EnrollResult], None] | None = None,
) -> Correction:
    """Enroll face `number` of the event as a photo of NAME (a tagged upload)."""
    event = find_event(target, which)
    tags = enrollment_tags(name, watchlist)
    check_watchlist(target, tags[NAME_TAG], watchlist)
    crop = face_crop(target, event, number)
    key = photo_path(watchlist, tags[NAME_TAG], f"event-{event.event_id}-face-{number}.jpg")
    version = target.storage().put(
        target.resources.faces_bucket, key, crop, content_type="image/jpeg", tags=tags
    )
    upload = Upload(Path(key), key, version)
    results = wait_for_enrollment(target, [upload], timeout=timeout, on_result=on_result)
    person_id = enrolled_person(target, results)
    if not person_id:
        raise OperatorError(f"the face was not enrolled ({results[0].outcome})")
    return Correction(event, person_id, results=tuple(results))
