"""notify's wiring. Settings are read when the instance is made (a cold start); boto3
clients, adapters, the Notifier and the idempotency store are built on first use.
handler.py makes the instance, so a reloaded handler gets fresh wiring."""

from __future__ import annotations

from functools import cached_property

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

from adapters.clients import aws_client
from adapters.messaging import Mailer, Parameters, Publisher, Webhook
from adapters.storage import Storage
from core.settings import NotifySettings
from functions.idempotency import state_persistence
from functions.notify.delivery import Deliveries
from functions.notify.logic import Notifier, Ports

# Each channel of an alert runs once per alert_id within a week.
ALERT_MEMORY_SECONDS = 7 * 86400
WEBHOOK_TIMEOUT_SECONDS = 5.0


class NotifyDeps:
    def __init__(self, logger: Logger, metrics: Metrics) -> None:
        self.settings = NotifySettings()
        self.idempotency = IdempotencyConfig(
            event_key_jmespath="alert_id", expires_after_seconds=ALERT_MEMORY_SECONDS
        )
        self.logger = logger
        self.metrics = metrics

    @cached_property
    def notifier(self) -> Notifier:
        settings = self.settings
        ports = Ports(
            mailer=Mailer(aws_client("ses"), settings.sender_email),
            publisher=Publisher(aws_client("sns"), settings.alerts_topic_arn),
            storage=Storage(aws_client("s3")),
            parameters=Parameters(aws_client("ssm"), max_age=settings.parameter_max_age_seconds),
            webhook=Webhook(timeout=WEBHOOK_TIMEOUT_SECONDS),
        )
        return Notifier(ports, settings)

    @cached_property
    def deliveries(self) -> Deliveries:
        return Deliveries(
            self.notifier,
            config=self.idempotency,
            persistence=state_persistence(self.settings.state_table, aws_client("dynamodb")),
            logger=self.logger,
            metrics=self.metrics,
        )
