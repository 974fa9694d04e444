"""analyze's wiring and the idempotent entry points its handler calls.

Settings are read when the instance is made (a cold start); boto3 clients, adapters, the
Analyzer and the idempotency store are built on first use. handler.py makes the instance,
so a reloaded handler gets fresh wiring.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

from adapters.clients import aws_client
from adapters.faces import FaceIndex
from adapters.messaging import AlertQueue, Parameters
from adapters.storage import Storage
from adapters.strangers import StrangerCreationLease, StrangerTable
from adapters.tables import EventsTable, PeopleTable, SightingsTable, StateTable
from core.records import (
    StreamFaces,
    UnknownStream,
    is_frame_key,
    parse_face_search,
    s3_changes,
)
from core.schemas import FrameOutcome, FrameRef
from core.settings import AnalyzeSettings
from functions.analyze.logic import Analyzer, Ports
from functions.analyze.strangers import StrangerMemory
from functions.idempotency import once_per, state_persistence

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# A redelivered record within a day gets the recorded outcome: no second write or alert.
RECORD_MEMORY_SECONDS = 24 * 3600
_OUTCOME = PydanticSerializer(FrameOutcome)


class FrameAnalysis(Protocol):
    def __call__(self, *, frame: FrameRef, event_time: str) -> FrameOutcome: ...


class StreamAnalysis(Protocol):
    def __call__(self, *, record_id: str, found: StreamFaces) -> FrameOutcome: ...


class AnalyzeDeps:
    def __init__(self) -> None:
        self.settings = AnalyzeSettings()
        self.idempotency = IdempotencyConfig(expires_after_seconds=RECORD_MEMORY_SECONDS)

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return aws_client("dynamodb")

    @cached_property
    def faces(self) -> FaceIndex:
        """The Rekognition adapter (it also counts the billed calls)."""
        return FaceIndex(aws_client("rekognition"), self.settings.collection_id)

    @cached_property
    def analyzer(self) -> Analyzer:
        settings, dynamodb = self.settings, self.dynamodb
        ports = Ports(
            storage=Storage(aws_client("s3")),
            faces=self.faces,
            people=PeopleTable(dynamodb, settings.people_table),
            events=EventsTable(dynamodb, settings.events_table),
            sightings=SightingsTable(dynamodb, settings.sightings_table),
            state=StateTable(dynamodb, settings.state_table),
            alerts=AlertQueue(aws_client("sqs"), settings.alerts_queue_url),
            parameters=Parameters(aws_client("ssm"), max_age=settings.parameter_max_age_seconds),
            strangers=self.strangers,
        )
        return Analyzer(ports, settings)

    @cached_property
    def strangers(self) -> StrangerMemory | None:
        """The stranger memory, or None when the stack sets no strangers collection."""
        settings = self.settings
        if not settings.strangers_collection_id:
            return None
        return StrangerMemory(
            faces=self.faces.other_collection(settings.strangers_collection_id),
            records=StrangerTable(self.dynamodb, settings.state_table),
            crops=Storage(aws_client("s3")),
            bucket=settings.audit_bucket,
            threshold=settings.stranger_threshold,
            max_crops=settings.stranger_crops,
            lease=StrangerCreationLease(self.dynamodb, settings.state_table),
        )

    @cached_property
    def persistence(self) -> DynamoDBPersistenceLayer:
        return state_persistence(self.settings.state_table, self.dynamodb)

    @cached_property
    def analyze_frame(self) -> FrameAnalysis:
        """Analyzer.analyze_frame, once per frame (bucket, key, etag)."""
        return once_per(
            self.analyzer.analyze_frame,
            key="frame",
            config=self.idempotency,
            persistence=self.persistence,
            output=_OUTCOME,
        )

    @cached_property
    def analyze_stream(self) -> StreamAnalysis:
        """Analyzer.analyze_stream, once per Kinesis record (stream ARN and sequence number)."""
        return once_per(
            self.analyzer.analyze_stream,
            key="record_id",
            config=self.idempotency,
            persistence=self.persistence,
            output=_OUTCOME,
        )

    def analyze_message(self, body: str) -> Iterator[tuple[str, FrameOutcome]]:
        """(key, outcome) for each S3 change in a frames-queue message body. A key outside
        frames/ and kvs/ is a defined outcome, not worth an idempotency record."""
        for change in s3_changes(body):
            if not is_frame_key(change.key):
                yield change.key, FrameOutcome(status="ignored", reason="outside frames/ and kvs/")
                continue
            frame = FrameRef(bucket=change.bucket, key=change.key, etag=change.etag)
            yield change.key, self.analyze_frame(frame=frame, event_time=change.event_time)

    def analyze_stream_record(self, record: KinesisStreamRecord) -> tuple[str, FrameOutcome]:
        """(record id, outcome) for one face-search record. A record from a video stream
        that is not one of the stack's cameras is rejected (retrying cannot fix it)."""
        record_id = f"{record.event_source_arn}#{record.kinesis.sequence_number}"
        arrival = datetime.fromtimestamp(float(record.kinesis.approximate_arrival_timestamp), UTC)
        try:
            found = parse_face_search(
                record.kinesis.data_as_json(), arrival, self.settings.stream_cameras
            )
        except UnknownStream as unknown:
            return record_id, FrameOutcome(status="rejected", reason=str(unknown))
        return record_id, self.analyze_stream(record_id=record_id, found=found)
