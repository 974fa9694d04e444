"""`doorman merge A B`: A and B are one and the same; A is joined into B.

- Two strangers: B's record takes A's sightings, cameras and times, and the best crops of
  both (A's crops that make the cut are indexed under B's id, at one IndexFaces each). A's
  faces leave the strangers collection and its record stays as a pointer to B (`named_as`),
  so A's past events show B.
- A stranger and a person (either order): the stranger is named as the person, through the
  real enroll path, as `doorman name` does.
- Two people: A's photos are tagged with B's name and watchlist, so enroll moves them to B.
  A barred person is never merged into a known one: the alerts about them would stop.
Ids that do not exist, and A = B, are clear errors that change nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from adapters.discovery import Target
from adapters.faces import ImageNotAccepted, image_bytes
from adapters.storage import Storage
from adapters.strangers import StrangerRegistry
from core.enrollment import NAME_TAG, OUTCOME_TAG, PERSON_ID_TAG, WATCHLIST_TAG
from core.schemas import Person
from core.strangers import MAX_CROPS, Stranger, StrangerCrop, crop_key
from ops.naming import Naming, name_stranger
from ops.people import EnrollResult, OperatorError, Upload, find_people
from ops.strangers import find_stranger, looks_like_stranger, registry

_WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class Merged:
    what: str  # a sentence for the operator
    results: tuple[EnrollResult, ...] = ()


Subject = Stranger | Person


def resolve(target: Target, text: str) -> Subject:
    """A stranger (as `doorman strangers` shows it) or an enrolled person (name or id)."""
    if target.resources.strangers_collection_id and looks_like_stranger(text):
        try:
            return find_stranger(registry(target), text)
        except OperatorError:
            if text.strip().lower().startswith("stranger"):
                raise
    people = find_people(target, text)
    if len(people) > 1:
        ids = ", ".join(p.person_id for p in people)
        raise OperatorError(f"{text!r} matches several people ({ids}); use a person_id")
    if not people:
        raise OperatorError(f"no stranger or person called {text!r}")
    return people[0]


def _label(subject: Subject) -> str:
    if isinstance(subject, Stranger):
        return f"stranger {subject.short_id}"
    return f"{subject.name} ({subject.watchlist})"


def merge(
    target: Target,
    first: str,
    second: str,
    *,
    timeout: float = 90.0,
    on_result: Callable[[EnrollResult], None] | None = None,
) -> Merged:
    a, b = resolve(target, first), resolve(target, second)
    if isinstance(a, Stranger) and a.named_as:
        raise OperatorError(f"{_label(a)} was already named or merged ({a.named_as})")
    if isinstance(b, Stranger) and b.named_as:
        raise OperatorError(f"{_label(b)} was already named or merged ({b.named_as})")
    same = (
        a.stranger_id == b.stranger_id
        if isinstance(a, Stranger) and isinstance(b, Stranger)
        else isinstance(a, Person) and isinstance(b, Person) and a.person_id == b.person_id
    )
    if same:
        raise OperatorError(f"{first!r} and {second!r} are the same; nothing to merge")
    if isinstance(a, Stranger) and isinstance(b, Stranger):
        merged = merge_strangers(registry(target), target, a, b)
        return Merged(f"{_label(a)} is now {_label(b)}, seen {merged.sightings} times")
    if isinstance(a, Stranger) or isinstance(b, Stranger):
        stranger, person = (a, b) if isinstance(a, Stranger) else (b, a)
        assert isinstance(stranger, Stranger) and isinstance(person, Person)
        done: Naming = name_stranger(
            target,
            stranger.stranger_id,
            person.name,
            person.watchlist,
            timeout=timeout,
            on_result=on_result,
        )
        return Merged(f"{_label(stranger)} is now {_label(person)}", tuple(done.results))
    assert isinstance(a, Person) and isinstance(b, Person)
    return merge_people(target, a, b, timeout=timeout, on_result=on_result)


def merge_strangers(
    strangers: StrangerRegistry, target: Target, a: Stranger, b: Stranger
) -> Stranger:
    """A into B: B keeps the best crops of both; A becomes a pointer to B."""
    storage, bucket = target.storage(), target.resources.audit_bucket
    moved = [m for c in a.crops if (m := _move_crop(strangers, storage, bucket, c, b.stranger_id))]
    for _ in range(_WRITE_ATTEMPTS):
        current = strangers.get(b.stranger_id) or b
        union = sorted([*current.crops, *moved], key=lambda c: -c.quality)
        kept, evicted = union[:MAX_CROPS], union[MAX_CROPS:]
        first = current if current.first_seen <= a.first_seen else a
        latest = current if current.last_seen >= a.last_seen else a
        updated = current.model_copy(
            update={
                "sightings": current.sightings + a.sightings,
                "first_seen": first.first_seen,
                "first_camera": first.first_camera,
                "last_seen": latest.last_seen,
                "last_camera": latest.last_camera,
                "cameras": list(dict.fromkeys([*current.cameras, *a.cameras])),
                "crops": kept,
                "version": current.version + 1,
            }
        )
        if strangers.records.save(updated, expected_version=current.version):
            _drop(strangers, storage, bucket, evicted)
            _retire(strangers, storage, bucket, a, b.stranger_id)
            _move_sightings(strangers, a.stranger_id, b.stranger_id)
            return updated
    _drop(strangers, storage, bucket, moved)
    raise OperatorError(f"{b.stranger_id} kept changing; try again")


def _move_crop(
    strangers: StrangerRegistry, storage: Storage, bucket: str, crop: StrangerCrop, owner: str
) -> StrangerCrop | None:
    """The crop indexed under `owner` and stored under its prefix (None when refused)."""
    data = storage.read(bucket, crop.key)
    try:
        response = strangers.faces.index_face(image_bytes(data), external_image_id=owner)
    except ImageNotAccepted:
        return None
    records = response.get("FaceRecords") or []
    if not records:
        return None
    key = crop_key(owner, data)
    storage.put(bucket, key, data, content_type="image/jpeg")
    return crop.model_copy(update={"key": key, "face_id": str(records[0]["Face"]["FaceId"])})


def _drop(
    strangers: StrangerRegistry, storage: Storage, bucket: str, crops: list[StrangerCrop]
) -> None:
    face_ids = [c.face_id for c in crops if c.face_id]
    if face_ids:
        strangers.faces.delete_faces(face_ids)
    for crop in crops:
        storage.delete(bucket, crop.key)


def _retire(
    strangers: StrangerRegistry, storage: Storage, bucket: str, a: Stranger, into: str
) -> None:
    """A's faces and crops go; its record points at B."""
    for _ in range(_WRITE_ATTEMPTS):
        current = strangers.get(a.stranger_id) or a
        pointer = current.model_copy(
            update={"named_as": into, "crops": [], "version": current.version + 1}
        )
        if strangers.records.save(pointer, expected_version=current.version):
            faces = set(current.face_ids) | set(strangers.faces.faces_of(a.stranger_id))
            if faces:
                strangers.faces.delete_faces(sorted(faces))
            for crop in current.crops:
                storage.delete(bucket, crop.key)
            return
    raise OperatorError(f"{a.stranger_id} kept changing; try again")


