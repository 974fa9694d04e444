"""Typed configuration of one Doorman deployment, read once from the CDK context.

Every user-facing setting lives in cdk.json's `context` and can be overridden on the command
line (`cdk deploy -c streaming=true -c owner_email=me@example.org`). Values given with `-c`
arrive as strings, so lists also accept comma-separated text and booleans accept "true"/"false".
Anything wrong fails synth with a message that names the offending key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from core.records import video_stream_name
from core.strangers import MAX_CROPS, STRANGER_RETENTION_DAYS, STRANGER_THRESHOLD

# A pragmatic address check: one @, no spaces, a dotted domain. SES verifies the rest.
_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
# Camera ids become Kinesis Video Stream and stream processor names (checked below).
# One safe path and S3 key segment, as the edge agent requires (so never "." or "..").
_CAMERA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# CloudFormation: "alphanumeric characters (case sensitive) and hyphens. It must start with an
# alphabetical character and can't be longer than 128 characters" (botocore cloudformation
# 2010-05-15, CreateStackInput.StackName). The names built from it are checked below.
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
# Device names name the device's edge role: IAM's RoleName is 1-64 of `[\w+=,.@-]`, unique
# per account regardless of case (IAM API Reference, CreateRole / PolicyRole.RoleName).
_DEVICE_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]{1,64}$")
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 180, 365)


@dataclass(frozen=True)
class NameRule:
    """What one API accepts as a name: botocore's `service` model, shape `shape` (min 1)."""

    what: str
    service: str
    shape: str
    max_length: int
    pattern: str

    def fits(self, name: str) -> bool:
        return len(name) <= self.max_length and re.fullmatch(self.pattern, name) is not None


# From botocore's service models (.venv/.../botocore/data/<service>/*/service-2.json.gz);
# tests/infra/test_names.py compares them with the models.
STREAM_PROCESSOR_NAME = NameRule(
    "Rekognition stream processor name",
    "rekognition",
    "StreamProcessorName",
    128,
    r"[a-zA-Z0-9_.\-]+",
)
VIDEO_STREAM_NAME = NameRule(
    "Kinesis video stream name", "kinesisvideo", "StreamName", 256, r"[a-zA-Z0-9_.-]+"
)
COLLECTION_ID = NameRule(
    "Rekognition collection id", "rekognition", "CollectionId", 255, r"[a-zA-Z0-9_.\-]+"
)
NAME_RULES = (STREAM_PROCESSOR_NAME, VIDEO_STREAM_NAME, COLLECTION_ID)
# Stream processor names may carry a settings hash after `{stack_name}-{camera}`: "-" and 8
# hex characters (infra/constructs/streaming.py). Names are validated with this worst case.
PROCESSOR_NAME_SUFFIX_LENGTH = 9
# Not checked here because they cannot overflow: the face-search Kinesis data stream, log
# groups, roles and parameters other than the webhook's get names CloudFormation generates;
# alarm names are `{stack_name}-{what}` (at most 128 + 26 of CloudWatch's 255), the
# dashboard is named `stack_name` (CloudWatch allows 255 of A-Z, a-z, 0-9, "-", "_") and the
# collection `{stack_name}-faces` (at most 134 of COLLECTION_ID's 255; an
# `existing_collection_id` is checked against COLLECTION_ID on its own).

# SSM parameter names: "a-zA-Z0-9_.-" and "/" between levels, at most fifteen levels, no
# "aws" or "ssm" prefix, and at most 1011 characters *including the ARN that precedes the
# name* ("arn:aws:ssm:us-east-2:111122223333:parameter/" counts 45): botocore ssm 2014-11-06,
# PutParameterRequest.Name, and
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
# (PSParameterName's max of 2048 includes 1037 characters SSM reserves). The ARN prefix is
# budgeted for a long partition and region.
_SSM_NAME = re.compile(r"/[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*")
_SSM_ARN_PREFIX = "arn:aws-us-gov:ssm:ap-southeast-5:123456789012:parameter"
SSM_NAME_MAX_LENGTH = 1011 - len(_SSM_ARN_PREFIX)
SSM_MAX_LEVELS = 15


class ConfigError(ValueError):
    """The CDK context is invalid; the message names every offending key."""


