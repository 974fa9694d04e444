"""The edge agent's configuration: a TOML file plus `DOORMAN_*` environment overrides.

Sections mirror the pipeline stages. Every key is documented in assets/doorman.example.toml.
Unknown keys are rejected and every error names its key (`motion.threshold: ...`).
Nested keys are overridden with a double underscore: `DOORMAN_SPOOL__MAX_BYTES=10000000`.
Credentials are never configuration: they come from the AWS default chain.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from edge_agent.verdicts import VerdictSettings

ENV_PREFIX = "DOORMAN_"
ENV_NESTED_DELIMITER = "__"
# One safe path and S3 key segment: `frames/<camera_id>/...`. Starting with a letter or digit
# rules out `.`, `..`, hidden names and option-like `-x`.
CAMERA_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"

Seconds = Annotated[float, Field(gt=0)]
Point = tuple[float, float]


class ConfigError(ValueError):
    """Configuration that cannot be used; each line names the offending key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaptureConfig(Section):
    """How frames are read from live sources (files are always read completely)."""

    rtsp_transport: Literal["tcp", "udp"] = "tcp"
    queue_size: int = Field(default=4, ge=1, le=256)
    stall_timeout_seconds: Seconds = 10.0
    reconnect_initial_seconds: Seconds = 1.0
    reconnect_max_seconds: Seconds = 60.0
    open_timeout_seconds: Seconds = 10.0
    # Network cameras and files: "keyframes" decodes only keyframes while nothing moves
    # (PyAV); "full" decodes every frame (OpenCV). USB cameras are always decoded in full.
    decode: Literal["keyframes", "full"] = "keyframes"
    max_keyframe_interval_seconds: Seconds = 4.0  # longer: decode every frame (logged)
    packet_queue_size: int = Field(default=300, ge=10, le=10_000)

    @model_validator(mode="after")
    def _backoff_bounds(self) -> CaptureConfig:
        if self.reconnect_max_seconds < self.reconnect_initial_seconds:
            raise ValueError("reconnect_max_seconds must be >= reconnect_initial_seconds")
        return self


class MotionConfig(Section):
    threshold: int = Field(default=25, ge=1, le=255)
    min_area: float = Field(default=0.002, gt=0, lt=1)
    width: int = Field(default=320, ge=64, le=1920)
    blur: int = Field(default=5, ge=0, le=31)
    alpha: float = Field(default=0.05, gt=0, le=1)
    recalibrate_fraction: float = Field(default=0.5, gt=0, le=1)
    masks: list[list[Point]] = Field(default_factory=list)

    @field_validator("blur")
    @classmethod
    def _odd_blur(cls, value: int) -> int:
        if value and value % 2 == 0:
            raise ValueError("must be 0 (off) or an odd kernel size")
        return value

    @field_validator("masks")
    @classmethod
    def _valid_polygons(cls, masks: list[list[Point]]) -> list[list[Point]]:
        for n, polygon in enumerate(masks):
            if len(polygon) < 3:
                raise ValueError(f"mask {n} needs at least 3 points, got {len(polygon)}")
            if any(x < 0 or y < 0 for x, y in polygon):
                raise ValueError(f"mask {n} has a negative coordinate")
        return masks


class FacesConfig(Section):
    detector: Literal["hog", "yunet"] = "yunet"
    min_face_px: int = Field(default=80, ge=20, le=1000)
    min_score: float = Field(default=0.3, ge=-1, le=5)  # HOG's SVM margin
    yunet_min_score: float = Field(default=0.8, gt=0, lt=1)  # YuNet's face confidence
    detect_every_k: int = Field(default=3, ge=1, le=60)
    padding: float = Field(default=0.25, ge=0, le=2)
    report_after_seconds: Seconds = 2.0  # a visit's first report, while they are there
    max_track_seconds: Seconds = 30.0  # a longer visit is reported again per stretch
    track_gap_seconds: Seconds = 1.5
    top_k: int = Field(default=1, ge=1, le=10)
    iou_threshold: float = Field(default=0.2, ge=0, le=1)
    max_centroid_distance: float = Field(default=2.0, gt=0, le=20)
    max_face_speed: float = Field(default=10.0, gt=0, le=100)  # face widths per second
    min_track_hits: int = Field(default=2, ge=1, le=100)

    @model_validator(mode="after")
    def _report_within_a_stretch(self) -> FacesConfig:
        if self.report_after_seconds > self.max_track_seconds:
            raise ValueError("report_after_seconds must be <= max_track_seconds")
        return self


class EventsConfig(Section):
    motion_snapshot_interval_seconds: float = Field(default=60.0, ge=0)
    motion_min_seconds: float = Field(default=0.5, ge=0)
    motion_gap_seconds: Seconds = 2.0
    jpeg_quality: int = Field(default=90, ge=10, le=100)


class RecognitionConfig(Section):
    enabled: bool = False
    gallery_dir: Path = Path("known_faces")
    tolerance: float = Field(default=0.5, gt=0, le=1)
    upload: Literal["all", "unknown-only"] = "all"
    max_encodings_per_track: int = Field(default=5, ge=1, le=50)


