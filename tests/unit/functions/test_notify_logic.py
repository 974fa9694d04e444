"""notify's choices: who gets the mail, how long the frame link lives, when the webhook
fires (no network: presigned URLs are signed locally by botocore)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config

from adapters.messaging import Webhook, WebhookError
from adapters.storage import Storage
from core.schemas import Alert
from core.settings import NotifySettings
from functions.notify.logic import Notifier, Ports, recipients


def settings(**overrides) -> NotifySettings:
    base = {
        "state_table": "state",
        "owner_email": "owner@example.com",
        "sender_email": "doorman@example.com",
        "authorities_emails": "police@example.com, owner@example.com",
        "alerts_topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts",
        "webhook_parameter": "/doorman/webhook-url",
    }
    return NotifySettings(**{**base, **overrides})


def alert(severity: str = "critical", **fields) -> Alert:
    reason = "barred-person" if severity == "critical" else "unknown-face"
    base = {
        "alert_id": "a1",
        "severity": severity,
        "reason": reason,
        "camera_id": "gate",
        "event_time": "2026-05-01T12:00:00.000Z",
        "bucket": "uploads",
        "key": "frames/gate/2026/05/01/t1-001.jpg",
    }
    return Alert(**{**base, **fields})


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[list[str], object]] = []

    def send(self, to: list[str], email: object) -> str:
        self.sent.append((to, email))
        return "m-1"


class Ssm:
    def __init__(self, value: str | None) -> None:
        self.value = value

    def get(self, name: str) -> str | None:
        return self.value


class Hook(Webhook):
    def __init__(self, fail: bool) -> None:
        super().__init__()
        self.fail = fail
        self.posts: list[str] = []

    def post(self, url: str, payload: dict) -> int:
        self.posts.append(url)
        if self.fail:
            raise WebhookError("HTTP Error 500")
        return 200


def notifier(webhook_url: str | None = None, fail: bool = False, **overrides) -> Notifier:
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url="http://127.0.0.1:9",
        config=Config(signature_version="s3v4"),
    )
    ports = Ports(
        mailer=Outbox(),  # type: ignore[arg-type]
        publisher=None,  # type: ignore[arg-type]
        storage=Storage(s3),
        parameters=Ssm(webhook_url),  # type: ignore[arg-type]
        webhook=Hook(fail),
    )
    return Notifier(ports, settings(**overrides))


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", ["owner@example.com", "police@example.com"]),
        ("warning", ["owner@example.com"]),
    ],
)
def test_authorities_hear_only_of_critical_alerts(severity, expected) -> None:
    authorities = settings().authorities_emails
    assert recipients(alert(severity), "owner@example.com", authorities) == expected


@pytest.mark.parametrize(("seconds", "minutes"), [(3600, 60), (900, 15)])
def test_frame_link_expires_as_configured(seconds: int, minutes: int) -> None:
    sender = notifier(presign_seconds=str(seconds))
    sender.email(alert())
    ((to, email),) = sender.ports.mailer.sent  # type: ignore[attr-defined]
    assert to == ["owner@example.com", "police@example.com"]
    url = next(w for w in email.text.split() if w.startswith("http://127.0.0.1:9/"))
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == [str(seconds)]
    assert urlsplit(url).path == "/uploads/frames/gate/2026/05/01/t1-001.jpg"
    assert f"Frame (link valid {minutes} min)" in email.text


def test_presign_expiry_is_bounded_by_what_s3_allows() -> None:
    with pytest.raises(ValueError, match="presign_seconds"):
        settings(presign_seconds="604801")  # SigV4 links live 7 days at most


def test_stream_alerts_have_no_frame_link() -> None:
    sender = notifier()
    sender.email(alert(bucket="", key=""))
    ((_, email),) = sender.ports.mailer.sent  # type: ignore[attr-defined]
    assert "X-Amz-Signature" not in email.text and "<img" not in email.html


@pytest.mark.parametrize("value", [None, "", "not a url", "ftp://hooks.example.com/x"])
def test_no_usable_webhook_url_means_off(value) -> None:
    sender = notifier(webhook_url=value)
    assert sender.post_webhook(alert()) == "off"
    assert sender.ports.webhook.posts == []  # type: ignore[attr-defined]


def test_webhook_posts_to_the_ssm_url_and_gives_up_after_two_attempts() -> None:
    url = " https://hooks.example.com/T000/B000/xyz\n"
    assert notifier(webhook_url=url).post_webhook(alert()) == "posted"
    failing = notifier(webhook_url=url, fail=True)
    assert failing.post_webhook(alert()) == "failed: HTTP Error 500"
    assert failing.ports.webhook.posts == [url.strip()] * 2  # type: ignore[attr-defined]
