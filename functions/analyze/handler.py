"""analyze: frames-queue records (S3 ObjectCreated under frames/ and kvs/) and, with
streaming on, face-search records from Kinesis -> Events, Sightings, audit, alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext

from adapters.clients import aws_client
from adapters.faces import FaceIndex
from adapters.messaging import AlertQueue, Parameters
from adapters.storage import Storage
from adapters.tables import EventsTable, PeopleTable, SightingsTable, StateTable
from core.records import is_frame_key, parse_face_search, s3_changes
from core.schemas import FrameOutcome, FrameRef
from core.settings import AnalyzeSettings
from functions.analyze.logic import Analyzer, Ports
from functions.idempotency import state_persistence
from functions.observability import observability

settings = AnalyzeSettings()
logger, metrics, tracer = observability("analyze")
_dynamodb = aws_client("dynamodb")
analyzer = Analyzer(
    Ports(
        storage=Storage(aws_client("s3")),
        faces=FaceIndex(aws_client("rekognition"), settings.collection_id),
        people=PeopleTable(_dynamodb, settings.people_table),
        events=EventsTable(_dynamodb, settings.events_table),
        sightings=SightingsTable(_dynamodb, settings.sightings_table),
        state=StateTable(_dynamodb, settings.state_table),
        alerts=AlertQueue(aws_client("sqs"), settings.alerts_queue_url),
        parameters=Parameters(aws_client("ssm")),
    ),
    settings,
)
idempotency = IdempotencyConfig(expires_after_seconds=24 * 3600)
persistence = state_persistence(settings.state_table, _dynamodb)
sqs_processor = BatchProcessor(event_type=EventType.SQS)
kinesis_processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
_outcome = PydanticSerializer(FrameOutcome)


@idempotent_function(
    data_keyword_argument="frame",
    config=idempotency,
    persistence_store=persistence,
    output_serializer=_outcome,
)
def analyze_frame(*, frame: FrameRef, event_time: str) -> FrameOutcome:
    return analyzer.analyze_frame(frame, event_time)


@idempotent_function(
    data_keyword_argument="record_id",
    config=idempotency,
    persistence_store=persistence,
    output_serializer=_outcome,
)
def analyze_stream_record(
    *, record_id: str, payload: dict[str, Any], arrival: float
) -> FrameOutcome:
    found = parse_face_search(payload, datetime.fromtimestamp(arrival, UTC))
    return analyzer.analyze_stream(record_id, found)


def _count(outcome: FrameOutcome, **context: Any) -> None:
    logger.info("frame", **outcome.model_dump(exclude_defaults=True), **context)
    if outcome.status == "analyzed":
        metrics.add_metric(name="FramesAnalyzed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="FacesDetected", unit=MetricUnit.Count, value=outcome.faces)
        if outcome.alerted:
            metrics.add_metric(name="AlertsQueued", unit=MetricUnit.Count, value=1)
    elif outcome.status == "rejected":
        metrics.add_metric(name="FramesRejected", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="FramesIgnored", unit=MetricUnit.Count, value=1)


@tracer.capture_method
def handle_frame_message(record: SQSRecord) -> None:
    for change in s3_changes(record.body):
        if not is_frame_key(change.key):  # a defined outcome, not worth an idempotency record
            outcome = FrameOutcome(status="ignored", reason="outside frames/ and kvs/")
        else:
            frame = FrameRef(bucket=change.bucket, key=change.key, etag=change.etag)
            outcome = analyze_frame(frame=frame, event_time=change.event_time)
        _count(outcome, key=change.key)


@tracer.capture_method
def handle_stream_record(record: KinesisStreamRecord) -> None:
    record_id = f"{record.event_source_arn}#{record.kinesis.sequence_number}"
    outcome = analyze_stream_record(
        record_id=record_id,
        payload=record.kinesis.data_as_json(),
        arrival=float(record.kinesis.approximate_arrival_timestamp),
    )
    _count(outcome, record_id=record_id)


def _is_kinesis(event: dict[str, Any]) -> bool:
    records = event.get("Records") or [{}]
    return records[0].get("eventSource") == "aws:kinesis"


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="Records", unit=MetricUnit.Count, value=len(event.get("Records", [])))
    idempotency.register_lambda_context(context)
    calls = analyzer.ports.faces.calls
    try:
        if _is_kinesis(event):
            return process_partial_response(
                event=event,
                record_handler=handle_stream_record,
                processor=kinesis_processor,
                context=context,
            )
        return process_partial_response(
            event=event,
            record_handler=handle_frame_message,
            processor=sqs_processor,
            context=context,
        )
    finally:
        used = analyzer.ports.faces.calls - calls
        metrics.add_metric(name="RekognitionCalls", unit=MetricUnit.Count, value=used)
