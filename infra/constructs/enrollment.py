"""Enrollment: faces bucket events -> SQS (with DLQ) -> enroll function."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from core.queues import BATCH_SIZES
from infra.constructs.function import DoormanFunction, FunctionDefaults
from infra.constructs.work_queue import WorkQueue

TIMEOUT = Duration.seconds(60)
FACE_EVENTS = (
    s3.EventType.OBJECT_CREATED,
    s3.EventType.OBJECT_TAGGING_PUT,
    s3.EventType.OBJECT_REMOVED,
)


class Enrollment(Construct):
    """A photo put, re-tagged or removed in the faces bucket is (re-)enrolled or forgotten."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        faces_bucket: s3.IBucket,
        environment: Mapping[str, str],
        defaults: FunctionDefaults,
    ) -> None:
        super().__init__(scope, construct_id)
        self.work = WorkQueue(self, "Events", consumer_timeout=TIMEOUT)
        for event in FACE_EVENTS:
            faces_bucket.add_event_notification(event, s3n.SqsDestination(self.work.queue))
        self.handler = DoormanFunction(
            self,
            "Enroll",
            package="enroll",
            description="Index, re-index or forget faces from the faces bucket",
            environment=environment,
            timeout=TIMEOUT,
            memory_size=512,
            defaults=defaults,
        )
        self.work.feed(self.handler.function, batch_size=BATCH_SIZES["enroll"])
