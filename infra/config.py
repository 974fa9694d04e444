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

# A pragmatic address check: one @, no spaces, a dotted domain. SES verifies the rest.
_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
# Camera ids become Kinesis Video Stream and stream processor names.
_CAMERA_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
_SSM_NAME = re.compile(r"^/[A-Za-z0-9_.\-/]{1,1010}$")
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 180, 365)


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


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not a valid email address")
    return value


def _check_pattern(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not a valid {what} (must match {pattern.pattern})")
        return value

    return check


def _check_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{value} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}"
        )
    return value


Email = Annotated[str, AfterValidator(_check_email)]
EmailList = Annotated[list[Email], BeforeValidator(_split_list)]
CameraId = Annotated[str, AfterValidator(_check_pattern(_CAMERA_ID, "camera id"))]
Percent = Annotated[float, Field(ge=0, le=100)]


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
    # Retention.
    frame_retention_days: int = Field(30, ge=1, le=3650)
    quiet_retention_days: int = Field(1, ge=1, le=3650)
    event_retention_days: int = Field(30, ge=1, le=3650)
    log_retention_days: Annotated[int, AfterValidator(_check_retention)] = 30
    # Cameras and the optional streaming path.
    cameras: Annotated[list[CameraId], BeforeValidator(_split_list)] = Field(
        default_factory=lambda: ["front-door"], min_length=1
    )
    streaming: bool = False
    webhook_parameter: Annotated[
        str, AfterValidator(_check_pattern(_SSM_NAME, "SSM parameter name"))
    ] = "/doorman/webhook-url"
    # What `cdk destroy` does to data: keep it (retain) or delete it (destroy, for dev).
    removal_policy: Literal["retain", "destroy"] = "retain"
    powertools_layer_version: int = Field(38, ge=1)

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
        if problems:
            raise ValueError("; ".join(problems))
        return self

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
            message = "unknown context key (check its spelling in cdk.json or -c)"
        elif error["type"] != "value_error":
            message = f"{message} (got {error['input']!r})"
        lines.append(f"  {key}: {message}")
    return "invalid Doorman configuration in the CDK context:\n" + "\n".join(lines)