def _split_list(value: object) -> object:
    """Accept a JSON list, a JSON-encoded list or comma-separated text (from `-c key=a,b`)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


def _json_object(value: object) -> object:
    """`-c devices='{"porch-pi": ["front-door"]}'` arrives as text; cdk.json holds an object."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(
                f"{value!r} is not a JSON object of device name -> camera ids"
            ) from None
    return value


def _check_device_name(value: str) -> str:
    if not _DEVICE_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid device name (IAM role-name characters "
            "A-Z a-z 0-9 _ + = , . @ -, at most 64)"
        )
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not a valid email address")
    return value


def _check_pattern(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid {what} (must match {pattern.pattern})")
        return value

    return check


def _check_ssm_name(value: str) -> str:
    if not _SSM_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an SSM parameter name (a leading '/', then levels of "
            "A-Z a-z 0-9 _ . - separated by '/')"
        )
    if value.lstrip("/")[:3].lower() in ("aws", "ssm"):
        raise ValueError(f"{value!r}: SSM reserves names that begin with 'aws' or 'ssm'")
    if value.count("/") > SSM_MAX_LEVELS:
        raise ValueError(f"{value!r} has more than {SSM_MAX_LEVELS} levels")
    if len(value) > SSM_NAME_MAX_LENGTH:
        raise ValueError(
            f"{value!r} is {len(value)} characters; SSM allows 1011 including the "
            f"parameter's ARN, so at most {SSM_NAME_MAX_LENGTH}"
        )
    return value


def _check_collection_id(value: str) -> str:
    if value and not COLLECTION_ID.fits(value):
        raise ValueError(
            f"{value!r} is not a {COLLECTION_ID.what} (at most {COLLECTION_ID.max_length} "
            f"characters matching {COLLECTION_ID.pattern})"
        )
    return value


def _check_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{value} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}"
        )
    return value


def _streaming_mode(value: object) -> object:
    """`-c streaming=true|false|images` arrives as text; cdk.json may hold a JSON boolean."""
    if isinstance(value, str):
        text = value.strip().lower()
        modes: dict[str, bool | str] = {"true": True, "false": False, "images": "images"}
        if text not in modes:
            raise ValueError(f"{value!r} is not a streaming mode; use false, true or images")
        return modes[text]
    return value


Email = Annotated[str, AfterValidator(_check_email)]
EmailList = Annotated[list[Email], BeforeValidator(_split_list)]
CameraId = Annotated[str, AfterValidator(_check_pattern(_CAMERA_ID, "camera id"))]
Percent = Annotated[float, Field(ge=0, le=100)]
DeviceName = Annotated[str, AfterValidator(_check_device_name)]


