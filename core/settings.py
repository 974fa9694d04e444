"""One settings model per function, read from environment variables.

This module is the contract between the functions and the stack: infra sets exactly the
variables that `required_environment()` lists for each model (an infra test checks it).
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.records import CAPTURE_MAX_AGE
from core.strangers import MAX_CROPS, STRANGER_RETENTION_DAYS, STRANGER_THRESHOLD

# Lists arrive as comma-separated strings ("Person,Human"), not JSON.
CsvList = Annotated[list[str], NoDecode]
# SSM parameters (the armed switch, the webhook URL) are cached this long per warm function.
# A minute bounds the cost (no GetParameter call per alert, no SSM throttling on a burst)
# while `doorman arm|disarm` or a new webhook URL still takes effect within a minute.
# localcloud sets 0 (no cache), so the demo and the tests see a flip on the next frame.
PARAMETER_MAX_AGE_SECONDS = 60
# How long before S3's event time an edge's captured-at is still believed (core.records).
CAPTURED_AT_MAX_AGE_SECONDS = int(CAPTURE_MAX_AGE.total_seconds())
# At most one alert about one identity per this many seconds across all cameras (so per
# recipient: every alert goes to the owner, and critical ones also to the authorities).
ALERT_RATE_SECONDS = 600


class _FunctionSettings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    @classmethod
    def required_environment(cls) -> set[str]:
        """The environment variable names this model reads (upper case)."""
        return {name.upper() for name in cls.model_fields}


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _parse_json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


class EnrollSettings(_FunctionSettings):
    people_table: str
    state_table: str
    collection_id: str


class AnalyzeSettings(_FunctionSettings):
    audit_bucket: str
    events_table: str
    sightings_table: str
    people_table: str
    state_table: str
    collection_id: str
    alerts_queue_url: str
    armed_parameter: str  # the mode: home|away|night (or armed|disarmed), core.rules.mode_of
    # The alert rules document (core/rules.py); "" or no such parameter: DEFAULT_RULES.
    rules_parameter: str = ""
    parameter_max_age_seconds: int = Field(PARAMETER_MAX_AGE_SECONDS, ge=0)
    known_threshold: float = Field(90.0, ge=0, le=100)
    barred_threshold: float = Field(95.0, ge=0, le=100)
    possible_match_threshold: float = Field(80.0, ge=0, le=100)
    cooldown_seconds: int = Field(300, ge=0)
    alarm_labels: CsvList = Field(default_factory=lambda: ["Person", "Human"])
    labels_on_every_image: bool = False
    event_retention_days: int = Field(30, ge=1)
    captured_at_max_age_seconds: int = Field(CAPTURED_AT_MAX_AGE_SECONDS, ge=0)
    # The stack's video streams as JSON, stream name -> camera id
    # ({"Doorman-front-door": "front-door"}); "{}" without video streams. A face-search
    # record from any other stream is rejected, never guessed (core.records.camera_for_stream).
    stream_cameras: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # The stack's `cameras` context ("front-door,garage"): a frame or `kvs/` image from any
    # other camera, or whose key and `camera-id` name different cameras, is rejected.
    cameras: CsvList = Field(default_factory=lambda: ["front-door"])
    alert_rate_seconds: int = Field(ALERT_RATE_SECONDS, ge=0)
    # none | known | bystanders: faces blurred in the stored copy (core/blur.py).
    privacy_blur: Literal["none", "known", "bystanders"] = "none"
    # Remembered strangers (core.strangers): the second collection ("" turns them off), the
    # similarity that makes a face the same stranger, and the best crops kept per stranger.
    strangers_collection_id: str = ""
    stranger_threshold: float = Field(STRANGER_THRESHOLD, ge=0, le=100)
    stranger_crops: int = Field(MAX_CROPS, ge=1, le=10)

    _split_labels = field_validator("alarm_labels", mode="before")(_split_csv)
    _split_cameras = field_validator("cameras", mode="before")(_split_csv)
    _parse_stream_cameras = field_validator("stream_cameras", mode="before")(_parse_json)


class ExpireStrangersSettings(_FunctionSettings):
    """functions/expire_strangers: forget strangers not seen for `stranger_retention_days`."""

    state_table: str
    sightings_table: str
    audit_bucket: str
    strangers_collection_id: str
    stranger_retention_days: int = Field(STRANGER_RETENTION_DAYS, ge=1)


class NotifySettings(_FunctionSettings):
    state_table: str
    owner_email: str
    sender_email: str
    authorities_emails: CsvList = Field(default_factory=list)
    alerts_topic_arn: str
    webhook_parameter: str = ""
    parameter_max_age_seconds: int = Field(PARAMETER_MAX_AGE_SECONDS, ge=0)
    presign_seconds: int = Field(3600, ge=60, le=604800)

    _split_authorities = field_validator("authorities_emails", mode="before")(_split_csv)


class KvsImagesSettings(_FunctionSettings):
    """The images poller (streaming=images; functions/kvs_images)."""

    uploads_bucket: str
    state_table: str
    # stream name -> camera id, as AnalyzeSettings.stream_cameras
    stream_cameras: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # One image per camera this often (GetImages' SamplingInterval is at least 200 ms).
    image_interval_seconds: float = Field(2.0, ge=0.2, le=60)
    # How long one invocation keeps polling; the schedule starts one a minute.
    poll_seconds: int = Field(50, ge=0, le=840)

    _parse_stream_cameras = field_validator("stream_cameras", mode="before")(_parse_json)
