"""Small DynamoDB helpers over a boto3 client: plain-Python items, paging, batch deletes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_deserializer = TypeDeserializer()
_serializer = TypeSerializer()
BATCH = 25  # BatchWriteItem's limit


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


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def to_key(key: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in key.items()}


def query(client: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator("query").paginate(**kwargs):
        yield from (from_item(item) for item in page.get("Items", []))


def scan(client: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator("scan").paginate(**kwargs):
        yield from (from_item(item) for item in page.get("Items", []))


def get(client: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    item = client.get_item(TableName=table, Key=to_key(key), ConsistentRead=True).get("Item")
    return from_item(item) if item else None


def key_schema(client: Any, table: str) -> list[str]:
    """Attribute names of the table's key, partition key first."""
    schema = client.describe_table(TableName=table)["Table"]["KeySchema"]
    return [k["AttributeName"] for k in sorted(schema, key=lambda k: k["KeyType"] != "HASH")]


def delete_many(client: Any, table: str, keys: Iterable[dict[str, Any]]) -> int:
    """Delete items by key in batches of 25, retrying unprocessed ones; returns the count."""
    pending = [{"DeleteRequest": {"Key": to_key(key)}} for key in keys]
    count = len(pending)
    for start in range(0, len(pending), BATCH):
        requests = {table: pending[start : start + BATCH]}
        for _ in range(8):
            unprocessed = client.batch_write_item(RequestItems=requests).get("UnprocessedItems")
            if not unprocessed:
                break
            requests = unprocessed
        else:
            raise RuntimeError(f"DynamoDB kept refusing deletes on {table}")
    return count
