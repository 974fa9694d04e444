"""notify through the router: alerts-queue messages -> SES, SNS and the webhook, once."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytestmark = pytest.mark.integration
HOSTILE_NAME = "<b>Bob</b> & <script>steal()</script>"


class _HookServer(ThreadingHTTPServer):
    """Records what it was posted and answers with `status`."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Hook)
        self.received: list[Any] = []
        self.status = 200


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        assert isinstance(self.server, _HookServer)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook(cloud) -> Iterator[_HookServer]:
    """A Slack-like endpoint on 127.0.0.1, configured in the webhook SSM parameter."""
    server = _HookServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks/doorman"
    cloud.ssm.put_parameter(
        Name=cloud.r.webhook_parameter, Value=url, Type="SecureString", Overwrite=True
    )
    yield server
    cloud.ssm.delete_parameter(Name=cloud.r.webhook_parameter)
    server.shutdown()
    thread.join()


def alert(camera: str, **fields: Any) -> dict[str, Any]:
    return {
        "alert_id": uuid.uuid4().hex,
        "severity": "critical",
        "reason": "barred-person",
        "camera_id": camera,
        "event_time": "2026-05-01T12:00:00.000Z",
        "bucket": "uploads-bucket",
        "key": f"frames/{camera}/2026/05/01/t1-001.jpg",
        "people": [
            {"person_id": "bob", "name": HOSTILE_NAME, "watchlist": "barred", "similarity": 97.4}
        ],
        "unknown_faces": 0,
        "labels": [],
        "source": "frame",
        **fields,
    }


def test_a_critical_alert_reaches_everyone_exactly_once(cloud, webhook) -> None:
    message = json.dumps(alert("notify-gate"))
    for _ in range(2):  # SQS delivers at least once: the same alert twice
        cloud.sqs.send_message(QueueUrl=cloud.r.alerts_queue_url, MessageBody=message)
    cloud.drain()

    (email,) = cloud.emails("notify-gate")
    assert sorted(email["destinations"]["ToAddresses"]) == [
        "owner@example.com",
        "police@example.com",
    ]
    assert "<script>" not in email["body"] and "<b>Bob" not in email["body"]
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; &lt;script&gt;steal()&lt;/script&gt;" in email["body"]
    assert "97% similar" in email["body"] and "2026-05-01 12:00:00 UTC" in email["body"]

    (posted,) = webhook.received
    assert posted["text"].startswith("*CRITICAL*")
    assert "<script>" not in posted["text"] and "&lt;script&gt;" in posted["text"]
    alert_id = json.loads(message)["alert_id"]
    assert [m["alert_id"] for m in cloud.sns_messages()].count(alert_id) == 1


def test_a_failing_webhook_is_counted_not_retried_forever(cloud, webhook) -> None:
    webhook.status = 500
    notify = cloud.local.router.status()["notify"]
    message = alert(
        "notify-porch",
        severity="warning",
        reason="unknown-face",
        people=[],
        unknown_faces=1,
        possible_matches=[
            {"person_id": "ann", "name": "Ann", "watchlist": "known", "similarity": 84.2}
        ],
    )
    cloud.sqs.send_message(QueueUrl=cloud.r.alerts_queue_url, MessageBody=json.dumps(message))
    cloud.drain()

    (email,) = cloud.emails("notify-porch")
    assert email["destinations"]["ToAddresses"] == ["owner@example.com"]
    assert "possible match: Ann (84%)" in email["body"]
    assert len(webhook.received) == 2  # two attempts, then give up
    after = cloud.local.router.status()["notify"]
    assert after["failed"] == notify["failed"] and after["succeeded"] == notify["succeeded"] + 1
