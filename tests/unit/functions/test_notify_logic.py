"""notify's choices: who gets the mail, how long the frame link lives, when the webhook
fires (no network: presigned URLs are signed locally by botocore)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config

from adapters.storage import Storage
from core.schemas import Alert
from core.settings import NotifySettings
from functions.notify.logic import Notifier, Ports, recipients
from functions.notify.ports import FrameLinks
from tests.unit.functions.fakes import Hook, Links, Outbox, Ssm, Topic

WEBHOOK = "/doorman/webhook-url"


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


class Sender:
    """A Notifier over in-memory ports."""

    def __init__(
        self,
        webhook_url: str | None = None,
        error: str = "",
        storage: FrameLinks | None = None,
        **overrides: str,
    ) -> None:
        self.outbox, self.topic, self.hook = Outbox(), Topic(), Hook(error)
        self.ssm = Ssm(**({WEBHOOK: webhook_url} if webhook_url is not None else {}))
        ports = Ports(
            mailer=self.outbox,
            publisher=self.topic,
            storage=storage or Links(),
            parameters=self.ssm,
            webhook=self.hook,
        )
        self.notifier = Notifier(ports, settings(**overrides))


def offline_s3() -> Storage:
    """The real adapter: botocore signs presigned URLs locally, no request is sent."""
    return Storage(
        boto3.client(
            "s3",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            endpoint_url="http://127.0.0.1:9",
            config=Config(signature_version="s3v4"),
        )
    )


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


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", ["owner@example.com", "police@example.com"]),
        ("warning", ["owner@example.com"]),
    ],
)
def test_the_email_goes_to_the_recipients_of_its_severity(severity, expected) -> None:
    sender = Sender()
    assert sender.notifier.email(alert(severity)) == "mail-1"
    ((to, email),) = sender.outbox.sent
    assert to == expected
    assert email.subject.startswith(f"Doorman {severity}")


@pytest.mark.parametrize(("seconds", "minutes"), [(3600, 60), (900, 15)])
def test_frame_link_expires_as_configured(seconds: int, minutes: int) -> None:
    sender = Sender(storage=offline_s3(), presign_seconds=str(seconds))
    sender.notifier.email(alert())
    ((to, email),) = sender.outbox.sent
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
    sender = Sender()
    sender.notifier.email(alert(bucket="", key=""))
    ((_, email),) = sender.outbox.sent
    assert "https://" not in email.text and "<img" not in email.html


def test_the_sns_message_carries_the_alert_and_filterable_attributes() -> None:
    sender = Sender()
    assert sender.notifier.publish(alert()) == "sns-1"
    ((subject, message, attributes),) = sender.topic.published
    assert subject == "Doorman critical: Barred person at gate"
    assert message["alert_id"] == "a1"
    assert attributes == {"severity": "critical", "reason": "barred-person", "camera_id": "gate"}


@pytest.mark.parametrize("value", [None, "", "not a url", "ftp://hooks.example.com/x"])
def test_no_usable_webhook_url_means_off(value) -> None:
    sender = Sender(webhook_url=value)
    assert sender.notifier.post_webhook(alert()) == "off"
    assert sender.hook.posts == []
    assert sender.ssm.reads == [WEBHOOK]


def test_no_webhook_parameter_configured_means_off_without_reading_ssm() -> None:
    sender = Sender(webhook_url="https://hooks.example.com/x", webhook_parameter="")
    assert sender.notifier.post_webhook(alert()) == "off"
    assert sender.ssm.reads == [] and sender.hook.posts == []


def test_webhook_posts_the_alert_text_with_the_frame_link() -> None:
    url = " https://hooks.example.com/T000/B000/xyz\n"
    sender = Sender(webhook_url=url)
    assert sender.notifier.post_webhook(alert()) == "posted"
    ((posted_to, payload),) = sender.hook.posts
    assert posted_to == url.strip()
    assert payload["text"].startswith("*CRITICAL* Barred person at gate")
    assert (
        "<https://uploads.example/frames/gate/2026/05/01/t1-001.jpg?expires=3600|frame>"
        in (payload["text"])
    )


def test_a_webhook_failing_twice_is_reported_failed_not_retried_forever() -> None:
    url = "https://hooks.example.com/T000/B000/xyz"
    sender = Sender(webhook_url=url, error="HTTP Error 500")
    assert sender.notifier.post_webhook(alert()) == "failed: HTTP Error 500"
    assert [posted_to for posted_to, _ in sender.hook.posts] == [url, url]
