"""`doorman name`: a remembered stranger becomes an enrolled person, from its own crops.

The stranger's best crops (audit bucket, `strangers/`) are uploaded to the faces bucket as
`{watchlist}/{Name}/{stranger hex}-{n}.jpg` with the `name` and `watchlist` tags: the real
enroll path indexes them, and each photo's `enrollment` tag tells what happened, as for any
photo. The stranger's record then says who it turned out to be (`named_as`), so past events
show the name, and its faces leave the strangers collection: from now on the person's
enrolled crops match first, by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from adapters.discovery import Target
from adapters.strangers import StrangerRegistry
from core.enrollment import NAME_TAG, PERSON_ID_TAG, photo_path
from core.slugs import same_person_name
from core.strangers import STRANGER_PREFIX, Stranger
from ops.people import (
    EnrollResult,
    OperatorError,
    Upload,
    enrollment_tags,
    find_people,
    wait_for_enrollment,
)
from ops.strangers import find_stranger, registry

_WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class Naming:
    stranger: Stranger
    person_id: str
    results: list[EnrollResult]


def check_watchlist(target: Target, name: str, watchlist: str) -> None:
    """Naming a stranger after someone enrolled must not move that person to another
    watchlist (a barred person would stop alerting): a clear error instead."""
    for person in find_people(target, name):
        if same_person_name(person.name, name) and person.watchlist != watchlist:
            raise OperatorError(
                f"{person.name} is on the {person.watchlist} watchlist; use --watchlist "
                f"{person.watchlist} (or `doorman merge`) to add these faces to them"
            )


def name_stranger(
    target: Target,
    which: str,
    name: str,
    watchlist: str,
    *,
    timeout: float = 90.0,
    on_result: Callable[[EnrollResult], None] | None = None,
) -> Naming:
    """Enroll the stranger's crops as `name`; a clear error, with nothing changed, for a
    stranger that does not exist, was named already or has no crop left."""
    strangers = registry(target)
    stranger = find_stranger(strangers, which)
    if stranger.named_as:
        raise OperatorError(f"{stranger.stranger_id} was named already ({stranger.named_as})")
    tags = enrollment_tags(name, watchlist)
    check_watchlist(target, tags[NAME_TAG], watchlist)
    if not stranger.crops:
        raise OperatorError(f"{stranger.stranger_id} has no stored face crop to enroll")
    results = enroll_crops(target, strangers, stranger, tags, timeout=timeout, on_result=on_result)
    person_id = enrolled_person(target, results)
    if not person_id:
        outcomes = ", ".join(sorted({r.outcome for r in results}))
        raise OperatorError(f"no crop of {stranger.stranger_id} was enrolled ({outcomes})")
    return Naming(mark_named(strangers, stranger, person_id), person_id, results)


def enroll_crops(
    target: Target,
    strangers: StrangerRegistry,
    stranger: Stranger,
    tags: dict[str, str],
    *,
    timeout: float,
    on_result: Callable[[EnrollResult], None] | None = None,
) -> list[EnrollResult]:
    """Tagged uploads of the stranger's crops to the faces bucket; waits for enroll."""
    storage, res = target.storage(), target.resources
    hex_id = stranger.stranger_id.removeprefix(STRANGER_PREFIX)
    uploads = []
    for n, crop in enumerate(stranger.crops, start=1):
        data = storage.read(res.audit_bucket, crop.key)
        key = photo_path(tags["watchlist"], tags[NAME_TAG], f"{hex_id}-{n}.jpg")
        version = storage.put(res.faces_bucket, key, data, content_type="image/jpeg", tags=tags)
        uploads.append(Upload(Path(crop.key), key, version))
    return wait_for_enrollment(target, uploads, timeout=timeout, on_result=on_result)


def enrolled_person(target: Target, results: list[EnrollResult]) -> str:
    """The person_id enroll gave the first indexed photo ("" when none was indexed)."""
    storage, bucket = target.storage(), target.resources.faces_bucket
    for result in results:
        if result.ok:
            tags = storage.tags_if_present(bucket, result.key) or {}
            if tags.get(PERSON_ID_TAG):
                return tags[PERSON_ID_TAG]
    return ""


def mark_named(strangers: StrangerRegistry, stranger: Stranger, person_id: str) -> Stranger:
    """Record who the stranger is, and take its faces out of the strangers collection (the
    person's enrolled crops stand for it now). The crops stay until the stranger expires."""
    for _ in range(_WRITE_ATTEMPTS):
        current = strangers.get(stranger.stranger_id) or stranger
        updated = current.model_copy(
            update={
                "named_as": person_id,
                "crops": [c.model_copy(update={"face_id": ""}) for c in current.crops],
                "version": current.version + 1,
            }
        )
        if strangers.records.save(updated, expected_version=current.version):
            faces = set(current.face_ids) | set(strangers.faces.faces_of(current.stranger_id))
            if faces:
                strangers.faces.delete_faces(sorted(faces))
            return updated
    raise OperatorError(f"{stranger.stranger_id} kept changing; try again")
