"""analyze: frame uploads (frames queue) and face-search records (Kinesis) -> records, alerts."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch import process_partial_response as process_batch
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.analyze.deps import AnalyzeDeps
from functions.analyze.reporting import report
from functions.observability import LambdaEvent, invocation_metrics, observability

logger, metrics, tracer = observability("analyze")
deps = AnalyzeDeps()  # settings now; clients, adapters and the Analyzer on first use
sqs, kinesis = BatchProcessor(EventType.SQS), BatchProcessor(EventType.KinesisDataStreams)


@tracer.capture_method
def handle_frame_message(record: SQSRecord) -> None:
    for key, outcome in deps.analyze_message(record.body):
        report(logger, metrics, outcome, key=key)


@tracer.capture_method
def handle_stream_record(record: KinesisStreamRecord) -> None:
    record_id, outcome = deps.analyze_stream_record(record)
    report(logger, metrics, outcome, record_id=record_id)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: LambdaEvent, context: LambdaContext) -> PartialItemFailureResponse:
    deps.idempotency.register_lambda_context(context)
    with invocation_metrics(metrics, event, rekognition=deps.faces):
        if (event.get("Records") or [{}])[0].get("eventSource") == "aws:kinesis":
            return process_batch(event, handle_stream_record, kinesis, context)
        return process_batch(event, handle_frame_message, sqs, context)
