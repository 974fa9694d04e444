"""`LocalCloud`: the whole cloud side of Doorman on this machine.

moto and the face service (localcloud.services), the resources the stack creates
(localcloud.provision) and the router that runs enroll, analyze and notify on their queues
(localcloud.router). Used by the tests, the demo and `doorman local up`:

    with LocalCloud() as cloud:
        cloud.client("s3").put_object(Bucket=cloud.resources.faces_bucket, ...)
        cloud.drain()
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from pathlib import Path
from typing import Any, Literal

import boto3
from botocore.config import Config

from core.queues import BATCH_SIZES
from core.resources import StackResources

from . import motofixes
from .provision import LocalConfig, function_environments, provision, write_resources
from .router import KinesisSource, LocalFunction, QueueSource, Router, Schedule
from .runtime import LocalServices, export_lines, run_services, start_services
from .services import REGION

TIMEOUTS = {"enroll": 60, "analyze": 90, "notify": 30, "expire_strangers": 300}
# Powertools idempotency records (functions/idempotency.py keeps them in the State table,
# with Powertools' default attribute names).
IDEMPOTENCY_STATUS = "status"
IDEMPOTENCY_IN_PROGRESS = "INPROGRESS"
IDEMPOTENCY_IN_PROGRESS_EXPIRY = "in_progress_expiration"
# The services a LocalCloud serves: Rekognition from the face service, the others from moto.
Service = Literal[
    "dynamodb", "kinesis", "kinesisvideo", "rekognition", "s3", "ses", "sns", "sqs", "ssm"
]


class LocalCloud:
    """Start with `with LocalCloud() as cloud:` (own moto and face service), or pass the
    `endpoints` (local_env() of running services) to provision and route on those."""

    def __init__(
        self,
        config: LocalConfig | None = None,
        *,
        data_dir: Path | None = None,
        endpoints: dict[str, str] | None = None,
        own_processes: bool = False,
    ) -> None:
        """`own_processes`: start moto and the face service as child processes (they then
        use other cores, and moto's state is kept in `data_dir`); see localcloud.runtime."""
        self.config = config or LocalConfig()
        self.own_processes = own_processes
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="doorman-"))
        self._endpoints = dict(endpoints) if endpoints else None
        self.services: LocalServices | None = None
        self._resources: StackResources | None = None
        self.functions: dict[str, LocalFunction] = {}
        self.router: Router | None = None
        self.resources_file: Path | None = None

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> LocalCloud:
        motofixes.apply()
        if self._endpoints is None:
            self.services = start_services(data_dir=self.data_dir, own_processes=self.own_processes)
            self._endpoints = self.services.env()
        try:
            self._provision_and_route()
        except BaseException:
            self.stop()
            raise
        return self

    def _provision_and_route(self) -> None:
        env = self.env()
        resources = self._resources = provision(env, self.config)
        self.resources_file = write_resources(resources, env, self.data_dir)
        expire_abandoned_invocations(self.client("dynamodb"), resources.state_table)
        environments = function_environments(resources, self.config)
        self.functions = {
            name: LocalFunction(
                name,
                {**env, **environments[name]},
                region=REGION,
                prefix=self.config.prefix,
                timeout_s=TIMEOUTS[name],
                concurrency=self.config.concurrency,
            )
            for name in ("enroll", "analyze", "notify", "expire_strangers")
        }
        # function -> (queue role in BATCH_SIZES, queue url)
        queues = {
            "enroll": ("enroll", resources.enroll_queue_url),
            "analyze": ("frames", resources.frames_queue_url),
            "notify": ("alerts", resources.alerts_queue_url),
        }
        # A connection for each poller (boto3 drops connections beyond its pool of 10, and
        # moto starts a thread for each new one), plus the router's own calls.
        sqs = self.client("sqs", connections=len(queues) * self.config.concurrency + 4)
        sources = [
            QueueSource(
                function=self.functions[name],
                queue_url=url,
                queue_arn=self.queue_arn(url),
                batch_size=BATCH_SIZES[queue],
                visibility_timeout=self.config.visibility_timeout,
            )
            for name, (queue, url) in queues.items()
        ]
        stream = None
        if resources.face_search_stream:
            failures = sqs.create_queue(QueueName=f"{self.config.prefix}-stream-failures")
            stream = KinesisSource(
                self.client("kinesis"),
                sqs,
                self.functions["analyze"],
                stream_name=resources.face_search_stream,
                failure_queue_url=failures["QueueUrl"],
                region=REGION,
            )
        # As the stack's daily EventBridge rule (infra/constructs/stranger_expiry.py).
        expiry = Schedule(self.functions["expire_strangers"], self.config.expiry_every_seconds)
        self.router = Router(sqs, sources, region=REGION, stream=stream, schedules=[expiry]).start()

    def stop(self) -> None:
        """Stop the router (records still being handled go back to their queues), then the
        services this cloud started."""
        if self.router:
            self.router.stop()
            self.router = None
        if self.services:
            self.services.stop()
            self.services = None

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- helpers for callers -----------------------------------------------------------

    @property
    def resources(self) -> StackResources:
        """The names of what `start()` provisioned (the stack's outputs)."""
        if self._resources is None:
            raise RuntimeError("LocalCloud is not started")
        return self._resources

    def env(self) -> dict[str, str]:
        """Environment that points boto3 (and the doorman CLI) at this cloud."""
        assert self._endpoints, "LocalCloud is not started"
        return dict(self._endpoints)

    def client(self, service: Service, *, connections: int = 10) -> Any:
        """A boto3 client of `service` in this cloud (typed Any: the tests use many services),
        keeping up to `connections` connections open (boto3's default is 10)."""
        env = self.env()
        endpoint = (
            env["AWS_ENDPOINT_URL_REKOGNITION"]
            if service == "rekognition"
            else env["AWS_ENDPOINT_URL"]
        )
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            config=Config(max_pool_connections=connections),
        )

    def queue_arn(self, queue_url: str) -> str:
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"]
        )
        arn: str = attributes["Attributes"]["QueueArn"]
        return arn

    def drain(self, timeout: float = 60.0) -> None:
        assert self.router
        self.router.drain(timeout)

    @property
    def moto_url(self) -> str:
        return self.env()["AWS_ENDPOINT_URL"]