class DoormanConfig(BaseModel):
    """The context keys Doorman understands. CDK's own keys (`@aws-cdk/...`, `aws:cdk:...`)
    are ignored; any other unknown key is an error, because a typo must not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack_name: Annotated[str, AfterValidator(_check_pattern(_STACK_NAME, "stack name"))] = (
        "Doorman"
    )
    # Who gets mail, and who sends it (an SES identity the stack creates).
    owner_email: Email
    sender_email: Email
    authorities_emails: EmailList = Field(default_factory=list)
    # Decisions, on Rekognition's 0-100 similarity scale.
    known_threshold: Percent = 90.0
    barred_threshold: Percent = 95.0
    possible_match_threshold: Percent = 80.0
    cooldown_seconds: int = Field(300, ge=0, le=86_400)
    presign_seconds: int = Field(3600, ge=60, le=604_800)
    alarm_labels: Annotated[list[str], BeforeValidator(_split_list)] = Field(
        default_factory=lambda: ["Person", "Human"], min_length=1
    )
    labels_on_every_image: bool = False
    # Remembered strangers (core.strangers): the similarity that makes a face the same
    # stranger, the best crops kept per stranger, and how long after the last sighting the
    # daily expiry erases one.
    stranger_threshold: Percent = STRANGER_THRESHOLD
    stranger_crops: int = Field(MAX_CROPS, ge=1, le=10)
    stranger_retention_days: int = Field(STRANGER_RETENTION_DAYS, ge=1, le=3650)
    # Retention.
    frame_retention_days: int = Field(30, ge=1, le=3650)
    quiet_retention_days: int = Field(1, ge=1, le=3650)
    event_retention_days: int = Field(30, ge=1, le=3650)
    log_retention_days: Annotated[int, AfterValidator(_check_retention)] = 30
    # Cameras and the optional streaming path.
    cameras: Annotated[list[CameraId], BeforeValidator(_split_list)] = Field(
        default_factory=lambda: ["front-door"], min_length=1
    )
    # false: edge uploads only; true: video streams + Rekognition stream processors (accounts
    # that used them before 2026-04-30); images: video streams + KVS image generation to kvs/.
    streaming: Annotated[bool | Literal["images"], BeforeValidator(_streaming_mode)] = False
    # images mode: one JPEG per camera this often (KVS's minimum interval is 200 ms).
    image_interval_seconds: float = Field(2.0, ge=0.2, le=60)
    # images mode: how the JPEGs reach kvs/. `poller` (default): a function reads each
    # stream with GetImages, whatever the producer (doorman push, kvssink). `generation`:
    # KVS image generation to S3, only for producers that tag their fragments
    # AWS_KINESISVIDEO_IMAGE_GENERATION (the KVS Producer SDK's putKinesisVideoEventMetadata);
    # stock kvssink can't, so with it no image would ever arrive.
    kvs_image_delivery: Literal["poller", "generation"] = "poller"
    webhook_parameter: Annotated[str, AfterValidator(_check_ssm_name)] = "/doorman/webhook-url"
    # The edge: `edge_recognition` lets the device roles read the faces bucket (gallery sync
    # for local recognition); `devices` gives each device its own role for its cameras
    # (empty: one role for every camera, the `EdgeRoleArn` output).
    edge_recognition: bool = False
    devices: Annotated[
        dict[DeviceName, Annotated[list[CameraId], Field(min_length=1)]],
        BeforeValidator(_json_object),
    ] = Field(default_factory=dict)
    # What `cdk destroy` does to data: keep it (retain) or delete it (destroy, for dev).
    removal_policy: Literal["retain", "destroy"] = "retain"
    # Faces blurred in stored frames, thumbnails and alert images (core/blur.py).
    privacy_blur: Literal["none", "known", "bystanders"] = "none"
    # Deploy again after a retained destroy (or into an account that has them already):
    # use this existing collection instead of creating `{stack_name}-faces` ...
    existing_collection_id: Annotated[str, AfterValidator(_check_collection_id)] = ""
    # ... and this one instead of `{stack_name}-strangers` ...
    existing_strangers_collection_id: Annotated[str, AfterValidator(_check_collection_id)] = ""
    # ... and do not create SES identities for these addresses: they are verified already.
    existing_ses_identities: EmailList = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> DoormanConfig:
        problems = []
        if self.barred_threshold < self.known_threshold:
            problems.append(
                f"barred_threshold: {self.barred_threshold:g} must be at least "
                f"known_threshold ({self.known_threshold:g})"
            )
        if self.possible_match_threshold > self.known_threshold:
            problems.append(
                f"possible_match_threshold: {self.possible_match_threshold:g} must not exceed "
                f"known_threshold ({self.known_threshold:g})"
            )
        if self.quiet_retention_days > self.frame_retention_days:
            problems.append(
                f"quiet_retention_days: {self.quiet_retention_days} must not exceed "
                f"frame_retention_days ({self.frame_retention_days})"
            )
        if len(set(self.cameras)) != len(self.cameras):
            problems.append("cameras: camera ids must be unique")
        problems += self._device_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _device_problems(self) -> list[str]:
        """Each device lists configured cameras, each camera is on one device at most, and
        no two device names differ only in case (IAM role names do not)."""
        problems = []
        owner: dict[str, str] = {}
        lowered: dict[str, str] = {}
        for device, cameras in self.devices.items():
            if device.lower() in lowered:
                problems.append(
                    f"devices: {lowered[device.lower()]!r} and {device!r} differ only in case"
                )
            lowered[device.lower()] = device
            for camera in cameras:
                if camera not in self.cameras:
                    problems.append(
                        f"devices.{device}: {camera!r} is not one of cameras "
                        f"({', '.join(self.cameras)})"
                    )
                elif camera in owner and owner[camera] == device:
                    problems.append(f"devices.{device}: {camera!r} is listed twice")
                elif camera in owner:
                    problems.append(
                        f"devices: {camera!r} is on devices {owner[camera]} and {device}; "
                        "a camera belongs to one device"
                    )
                owner.setdefault(camera, device)
        return problems

    @property
    def stream_processors(self) -> bool:
        """`streaming=true`: Rekognition face-search stream processors over video streams."""
        return self.streaming is True

    @property
    def image_generation(self) -> bool:
        """`streaming=images`: KVS image generation from video streams into kvs/."""
        return self.streaming == "images"

    @model_validator(mode="after")
    def _names_fit(self) -> DoormanConfig:
        problems = self._name_problems()
        unknown = [a for a in self.existing_ses_identities if a not in self.recipient_emails]
        if unknown:
            problems.append(
                f"existing_ses_identities: {', '.join(unknown)} is not one of the addresses "
                "the stack mails (sender_email, owner_email, authorities_emails)"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _name_problems(self) -> list[str]:
        """Every camera's video stream and stream processor name must fit its API, even
        with streaming off (turning it on must not make a deployment invalid); the
        processor name with the longest settings-hash suffix."""
        suffix = PROCESSOR_NAME_SUFFIX_LENGTH
        checks = ((VIDEO_STREAM_NAME, 0), (STREAM_PROCESSOR_NAME, suffix))
        problems = []
        for rule, extra in checks:
            room = rule.max_length - extra - len(self.stack_name) - 1
            if room < 1:
                problems.append(
                    f"stack_name: {self.stack_name!r} ({len(self.stack_name)} characters) leaves "
                    f"no room for a camera id in the {rule.what} '{{stack_name}}-{{camera}}'"
                    + (f" + {extra} characters" if extra else "")
                    + f"; {rule.service} allows {rule.max_length}: use at most "
                    f"{rule.max_length - extra - 2} characters"
                )
                continue
            for index, camera in enumerate(self.cameras):
                name = self.video_stream_name(camera)
                length = len(name) + extra
                if length > rule.max_length:
                    problems.append(
                        f"cameras[{index}]: {camera!r} makes the {rule.what} {name!r}"
                        + (f" (+ up to {extra} characters of settings hash)" if extra else "")
                        + f" {length} characters long; {rule.service} allows "
                        f"{rule.max_length}: use a camera id of at most {room} characters, "
                        "or a shorter stack_name"
                    )
                elif not rule.fits(name):
                    problems.append(
                        f"cameras[{index}]: {camera!r} makes the {rule.what} {name!r}, "
                        f"which does not match {rule.pattern}"
                    )
        return problems

    @property
    def collection_id(self) -> str:
        """The face collection: an existing one (`existing_collection_id`) or the stack's."""
        return self.existing_collection_id or f"{self.stack_name}-faces"

    @property
    def strangers_collection_id(self) -> str:
        """The strangers collection: an existing one or the stack's `{stack_name}-strangers`
        (at most 138 of COLLECTION_ID's 255)."""
        return self.existing_strangers_collection_id or f"{self.stack_name}-strangers"

    def video_stream_name(self, camera: str) -> str:
        """A camera's Kinesis video stream and (before any suffix) stream processor name."""
        return video_stream_name(self.stack_name, camera)

    @property
    def new_ses_identities(self) -> list[str]:
        """The addresses the stack creates SES identities for (each must click its link)."""
        return [a for a in self.recipient_emails if a not in self.existing_ses_identities]

    @property
    def recipient_emails(self) -> list[str]:
        """Every address the stack sends to or from, once each, in a stable order."""
        return list(dict.fromkeys([self.sender_email, self.owner_email, *self.authorities_emails]))

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> DoormanConfig:
        """Validate the CDK context; raise ConfigError naming each bad or unknown key."""
        ours = {k: v for k, v in context.items() if not _is_cdk_key(k)}
        try:
            return cls.model_validate(ours)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None


# Keys Doorman used to read: say what replaced them rather than "unknown context key".
REMOVED_KEYS = {
    "powertools_layer_version": "no longer used: Powertools is bundled into the dependency "
    "layer at the version constraints.txt pins (the version the tests run); remove this key",
}


def _is_cdk_key(key: str) -> bool:
    """Keys that belong to the CDK itself (feature flags, CLI settings), not to Doorman."""
    return key.startswith("@") or ":" in key or key.startswith("aws-cdk")


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:  # a cross-field rule: its message starts with the key
            lines.append(f"  {message}")
            continue
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            message = REMOVED_KEYS.get(
                key, "unknown context key (check its spelling in cdk.json or -c)"
            )
        elif error["type"] != "value_error":
            message = f"{message} (got {error['input']!r})"
        lines.append(f"  {key}: {message}")
    return "invalid Doorman configuration in the CDK context:\n" + "\n".join(lines)
