"""DynamoDB tables: People, Events, Sightings and State (cooldowns, photo records).

The one DynamoDB layer: the functions write through it, the operator tools read and erase
through it. Items leave it as plain Python (ints and floats, no Decimals); key formats come
from core.tablekeys. Batch writes go through boto3's `batch_writer`, which splits them into
requests of 25 and resends what DynamoDB leaves unprocessed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from core.resources import StackResources
from core.schemas import EventRecord, FaceResult, Person, PhotoRecord
from core.tablekeys import (
    COOLDOWN_PREFIX,
    PHOTO_PREFIX,
    kvs_cursor_key,
    parse_cooldown_key,
    photo_key,
    sighting_sort_key,
)

if TYPE_CHECKING:
    from boto3.dynamodb.table import BatchWriter
    from mypy_boto3_dynamodb import DynamoDBClient, DynamoDBServiceResource

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
Item = dict[str, Any]


def _storable(document: Mapping[str, Any]) -> Item:
    """A JSON-able mapping with floats as Decimals and without None values."""
    plain = json.loads(json.dumps(document, default=str), parse_float=Decimal)
    return {k: v for k, v in plain.items() if v is not None}


def to_item(document: Mapping[str, Any]) -> Item:
    """A JSON-able mapping as a DynamoDB item (floats become Decimals, None is dropped)."""
    return {k: _serializer.serialize(v) for k, v in _storable(document).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


def from_item(item: Mapping[str, Any]) -> Item:
    """A DynamoDB item as plain Python: whole numbers as int, sets as sorted lists."""
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _key(**attributes: str) -> Item:
    return {name: {"S": value} for name, value in attributes.items()}


def _applied(write: Callable[[], object]) -> bool:
    """Run a conditional write: True if it was made, False if its condition failed."""
    try:
        write()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _values(values: dict[str, Any]) -> dict[str, Any]:
    return {"ExpressionAttributeValues": values} if values else {}


def resource_like(client: DynamoDBClient) -> DynamoDBServiceResource:
    """A DynamoDB resource with `client`'s endpoint, region and config (for `batch_writer`).

    Its credentials come from boto3's default chain, as those of `adapters.clients`; a caller
    with a session of its own passes that session's resource instead (`Target.tables`)."""
    return boto3.resource(
        "dynamodb",
        region_name=client.meta.region_name,
        endpoint_url=client.meta.endpoint_url,
        config=client.meta.config,
    )


class _Table:
    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        resource: DynamoDBServiceResource | None = None,
    ) -> None:
        self._client = client
        self._resource = resource
        self.table = table

    def _batch(self, overwrite_by_pkeys: list[str] | None = None) -> BatchWriter:
        resource = self._resource or resource_like(self._client)
        return resource.Table(self.table).batch_writer(overwrite_by_pkeys=overwrite_by_pkeys or [])

    def _delete_keys(self, keys: Iterable[Mapping[str, str]]) -> int:
        count = 0
        with self._batch() as batch:
            for key in keys:
                batch.delete_item(Key=dict(key))
                count += 1
        return count

    def _query(self, **params: Any) -> Iterator[Item]:
        pages = self._client.get_paginator("query").paginate(TableName=self.table, **params)
        for page in pages:
            yield from (from_item(item) for item in page.get("Items", []))

    def _scan(self, **params: Any) -> Iterator[Item]:
        pages = self._client.get_paginator("scan").paginate(TableName=self.table, **params)
        for page in pages:
            yield from (from_item(item) for item in page.get("Items", []))

    def _get(self, key: Item) -> Item | None:
        response = self._client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        return from_item(response["Item"]) if "Item" in response else None


