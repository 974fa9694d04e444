"""In-memory stand-ins for the functions' ports (functions/*/ports.py). No network, no moto:
each keeps what it was given and answers the way its adapter's contract says."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping
from typing import Any

from PIL import Image as PILImage

from adapters.faces import Image
from adapters.messaging import WebhookError
from adapters.storage import ObjectChanged, ObjectHead
from core.messages import Email
from core.schemas import Alert, EventRecord, Person, PhotoRecord
from core.settings import AnalyzeSettings


def jpeg(width: int = 400, height: int = 300, shade: int = 128) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (shade, shade, shade)).save(buffer, "JPEG")
    return buffer.getvalue()


class Bucket:
    """S3 objects with metadata and tags, and the JSON documents written to it.
    Implements analyze's FrameStore and enroll's PhotoStore."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], tuple[bytes, dict[str, str], str]] = {}
        self.object_tags: dict[tuple[str, str], dict[str, str]] = {}
        self.documents: dict[tuple[str, str], Any] = {}
        self._versions = 0

    def put(
        self, bucket: str, key: str, data: bytes, metadata: dict[str, str] | None = None
    ) -> None:
        self._versions += 1
        self.objects[bucket, key] = (data, dict(metadata or {}), f"v{self._versions}")
        self.object_tags[bucket, key] = {}

    def delete(self, bucket: str, key: str) -> None:
        self.objects.pop((bucket, key), None)
        self.object_tags.pop((bucket, key), None)

    def set_tags(self, bucket: str, key: str, tags: dict[str, str]) -> None:
        self.object_tags[bucket, key] = dict(tags)

    # -- the ports ------------------------------------------------------------------------

    def head(self, bucket: str, key: str) -> ObjectHead | None:
        if (bucket, key) not in self.objects:
            return None
        data, metadata, version = self.objects[bucket, key]
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        return ObjectHead(size=len(data), etag=etag, version_id=version, metadata=metadata)

    def read(self, bucket: str, key: str, *, version_id: str = "", etag: str = "") -> bytes:
        head = self.head(bucket, key)
        if (
            head is None
            or (version_id and version_id != head.version_id)
            or (etag and etag != head.etag)
        ):
            raise ObjectChanged(f"{bucket}/{key} changed since it was checked")
        return self.objects[bucket, key][0]

    def tags(self, bucket: str, key: str) -> dict[str, str]:
        return dict(self.object_tags[bucket, key])

    def tag(self, bucket: str, key: str, name: str, value: str) -> bool:
        tags = self.object_tags.setdefault((bucket, key), {})
        changed = tags.get(name) != value
        tags[name] = value
        return changed

    def update_tags(self, bucket: str, key: str, changes: Mapping[str, str | None]) -> bool:
        tags = self.object_tags.setdefault((bucket, key), {})
        updated = {k: v for k, v in {**tags, **changes}.items() if v is not None}
        changed = updated != tags
        self.object_tags[bucket, key] = updated
        return changed

    def put_json(self, bucket: str, key: str, document: Any) -> None:
        self.documents[bucket, key] = document


def face_detail(
    left: float = 0.3, top: float = 0.2, width: float = 0.3, height: float = 0.4
) -> dict[str, Any]:
    return {
        "BoundingBox": {"Left": left, "Top": top, "Width": width, "Height": height},
        "Confidence": 99.5,
        "Emotions": [{"Type": "CALM", "Confidence": 90.0}],
    }


def match(person_id: str, similarity: float, face_id: str = "") -> dict[str, Any]:
    return {
        "Similarity": similarity,
        "Face": {"FaceId": face_id or f"face-{person_id}", "ExternalImageId": person_id},
    }


class Camera:
    """analyze's FaceSearch: the faces the next image shows, each with its collection
    matches (searched in the order they were detected)."""

    def __init__(self) -> None:
        self.scene: list[list[dict[str, Any]]] = []
        self.labels: list[str] = []
        self.users: dict[str, float] = {}  # SearchUsersByImage's answer (user vectors)
        self.calls = 0
        self._searches: list[list[dict[str, Any]]] = []

    def shows(self, *faces: list[dict[str, Any]]) -> None:
        """One argument per face: its matches ([] for a stranger)."""
        self.scene = list(faces)

    def detect_faces(self, image: Image, *, all_attributes: bool = False) -> dict[str, Any]:
        self.calls += 1
        self._searches = list(self.scene)
        width = 0.8 / max(len(self.scene), 1)
        return {
            "FaceDetails": [
                face_detail(left=0.1 + n * width, width=width * 0.8) for n in range(len(self.scene))
            ]
        }

    def search_face(self, image: Image, *, threshold: float, max_faces: int) -> dict[str, Any]:
        self.calls += 1
        matches = [m for m in self._searches.pop(0) if m["Similarity"] >= threshold]
        return {"FaceMatches": matches[:max_faces]}

    def detect_labels(self, image: Image) -> dict[str, Any]:
        self.calls += 1
        return {"Labels": [{"Name": name, "Confidence": 95.0} for name in self.labels]}

    def search_users(self, image: Image, *, threshold: float, max_users: int) -> dict[str, Any]:
        """The users (person_id -> similarity of their user vector) in `self.users`."""
        self.calls += 1
        found = sorted(self.users.items(), key=lambda kv: -kv[1])
        return {
            "UserMatches": [
                {"Similarity": s, "User": {"UserId": u, "UserStatus": "ACTIVE"}}
                for u, s in found
                if s >= threshold
            ][:max_users]
        }


