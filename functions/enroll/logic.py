"""Enrollment: make the collection and People agree with one faces-bucket object.

Every event (created, tagged, removed) is handled the same way: read the object's current
state and reconcile. The State table keeps one photo record per object (the fingerprint of
the inputs last enrolled, the outcome and the face ids), so a repeated or self-caused event
(our own `enrollment` tag write) changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.faces import ImageNotAccepted, image_source
from adapters.storage import ObjectHead
from core import slugs
from core.enrollment import (
    OUTCOME_TAG,
    PERSON_ID_TAG,
    Claim,
    claim_from,
    crowd_outcome,
    fingerprint,
    unindexed_outcome,
)
from core.imaging import MAX_S3_IMAGE_BYTES, ImageRejected, load_image
from core.records import iso_utc
from core.schemas import BoundingBox, Person, PhotoRecord
from core.slugs import same_person_name
from functions.enroll.ports import FaceCollection, PeopleRegistry, PhotoRecords, PhotoStore

REMOVED = "removed"
_IMAGE_ERROR_OUTCOMES = {
    "ImageTooLargeException": "too-large",
    "InvalidImageFormatException": "bad-image",
    "InvalidParameterException": "bad-image",
    "InvalidS3ObjectException": "bad-image",
}
_REJECT_OUTCOMES = {"too-large": "too-large", "too-small": "low-quality"}
_WRITE_ATTEMPTS = 5


class EnrollmentConflict(Exception):
    """Another enrollment changed the same item meanwhile; the record is retried."""


@dataclass(frozen=True)
class Result:
    outcome: str
    person_id: str = ""
    changed: bool = True


class Enroller:
    def __init__(
        self,
        *,
        storage: PhotoStore,
        faces: FaceCollection,
        people: PeopleRegistry,
        state: PhotoRecords,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.storage = storage
        self.faces = faces
        self.people = people
        self.state = state
        self.clock = clock

    def reconcile(self, bucket: str, key: str) -> Result:
        head = self.storage.head(bucket, key)
        old = self.state.get_photo(bucket, key)
        if head is None:
            if old:
                self._retire(old)
                self.state.delete_photo(bucket, key)
            return Result(REMOVED, old.person_id if old else "", changed=old is not None)

        tags = self.storage.tags(bucket, key)
        current = fingerprint(head.etag, head.version_id, tags, key)
        if old and old.fingerprint == current:
            claim = self._claim(tags, key)
            if old.outcome == "indexed" and isinstance(claim, Claim):
                self._attach(old.person_id, claim, key, old.face_ids)  # repairs a lost write
                self.faces.associate_user(old.person_id, old.face_ids)
            self._tag(bucket, key, old.outcome, old.person_id)
            return Result(old.outcome, old.person_id, changed=False)

        claim = self._claim(tags, key)
        outcome, person_id, face_ids = self._enroll(bucket, key, head, claim)
        record = PhotoRecord(
            bucket=bucket,
            key=key,
            fingerprint=current,
            outcome=outcome,
            person_id=person_id,
            face_ids=face_ids,
        )
        if not self.state.put_photo(record, replaces=old):
            self._drop_faces(face_ids)
            raise EnrollmentConflict(f"{bucket}/{key} was enrolled concurrently")
        if old:
            self._retire(old)
        if isinstance(claim, Claim) and face_ids:
            self._attach_or_undo(record, claim)
        self._tag(bucket, key, outcome, person_id)
        return Result(outcome, person_id)

    def _attach_or_undo(self, record: PhotoRecord, claim: Claim) -> None:
        if self._attach(record.person_id, claim, record.key, record.face_ids):
            # All of a person's photos vote together in one user vector (UserId = person_id).
            self.faces.associate_user(record.person_id, record.face_ids)
            return
        self._drop_faces(record.face_ids)
        self.state.delete_photo(record.bucket, record.key)
        raise EnrollmentConflict(f"{record.person_id} now belongs to another name; retrying")

    @staticmethod
    def _claim(tags: dict[str, str], key: str) -> Claim | str:
        return claim_from(tags, key)

    def _enroll(
        self, bucket: str, key: str, head: ObjectHead, claim: Claim | str
    ) -> tuple[str, str, list[str]]:
        if isinstance(claim, str):
            return claim, "", []
        if head.size > MAX_S3_IMAGE_BYTES:
            return "too-large", "", []
        # The bytes of the version `head` checked (a replaced photo raises and is retried).
        data = self.storage.read(bucket, key, version_id=head.version_id)
        try:
            load_image(data)
        except ImageRejected as rejected:
            return _REJECT_OUTCOMES.get(rejected.reason, "bad-image"), "", []
        image = image_source(data, bucket, key, head.version_id)
        try:
            detected = self.faces.detect_faces(image)
            crowd = crowd_outcome(
                BoundingBox.from_aws(face["BoundingBox"]) for face in detected["FaceDetails"]
            )
            if crowd:
                return crowd, "", []
            person_id = self._person_id(claim)
            indexed = self.faces.index_face(image, external_image_id=person_id)
        except ImageNotAccepted as exc:
            return _IMAGE_ERROR_OUTCOMES[exc.code], "", []
        face_ids = [r["Face"]["FaceId"] for r in indexed.get("FaceRecords", [])]
        if not face_ids:
            reasons = [r for u in indexed.get("UnindexedFaces", []) for r in u.get("Reasons", [])]
            return unindexed_outcome(reasons), "", []
        return "indexed", person_id, face_ids

    def _person_id(self, claim: Claim) -> str:
        def owner_of(slug: str) -> str | None:
            owner = self.people.get(slug)
            return owner.name if owner else None

        return slugs.person_id(claim.name, owner_of)

    def _attach(self, person_id: str, claim: Claim, key: str, face_ids: list[str]) -> bool:
        """Record the photo's faces on the person; False if the id now has another name."""
        for _ in range(_WRITE_ATTEMPTS):
            now = iso_utc(self.clock())
            person = self.people.get(person_id)
            if person is None:
                fresh = Person(
                    person_id=person_id,
                    name=claim.name,
                    watchlist=claim.watchlist,
                    photos={key: face_ids},
                    face_ids=face_ids,
                    enrolled_at=now,
                    updated_at=now,
                )
                if self.people.save(fresh, expected_version=None):
                    return True
                continue
            if not same_person_name(person.name, claim.name):
                return False
            if (
                person.photos.get(key) == face_ids
                and person.name == claim.name
                and person.watchlist == claim.watchlist
            ):
                return True
            photos = {**person.photos, key: face_ids}
            updated = person.model_copy(
                update={
                    "name": claim.name,
                    "watchlist": claim.watchlist,
                    "photos": photos,
                    "face_ids": _all_faces(photos),
                    "updated_at": now,
                    "version": person.version + 1,
                }
            )
            if self.people.save(updated, expected_version=person.version):
                return True
        raise EnrollmentConflict(f"People item {person_id} kept changing")

    def _retire(self, old: PhotoRecord) -> None:
        """Delete the faces an earlier enrollment of this photo indexed, and forget them."""
        self._drop_faces(old.face_ids)
        if not old.person_id:
            return
        for _ in range(_WRITE_ATTEMPTS):
            person = self.people.get(old.person_id)
            if person is None or old.key not in person.photos:
                return
            photos = {k: v for k, v in person.photos.items() if k != old.key}
            if not photos:
                if self.people.delete(person.person_id, expected_version=person.version):
                    self.faces.delete_user(person.person_id)  # their last photo went
                    return
                continue
            updated = person.model_copy(
                update={
                    "photos": photos,
                    "face_ids": _all_faces(photos),
                    "updated_at": iso_utc(self.clock()),
                    "version": person.version + 1,
                }
            )
            if self.people.save(updated, expected_version=person.version):
                return
        raise EnrollmentConflict(f"People item {old.person_id} kept changing")

    def _drop_faces(self, face_ids: list[str]) -> None:
        if face_ids:
            self.faces.delete_faces(face_ids)

    def _tag(self, bucket: str, key: str, outcome: str, person_id: str) -> None:
        """The outcome, and for an indexed photo the person's id, so the edge's gallery sync
        names the person exactly as the cloud does (neither tag is part of the fingerprint,
        so writing them never re-enrolls the photo)."""
        indexed = outcome == "indexed" and person_id
        self.storage.update_tags(
            bucket, key, {OUTCOME_TAG: outcome, PERSON_ID_TAG: person_id if indexed else None}
        )


def _all_faces(photos: dict[str, list[str]]) -> list[str]:
    return sorted({face for faces in photos.values() for face in faces})
