"""The daily expiry of remembered strangers: an EventBridge rule invokes a function.

A scheduled rule (rate 1 day) targets the expire_strangers function; CDK adds the Lambda
permission for events.amazonaws.com with the rule's ARN as SourceArn, so nothing else may
invoke it. EventBridge rules on a schedule:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
(rate expressions, "rate(1 day)"); Lambda as a target and its resource-based policy:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions.
EventBridge retries a failed asynchronous invocation; a missed day is caught up by the next
run, which erases everything past the retention, however late.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.constructs.function import DoormanFunction, FunctionDefaults

TIMEOUT = Duration.minutes(5)
SCHEDULE = events.Schedule.rate(Duration.days(1))


class StrangerExpiry(Construct):
    """`handler` (the expire_strangers function) and `rule` (its daily schedule)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: Mapping[str, str],
        defaults: FunctionDefaults,
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = DoormanFunction(
            self,
            "ExpireStrangers",
            package="expire_strangers",
            description="Erase strangers not seen for stranger_retention_days (daily)",
            environment=environment,
            timeout=TIMEOUT,
            memory_size=256,
            defaults=defaults,
        )
        self.rule = events.Rule(
            self,
            "Daily",
            description="Doorman: expire remembered strangers once a day",
            schedule=SCHEDULE,
            targets=[targets.LambdaFunction(self.handler.function, retry_attempts=2)],
        )
