"""The mode (home|away|night: an SSM parameter analyze reads; arm/disarm are away/home)
and the optional stream processors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from adapters.discovery import Target
from core.rules import MODES, Mode, mode_of
from ops.people import OperatorError

ARMED, DISARMED = "armed", "disarmed"


def set_mode(target: Target, mode: Mode) -> Mode:
    """Store the mode the alert rules match on (`doorman mode`)."""
    if mode not in MODES:
        raise OperatorError(f"mode {mode!r}: use one of {', '.join(MODES)}")
    target.client("ssm").put_parameter(
        Name=target.resources.armed_parameter, Value=mode, Type="String", Overwrite=True
    )
    return mode


def mode_state(target: Target) -> Mode:
    return mode_of(_switch_value(target))


def set_armed(target: Target, armed: bool) -> str:
    """`doorman arm|disarm`, aliases of `doorman mode away|home`."""
    return set_mode(target, "away" if armed else "home")


def _switch_value(target: Target) -> str | None:
    try:
        value = target.client("ssm").get_parameter(Name=target.resources.armed_parameter)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    return str(value["Parameter"]["Value"])


def armed_state(target: Target) -> bool:
    """Whether strangers alert under the default rules: any mode but home."""
    return mode_state(target) != "home"


@dataclass(frozen=True)
class ProcessorStatus:
    name: str
    status: str
    message: str = ""


NO_STREAMING = (
    "this stack has no stream processors: deploy it with `-c streaming=true` (Rekognition "
    "streaming video is closed to accounts that did not use it before 2026-04-30; "
    "`-c streaming=images` has video streams and an images poller, no processors)"
)


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def stream_processors(target: Target, camera: str | None = None) -> list[str]:
    """The processor names of the StreamProcessorName output, or the one of `camera`.

    Processor names carry a digest of their settings (`Doorman-front-door-1a2b3c4d`, so a
    threshold change can replace them); the Cameras output lists the cameras in the same
    order. Stacks from before that output named each processor `{stack}-{camera}`."""
    names = _csv(target.resources.stream_processor_name)
    if not names:
        raise OperatorError(NO_STREAMING)
    if not camera:
        return names
    cameras = _csv(target.resources.cameras)
    if len(cameras) == len(names):
        chosen = [name for name, owner in zip(names, cameras, strict=True) if owner == camera]
    else:
        wanted = {camera, f"{target.stack_name}-{camera}"} if target.stack_name else {camera}
        chosen = [n for n in names if n in wanted]
        if not chosen and not target.stack_name:
            chosen = [n for n in names if n.endswith(f"-{camera}")]
    if not chosen:
        raise OperatorError(f"no stream processor for camera {camera!r} (have {names})")
    return chosen


def _rekognition_call(target: Target, operation: str, name: str) -> dict[str, Any]:
    try:
        response: dict[str, Any] = getattr(target.client("rekognition"), operation)(Name=name)
        return response
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        if code == "ResourceNotFoundException":
            raise OperatorError(f"stream processor {name!r} does not exist: {message}") from exc
        if code in {"AccessDeniedException", "UnrecognizedClientException"}:
            raise OperatorError(
                f"{operation} refused ({code}): {message}. New AWS accounts cannot use "
                "Rekognition streaming video since 2026-04-30"
            ) from exc
        raise OperatorError(f"{operation} {name}: {code}: {message}") from exc


def start_streams(target: Target, camera: str | None = None) -> list[ProcessorStatus]:
    for name in stream_processors(target, camera):
        _rekognition_call(target, "start_stream_processor", name)
    return stream_status(target, camera)


def stop_streams(target: Target, camera: str | None = None) -> list[ProcessorStatus]:
    for name in stream_processors(target, camera):
        _rekognition_call(target, "stop_stream_processor", name)
    return stream_status(target, camera)


def stream_status(target: Target, camera: str | None = None) -> list[ProcessorStatus]:
    statuses = []
    for name in stream_processors(target, camera):
        described = _rekognition_call(target, "describe_stream_processor", name)
        statuses.append(
            ProcessorStatus(
                name, str(described.get("Status", "?")), str(described.get("StatusMessage", ""))
            )
        )
    return statuses
