"""localcloud/motofixes.py: SQS receives that do not grow with the backlog, and still drop a
message past its queue's retention period, as SQS does."""

from __future__ import annotations

import pytest
from moto.core.utils import unix_time_millis
from moto.sqs.models import Queue, SQSBackend, sqs_backends

from localcloud import motofixes

ACCOUNT = "123456789012"


@pytest.fixture
def sqs() -> SQSBackend:
    motofixes.apply()
    backend = sqs_backends[ACCOUNT]["eu-west-1"]
    yield backend
    backend.reset()


def test_a_receive_does_not_build_the_queue_attributes_per_message(sqs, monkeypatch) -> None:
    sqs.create_queue("backlog")
    for n in range(300):
        sqs.send_message("backlog", f"frame {n}")
    builds = 0
    attributes = Queue.attributes

    def counted(self):
        nonlocal builds
        builds += 1
        return attributes.fget(self)

    monkeypatch.setattr(Queue, "attributes", property(counted))
    received = sqs.receive_message("backlog", 10, 0, 30)
    # moto 5.2 built them three times for each message looked at (30 for a batch of 10),
    # and each build counted all 300 messages
    assert (len(received), builds) == (10, 0)


def test_the_retention_check_still_refuses_a_message_past_its_queue_retention(sqs) -> None:
    sqs.create_queue("short", MessageRetentionPeriod="60")
    old = sqs.send_message("short", "sent 61 s ago")
    old.sent_timestamp = int(unix_time_millis()) - 61_000
    recent = sqs.send_message("short", "sent 59 s ago")
    recent.sent_timestamp = int(unix_time_millis()) - 59_000
    assert not sqs.is_message_valid_based_on_retention_period("short", old)
    assert sqs.is_message_valid_based_on_retention_period("short", recent)
