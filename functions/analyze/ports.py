"""What analyze needs from outside, one small Protocol per port.

The adapters implement them (adapters.storage.Storage, adapters.faces.FaceIndex,
adapters.tables.*, adapters.messaging.*); the unit tests use in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from adapters.faces import Image
from adapters.storage import ObjectHead
from core.schemas import Alert, EventRecord, Person


class FrameStore(Protocol):
    """The uploads bucket (frames, their tags) and the audit bucket (JSON documents)."""

    def head(self, bucket: str, key: str) -> ObjectHead | None: ...

    def read(self, bucket: str, key: str, *, version_id: str = "", etag: str = "") -> bytes:
        """The bytes of the object `head` described (its version and ETag); raises
        adapters.storage.ObjectChanged when it was replaced or deleted since."""
        ...

    def tag(self, bucket: str, key: str, name: str, value: str) -> bool: ...

    def put_json(self, bucket: str, key: str, document: Any) -> None: ...

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        content_type: str,
        tags: Mapping[str, str] | None = None,
    ) -> str: ...


class FaceSearch(Protocol):
    """Rekognition's image APIs against the collection. Raises ImageNotAccepted for an
    image Rekognition refuses."""

    def detect_faces(self, image: Image, *, all_attributes: bool = False) -> dict[str, Any]: ...

    def search_face(self, image: Image, *, threshold: float, max_faces: int) -> dict[str, Any]: ...

    def search_users(self, image: Image, *, threshold: float, max_users: int) -> dict[str, Any]:
        """SearchUsersByImage: each person's faces voting together as one user vector."""
        ...

    def detect_labels(self, image: Image) -> dict[str, Any]: ...


class PeopleDirectory(Protocol):
    def get_many(self, person_ids: Iterable[str]) -> dict[str, Person]: ...


class EventLog(Protocol):
    def put(self, record: EventRecord) -> bool:
        """Write the Events item; False (and the item left as it is) when another upload's
        record (another alert id) already holds its key."""
        ...


class SightingLog(Protocol):
    def put_many(self, items: list[dict[str, Any]]) -> None: ...


class CooldownSlots(Protocol):
    def acquire_cooldown(self, pk: str, *, holder: str, now: int, seconds: int) -> bool:
        """True if `holder` may alert now (the slot is free, expired or its own)."""
        ...


class AlertSink(Protocol):
    def send(self, alert: Alert) -> str: ...


class ParameterReader(Protocol):
    def get(self, name: str) -> str | None:
        """The value, or None when the parameter does not exist."""
        ...