class PeopleTable(_Table):
    """People items with optimistic locking on `version`."""

    def get(self, person_id: str) -> Person | None:
        item = self._get(_key(person_id=person_id))
        return Person(**item) if item else None

    def get_many(self, person_ids: Iterable[str]) -> dict[str, Person]:
        wanted = sorted(set(person_ids))
        found: dict[str, Person] = {}
        for start in range(0, len(wanted), 100):
            keys = [_key(person_id=pid) for pid in wanted[start : start + 100]]
            request: Mapping[str, Any] = {self.table: {"Keys": keys}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    person = Person(**from_item(item))
                    found[person.person_id] = person
                request = response.get("UnprocessedKeys") or {}
        return found

    def all(self) -> list[Person]:
        return [Person(**item) for item in self._scan()]

    def save(self, person: Person, expected_version: int | None) -> bool:
        """Write `person` if nobody changed it since `expected_version` (None: new item)."""
        if expected_version is None:
            condition, values = "attribute_not_exists(person_id)", {}
        else:
            condition, values = "version = :v", {":v": {"N": str(expected_version)}}
        return _applied(
            lambda: self._client.put_item(
                TableName=self.table,
                Item=to_item(person.model_dump(mode="json")),
                ConditionExpression=condition,
                **_values(values),
            )
        )

    def delete(self, person_id: str, expected_version: int) -> bool:
        return _applied(
            lambda: self._client.delete_item(
                TableName=self.table,
                Key=_key(person_id=person_id),
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            )
        )

    def erase(self, person_id: str) -> None:
        """Delete whatever version is there (`doorman forget`)."""
        self._client.delete_item(TableName=self.table, Key=_key(person_id=person_id))


class EventsTable(_Table):
    """PK `camera_id`, SK `event_time` (core.tablekeys.event_sort_key)."""

    def put(self, record: EventRecord) -> bool:
        """Write the event unless another upload's event holds its key (the same bytes with
        the same captured-at under another key: another alert id). That first event, and the
        alert status it reports, are kept; returns False. The same record (a retry, the same
        alert id) rewrites its own event."""
        return _applied(
            lambda: self._client.put_item(
                TableName=self.table,
                Item=to_item(record.model_dump(mode="json")),
                ConditionExpression="attribute_not_exists(event_time) OR alert_id = :alert_id",
                ExpressionAttributeValues={":alert_id": {"S": record.alert_id}},
            )
        )

    def get(self, camera_id: str, event_time: str) -> Item | None:
        return self._get(_key(camera_id=camera_id, event_time=event_time))

    def of_camera(self, camera_id: str, *, since: str = "") -> Iterator[Item]:
        """One camera's events whose sort key is at least `since` (a Query)."""
        condition, values = "camera_id = :c", {":c": {"S": camera_id}}
        if since:
            condition += " AND event_time >= :t"
            values[":t"] = {"S": since}
        return self._query(KeyConditionExpression=condition, ExpressionAttributeValues=values)

    def every(self, *, since: str = "") -> Iterator[Item]:
        """Every camera's events whose sort key is at least `since` (a Scan)."""
        if not since:
            return self._scan()
        return self._scan(
            FilterExpression="event_time >= :t", ExpressionAttributeValues={":t": {"S": since}}
        )

    def erase(self, camera_id: str, event_time: str) -> None:
        self._client.delete_item(
            TableName=self.table, Key=_key(camera_id=camera_id, event_time=event_time)
        )


def sighting_item(record: EventRecord, face: FaceResult) -> Item:
    """One Sightings item: PK person_id ("unknown" for strangers), SK
    event_time#camera_id#image_hash#n, with the FaceRecognitionResults fields."""
    captured_at = record.captured_at
    return {
        "person_id": face.person_id,
        "sighting_key": sighting_sort_key(
            captured_at, record.camera_id, record.image_hash, face.index
        ),
        "image_id": record.image_key or record.image_hash,
        "timestamp": captured_at,
        "face_id": face.face_id,
        "confidence": face.confidence,
        "similarity": face.person.similarity if face.person else None,
        "bounding_box": face.bounding_box.model_dump(),
        "emotions": [e.model_dump() for e in face.emotions],
        "camera_id": record.camera_id,
        "status": face.status,
        "name": face.person.name if face.person else "",
        # A remembered stranger (core.strangers); None (dropped) for everyone else.
        "stranger_id": face.stranger.stranger_id if face.stranger else None,
        "stranger_similarity": face.stranger.similarity if face.stranger else None,
        "event_time": record.event_time,
        "expires_at": record.expires_at,  # a sighting lives as long as its event
    }


class SightingsTable(_Table):
    """PK `person_id`, SK `sighting_key` (core.tablekeys.sighting_sort_key)."""

    def put_many(self, items: Iterable[Mapping[str, Any]]) -> None:
        with self._batch(overwrite_by_pkeys=["person_id", "sighting_key"]) as batch:
            for item in items:
                batch.put_item(Item=_storable(item))

    def of_person(
        self, person_id: str, *, since: str = "", newest_first: bool = False
    ) -> Iterator[Item]:
        """The person's sightings whose sort key is at least `since`, oldest first."""
        condition, values = "person_id = :p", {":p": {"S": person_id}}
        if since:
            condition += " AND sighting_key >= :t"
            values[":t"] = {"S": since}
        return self._query(
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=not newest_first,
        )

    def latest(self, person_id: str) -> Item | None:
        return next(self.of_person(person_id, newest_first=True), None)

    def count(self, person_id: str) -> int:
        pages = self._client.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression="person_id = :p",
            ExpressionAttributeValues={":p": {"S": person_id}},
            Select="COUNT",
        )
        return sum(int(page.get("Count", 0)) for page in pages)

    def erase(self, person_id: str, sighting_keys: Iterable[str]) -> int:
        """Delete these sightings of one person; returns how many."""
        return self._delete_keys(
            {"person_id": person_id, "sighting_key": key} for key in sighting_keys
        )


