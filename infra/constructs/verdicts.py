"""Verdicts back at the camera (issue 14, item 5): one SQS queue per edge device, subscribed
to the alerts topic with a filter policy on that device's cameras, read by that device's
role only.

- Filter policy: notify publishes every alert with the message attribute `camera_id`
  (functions/notify/logic.py); a subscription's FilterPolicy on it ("FilterPolicyScope"
  MessageAttributes, the default) delivers only the device's own cameras' verdicts
  (https://docs.aws.amazon.com/sns/latest/dg/message-filtering-apply.html).
- Raw message delivery: "any Amazon SNS metadata is stripped from the published message and
  the message is sent as is" to SQS, so the queue body is the alert JSON itself
  (https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html).
- Queue policy: CDK's SqsSubscription adds the statement that lets sns.amazonaws.com
  sqs:SendMessage to the queue only for this topic (aws:SourceArn), as
  https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html asks.
- Encryption: SQS-managed (SSE-SQS), which SNS can deliver to without a key policy; the
  topic's own KMS key protects the message until SNS delivers it.
- Retention: a day. An edge device that was offline reads what is waiting when it returns;
  the agent itself drops verdicts older than its `max_age_seconds` and counts them
  (edge_agent/verdicts.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge

RETENTION = Duration.days(1)
# What the edge does with a queue: long-poll it, delete what it handled. Nothing else.
CONSUME_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")


class Verdicts(Construct):
    """`queues`: device name -> its verdict queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        roles: Mapping[str, iam.Role],
        cameras: Mapping[str, Sequence[str]],
    ) -> None:
        super().__init__(scope, construct_id)
        self.queues: dict[str, sqs.Queue] = {}
        for device, role in roles.items():
            queue = sqs.Queue(
                self,
                f"Queue-{device}",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=RETENTION,
                visibility_timeout=Duration.seconds(30),
            )
            acknowledge(
                queue,
                "AwsSolutions-SQS3",
                "A verdict queue has no DLQ on purpose: a verdict the edge cannot use is "
                "deleted (stale or malformed, and counted), never worth keeping.",
            )
            topic.add_subscription(
                subscriptions.SqsSubscription(
                    queue,
                    raw_message_delivery=True,
                    filter_policy={
                        "camera_id": sns.SubscriptionFilter.string_filter(
                            allowlist=list(cameras[device])
                        )
                    },
                )
            )
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="ReadVerdicts", actions=list(CONSUME_ACTIONS), resources=[queue.queue_arn]
                )
            )
            self.queues[device] = queue