class SpoolConfig(Section):
    dir: Path = Field(default=Path("~/.local/state/doorman/spool"), validate_default=True)
    max_bytes: int = Field(default=500_000_000, ge=1_000_000)

    @field_validator("dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


class UploadConfig(Section):
    bucket: str | None = None
    region: str | None = None
    connect_timeout_seconds: Seconds = 5.0
    read_timeout_seconds: Seconds = 30.0
    max_backoff_seconds: Seconds = 60.0


class PushConfig(Section):
    stream_name: str | None = None
    region: str | None = None
    rtsp_transport: Literal["tcp", "udp"] = "tcp"


class GalleryConfig(Section):
    bucket: str | None = None
    dir: Path = Path("known_faces")


class CameraConfig(Section):
    """One camera of a multi-camera agent; unset keys take the agent-wide sections' values."""

    id: str
    source: str
    min_face_px: int | None = Field(default=None, ge=20, le=1000)
    masks: list[list[Point]] | None = None

    @field_validator("id")
    @classmethod
    def _one_safe_segment(cls, value: str) -> str:
        return safe_camera_id(value)

    @field_validator("masks")
    @classmethod
    def _valid_polygons(cls, masks: list[list[Point]] | None) -> list[list[Point]] | None:
        return None if masks is None else MotionConfig._valid_polygons(masks)


def safe_camera_id(value: str) -> str:
    if re.fullmatch(CAMERA_ID_PATTERN, value) is None:
        raise ValueError(
            "must be one safe path segment: 1-64 letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit (got {value!r})"
        )
    return value


class AgentConfig(BaseSettings):
    """Everything the agent reads at start. Build it with `load_config`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        extra="forbid",
        frozen=True,
        case_sensitive=False,
    )

    camera_id: str = "front-door"  # the stack's default `cameras`, so defaults work together
    source: str | None = None
    # Several cameras in one agent (one thread each, shared models, one spool and uploader);
    # when set, `doorman watch` without SOURCE watches them all instead of `source`.
    cameras: list[CameraConfig] = Field(default_factory=list)
    capture: CaptureConfig = CaptureConfig()
    motion: MotionConfig = MotionConfig()
    faces: FacesConfig = FacesConfig()
    events: EventsConfig = EventsConfig()
    recognition: RecognitionConfig = RecognitionConfig()
    spool: SpoolConfig = SpoolConfig()
    upload: UploadConfig = UploadConfig()
    push: PushConfig = PushConfig()
    gallery: GalleryConfig = GalleryConfig()
    # Verdicts back at the camera: the device's verdict queue, local actions, MQTT
    # (edge_agent/verdicts.py); off while queue_url is empty.
    verdicts: VerdictSettings = VerdictSettings()

    @field_validator("camera_id")
    @classmethod
    def _one_safe_segment(cls, value: str) -> str:
        return safe_camera_id(value)

    @field_validator("cameras")
    @classmethod
    def _unique_ids(cls, cameras: list[CameraConfig]) -> list[CameraConfig]:
        seen: dict[str, int] = {}
        for n, camera in enumerate(cameras):
            if camera.id in seen:
                raise ValueError(
                    f"duplicate camera id {camera.id!r} (cameras {seen[camera.id]} and {n})"
                )
            seen[camera.id] = n
        return cameras

    def for_camera(self, camera: CameraConfig) -> AgentConfig:
        """This agent's configuration as seen by one of its cameras."""
        faces, motion = self.faces, self.motion
        if camera.min_face_px is not None:
            faces = faces.model_copy(update={"min_face_px": camera.min_face_px})
        if camera.masks is not None:
            motion = motion.model_copy(update={"masks": camera.masks})
        update = {"camera_id": camera.id, "source": camera.source, "faces": faces}
        return self.model_copy(update={**update, "motion": motion, "cameras": []})

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_config merges file, environment and overrides itself, in that order.
        return (init_settings,)


def load_config(
    path: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> AgentConfig:
    """Read TOML (optional), apply `DOORMAN_*` env, then explicit overrides (CLI flags).

    Raises ConfigError whose lines each start with the dotted key at fault.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError([f"{path}: no such config file"]) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{path}: invalid TOML: {exc}"]) from None
    problems = _unknown_env_keys(os.environ)
    if problems:
        raise ConfigError(problems)
    try:
        environment = EnvSettingsSource(AgentConfig)()
        config = AgentConfig(**_deep_merge(_deep_merge(data, environment), overrides or {}))
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    return config


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(f"{key}: {message}")
    return problems


def _unknown_env_keys(env: Mapping[str, str]) -> list[str]:
    """`DOORMAN_MOTION__TRESHOLD` is a typo to report, not a variable to ignore.

    Only names inside a known section are checked: other `DOORMAN_*` variables may
    belong to other tools.
    """
    sections = {
        name: field.annotation
        for name, field in AgentConfig.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    }
    problems = []
    for name in sorted(env):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX) :].lower().split(ENV_NESTED_DELIMITER)
        section = sections.get(parts[0])
        if len(parts) < 2 or section is None:
            continue
        if len(parts) > 2 or parts[1] not in section.model_fields:
            problems.append(f"{'.'.join(parts)}: unknown key (environment variable {name})")
    return problems


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