def claim_slot(
    client: DynamoDBClient, table: str, pk: str, *, holder: str, now: int, seconds: int
) -> bool:
    """An expiring slot of the State table (a cooldown, the stranger creation lease): True if
    `holder` has it now, because it was free, had expired, or was already `holder`'s. Its
    end is the TTL attribute too, so a forgotten slot goes by itself."""
    return _applied(
        lambda: client.put_item(
            TableName=table,
            Item={
                "pk": {"S": pk},
                "holder": {"S": holder},
                "expires_at": {"N": str(now + seconds)},
            },
            ConditionExpression="attribute_not_exists(pk) OR expires_at < :now OR holder = :holder",
            ExpressionAttributeValues={":now": {"N": str(now)}, ":holder": {"S": holder}},
        )
    )


class StateTable(_Table):
    """PK `pk`, TTL `expires_at`. Shared with Powertools idempotency records."""

    def acquire_cooldown(self, pk: str, *, holder: str, now: int, seconds: int) -> bool:
        """True if `holder` may alert now: the slot is free, expired, or already its own
        (a retried record keeps the slot it took before failing)."""
        return claim_slot(self._client, self.table, pk, holder=holder, now=now, seconds=seconds)

    def kvs_cursor(self, camera_id: str) -> str:
        """Where the images poller stopped reading `camera_id`'s video (ISO time), or ""."""
        item = self._get(_key(pk=kvs_cursor_key(camera_id)))
        return str(item["read_until"]) if item else ""

    def set_kvs_cursor(self, camera_id: str, read_until: str) -> None:
        self._client.put_item(
            TableName=self.table,
            Item={"pk": {"S": kvs_cursor_key(camera_id)}, "read_until": {"S": read_until}},
        )

    def get_photo(self, bucket: str, key: str) -> PhotoRecord | None:
        item = self._get(_key(pk=photo_key(bucket, key)))
        return PhotoRecord(**item) if item else None

    def put_photo(self, record: PhotoRecord, *, replaces: PhotoRecord | None) -> bool:
        """Write the record unless another enrollment changed it since `replaces` was read."""
        item = to_item({"pk": photo_key(record.bucket, record.key), **record.model_dump()})
        if replaces is None:
            condition, values = "attribute_not_exists(pk)", {}
        else:
            condition = "fingerprint = :fp AND outcome = :outcome"
            values = {":fp": {"S": replaces.fingerprint}, ":outcome": {"S": replaces.outcome}}
        return _applied(
            lambda: self._client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression=condition,
                **_values(values),
            )
        )

    def delete_photo(self, bucket: str, key: str) -> None:
        self._client.delete_item(TableName=self.table, Key=_key(pk=photo_key(bucket, key)))

    def _with_prefix(self, prefix: str) -> Iterator[Item]:
        return self._scan(
            FilterExpression="begins_with(pk, :prefix)",
            ExpressionAttributeValues={":prefix": {"S": prefix}},
        )

    def keys_about(self, person_ids: Collection[str]) -> list[str]:
        """Keys of the cooldown slots and photo records that name any of `person_ids`."""
        cooldowns = [
            item["pk"]
            for item in self._with_prefix(COOLDOWN_PREFIX)
            if (slot := parse_cooldown_key(item["pk"])) and slot.identity in person_ids
        ]
        photos = [
            item["pk"]
            for item in self._with_prefix(PHOTO_PREFIX)
            if item.get("person_id") in person_ids
        ]
        return sorted(cooldowns + photos)

    def erase(self, pks: Iterable[str]) -> int:
        return self._delete_keys({"pk": pk} for pk in pks)


@dataclass(frozen=True)
class Tables:
    """The four tables of one deployment."""

    people: PeopleTable
    events: EventsTable
    sightings: SightingsTable
    state: StateTable

    @classmethod
    def of(
        cls,
        resources: StackResources,
        client: DynamoDBClient,
        resource: DynamoDBServiceResource | None = None,
    ) -> Tables:
        return cls(
            people=PeopleTable(client, resources.people_table, resource),
            events=EventsTable(client, resources.events_table, resource),
            sightings=SightingsTable(client, resources.sightings_table, resource),
            state=StateTable(client, resources.state_table, resource),
        )
