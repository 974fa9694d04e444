"""enroll's wiring. Settings are read when the instance is made (a cold start); boto3
clients, adapters and the Enroller are built on first use. handler.py makes the instance,
so a reloaded handler gets fresh wiring."""

from __future__ import annotations

from functools import cached_property

from adapters.clients import aws_client
from adapters.faces import FaceIndex
from adapters.storage import Storage
from adapters.tables import PeopleTable, StateTable
from core.settings import EnrollSettings
from functions.enroll.logic import Enroller


class EnrollDeps:
    def __init__(self) -> None:
        self.settings = EnrollSettings()

    @cached_property
    def faces(self) -> FaceIndex:
        """The Rekognition adapter (it also counts the billed calls)."""
        return FaceIndex(aws_client("rekognition"), self.settings.collection_id)

    @cached_property
    def enroller(self) -> Enroller:
        dynamodb = aws_client("dynamodb")
        return Enroller(
            storage=Storage(aws_client("s3")),
            faces=self.faces,
            people=PeopleTable(dynamodb, self.settings.people_table),
            state=StateTable(dynamodb, self.settings.state_table),
        )
