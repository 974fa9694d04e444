"""enroll: faces-bucket events (through SQS) -> collection, People and the outcome tag."""

from dataclasses import asdict

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch import process_partial_response as process_batch
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.records import s3_changes
from functions.enroll.deps import EnrollDeps
from functions.observability import LambdaEvent, invocation_metrics, observability

logger, metrics, tracer = observability("enroll")
deps = EnrollDeps()  # settings now; clients, adapters and the Enroller on first use
processor = BatchProcessor(EventType.SQS)


@tracer.capture_method
def handle_record(record: SQSRecord) -> None:
    for change in s3_changes(record.body):
        result = deps.enroller.reconcile(change.bucket, change.key)
        logger.info("enrollment", s3_event=change.event_name, key=change.key, **asdict(result))
        if result.changed:
            name = "Enrollment" + result.outcome.title().replace("-", "")
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: LambdaEvent, context: LambdaContext) -> PartialItemFailureResponse:
    with invocation_metrics(metrics, event, rekognition=deps.faces):
        return process_batch(event, handle_record, processor, context)
