"""Alerts queue, SES mail, SNS topic, SSM parameters and the optional webhook."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from botocore.exceptions import ClientError

from core.messages import Email
from core.schemas import Alert


class AlertQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url

    def send(self, alert: Alert) -> str:
        response = self._client.send_message(
            QueueUrl=self.queue_url,
            MessageBody=alert.model_dump_json(),
            MessageAttributes={
                "severity": {"DataType": "String", "StringValue": alert.severity},
                "alert_id": {"DataType": "String", "StringValue": alert.alert_id},
            },
        )
        return response["MessageId"]


class Mailer:
    def __init__(self, client: Any, sender: str) -> None:
        self._client = client
        self.sender = sender

    def send(self, recipients: list[str], email: Email) -> str:
        utf8 = "UTF-8"
        response = self._client.send_email(
            Source=self.sender,
            Destination={"ToAddresses": recipients},
            Message={
                "Subject": {"Data": email.subject, "Charset": utf8},
                "Body": {
                    "Text": {"Data": email.text, "Charset": utf8},
                    "Html": {"Data": email.html, "Charset": utf8},
                },
            },
        )
        return response["MessageId"]


class Publisher:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self.topic_arn = topic_arn

    def publish(self, subject: str, message: dict[str, Any], attributes: dict[str, str]) -> str:
        response = self._client.publish(
            TopicArn=self.topic_arn,
            Subject=subject,
            Message=json.dumps(message, ensure_ascii=False),
            MessageAttributes={
                k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
            },
        )
        return response["MessageId"]


class Parameters:
    def __init__(self, client: Any) -> None:
        self._client = client

    def get(self, name: str) -> str | None:
        """The parameter's value (SecureStrings decrypted), or None when it does not exist."""
        try:
            response = self._client.get_parameter(Name=name, WithDecryption=True)
            return response["Parameter"]["Value"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
                return None
            raise


class WebhookError(Exception):
    pass


class Webhook:
    """POSTs Slack-compatible JSON. Only http(s) URLs are accepted."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout

    @staticmethod
    def usable(url: str | None) -> bool:
        return bool(url) and str(url).strip().lower().startswith(("https://", "http://"))

    def post(self, url: str, payload: dict[str, Any]) -> int:
        if not self.usable(url):
            raise WebhookError(f"not an http(s) URL: {url[:40]!r}")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url.strip(),
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return int(response.status)
        except OSError as exc:  # URLError, HTTPError, timeouts
            raise WebhookError(str(exc)) from exc