def _move_sightings(strangers: StrangerRegistry, old: str, new: str) -> None:
    items = [{**item, "stranger_id": new} for item in strangers.sightings.of_stranger(old)]
    if items:
        strangers.sightings.put_many(items)


def merge_people(
    target: Target,
    a: Person,
    b: Person,
    *,
    timeout: float,
    on_result: Callable[[EnrollResult], None] | None = None,
) -> Merged:
    """A's photos are tagged as B's (enroll re-indexes them under B and retires A)."""
    if a.watchlist == "barred" and b.watchlist == "known":
        raise OperatorError(
            f"{a.name} is barred and {b.name} is known: merging would stop the alerts about "
            f"{a.name}; merge {b.name} into {a.name} instead, or forget one of them"
        )
    storage, bucket = target.storage(), target.resources.faces_bucket
    uploads = []
    for key in sorted(a.photos):
        if storage.tags_if_present(bucket, key) is None:
            continue  # deleted meanwhile: enroll forgets it on its own
        storage.update_tags(bucket, key, {NAME_TAG: b.name, WATCHLIST_TAG: b.watchlist})
        uploads.append(Upload(Path(key), key, ""))
    results = _wait_for_reindex(target, uploads, b.person_id, timeout, on_result)
    return Merged(f"{_label(a)} is now {_label(b)}", tuple(results))


def _wait_for_reindex(
    target: Target,
    uploads: list[Upload],
    person_id: str,
    timeout: float,
    on_result: Callable[[EnrollResult], None] | None,
) -> list[EnrollResult]:
    """The retagged photos keep their old `enrollment` tag until enroll has run again, so
    wait for the `person-id` tag to name B (or for an outcome other than indexed)."""
    storage, bucket = target.storage(), target.resources.faces_bucket
    deadline, results = time.monotonic() + timeout, []
    waiting = list(uploads)
    while waiting and time.monotonic() < deadline:
        for upload in list(waiting):
            tags = storage.tags_if_present(bucket, upload.key) or {}
            outcome = tags.get(OUTCOME_TAG)
            if tags.get(PERSON_ID_TAG) == person_id or outcome not in (None, "indexed"):
                waiting.remove(upload)
                results.append(EnrollResult(upload.path, upload.key, outcome or ""))
                if on_result:
                    on_result(results[-1])
        if waiting:
            time.sleep(0.5)
    for upload in waiting:
        results.append(EnrollResult(upload.path, upload.key, "timeout"))
        if on_result:
            on_result(results[-1])
    return results
