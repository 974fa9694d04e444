"""notify: alerts-queue records -> SES email, SNS publish and the optional webhook, each
once per alert_id (functions/notify/delivery.py)."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch import process_partial_response as process_batch
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.schemas import Alert
from functions.notify.deps import NotifyDeps
from functions.observability import LambdaEvent, invocation_metrics, observability

logger, metrics, tracer = observability("notify")
deps = NotifyDeps(logger, metrics)  # settings now; clients and adapters on first use
processor = BatchProcessor(EventType.SQS)


@tracer.capture_method
def handle_record(record: SQSRecord) -> None:
    alert = Alert.model_validate_json(record.body)  # malformed: raises, ends in the DLQ
    webhook = deps.deliveries.deliver(alert)
    logger.info(
        "alert delivered",
        alert_id=alert.alert_id,
        severity=alert.severity,
        reason=alert.reason,
        camera_id=alert.camera_id,
        webhook=webhook,
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: LambdaEvent, context: LambdaContext) -> PartialItemFailureResponse:
    deps.idempotency.register_lambda_context(context)
    with invocation_metrics(metrics, event):
        return process_batch(event, handle_record, processor, context)
