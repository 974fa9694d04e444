"""notify: one Alert -> email to the right people, SNS, and the optional webhook."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.messaging import WebhookError, is_http_url
from core.messages import render_email, sns_subject, webhook_text
from core.schemas import Alert
from core.settings import NotifySettings
from functions.notify.ports import (
    FrameLinks,
    MailSender,
    ParameterReader,
    TopicPublisher,
    WebhookPoster,
)

WEBHOOK_ATTEMPTS = 2


@dataclass(frozen=True)
class Ports:
    mailer: MailSender
    publisher: TopicPublisher
    storage: FrameLinks
    parameters: ParameterReader
    webhook: WebhookPoster


def recipients(alert: Alert, owner: str, authorities: list[str]) -> list[str]:
    """The addresses of the alert's symbolic recipients (the rule's "owner",
    "authorities"); an alert without them (from before the rules): critical -> owner and
    authorities, anything else -> owner. No duplicates."""
    wanted_groups = alert.recipients or (
        ["owner", "authorities"] if alert.severity == "critical" else ["owner"]
    )
    wanted = [
        *([owner] if "owner" in wanted_groups else []),
        *(authorities if "authorities" in wanted_groups else []),
    ]
    return list(dict.fromkeys(address for address in wanted if address))


def wants(alert: Alert, channel: str) -> bool:
    """Whether the alert goes out on `channel`; no channels named: all of them."""
    return not alert.channels or channel in alert.channels


class Notifier:
    def __init__(self, ports: Ports, settings: NotifySettings) -> None:
        self.ports = ports
        self.settings = settings

    def frame_url(self, alert: Alert) -> str | None:
        if not (alert.bucket and alert.key):
            return None
        return self.ports.storage.presigned_get(
            alert.bucket, alert.key, self.settings.presign_seconds
        )

    def email(self, alert: Alert) -> str:
        message = render_email(
            alert, self.frame_url(alert), link_minutes=self.settings.presign_seconds // 60
        )
        to = recipients(alert, self.settings.owner_email, self.settings.authorities_emails)
        return self.ports.mailer.send(to, message)

    def publish(self, alert: Alert) -> str:
        # The attributes are what SNS subscription filter policies match on (the edge
        # devices' verdict queues filter on camera_id).
        return self.ports.publisher.publish(
            sns_subject(alert),
            # The frame link too: the edge devices' verdict queues get this message as it
            # is (raw delivery), and Home Assistant shows the link (edge_agent/mqtt.py).
            {**alert.model_dump(mode="json"), "frame_url": self.frame_url(alert) or ""},
            {"severity": alert.severity, "reason": alert.reason, "camera_id": alert.camera_id},
        )

    def webhook_url(self) -> str | None:
        if not self.settings.webhook_parameter:
            return None
        url = self.ports.parameters.get(self.settings.webhook_parameter)
        return url.strip() if url and is_http_url(url) else None

    def post_webhook(self, alert: Alert) -> str:
        """ "posted", "off" (no URL configured) or "failed: ..." after a bounded retry."""
        url = self.webhook_url()
        if url is None:
            return "off"
        payload = {"text": webhook_text(alert, self.frame_url(alert))}
        error = ""
        for _ in range(WEBHOOK_ATTEMPTS):
            try:
                self.ports.webhook.post(url, payload)
                return "posted"
            except WebhookError as exc:
                error = str(exc)
        return f"failed: {error}"
