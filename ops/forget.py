"""`doorman forget`: erase a person everywhere Doorman keeps them.

That is: their faces in the collection, every version of their enrollment photos, their
People item and enroll's photo records, their Sightings and cooldowns, and each frame they
were seen in (the uploaded image, its Events item, and its audit files).

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

from botocore.exceptions import ClientError

from adapters.discovery import Target
from core.enrollment import NAME_TAG
from core.schemas import WATCHLISTS
from core.slugs import normalize_name, same_person_name, slugify
from ops import tables


@dataclass
class Subject:
    """Who to erase: person ids and display names (from People or from photo tags)."""

    person_ids: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    photo_keys: set[str] = field(default_factory=set)
    face_ids: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.person_ids or self.photo_keys or self.face_ids)


@dataclass
class Traces:
    """What is left of a subject; empty means forgotten."""

    people: list[str] = field(default_factory=list)
    faces: list[str] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)
    sightings: int = 0
    frames: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.people or self.faces or self.photos or self.sightings or self.frames)

    def describe(self) -> str:
        parts = [
            f"People items {self.people}" if self.people else "",
            f"{len(self.faces)} collection faces" if self.faces else "",
            f"photos {self.photos}" if self.photos else "",
            f"{self.sightings} sightings" if self.sightings else "",
            f"frames {self.frames}" if self.frames else "",
        ]
        return "; ".join(p for p in parts if p)


class Forgetter:
    def __init__(self, target: Target, log: Callable[[str], None] = lambda _: None) -> None:
        self.target = target
        self.res = target.resources
        self.s3 = target.client("s3")
        self.ddb = target.client("dynamodb")
        self.rek = target.client("rekognition")
        self.log = log
        self.erased: Counter[str] = Counter()

    # -- who -------------------------------------------------------------------------------
    def find(self, name_or_id: str) -> Subject:
        subject = Subject()
        wanted = name_or_id.strip()
        for person in tables.scan(self.ddb, TableName=self.res.people_table):
            if same_person_name(person.get("name", ""), wanted) or person["person_id"] == wanted:
                self._add_person(subject, person)
        for key, tag_name in self._faces_bucket_names():
            path_name = key.split("/")[1] if key.count("/") >= 2 else ""
            if any(same_person_name(n, wanted) for n in (tag_name, path_name) if n):
                subject.photo_keys.add(key)
                subject.names.add(tag_name or path_name)
        if not subject.person_ids and subject.photo_keys:
            subject.person_ids.add(slugify(wanted))
        if not subject.person_ids:
            ids = {slugify(wanted), wanted}
            faces = [f for f in self._collection_faces() if f.get("ExternalImageId") in ids]
            subject.face_ids.update(f["FaceId"] for f in faces)
            subject.person_ids.update(f["ExternalImageId"] for f in faces)
        if wanted not in subject.person_ids:  # a name, not an id
            subject.names.add(wanted)
        return subject

    def _add_person(self, subject: Subject, person: dict[str, Any]) -> None:
        subject.person_ids.add(person["person_id"])
        subject.names.add(person.get("name", ""))
        subject.face_ids.update(person.get("face_ids") or [])
        subject.photo_keys.update((person.get("photos") or {}).keys())

    def _faces_bucket_names(self) -> Iterable[tuple[str, str]]:
        """(key, name tag) for every current object in the faces bucket."""
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.res.faces_bucket):
            for obj in page.get("Contents", []):
                try:
                    tag_set = self.s3.get_object_tagging(
                        Bucket=self.res.faces_bucket, Key=obj["Key"]
                    )["TagSet"]
                except ClientError:
                    tag_set = []
                tags = {t["Key"]: t["Value"] for t in tag_set}
                yield obj["Key"], tags.get(NAME_TAG, "")

    def _collection_faces(self) -> list[dict[str, Any]]:
        faces: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"CollectionId": self.res.collection_id, "MaxResults": 1000}
        while True:
            response = self.rek.list_faces(**kwargs)
            faces.extend(response.get("Faces", []))
            if not response.get("NextToken"):
                return faces
            kwargs["NextToken"] = response["NextToken"]

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
        # Photos first: once they are gone enroll cannot index the person again.
        self._refresh_photo_keys(subject)
        for key in sorted(subject.photo_keys):
            self.erased["photo versions"] += self._delete_all_versions(self.res.faces_bucket, key)
            self._delete_state(f"photo#{self.res.faces_bucket}/{key}")
        self._delete_faces(subject)
        self._delete_sightings_and_frames(subject)
        self._delete_cooldowns(subject)
        for person_id in sorted(subject.person_ids):
            self.ddb.delete_item(
                TableName=self.res.people_table, Key={"person_id": {"S": person_id}}
            )
        self.erased["people"] = max(self.erased["people"], len(subject.person_ids))

    def _refresh_photo_keys(self, subject: Subject) -> None:
        for person_id in subject.person_ids:
            person = tables.get(self.ddb, self.res.people_table, {"person_id": person_id})
            if person:
                self._add_person(subject, person)
        for name in list(subject.names):
            for watchlist in WATCHLISTS:
                prefix = f"{watchlist}/{name}/"
                for page in self.s3.get_paginator("list_object_versions").paginate(
                    Bucket=self.res.faces_bucket, Prefix=prefix
                ):
                    for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                        subject.photo_keys.add(entry["Key"])

    def _delete_all_versions(self, bucket: str, key: str) -> int:
        count = 0
        for page in self.s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Prefix=key
        ):
            entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
            for entry in entries:
                if entry["Key"] != key:
                    continue
                self.s3.delete_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"])
                count += 1
        if not count:  # unversioned bucket, or nothing there
            self.s3.delete_object(Bucket=bucket, Key=key)
        return count

    def _delete_faces(self, subject: Subject) -> None:
        ids = set(subject.face_ids)
        ids.update(
            f["FaceId"]
            for f in self._collection_faces()
            if f.get("ExternalImageId") in subject.person_ids
        )
        ids = sorted(ids)
        for start in range(0, len(ids), 1000):
            deleted = self.rek.delete_faces(
                CollectionId=self.res.collection_id, FaceIds=ids[start : start + 1000]
            ).get("DeletedFaces", [])
            self.erased["faces"] += len(deleted)

    def _delete_sightings_and_frames(self, subject: Subject) -> None:
        for person_id in sorted(subject.person_ids):
            sightings = list(
                tables.query(
                    self.ddb,
                    TableName=self.res.sightings_table,
                    KeyConditionExpression="person_id = :p",
                    ExpressionAttributeValues={":p": {"S": person_id}},
                )
            )
            events = {(s["camera_id"], s["event_time"]) for s in sightings if s.get("event_time")}
            for camera_id, event_time in sorted(events):
                self._delete_event(camera_id, event_time)
            keys = [{"person_id": person_id, "sighting_key": s["sighting_key"]} for s in sightings]
            self.erased["sightings"] += tables.delete_many(self.ddb, self.res.sightings_table, keys)

    def _delete_event(self, camera_id: str, event_time: str) -> None:
        key = {"camera_id": camera_id, "event_time": event_time}
        event = tables.get(self.ddb, self.res.events_table, key)
        if event:
            bucket = event.get("bucket") or self.res.uploads_bucket
            if event.get("image_key"):
                self._delete_all_versions(bucket, event["image_key"])
                self.erased["frames"] += 1
            for audit_key in self._audit_keys(event):
                self._delete_all_versions(self.res.audit_bucket, audit_key)
                self.erased["audit files"] += 1
        self.ddb.delete_item(TableName=self.res.events_table, Key=tables.to_key(key))
        self.erased["events"] += 1

    def _audit_keys(self, event: dict[str, Any]) -> list[str]:
        """The processed JSON and every raw-response file written for the same frame."""
        keys = [event["processed_key"]] if event.get("processed_key") else []
        processed = event.get("processed_key", "")
        if processed.startswith("processed/"):
            raw_prefix = "rekognition/" + processed.removeprefix("processed/").removesuffix(".json")
            for page in self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.res.audit_bucket, Prefix=raw_prefix
            ):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys

    def _delete_cooldowns(self, subject: Subject) -> None:
        suffixes = tuple(f"#{pid}" for pid in subject.person_ids)
        stale = [
            {"pk": item["pk"]}
            for item in tables.scan(
                self.ddb,
                TableName=self.res.state_table,
                FilterExpression="begins_with(pk, :c)",
                ExpressionAttributeValues={":c": {"S": "cooldown#"}},
            )
            if item["pk"].endswith(suffixes)
        ]
        tables.delete_many(self.ddb, self.res.state_table, stale)

    def _delete_state(self, pk: str) -> None:
        self.ddb.delete_item(TableName=self.res.state_table, Key={"pk": {"S": pk}})

    def _wait_for_enroll_queue(self, timeout: float) -> None:
        """Until the enroll queue has been empty (nothing visible or in flight) twice."""
        sqs, deadline, quiet = self.target.client("sqs"), time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            attrs = sqs.get_queue_attributes(
                QueueUrl=self.res.enroll_queue_url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            busy = sum(int(v) for v in attrs.values())
            quiet = quiet + 1 if busy == 0 else 0
            if quiet >= 2:
                return
            time.sleep(0.5)
        self.log(f"the enroll queue was still busy after {timeout:.0f} s")

    # -- check -----------------------------------------------------------------------------
    def traces(self, subject: Subject) -> Traces:
        found = Traces()
        for person_id in sorted(subject.person_ids):
            if tables.get(self.ddb, self.res.people_table, {"person_id": person_id}):
                found.people.append(person_id)
            response = self.ddb.query(
                TableName=self.res.sightings_table,
                KeyConditionExpression="person_id = :p",
                ExpressionAttributeValues={":p": {"S": person_id}},
                Select="COUNT",
            )
            found.sightings += int(response.get("Count", 0))
        found.faces = [
            f["FaceId"]
            for f in self._collection_faces()
            if f.get("ExternalImageId") in subject.person_ids or f["FaceId"] in subject.face_ids
        ]
        for key in sorted(subject.photo_keys):
            versions = self.s3.list_object_versions(Bucket=self.res.faces_bucket, Prefix=key)
            entries = versions.get("Versions", []) + versions.get("DeleteMarkers", [])
            if any(e["Key"] == key for e in entries):
                found.photos.append(key)
        for key, tag_name in self._faces_bucket_names():
            if tag_name and any(same_person_name(tag_name, n) for n in subject.names if n):
                found.photos.append(key)
        return found


def describe_subject(subject: Subject) -> str:
    names = sorted({n for n in subject.names if n}, key=normalize_name)
    return (
        f"{', '.join(names)} (person id {', '.join(sorted(subject.person_ids)) or '-'}): "
        f"{len(subject.photo_keys)} photos, {len(subject.face_ids)} known faces"
    )
