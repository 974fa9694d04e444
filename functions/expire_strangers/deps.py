"""expire_strangers' wiring: settings at a cold start, clients and adapters on first use."""

from __future__ import annotations

from functools import cached_property

from adapters.clients import aws_client
from adapters.faces import FaceIndex
from adapters.storage import Storage
from adapters.strangers import StrangerRegistry
from core.settings import ExpireStrangersSettings
from functions.expire_strangers.logic import Expirer


class ExpireDeps:
    def __init__(self) -> None:
        self.settings = ExpireStrangersSettings()

    @cached_property
    def faces(self) -> FaceIndex:
        """The strangers collection (the adapter also counts the billed calls)."""
        return FaceIndex(aws_client("rekognition"), self.settings.strangers_collection_id)

    @cached_property
    def expirer(self) -> Expirer:
        settings = self.settings
        registry = StrangerRegistry.of(
            aws_client("dynamodb"),
            state_table=settings.state_table,
            sightings_table=settings.sightings_table,
            faces=self.faces,
            storage=Storage(aws_client("s3")),
            bucket=settings.audit_bucket,
        )
        return Expirer(registry, settings.stranger_retention_days)
