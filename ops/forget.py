"""`doorman forget`: erase a person everywhere Doorman keeps them.

That is: their faces in the collection, every version of their enrollment photos, their
People item, their State records (enroll's photo records and the cooldown slots of every
camera), their Sightings, and each frame they were seen in (the uploaded image, its Events
item, and its audit files).

Deleting photos makes the enroll function handle `ObjectRemoved` events, and it may still
be working on earlier ones. So the erase runs in passes: erase, wait for the enroll queue
to go quiet, look for traces, and erase again while any remain.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from adapters.discovery import Target
from adapters.faces import FaceIndex
from adapters.messaging import queue_depth
from adapters.strangers import StrangerRegistry
from core.corrections import negative_id
from core.enrollment import NAME_TAG, path_parts, person_folder
from core.schemas import WATCHLISTS, Person
from core.slugs import normalize_name, person_id, same_person_name, slugify
from core.strangers import Stranger, crops_prefix
from core.tablekeys import photo_key
from ops.people import OperatorError
from ops.strangers import find_stranger, looks_like_stranger, registry


@dataclass
class Subject:
    """Who to erase: person ids and display names (from People or from photo tags)."""

    person_ids: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    photo_keys: set[str] = field(default_factory=set)
    face_ids: set[str] = field(default_factory=set)
    strangers: list[Stranger] = field(default_factory=list)  # remembered strangers

    def __bool__(self) -> bool:
        return bool(self.person_ids or self.photo_keys or self.face_ids or self.strangers)


@dataclass
class Traces:
    """What is left of a subject; empty means forgotten."""

    people: list[str] = field(default_factory=list)
    faces: list[str] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)
    sightings: int = 0
    frames: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)  # cooldowns and photo records
    strangers: list[str] = field(default_factory=list)  # records, faces or crops left

    def __bool__(self) -> bool:
        return bool(
            self.people
            or self.faces
            or self.photos
            or self.sightings
            or self.frames
            or self.state
            or self.strangers
        )

    def describe(self) -> str:
        parts = [
            f"People items {self.people}" if self.people else "",
            f"{len(self.faces)} collection faces" if self.faces else "",
            f"photos {self.photos}" if self.photos else "",
            f"{self.sightings} sightings" if self.sightings else "",
            f"frames {self.frames}" if self.frames else "",
            f"State records {self.state}" if self.state else "",
            f"strangers {self.strangers}" if self.strangers else "",
        ]
        return "; ".join(p for p in parts if p)


class Forgetter:
    def __init__(self, target: Target, log: Callable[[str], None] = lambda _: None) -> None:
        self.target = target
        self.res = target.resources
        self.storage = target.storage()
        self.tables = target.tables()
        self.faces = FaceIndex(target.client("rekognition"), self.res.collection_id)
        self._strangers: StrangerRegistry | None = None
        self.log = log
        self.erased: Counter[str] = Counter()

    # -- who -------------------------------------------------------------------------------
    def find(self, name_or_id: str) -> Subject:
        subject = Subject()
        wanted = name_or_id.strip()
        if self.res.strangers_collection_id and looks_like_stranger(wanted):
            try:
                subject.strangers.append(find_stranger(self.strangers, wanted))
                return subject
            except OperatorError:
                if wanted.lower().startswith("stranger"):
                    raise  # a bare hex word may still be somebody's name
        for person in self.tables.people.all():
            if same_person_name(person.name, wanted) or person.person_id == wanted:
                self._add_person(subject, person)
        for key, tag_name in self._faces_bucket_names():
            path_name = path_parts(key)[1]
            if any(same_person_name(n, wanted) for n in (tag_name, path_name) if n):
                subject.photo_keys.add(key)
                subject.names.add(tag_name or path_name)
        if not subject.person_ids and subject.photo_keys:
            subject.person_ids.add(person_id(wanted, self._owner_of))
        if not subject.person_ids:
            ids = {slugify(wanted), wanted}
            faces = {f: pid for f, pid in self.faces.faces().items() if pid in ids}
            subject.face_ids.update(faces)
            subject.person_ids.update(faces.values())
        if wanted not in subject.person_ids:  # a name, not an id
            subject.names.add(wanted)
        return subject

    @property
    def strangers(self) -> StrangerRegistry:
        if self._strangers is None:
            self._strangers = registry(self.target)
        return self._strangers

    def _owner_of(self, slug: str) -> str | None:
        person = self.tables.people.get(slug)
        return person.name if person else None

    def _add_person(self, subject: Subject, person: Person) -> None:
        subject.person_ids.add(person.person_id)
        subject.names.add(person.name)
        subject.face_ids.update(person.face_ids)
        subject.photo_keys.update(person.photos)

    def _faces_bucket_names(self) -> Iterable[tuple[str, str]]:
        """(key, name tag) for every current object in the faces bucket."""
        bucket = self.res.faces_bucket
        for obj in self.storage.objects(bucket):
            tags = self.storage.tags_if_present(bucket, obj.key) or {}
            yield obj.key, tags.get(NAME_TAG, "")

    # -- erase -----------------------------------------------------------------------------
    def forget(self, subject: Subject, settle_timeout: float = 60.0, passes: int = 3) -> Traces:
        """Erase in passes until nothing is left; returns what could not be erased."""
        for n in range(passes):
            self._erase_pass(subject)
            self._wait_for_enroll_queue(settle_timeout)
            remaining = self.traces(subject)
            if not remaining:
                return remaining
            self.log(f"pass {n + 1} left {remaining.describe()}; erasing again")
        return self.traces(subject)

    def _erase_pass(self, subject: Subject) -> None:
        for stranger in subject.strangers:
            self._erase_stranger(stranger)
        # Photos first: once they are gone enroll cannot index the person again.
        self._refresh_photo_keys(subject)
        bucket = self.res.faces_bucket
        for key in sorted(subject.photo_keys):
            self.erased["photo versions"] += self.storage.delete_every_version(bucket, key)
            self.tables.state.delete_photo(bucket, key)
        self._delete_faces(subject)
        self._delete_sightings_and_frames(subject)
        self.erased["state records"] += self.tables.state.erase(
            self.tables.state.keys_about(subject.person_ids)
        )
        for pid in sorted(subject.person_ids):
            self.tables.people.erase(pid)
        self.erased["people"] = max(self.erased["people"], len(subject.person_ids))

    def _refresh_photo_keys(self, subject: Subject) -> None:
        for pid in subject.person_ids:
            person = self.tables.people.get(pid)
            if person:
                self._add_person(subject, person)
        for name in list(subject.names):
            for watchlist in WATCHLISTS:
                folder = person_folder(watchlist, name)
                for version in self.storage.versions(self.res.faces_bucket, folder):
                    subject.photo_keys.add(version.key)

    def _delete_faces(self, subject: Subject) -> None:
        ids = set(subject.face_ids)
        owners = _owners(subject)  # their faces and the "not them" faces of corrections
        ids.update(f for f, pid in self.faces.faces().items() if pid in owners)
        self.erased["faces"] += self.faces.delete_faces(sorted(ids))
        for pid in sorted(subject.person_ids):  # their Rekognition user (UserId = person_id)
            self.erased["users"] += int(self.faces.delete_user(pid))

    def _erase_stranger(self, stranger: Stranger) -> None:
        """Every frame the stranger was seen in, then its faces, crops, sightings, record."""
        sightings = list(self.strangers.sightings.of_stranger(stranger.stranger_id))
        events = {(s["camera_id"], s["event_time"]) for s in sightings if s.get("event_time")}
        for camera_id, event_time in sorted(events):
            self._delete_event(camera_id, event_time)
        current = self.strangers.get(stranger.stranger_id) or stranger
        self.erased.update(
            {f"stranger {k}": v for k, v in self.strangers.erase(current).items() if v}
        )

    def _delete_sightings_and_frames(self, subject: Subject) -> None:
        sightings_table = self.tables.sightings
        for pid in sorted(subject.person_ids):
            sightings = list(sightings_table.of_person(pid))
            events = {(s["camera_id"], s["event_time"]) for s in sightings if s.get("event_time")}
            for camera_id, event_time in sorted(events):
                self._delete_event(camera_id, event_time)
            keys = [s["sighting_key"] for s in sightings]
            self.erased["sightings"] += sightings_table.erase(pid, keys)

    def _delete_event(self, camera_id: str, event_time: str) -> None:
        event = self.tables.events.get(camera_id, event_time)
        if event:
            bucket = event.get("bucket") or self.res.uploads_bucket
            if event.get("image_key"):
                self.storage.delete_every_version(bucket, event["image_key"])
                self.erased["frames"] += 1
            for audit_key in self._audit_keys(event):
                self.storage.delete_every_version(self.res.audit_bucket, audit_key)
                self.erased["audit files"] += 1
        self.tables.events.erase(camera_id, event_time)
        self.erased["events"] += 1

    def _audit_keys(self, event: dict[str, Any]) -> list[str]:
        """The processed JSON and every raw-response file written for the same frame."""
        processed = str(event.get("processed_key", ""))
        keys = [processed] if processed else []
        if processed.startswith("processed/"):
            raw_prefix = "rekognition/" + processed.removeprefix("processed/").removesuffix(".json")
            keys.extend(obj.key for obj in self.storage.objects(self.res.audit_bucket, raw_prefix))
        return keys

    def _wait_for_enroll_queue(self, timeout: float) -> None:
        """Until the enroll queue has been empty (nothing visible or in flight) twice."""
        sqs, deadline, quiet = self.target.client("sqs"), time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            busy = queue_depth(sqs, self.res.enroll_queue_url)
            quiet = quiet + 1 if busy == 0 else 0
            if quiet >= 2:
                return
            time.sleep(0.5)
        self.log(f"the enroll queue was still busy after {timeout:.0f} s")

    # -- check -----------------------------------------------------------------------------
    def traces(self, subject: Subject) -> Traces:
        found = Traces()
        for pid in sorted(subject.person_ids):
            if self.tables.people.get(pid):
                found.people.append(pid)
            found.sightings += self.tables.sightings.count(pid)
        owners = _owners(subject)
        found.faces = [
            face_id
            for face_id, pid in self.faces.faces().items()
            if pid in owners or face_id in subject.face_ids
        ]
        found.faces += [f"user {u}" for u in self.faces.users() if u in subject.person_ids]
        bucket = self.res.faces_bucket
        for key in sorted(subject.photo_keys):
            if any(v.key == key for v in self.storage.versions(bucket, key)):
                found.photos.append(key)
            if self.tables.state.get_photo(bucket, key):
                found.state.append(photo_key(bucket, key))
        for key, tag_name in self._faces_bucket_names():
            if tag_name and any(same_person_name(tag_name, n) for n in subject.names if n):
                found.photos.append(key)
        found.state = sorted({*found.state, *self.tables.state.keys_about(subject.person_ids)})
        for stranger in subject.strangers:
            sid = stranger.stranger_id
            left = [
                what
                for what, there in (
                    ("record", self.strangers.get(sid) is not None),
                    ("faces", bool(self.strangers.faces.faces_of(sid))),
                    ("crops", any(self.storage.objects(self.res.audit_bucket, crops_prefix(sid)))),
                    ("sightings", any(self.strangers.sightings.of_stranger(sid))),
                )
                if there
            ]
            if left:
                found.strangers.append(f"{sid}: {', '.join(left)}")
        return found


def _owners(subject: Subject) -> set[str]:
    """The ExternalImageIds of a subject's faces: their person ids, and `not:{id}` for the
    faces `doorman correct --not` recorded about them (core.corrections)."""
    return set(subject.person_ids) | {negative_id(pid) for pid in subject.person_ids}


def describe_subject(subject: Subject) -> str:
    if subject.strangers:
        return "; ".join(
            f"{s.stranger_id}: seen {s.sightings} times from {s.first_seen[:10]} to "
            f"{s.last_seen[:10]} at {', '.join(s.cameras)}, {len(s.crops)} face crops"
            for s in subject.strangers
        )
    names = sorted({n for n in subject.names if n}, key=normalize_name)
    return (
        f"{', '.join(names)} (person id {', '.join(sorted(subject.person_ids)) or '-'}): "
        f"{len(subject.photo_keys)} photos, {len(subject.face_ids)} known faces"
    )
