"""Alerts queue, SES mail, SNS topic, SSM parameters and the optional webhook."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from core.messages import Email
from core.schemas import Alert

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient


def queue_depth(client: SQSClient, queue_url: str) -> int:
    """Messages waiting or in flight (SQS's approximate counts)."""
    attributes = client.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


class AlertQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
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


@dataclass(frozen=True)
class QueuedMessage:
    receipt: str
    body: str


class VerdictQueue:
    """An edge device's verdict queue (infra/constructs/verdicts.py): long-poll, delete."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url

    def receive(self, wait_seconds: int = 20, max_messages: int = 10) -> list[QueuedMessage]:
        response = self._client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
        )
        return [
            QueuedMessage(m["ReceiptHandle"], m.get("Body", ""))
            for m in response.get("Messages", [])
        ]

    def delete(self, receipt: str) -> None:
        self._client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)

    @classmethod
    def connect(cls, queue_url: str, region: str | None = None) -> VerdictQueue:
        """The queue with a client of the default credentials (the device's role profile);
        read timeouts longer than SQS's 20 s long poll."""
        import boto3
        from botocore.config import Config

        config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3})
        return cls(boto3.client("sqs", region_name=region, config=config), queue_url)


class Mailer:
    def __init__(self, client: SESClient, sender: str) -> None:
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
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
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
    """SSM parameters through Powertools' SSMProvider, which keeps each value for `max_age`
    seconds (0: read every time). A parameter that does not exist is None, and is read
    again next time (the provider caches values only)."""

    def __init__(self, client: SSMClient, *, max_age: int) -> None:
        self._provider = SSMProvider(boto3_client=client)
        self.max_age = max_age

    def get(self, name: str) -> str | None:
        """The parameter's value (SecureStrings decrypted), or None when it does not exist."""
        try:
            value = self._provider.get(name, max_age=self.max_age, decrypt=True)
        except GetParameterError as exc:
            # The provider re-raises the SDK error as GetParameterError(str(error)) inside
            # its `except`, so the ClientError is the exception's __context__.
            if _error_code(exc.__context__) == "ParameterNotFound":
                return None
            raise
        return value if isinstance(value, str) else None  # str: no transform was asked for


def _error_code(error: BaseException | None) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


class WebhookError(Exception):
    pass


def is_http_url(url: str | None) -> bool:
    """Webhook URLs must be http(s): anything else (file:, ftp:, junk) is not posted to."""
    return bool(url) and str(url).strip().lower().startswith(("https://", "http://"))


class Webhook:
    """POSTs Slack-compatible JSON. Only http(s) URLs are accepted."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout

    def post(self, url: str, payload: dict[str, Any]) -> int:
        if not is_http_url(url):
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
