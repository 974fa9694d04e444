"""Powertools idempotency records in the State table (PK `pk`, TTL `expires_at`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.serialization.base import (
    BaseIdempotencySerializer,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

R = TypeVar("R")


def state_persistence(table: str, client: DynamoDBClient) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table, key_attr="pk", expiry_attr="expires_at", boto3_client=client
    )


def once_per(
    step: Callable[..., R],
    *,
    key: str,
    config: IdempotencyConfig,
    persistence: BasePersistenceLayer,
    output: BaseIdempotencySerializer | None = None,
) -> Callable[..., R]:
    """`step`, run at most once per value of its keyword argument `key` (until the record
    expires): a repeat gets the recorded result back (through `output` when the result is
    not plain JSON). The record's key names the step (its module and qualified name)."""
    guarded: Callable[..., R] = idempotent_function(
        step,
        data_keyword_argument=key,
        config=config,
        persistence_store=persistence,
        output_serializer=output,
    )
    return guarded
