"""Alerts: alerts queue (with DLQ) -> notify function; SNS topic; SES identities; SSM switches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from core.queues import BATCH_SIZES
from core.rules import DEFAULT_RULES, MODES
from infra.constructs.function import DoormanFunction, FunctionDefaults
from infra.constructs.work_queue import WorkQueue

TIMEOUT = Duration.seconds(30)
ARMED, DISARMED = "armed", "disarmed"


class Alerts(Construct):
    """Everything that turns an Alert message into mail, SNS and a webhook post.

    - `topic`: encrypted with `key`, a customer managed key (with the AWS managed aws/sns key
      CloudWatch alarms could not publish to it); the owner gets an email subscription
      (confirm the mail AWS sends). `allow_alarms` lets CloudWatch publish for given alarms.
    - `identities`: SES email identities for the sender and every recipient, so a sandbox
      account can send after each address clicks its verification link. Addresses in
      `verified_addresses` already have an identity in the account (created outside this
      stack, which could not create it again): they are referenced, not created.
    - `armed`: the mode switch (home|away|night) analyze reads; `rules`: the alert rules.
    - `webhook`: the name of an SSM parameter the user creates (SecureString) to enable the
      Slack-compatible webhook; the stack never holds the URL.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        owner_email: str,
        addresses: Sequence[str],
        verified_addresses: Sequence[str] = (),
        webhook_parameter: str,
        environment: Mapping[str, str],
        defaults: FunctionDefaults,
    ) -> None:
        super().__init__(scope, construct_id)
        self.work = WorkQueue(self, "Alerts", consumer_timeout=TIMEOUT)
        self.key = kms.Key(
            self,
            "Key",
            description="Doorman alerts topic (CloudWatch alarms publish to it too)",
            enable_key_rotation=True,
            # It only protects alert messages in flight: nothing to keep after a destroy.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        self.topic = sns.Topic(
            self, "Topic", display_name="Doorman alerts", master_key=self.key, enforce_ssl=True
        )
        self.topic.add_subscription(subscriptions.EmailSubscription(owner_email))
        self.identities: list[ses.IEmailIdentity] = [
            ses.EmailIdentity(self, f"Identity{index}", identity=ses.Identity.email(address))
            for index, address in enumerate(addresses)
        ]
        self.identities += [
            ses.EmailIdentity.from_email_identity_name(self, f"Verified{index}", address)
            for index, address in enumerate(verified_addresses)
        ]
        self.armed = ssm.StringParameter(
            self,
            "Armed",
            description="Doorman mode: home, away or night (the alert rules match on it; "
            "'armed' = away, 'disarmed' = home). `doorman mode|arm|disarm` sets it.",
            string_value=ARMED,
            allowed_pattern=f"^({'|'.join((*MODES, ARMED, DISARMED))})$",
        )
        # The alert rules (core/rules.py), validated by `doorman rules set` before it writes
        # them. A standard parameter: values up to 4096 characters, no charge
        # (https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html);
        # core.rules.MAX_DOCUMENT_CHARS refuses a longer document.
        self.rules = ssm.StringParameter(
            self,
            "Rules",
            description="Doorman alert rules (JSON, core/rules.py). `doorman rules set` "
            "validates and writes them.",
            string_value=DEFAULT_RULES.compact(),
            tier=ssm.ParameterTier.STANDARD,
        )
        self.webhook = ssm.StringParameter.from_secure_string_parameter_attributes(
            self, "Webhook", parameter_name=webhook_parameter
        )
        self.handler = DoormanFunction(
            self,
            "Notify",
            package="notify",
            description="Send alert mail, SNS and webhook posts",
            # The topic and the webhook switch belong to this construct; the rest comes in.
            environment={
                **environment,
                "ALERTS_TOPIC_ARN": self.topic.topic_arn,
                "WEBHOOK_PARAMETER": webhook_parameter,
            },
            timeout=TIMEOUT,
            memory_size=256,
            defaults=defaults,
        )
        self.work.feed(self.handler.function, batch_size=BATCH_SIZES["alerts"])

    def allow_alarms(self, alarm_arns: Sequence[str]) -> None:
        """Let CloudWatch publish to the topic, and use its key, on behalf of exactly these
        alarms of this account.

        `enforce_ssl` gives the topic a policy of its own, which replaces SNS's default one,
        so without this statement every alarm action fails with "not authorized"
        (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger). An
        encrypted topic also needs the service allowed on the key
        (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, "compatibility
        with AWS services"). aws:SourceAccount and aws:SourceArn keep CloudWatch from
        publishing for anyone else's alarms (confused deputy;
        https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
        """
        if not alarm_arns:
            raise ValueError("allow_alarms needs the ARN of at least one alarm")
        cloudwatch = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        conditions = {
            "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
            "ArnEquals": {"aws:SourceArn": list(alarm_arns)},
        }
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[cloudwatch],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=conditions,
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsEncrypt",
                principals=[cloudwatch],
                # What SNS asks KMS for when a publisher sends to an encrypted topic.
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=conditions,
            )
        )
