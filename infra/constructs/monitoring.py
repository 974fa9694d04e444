"""Dashboard and alarms. Every alarm publishes to the alerts topic.

Alarms have explicit names, `{alarm_name_prefix}-{what}`, so their ARNs are known at synth
time and the alerts topic and its key can allow exactly these alarms (Alerts.allow_alarms).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from core.enrollment import Outcome
from infra.constructs.function import METRICS_NAMESPACE

FIVE_MINUTES = Duration.minutes(5)
ONE_DAY = Duration.days(1)
REKOGNITION_OPERATIONS = (
    "DetectFaces",
    "SearchFacesByImage",
    "DetectLabels",
    "IndexFaces",
    "DeleteFaces",
)
# Powertools metrics the functions emit (functions/*/), as (service, metric name).
FRAME_METRICS = tuple(
    ("analyze", name)
    for name in ("FramesAnalyzed", "FramesQuiet", "FramesRejected", "FramesIgnored")
)
RECORD_METRICS = tuple(
    (service, "Records") for service in ("enroll", "analyze", "notify", "expire_strangers")
)
ALERT_METRICS = (
    ("analyze", "AlertsQueued"),
    ("analyze", "AlertsRateLimited"),
    ("notify", "AlertsSent"),
    ("notify", "WebhookPosts"),
    ("notify", "WebhookFailures"),
)
REKOGNITION_METRICS = (
    ("analyze", "RekognitionCalls"),
    ("enroll", "RekognitionCalls"),
    ("expire_strangers", "RekognitionCalls"),  # ListFaces, DeleteFaces of expired strangers
)
# enroll emits "Enrollment" + outcome.title().replace("-", "") when an outcome changes.
ENROLLMENT_OUTCOMES = (*get_args(Outcome), "removed")
ENROLLMENT_METRICS = tuple(
    ("enroll", "Enrollment" + outcome.title().replace("-", "")) for outcome in ENROLLMENT_OUTCOMES
)
FACE_METRICS = (("analyze", "FacesDetected"), ("enroll", "EnrollmentIndexed"))
# The images poller (streaming=images only; its widget is added only where it runs).
IMAGE_METRICS = (("kvs_images", "ImagesStored"), ("kvs_images", "StreamsUnreadable"))
CUSTOM_METRICS = tuple(
    dict.fromkeys(
        (
            *FRAME_METRICS,
            *RECORD_METRICS,
            *FACE_METRICS,
            *ALERT_METRICS,
            *REKOGNITION_METRICS,
            *ENROLLMENT_METRICS,
            *IMAGE_METRICS,
        )
    )
)


class Monitoring(Construct):
    """`dashboard` shows throughput, enrollment outcomes, alerts, errors, DLQ depth and
    Rekognition calls per day (as counted by the functions, and AWS's per operation);
    `alarms` fire on any message in a dead-letter queue and on any function error, and
    `alarm_arns` name them for the topic's and key's policies; `dashboard_url` opens the
    dashboard in the console."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        alarm_name_prefix: str,
        functions: Mapping[str, lambda_.IFunction],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        topic: sns.ITopic,
        images_polled: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self._alarm_name_prefix = alarm_name_prefix
        self.alarms: list[cloudwatch.Alarm] = []
        self.alarm_arns: list[str] = []
        self._alarm_all(functions, dead_letter_queues, topic)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        region = Stack.of(self).region
        self.dashboard_url = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards:name={dashboard_name}"
        )
        self._add_widgets(functions, dead_letter_queues, topic, images_polled)

    def _alarm_all(
        self,
        functions: Mapping[str, lambda_.IFunction],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        topic: sns.ITopic,
    ) -> None:
        """Any message in a dead-letter queue, any function error."""
        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{name}DeadLetters",
                queue.metric_approximate_number_of_messages_visible(
                    period=FIVE_MINUTES, statistic="Maximum"
                ),
                f"Messages are waiting in the {name} dead-letter queue",
                topic,
            )
        for name, function in functions.items():
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                f"The {name} function failed",
                topic,
            )

    def _add_widgets(
        self,
        functions: Mapping[str, lambda_.IFunction],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        topic: sns.ITopic,
        images_polled: bool,
    ) -> None:
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Frames analyzed",
                left=[_custom(name, service) for service, name in FRAME_METRICS],
                right=[_custom(name, service) for service, name in RECORD_METRICS],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Faces",
                left=[_custom(name, service) for service, name in FACE_METRICS],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Alerts",
                left=[
                    *(_custom(name, service) for service, name in ALERT_METRICS),
                    topic.metric_number_of_messages_published(
                        period=FIVE_MINUTES, label="published to SNS"
                    ),
                ],
                width=8,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Enrollment outcomes",
                left=[_custom(name, service) for service, name in ENROLLMENT_METRICS],
                width=24,
            ),
        )
        if images_polled:
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="KVS images polled",
                    left=[_custom(name, service) for service, name in IMAGE_METRICS],
                    width=24,
                ),
            )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[
                    function.metric_errors(period=FIVE_MINUTES, label=name)
                    for name, function in functions.items()
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Dead-letter queue depth",
                left=[
                    queue.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum", label=name
                    )
                    for name, queue in dead_letter_queues.items()
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Rekognition calls per day",
                left=[
                    _custom(name, service, period=ONE_DAY) for service, name in REKOGNITION_METRICS
                ],
                right=[
                    cloudwatch.Metric(
                        namespace="AWS/Rekognition",
                        metric_name="SuccessfulRequestCount",
                        dimensions_map={"Operation": operation},
                        statistic="Sum",
                        period=ONE_DAY,
                        label=operation,
                    )
                    for operation in REKOGNITION_OPERATIONS
                ],
                width=8,
            ),
        )

    def _alarm(
        self, construct_id: str, metric: cloudwatch.Metric, description: str, topic: sns.ITopic
    ) -> None:
        alarm_name = f"{self._alarm_name_prefix}-{construct_id}"
        alarm = metric.create_alarm(
            self,
            construct_id,
            alarm_name=alarm_name,
            alarm_description=description,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(topic))
        self.alarms.append(alarm)
        # Built from the name, not alarm.alarm_arn: the key policy names these ARNs, and a
        # reference to the alarm would make a cycle (key -> alarm -> topic -> key).
        self.alarm_arns.append(
            Stack.of(self).format_arn(
                service="cloudwatch",
                resource="alarm",
                resource_name=alarm_name,
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
        )


def _custom(metric_name: str, service: str, period: Duration = FIVE_MINUTES) -> cloudwatch.Metric:
    """A Powertools metric: namespace Doorman, dimension `service` = the function's name."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"service": service},
        statistic="Sum",
        period=period,
        label=f"{service} {metric_name}",
    )