def expire_abandoned_invocations(dynamodb: Any, state_table: str) -> int:
    """Mark the Powertools idempotency records still `INPROGRESS` as expired; returns how
    many. When the cloud starts, no invocation is under way, so such a record belongs to an
    invocation that stopped with the last run. Lambda lets it block retries until the
    function's timeout; locally a retry comes after the short visibility timeout, and three
    blocked receives would send the record to the DLQ, so it is expired now."""
    expired = 0
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=state_table,
        FilterExpression="#status = :in_progress",
        ExpressionAttributeNames={"#status": IDEMPOTENCY_STATUS},
        ExpressionAttributeValues={":in_progress": {"S": IDEMPOTENCY_IN_PROGRESS}},
        ProjectionExpression="pk",
    )
    for item in (item for page in pages for item in page.get("Items", [])):
        with contextlib.suppress(dynamodb.exceptions.ConditionalCheckFailedException):
            dynamodb.update_item(
                TableName=state_table,
                Key={"pk": item["pk"]},
                UpdateExpression="SET #expiry = :expired",
                ConditionExpression="#status = :in_progress",
                ExpressionAttributeNames={
                    "#expiry": IDEMPOTENCY_IN_PROGRESS_EXPIRY,
                    "#status": IDEMPOTENCY_STATUS,
                },
                ExpressionAttributeValues={
                    ":expired": {"N": "0"},
                    ":in_progress": {"S": IDEMPOTENCY_IN_PROGRESS},
                },
            )
            expired += 1
    return expired


def run_cloud(
    moto_port: int = 0,
    face_port: int = 0,
    data_dir: Path | None = None,
    config: LocalConfig | None = None,
    stop_event: threading.Event | None = None,
) -> None:
    """`doorman local up`: services (child processes that keep their state in `data_dir`),
    resources and the router, until Ctrl-C / SIGTERM."""
    holder: dict[str, LocalCloud] = {}

    def on_ready(services: LocalServices) -> None:
        cloud = LocalCloud(config, data_dir=data_dir or services.data_dir, endpoints=services.env())
        holder["cloud"] = cloud.start()
        print(f"# Resources: {cloud.resources_file}", flush=True)
        for line in export_lines({"DOORMAN_LOCAL_DIR": str(cloud.data_dir)}):
            print(line, flush=True)

    def on_stop() -> None:
        if "cloud" in holder:
            holder.pop("cloud").stop()

    run_services(
        moto_port,
        face_port,
        data_dir,
        on_ready=on_ready,
        stop_event=stop_event,
        on_stop=on_stop,
        own_processes=True,
    )
