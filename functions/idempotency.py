"""Powertools idempotency records in the State table (PK `pk`, TTL `expires_at`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer


def state_persistence(table: str, client: Any) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table, key_attr="pk", expiry_attr="expires_at", boto3_client=client
    )
