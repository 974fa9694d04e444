"""enroll: faces-bucket events (through SQS) -> collection, People and the outcome tag."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from adapters.clients import aws_client
from adapters.faces import FaceIndex
from adapters.storage import Storage
from adapters.tables import PeopleTable, StateTable
from core.records import s3_changes
from core.settings import EnrollSettings
from functions.enroll.logic import Enroller
from functions.observability import observability

settings = EnrollSettings()
logger, metrics, tracer = observability("enroll")
_dynamodb = aws_client("dynamodb")
enroller = Enroller(
    storage=Storage(aws_client("s3")),
    faces=FaceIndex(aws_client("rekognition"), settings.collection_id),
    people=PeopleTable(_dynamodb, settings.people_table),
    state=StateTable(_dynamodb, settings.state_table),
)
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def handle_record(record: SQSRecord) -> None:
    for change in s3_changes(record.body):
        result = enroller.reconcile(change.bucket, change.key)
        logger.info(
            "enrollment",
            s3_event=change.event_name,
            key=change.key,
            outcome=result.outcome,
            person_id=result.person_id,
            changed=result.changed,
        )
        if result.changed:
            name = "Enrollment" + result.outcome.title().replace("-", "")
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="Records", unit=MetricUnit.Count, value=len(event.get("Records", [])))
    calls = enroller.faces.calls
    try:
        return process_partial_response(
            event=event, record_handler=handle_record, processor=processor, context=context
        )
    finally:
        used = enroller.faces.calls - calls
        metrics.add_metric(name="RekognitionCalls", unit=MetricUnit.Count, value=used)