class Collection:
    """enroll's FaceCollection: how many faces each photo (by its bytes) shows, and the
    faces indexed so far (face id -> ExternalImageId)."""

    def __init__(self) -> None:
        self.faces_in: dict[bytes, int] = {}
        self.indexed: dict[str, str] = {}
        self.users: dict[str, set[str]] = {}  # Rekognition users: person_id -> face ids
        self._next = 0

    def detect_faces(self, image: Image) -> dict[str, Any]:
        count = self.faces_in.get(image["Bytes"], 0)
        return {"FaceDetails": [face_detail() for _ in range(count)]}

    def index_face(self, image: Image, *, external_image_id: str) -> dict[str, Any]:
        self._next += 1
        face_id = f"face-{self._next}"
        self.indexed[face_id] = external_image_id
        return {"FaceRecords": [{"Face": {"FaceId": face_id}}], "UnindexedFaces": []}

    def delete_faces(self, face_ids: list[str]) -> int:
        for faces in self.users.values():
            faces.difference_update(face_ids)
        return sum(self.indexed.pop(face_id, None) is not None for face_id in face_ids)

    def associate_user(self, user_id: str, face_ids: list[str]) -> int:
        known = [f for f in face_ids if f in self.indexed]
        self.users.setdefault(user_id, set()).update(known)
        return len(known)

    def delete_user(self, user_id: str) -> bool:
        return self.users.pop(user_id, None) is not None


class People:
    """People items with the optimistic locking PeopleTable applies on `version`."""

    def __init__(self, *people: Person) -> None:
        self.items = {person.person_id: person for person in people}

    def get(self, person_id: str) -> Person | None:
        return self.items.get(person_id)

    def get_many(self, person_ids: Iterable[str]) -> dict[str, Person]:
        return {pid: self.items[pid] for pid in person_ids if pid in self.items}

    def save(self, person: Person, expected_version: int | None) -> bool:
        current = self.items.get(person.person_id)
        if (current.version if current else None) != expected_version:
            return False
        self.items[person.person_id] = person
        return True

    def delete(self, person_id: str, expected_version: int) -> bool:
        current = self.items.get(person_id)
        if current is None or current.version != expected_version:
            return False
        del self.items[person_id]
        return True


class State:
    """The State table's cooldown slots and photo records, with StateTable's conditions."""

    def __init__(self) -> None:
        self.slots: dict[str, tuple[str, int]] = {}
        self.photos: dict[tuple[str, str], PhotoRecord] = {}

    def acquire_cooldown(self, pk: str, *, holder: str, now: int, seconds: int) -> bool:
        taken = self.slots.get(pk)
        if taken and taken[0] != holder and taken[1] >= now:
            return False
        self.slots[pk] = (holder, now + seconds)
        return True

    def get_photo(self, bucket: str, key: str) -> PhotoRecord | None:
        return self.photos.get((bucket, key))

    def put_photo(self, record: PhotoRecord, *, replaces: PhotoRecord | None) -> bool:
        current = self.photos.get((record.bucket, record.key))
        if current != replaces:
            return False
        self.photos[record.bucket, record.key] = record
        return True

    def delete_photo(self, bucket: str, key: str) -> None:
        self.photos.pop((bucket, key), None)


class Log:
    """EventLog and SightingLog."""

    def __init__(self) -> None:
        self.events: list[EventRecord] = []
        self.sightings: list[dict[str, Any]] = []

    def put(self, record: EventRecord) -> bool:
        """Like EventsTable.put: another record's event under the same key is kept."""
        if any(
            (e.camera_id, e.event_time) == (record.camera_id, record.event_time)
            and e.alert_id != record.alert_id
            for e in self.events
        ):
            return False
        self.events.append(record)
        return True

    def put_many(self, items: list[dict[str, Any]]) -> None:
        self.sightings.extend(items)


class AlertQueue:
    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> str:
        self.sent.append(alert)
        return f"m-{len(self.sent)}"


class Ssm:
    """ParameterReader: parameter name -> value (absent: the parameter does not exist)."""

    def __init__(self, **values: str) -> None:
        self.values = dict(values)
        self.reads: list[str] = []

    def get(self, name: str) -> str | None:
        self.reads.append(name)
        return self.values.get(name)


class Outbox:
    """MailSender."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[str], Email]] = []

    def send(self, recipients: list[str], email: Email) -> str:
        self.sent.append((recipients, email))
        return f"mail-{len(self.sent)}"


class Topic:
    """TopicPublisher."""

    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def publish(self, subject: str, message: dict[str, Any], attributes: dict[str, str]) -> str:
        self.published.append((subject, message, attributes))
        return f"sns-{len(self.published)}"


class Links:
    """FrameLinks: a fake presigned URL that says what it was asked for."""

    def presigned_get(self, bucket: str, key: str, expires_in: int) -> str:
        return f"https://{bucket}.example/{key}?expires={expires_in}"


class Hook:
    """WebhookPoster: records each post; fails with `error` when set."""

    def __init__(self, error: str = "") -> None:
        self.error = error
        self.posts: list[tuple[str, dict[str, Any]]] = []

    def post(self, url: str, payload: dict[str, Any]) -> int:
        self.posts.append((url, payload))
        if self.error:
            raise WebhookError(self.error)
        return 200


def analyze_settings(**overrides: Any) -> AnalyzeSettings:
    """AnalyzeSettings with plain resource names, for logic run on these fakes."""
    names: dict[str, Any] = {
        "audit_bucket": "audit",
        "events_table": "events",
        "sightings_table": "sightings",
        "people_table": "people",
        "state_table": "state",
        "collection_id": "faces",
        "alerts_queue_url": "alerts",
        "armed_parameter": "/doorman/armed",
    }
    return AnalyzeSettings(**{**names, **overrides})
