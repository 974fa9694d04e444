"""What enroll needs from outside, one small Protocol per port.

The adapters implement them (adapters.storage.Storage, adapters.faces.FaceIndex,
adapters.tables.PeopleTable and StateTable); the unit tests use in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from adapters.faces import Image
from adapters.storage import ObjectHead
from core.schemas import Person, PhotoRecord


class PhotoStore(Protocol):
    """The faces bucket: photos, their versions and tags."""

    def head(self, bucket: str, key: str) -> ObjectHead | None: ...

    def read(self, bucket: str, key: str, *, version_id: str = "", etag: str = "") -> bytes: ...

    def tags(self, bucket: str, key: str) -> dict[str, str]: ...

    def update_tags(self, bucket: str, key: str, changes: Mapping[str, str | None]) -> bool: ...


class FaceCollection(Protocol):
    """The Rekognition collection. Raises ImageNotAccepted for an image it refuses."""

    def detect_faces(self, image: Image) -> dict[str, Any]: ...

    def index_face(self, image: Image, *, external_image_id: str) -> dict[str, Any]: ...

    def delete_faces(self, face_ids: list[str]) -> int: ...

    def associate_user(self, user_id: str, face_ids: list[str]) -> int:
        """The person's Rekognition user (created when missing) gets these faces."""
        ...

    def delete_user(self, user_id: str) -> bool: ...


class PeopleRegistry(Protocol):
    """People items, written with optimistic locking on `version`."""

    def get(self, person_id: str) -> Person | None: ...

    def save(self, person: Person, expected_version: int | None) -> bool: ...

    def delete(self, person_id: str, expected_version: int) -> bool: ...


class PhotoRecords(Protocol):
    """One record per faces-bucket object: what was enrolled from it last."""

    def get_photo(self, bucket: str, key: str) -> PhotoRecord | None: ...

    def put_photo(self, record: PhotoRecord, *, replaces: PhotoRecord | None) -> bool: ...

    def delete_photo(self, bucket: str, key: str) -> None: ...
