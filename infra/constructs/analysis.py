"""Analysis: uploads bucket (frames/, kvs/) -> SQS (with DLQ) -> analyze function.

With streaming on, analyze also consumes the face-search Kinesis Data Stream.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from core.queues import BATCH_SIZES
from core.records import FRAME_PREFIXES
from infra.constructs.function import DoormanFunction, FunctionDefaults
from infra.constructs.work_queue import WorkQueue, dead_letter_queue
from infra.nag import acknowledge

TIMEOUT = Duration.seconds(90)
STREAM_BATCH_SIZE = 50
STREAM_RETRY_ATTEMPTS = 3


class Analysis(Construct):
    """`work` (frames queue and DLQ) feeds `handler`; after `consume(stream)`,
    `stream_failures` holds the Kinesis batches that failed every retry."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        uploads_bucket: s3.IBucket,
        environment: Mapping[str, str],
        defaults: FunctionDefaults,
    ) -> None:
        super().__init__(scope, construct_id)
        self.work = WorkQueue(self, "Frames", consumer_timeout=TIMEOUT)
        for prefix in FRAME_PREFIXES:
            uploads_bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED,
                s3n.SqsDestination(self.work.queue),
                s3.NotificationKeyFilter(prefix=prefix),
            )
        self.handler = DoormanFunction(
            self,
            "Analyze",
            package="analyze",
            description="Find, search and classify faces in frames; raise alerts",
            environment=environment,
            timeout=TIMEOUT,
            memory_size=1024,
            defaults=defaults,
        )
        self.work.feed(self.handler.function, batch_size=BATCH_SIZES["frames"])
        self.stream_failures: sqs.Queue | None = None

    def consume(self, stream: kinesis.IStream) -> None:
        """Also analyze face-search results from a Kinesis Data Stream (streaming path)."""
        self.stream_failures = dead_letter_queue(self, "StreamFailures")
        acknowledge(
            self.stream_failures,
            "AwsSolutions-SQS3",
            "This queue is the on-failure destination of the Kinesis event source (a DLQ in "
            "all but name); it holds batch metadata for inspection and has no consumer.",
        )
        self.handler.function.add_event_source(
            sources.KinesisEventSource(
                stream,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=STREAM_BATCH_SIZE,
                bisect_batch_on_error=True,
                retry_attempts=STREAM_RETRY_ATTEMPTS,
                max_record_age=Duration.hours(1),
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.stream_failures),
            )
        )
