"""notify: alerts-queue records -> SES email, SNS publish and the optional webhook.

Each channel is idempotent on `alert_id`, so a redelivered alert (or a retry after one
channel failed) never reaches anyone twice."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from adapters.clients import aws_client
from adapters.messaging import Mailer, Parameters, Publisher, Webhook
from adapters.storage import Storage
from core.schemas import Alert
from core.settings import NotifySettings
from functions.idempotency import state_persistence
from functions.notify.logic import Notifier, Ports
from functions.observability import observability

settings = NotifySettings()
logger, metrics, tracer = observability("notify")
notifier = Notifier(
    Ports(
        mailer=Mailer(aws_client("ses"), settings.sender_email),
        publisher=Publisher(aws_client("sns"), settings.alerts_topic_arn),
        storage=Storage(aws_client("s3")),
        parameters=Parameters(aws_client("ssm")),
        webhook=Webhook(timeout=5.0),
    ),
    settings,
)
idempotency = IdempotencyConfig(event_key_jmespath="alert_id", expires_after_seconds=7 * 86400)
persistence = state_persistence(settings.state_table, aws_client("dynamodb"))
processor = BatchProcessor(event_type=EventType.SQS)


# At most one run per alert_id and channel; duplicates get the recorded result back.
once_per_alert = functools.partial(
    idempotent_function,
    data_keyword_argument="alert",
    config=idempotency,
    persistence_store=persistence,
)


@once_per_alert
def send_email(*, alert: Alert) -> str:
    message_id = notifier.email(alert)
    metrics.add_metric(name="AlertsSent", unit=MetricUnit.Count, value=1)
    return message_id


@once_per_alert
def publish_alert(*, alert: Alert) -> str:
    return notifier.publish(alert)


@once_per_alert
def post_webhook(*, alert: Alert) -> str:
    result = notifier.post_webhook(alert)
    if result.startswith("failed"):
        logger.warning("webhook failed", alert_id=alert.alert_id, error=result)
        metrics.add_metric(name="WebhookFailures", unit=MetricUnit.Count, value=1)
    elif result == "posted":
        metrics.add_metric(name="WebhookPosts", unit=MetricUnit.Count, value=1)
    return result


@tracer.capture_method
def handle_record(record: SQSRecord) -> None:
    alert = Alert.model_validate_json(record.body)  # malformed: raises, ends in the DLQ
    send_email(alert=alert)
    publish_alert(alert=alert)
    webhook = post_webhook(alert=alert)
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
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="Records", unit=MetricUnit.Count, value=len(event.get("Records", [])))
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
