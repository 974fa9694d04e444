"""What notify needs from outside, one small Protocol per port.

The adapters implement them (adapters.messaging.Mailer, Publisher, Parameters, Webhook
and adapters.storage.Storage); the unit tests use in-memory fakes.
"""

from __future__ import annotations

from typing import Any, Protocol

from core.messages import Email


class MailSender(Protocol):
    def send(self, recipients: list[str], email: Email) -> str: ...


class TopicPublisher(Protocol):
    def publish(self, subject: str, message: dict[str, Any], attributes: dict[str, str]) -> str: ...


class FrameLinks(Protocol):
    def presigned_get(self, bucket: str, key: str, expires_in: int) -> str: ...


class ParameterReader(Protocol):
    def get(self, name: str) -> str | None:
        """The value, or None when the parameter does not exist."""
        ...


class WebhookPoster(Protocol):
    def post(self, url: str, payload: dict[str, Any]) -> int:
        """POST the JSON payload; raises adapters.messaging.WebhookError when it fails."""
        ...
