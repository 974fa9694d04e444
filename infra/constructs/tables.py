"""DynamoDB tables: People, Events, Sightings and State. On-demand, PITR, encrypted."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

TTL_ATTRIBUTE = "expires_at"


class Tables(Construct):
    """Keys follow DESIGN.md; Events, Sightings and State expire items by `expires_at`."""

    def __init__(
        self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        self._removal_policy = removal_policy
        self.people = self._table("People", "person_id")
        self.events = self._table("Events", "camera_id", sort_key="event_time", ttl=True)
        self.sightings = self._table("Sightings", "person_id", sort_key="sighting_key", ttl=True)
        # Idempotency records and alert cooldowns, both short-lived.
        self.state = self._table("State", "pk", ttl=True)

    @property
    def all(self) -> list[dynamodb.Table]:
        return [self.people, self.events, self.sightings, self.state]

    def _table(
        self,
        construct_id: str,
        partition_key: str,
        *,
        sort_key: str | None = None,
        ttl: bool = False,
    ) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            construct_id,
            partition_key=dynamodb.Attribute(
                name=partition_key, type=dynamodb.AttributeType.STRING
            ),
            sort_key=(
                dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING)
                if sort_key
                else None
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE if ttl else None,
            removal_policy=self._removal_policy,
        )
