"""Remembered strangers in DynamoDB: their State items and their Sightings.

A stranger's record is the State item `stranger#{id}` (core.tablekeys.stranger_key),
written with optimistic locking on `version`. Its sightings stay in the strangers' Sightings
partition (`person_id` "unknown", as before) with a `stranger_id` attribute, so the report
and `doorman events --person stranger` still see every stranger.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adapters.faces import FaceIndex
from adapters.storage import Storage
from adapters.tables import (
    Item,
    SightingsTable,
    _applied,
    _key,
    _Table,
    claim_slot,
    to_item,
)
from core.schemas import UNKNOWN_PERSON
from core.strangers import Stranger, crops_prefix
from core.tablekeys import STRANGER_CREATION_KEY, STRANGER_KEY_PREFIX, stranger_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient, DynamoDBServiceResource


class StrangerTable(_Table):
    """The `stranger#` items of the State table."""

    def get(self, stranger_id: str) -> Stranger | None:
        item = self._get(_key(pk=stranger_key(stranger_id)))
        return Stranger(**item) if item else None

    def save(self, stranger: Stranger, expected_version: int | None) -> bool:
        """Write `stranger` unless someone changed it since `expected_version` (None: new)."""
        item = to_item({"pk": stranger_key(stranger.stranger_id), **stranger.model_dump()})
        if expected_version is None:
            condition, values = "attribute_not_exists(pk)", None
        else:
            condition, values = "version = :v", {":v": {"N": str(expected_version)}}
        extra: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
        return _applied(
            lambda: self._client.put_item(
                TableName=self.table, Item=item, ConditionExpression=condition, **extra
            )
        )

    def all(self) -> list[Stranger]:
        items = self._scan(
            FilterExpression="begins_with(pk, :prefix)",
            ExpressionAttributeValues={":prefix": {"S": STRANGER_KEY_PREFIX}},
        )
        return sorted((Stranger(**item) for item in items), key=lambda s: s.first_seen)

    def erase(self, stranger_id: str) -> None:
        self._client.delete_item(TableName=self.table, Key=_key(pk=stranger_key(stranger_id)))


class StrangerCreationLease(_Table):
    """One new stranger at a time, across invocations: a lease in the State table.

    Whoever holds it searches the strangers collection again before making a stranger, so a
    face another invocation indexed a moment earlier is found, not made a second time. A
    holder that dies lets the lease run out (`seconds`); the TTL then removes the item.
    Conditional writes are atomic per item
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
    """

    def claim(self, owner: str, *, seconds: float) -> bool:
        """Take the lease unless someone else holds one that has not run out (each
        creation claims under an owner of its own)."""
        return claim_slot(
            self._client,
            self.table,
            STRANGER_CREATION_KEY,
            holder=owner,
            now=int(time.time()),
            seconds=max(1, round(seconds)),
        )

    def release(self, owner: str) -> None:
        """Give the lease back, if `owner` still holds it."""
        _applied(
            lambda: self._client.delete_item(
                TableName=self.table,
                Key=_key(pk=STRANGER_CREATION_KEY),
                ConditionExpression="holder = :holder",
                ExpressionAttributeValues={":holder": {"S": owner}},
            )
        )


class StrangerSightings(SightingsTable):
    """Sightings of one remembered stranger: a Query of the strangers' partition."""

    def of_stranger(self, stranger_id: str) -> Iterator[Item]:
        return self._query(
            KeyConditionExpression="person_id = :p",
            FilterExpression="stranger_id = :s",
            ExpressionAttributeValues={":p": {"S": UNKNOWN_PERSON}, ":s": {"S": stranger_id}},
        )

    def erase_stranger(self, stranger_id: str) -> int:
        keys = [item["sighting_key"] for item in self.of_stranger(stranger_id)]
        return self.erase(UNKNOWN_PERSON, keys)


@dataclass(frozen=True)
class StrangerRegistry:
    """Everything a remembered stranger leaves: collection faces, crops, record, sightings.
    The one erase routine, for the expiry function and for `doorman forget`."""

    records: StrangerTable
    sightings: StrangerSightings
    faces: FaceIndex  # on the strangers collection
    storage: Storage
    bucket: str  # the audit bucket, which holds the crops

    @classmethod
    def of(
        cls,
        client: DynamoDBClient,
        *,
        state_table: str,
        sightings_table: str,
        faces: FaceIndex,
        storage: Storage,
        bucket: str,
        resource: DynamoDBServiceResource | None = None,
    ) -> StrangerRegistry:
        return cls(
            records=StrangerTable(client, state_table, resource),
            sightings=StrangerSightings(client, sightings_table, resource),
            faces=faces,
            storage=storage,
            bucket=bucket,
        )

    def all(self) -> list[Stranger]:
        return self.records.all()

    def get(self, stranger_id: str) -> Stranger | None:
        return self.records.get(stranger_id)

    def erase(self, stranger: Stranger) -> dict[str, int]:
        """Delete the stranger's faces (also any the record lost track of), crops, sightings
        and record; returns how many of each went."""
        face_ids = set(stranger.face_ids)
        face_ids.update(self.faces.faces_of(stranger.stranger_id))
        erased = {"faces": self.faces.delete_faces(sorted(face_ids)) if face_ids else 0}
        keys = {crop.key for crop in stranger.crops}
        keys.update(o.key for o in self.storage.objects(self.bucket, crops_prefix(stranger)))
        for key in sorted(keys):
            self.storage.delete(self.bucket, key)
        erased["crops"] = len(keys)
        erased["sightings"] = self.sightings.erase_stranger(stranger.stranger_id)
        self.records.erase(stranger.stranger_id)
        erased["strangers"] = 1
        return erased
