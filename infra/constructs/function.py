"""Lambda defaults in one place: every Doorman function is built by `DoormanFunction`.

Newest Python runtime CDK offers, arm64, JSON logs into a log group with retention, X-Ray,
the project's dependency layer (Powertools included, at the versions the tests run), and its
own role that starts empty: the stack grants each function exactly what it calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, IgnoreMode, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.nag import acknowledge, default_policy

REPO_ROOT = Path(__file__).resolve().parents[2]
# The function asset holds these packages, so handlers import them under the same names as
# the tests, the edge agent, the CLI and infra do (`core.…`, `adapters.…`, `functions.…`).
ASSET_PACKAGES = ("core", "adapters", "functions")
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
METRICS_NAMESPACE = "Doorman"
# Everything else in the repository is left out, and so are caches.
# CDK's glob patterns match each path: "*" and ".*" leave out every top-level entry
# (dotfiles too), then the packages and everything below them are let back in.
ASSET_EXCLUDES = [
    "*",
    ".*",
    *(f"!{package}" for package in ASSET_PACKAGES),
    *(f"!{package}/**" for package in ASSET_PACKAGES),
    "**/__pycache__",
    "**/*.pyc",
    "**/.pytest_cache",
]

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


@dataclass(frozen=True)
class FunctionDefaults:
    """What every function shares, decided once by the stack."""

    layers: Sequence[lambda_.ILayerVersion]
    log_retention_days: int
    removal_policy: RemovalPolicy


class DoormanFunction(Construct):
    """One Lambda function with its own role and log group. `function` and `role` are public."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        package: str,
        description: str,
        environment: Mapping[str, str],
        timeout: Duration,
        memory_size: int,
        defaults: FunctionDefaults,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=_RETENTION[defaults.log_retention_days],
            removal_policy=defaults.removal_policy,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Doorman {package} function",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=f"functions.{package}.handler.lambda_handler",
            code=lambda_.Code.from_asset(
                str(REPO_ROOT), exclude=ASSET_EXCLUDES, ignore_mode=IgnoreMode.GLOB
            ),
            role=self.role,
            timeout=timeout,
            memory_size=memory_size,
            layers=list(defaults.layers),
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                **environment,
                "POWERTOOLS_SERVICE_NAME": package,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        acknowledge(
            default_policy(self.role),
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no "
            "resource type, so IAM only accepts '*' for them.",
        )
