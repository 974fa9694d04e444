"""Where the operator's commands point: a deployed stack's outputs, or a localcloud directory.

In AWS the resources come from the CloudFormation outputs of the stack (default "Doorman").
Locally they come from `resources.json` in the localcloud data directory; boto3 itself picks
up the endpoints from `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_REKOGNITION`, so the same
code talks to AWS and to localcloud.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
from pydantic import ValidationError

from adapters.storage import Storage
from adapters.tables import Tables
from core.resources import DEFAULT_STACK_NAME, FAKE_CREDENTIALS, StackResources

STACK_ENV = "DOORMAN_STACK"
LOCAL_DIR_ENV = "DOORMAN_LOCAL_DIR"
RESOURCES_ENV = "DOORMAN_RESOURCES"  # a resources.json path (its directory is used)
RESOURCES_FILE = "resources.json"
# Written by localcloud next to resources.json: {"AWS_ENDPOINT_URL": ..., ...}.
ENDPOINTS_FILE = "endpoints.json"
# The services operator tasks call.
Service = Literal["cloudformation", "dynamodb", "rekognition", "s3", "sqs", "ssm"]
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5)


class DiscoveryError(RuntimeError):
    """The CLI cannot tell which Doorman to talk to; the message says what to do."""


@dataclass
class Target:
    """One Doorman deployment: its resources and boto3 clients for them."""

    resources: StackResources
    origin: str
    session: boto3.Session = field(default_factory=boto3.Session)
    endpoints: dict[str, str] = field(default_factory=dict)
    stack_name: str = ""  # per-camera resources are named "{stack_name}-{camera}"
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _tables: Tables | None = field(default=None, repr=False)

    @property
    def local(self) -> bool:
        return self.origin.startswith("localcloud")

    def _endpoint(self, service: str) -> str | None:
        return self.endpoints.get(f"AWS_ENDPOINT_URL_{service.upper()}") or (
            self.endpoints.get("AWS_ENDPOINT_URL")
        )

    def client(self, service: Service) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service,
                endpoint_url=self._endpoint(service),
                config=CLIENT_CONFIG,
            )
        return self._clients[service]

    def storage(self) -> Storage:
        return Storage(self.client("s3"))

    def tables(self) -> Tables:
        """The deployment's tables, batch writes included, all with this target's session."""
        if self._tables is None:
            resource = self.session.resource(
                "dynamodb", endpoint_url=self._endpoint("dynamodb"), config=CLIENT_CONFIG
            )
            self._tables = Tables.of(self.resources, self.client("dynamodb"), resource)
        return self._tables


def resolve(
    stack: str | None = None, local_dir: Path | str | None = None, local: bool = False
) -> Target:
    """The deployment to use: localcloud when asked (flag or env), else the stack's outputs."""
    resources_file = os.environ.get(RESOURCES_ENV)
    directory = (
        local_dir
        or os.environ.get(LOCAL_DIR_ENV)
        or (str(Path(resources_file).parent) if resources_file else None)
    )
    if local or directory:
        if not directory:
            raise DiscoveryError(
                f"--local needs the localcloud data directory: pass --local-dir DIR, or set "
                f"{LOCAL_DIR_ENV} or {RESOURCES_ENV} (`doorman local up` prints the exports)"
            )
        return from_local_dir(Path(directory))
    return from_stack(stack or os.environ.get(STACK_ENV) or DEFAULT_STACK_NAME)


def from_local_dir(directory: Path) -> Target:
    path = Path(directory).expanduser() / RESOURCES_FILE
    if not path.is_file():
        raise DiscoveryError(
            f"no {RESOURCES_FILE} in {directory}: is localcloud running with that data directory?"
        )
    try:
        resources = StackResources.from_file(path)
    except (ValueError, ValidationError) as exc:
        raise DiscoveryError(f"{path} is not a Doorman resources file: {exc}") from exc
    endpoints = _local_endpoints(path.parent)
    if not endpoints and not os.environ.get("AWS_ENDPOINT_URL"):
        raise DiscoveryError(
            f"localcloud in {directory} has no {ENDPOINTS_FILE} and AWS_ENDPOINT_URL is not "
            "set: refusing to send local resource names to real AWS"
        )
    # moto takes any keys: its well-known fake ones, so no real credential is ever involved
    # and `--local-dir DIR` alone is enough.
    session = boto3.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=boto3.Session().region_name or "us-east-1",
    )
    return Target(resources, f"localcloud {directory}", session, endpoints)


def _local_endpoints(directory: Path) -> dict[str, str]:
    """Endpoints from the environment win over the ones localcloud wrote down."""
    path = directory / ENDPOINTS_FILE
    written: dict[str, str] = {}
    if path.is_file():
        try:
            written = {k: str(v) for k, v in json.loads(path.read_text()).items()}
        except (ValueError, AttributeError):
            written = {}
    from_env = {k: v for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL") and v}
    return {**written, **from_env}


def from_stack(stack: str) -> Target:
    session = boto3.Session()
    try:
        cfn = session.client("cloudformation", config=CLIENT_CONFIG)
        described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    except NoRegionError as exc:
        raise DiscoveryError(
            "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or use --local"
        ) from exc
    except NoCredentialsError as exc:
        raise DiscoveryError(
            "no AWS credentials found (the default chain: env, profile, SSO, instance role); "
            "or use --local for localcloud"
        ) from exc
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationError":
            raise DiscoveryError(
                f"stack {stack!r} not found in {session.region_name}: deploy it (cdk deploy), "
                f"pass --stack NAME / set {STACK_ENV}, or use --local"
            ) from exc
        raise DiscoveryError(f"cannot read stack {stack!r}: {exc}") from exc
    except BotoCoreError as exc:
        raise DiscoveryError(f"cannot reach CloudFormation: {exc}") from exc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    try:
        resources = StackResources.from_outputs(outputs)
    except ValidationError as exc:
        missing = sorted(
            key
            for name, key in StackResources.output_keys().items()
            if key not in outputs and StackResources.model_fields[name].is_required()
        )
        raise DiscoveryError(
            f"stack {stack!r} lacks Doorman outputs {', '.join(missing)}: is it a Doorman stack?"
        ) from exc
    return Target(resources, f"stack {stack} ({session.region_name})", session, stack_name=stack)
