"""An SQS queue with its dead-letter queue: encrypted, TLS-only, three receives then DLQ."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

MAX_RECEIVE_COUNT = 3
# AWS's guidance for SQS event sources: visibility at least 6x the function timeout.
VISIBILITY_FACTOR = 6
DEAD_LETTER_RETENTION = Duration.days(14)


def dead_letter_queue(scope: Construct, construct_id: str) -> sqs.Queue:
    """An encrypted, TLS-only queue that keeps failed messages for the longest SQS allows."""
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DEAD_LETTER_RETENTION,
    )


class WorkQueue(Construct):
    """`queue` feeds a consumer; a message that fails `MAX_RECEIVE_COUNT` times lands in `dlq`.

    The visibility timeout is `VISIBILITY_FACTOR` x the consumer's timeout.
    """

    def __init__(self, scope: Construct, construct_id: str, *, consumer_timeout: Duration) -> None:
        super().__init__(scope, construct_id)
        self.visibility_timeout = Duration.seconds(
            consumer_timeout.to_seconds() * VISIBILITY_FACTOR
        )
        self.dlq = dead_letter_queue(self, "DeadLetters")
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=self.visibility_timeout,
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dlq, max_receive_count=MAX_RECEIVE_COUNT
            ),
        )

    def feed(self, function: lambda_.Function, *, batch_size: int) -> None:
        """Deliver the queue to `function`, which reports partial batch failures."""
        timeout = function.timeout.to_seconds() if function.timeout else 3
        if timeout * VISIBILITY_FACTOR > self.visibility_timeout.to_seconds():
            raise ValueError(
                f"{self.node.path}: visibility timeout {self.visibility_timeout.to_seconds()} s "
                f"is under {VISIBILITY_FACTOR} x the consumer's {timeout} s timeout"
            )
        function.add_event_source(
            sources.SqsEventSource(
                self.queue, batch_size=batch_size, report_batch_item_failures=True
            )
        )
