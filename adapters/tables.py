"""DynamoDB tables: People, Events, Sightings and State (cooldowns, photo records)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from core.schemas import EventRecord, FaceResult, Person, PhotoRecord

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(document: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-able mapping as a DynamoDB item (floats become Decimals, None is dropped)."""
    plain = json.loads(json.dumps(document, default=str), parse_float=Decimal)
    return {k: _serializer.serialize(v) for k, v in plain.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | set):
            return [plain(v) for v in value]
        return value

    return {k: plain(_deserializer.deserialize(v)) for k, v in item.items()}


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


class PeopleTable:
    """People items with optimistic locking on `version`."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def get(self, person_id: str) -> Person | None:
        response = self._client.get_item(
            TableName=self.table, Key={"person_id": {"S": person_id}}, ConsistentRead=True
        )
        return Person(**from_item(response["Item"])) if "Item" in response else None

    def get_many(self, person_ids: Iterable[str]) -> dict[str, Person]:
        wanted = sorted(set(person_ids))
        found: dict[str, Person] = {}
        for start in range(0, len(wanted), 100):
            keys = [{"person_id": {"S": pid}} for pid in wanted[start : start + 100]]
            request = {self.table: {"Keys": keys}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    person = Person(**from_item(item))
                    found[person.person_id] = person
                request = response.get("UnprocessedKeys") or {}
        return found

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
                Key={"person_id": {"S": person_id}},
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            )
        )


class EventsTable:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def put(self, record: EventRecord) -> None:
        self._client.put_item(TableName=self.table, Item=to_item(record.model_dump(mode="json")))


def sighting_item(record: EventRecord, face: FaceResult) -> dict[str, Any]:
    """One Sightings item: PK person_id ("unknown" for strangers), SK
    event_time#camera_id#image_hash#n, with the FaceRecognitionResults fields."""
    captured_at = record.captured_at
    return {
        "person_id": face.person_id,
        "sighting_key": f"{captured_at}#{record.camera_id}#{record.image_hash}#{face.index}",
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
        "event_time": record.event_time,
        "expires_at": record.expires_at,  # a sighting lives as long as its event
    }


class SightingsTable:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def put_many(self, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), 25):
            request = {
                self.table: [
                    {"PutRequest": {"Item": to_item(item)}} for item in items[start : start + 25]
                ]
            }
            while request:
                response = self._client.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}


class StateTable:
    """PK `pk`, TTL `expires_at`. Shared with Powertools idempotency records."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def acquire_cooldown(self, pk: str, *, holder: str, now: int, seconds: int) -> bool:
        """True if `holder` may alert now: the slot is free, expired, or already its own
        (a retried record keeps the slot it took before failing)."""
        return _applied(
            lambda: self._client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": pk},
                    "holder": {"S": holder},
                    "expires_at": {"N": str(now + seconds)},
                },
                ConditionExpression=(
                    "attribute_not_exists(pk) OR expires_at < :now OR holder = :holder"
                ),
                ExpressionAttributeValues={":now": {"N": str(now)}, ":holder": {"S": holder}},
            )
        )

    @staticmethod
    def _photo_pk(bucket: str, key: str) -> str:
        return f"photo#{bucket}/{key}"

    def get_photo(self, bucket: str, key: str) -> PhotoRecord | None:
        response = self._client.get_item(
            TableName=self.table,
            Key={"pk": {"S": self._photo_pk(bucket, key)}},
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        return PhotoRecord(**from_item(response["Item"]))

    def put_photo(self, record: PhotoRecord, *, replaces: PhotoRecord | None) -> bool:
        """Write the record unless another enrollment changed it since `replaces` was read."""
        item = to_item({"pk": self._photo_pk(record.bucket, record.key), **record.model_dump()})
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
        self._client.delete_item(
            TableName=self.table, Key={"pk": {"S": self._photo_pk(bucket, key)}}
        )
