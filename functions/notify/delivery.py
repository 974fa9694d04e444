"""The three channels of one alert (email, SNS, webhook), each run at most once per
alert_id: a redelivered alert, or a retry after one channel failed, reaches nobody twice.
The metrics count real sends, not the recorded results a repeat gets back."""

from __future__ import annotations

from typing import Protocol

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer, IdempotencyConfig

from core.schemas import Alert
from functions.idempotency import once_per
from functions.notify.logic import Notifier, wants


class Channel(Protocol):
    def __call__(self, *, alert: Alert) -> str: ...


class Deliveries:
    def __init__(
        self,
        notifier: Notifier,
        *,
        config: IdempotencyConfig,
        persistence: BasePersistenceLayer,
        logger: Logger,
        metrics: Metrics,
    ) -> None:
        self.notifier = notifier
        self.logger = logger
        self.metrics = metrics

        def once(step: Channel) -> Channel:
            return once_per(step, key="alert", config=config, persistence=persistence)

        self.send_email = once(self._send_email)
        self.publish_alert = once(self._publish_alert)
        self.post_webhook = once(self._post_webhook)

    def deliver(self, alert: Alert) -> str:
        """Email, SNS, then the webhook, each when the alert's rule names its channel;
        returns the webhook's result ("posted", "off", "not asked" or "failed: ...")."""
        if wants(alert, "email"):
            self.send_email(alert=alert)
        if wants(alert, "sns"):
            self.publish_alert(alert=alert)
        if not wants(alert, "webhook"):
            return "not asked"
        return self.post_webhook(alert=alert)

    def _send_email(self, *, alert: Alert) -> str:
        message_id = self.notifier.email(alert)
        self.metrics.add_metric(name="AlertsSent", unit=MetricUnit.Count, value=1)
        return message_id

    def _publish_alert(self, *, alert: Alert) -> str:
        return self.notifier.publish(alert)

    def _post_webhook(self, *, alert: Alert) -> str:
        result = self.notifier.post_webhook(alert)
        if result.startswith("failed"):
            self.logger.warning("webhook failed", alert_id=alert.alert_id, error=result)
            self.metrics.add_metric(name="WebhookFailures", unit=MetricUnit.Count, value=1)
        elif result == "posted":
            self.metrics.add_metric(name="WebhookPosts", unit=MetricUnit.Count, value=1)
        return result
