"""`doorman rules show|set|test`: the alert rules document (core/rules.py) in its SSM
parameter. A document is validated against the stack's cameras and the enrolled people
before it is written; a refused one leaves the stored rules in force."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from adapters.discovery import Target
from core.decisions import subjects
from core.records import parse_time
from core.rules import (
    Match,
    Mode,
    RulesDocument,
    Situation,
    first_match,
    parse_rules,
    stored_rules,
)
from core.schemas import FaceResult
from ops.control import mode_state
from ops.people import OperatorError

NO_PARAMETER = (
    "this stack has no alert rules parameter (RulesParameter): it was deployed before the "
    "rules; deploy it again"
)


def _parameter(target: Target) -> str:
    name = target.resources.rules_parameter
    if not name:
        raise OperatorError(NO_PARAMETER)
    return name


def stored_text(target: Target) -> str | None:
    try:
        found = target.client("ssm").get_parameter(Name=_parameter(target))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    return str(found["Parameter"]["Value"])


def show(target: Target) -> tuple[RulesDocument, str]:
    """The rules analyze applies now, and "" or why they are the defaults."""
    return stored_rules(stored_text(target))


def _cameras(target: Target) -> list[str]:
    return [c.strip() for c in target.resources.cameras.split(",") if c.strip()]


def _people(target: Target) -> list[str]:
    found = target.tables().people.all()
    return [p.name for p in found] + [p.person_id for p in found]


def set_rules(target: Target, text: str) -> RulesDocument:
    """Validate `text` and store it. core.rules.RulesRefused (every error by path) leaves
    the stored rules as they were."""
    name = _parameter(target)
    cameras = _cameras(target)
    document = parse_rules(text, cameras=cameras or None, people=_people(target))
    target.client("ssm").put_parameter(
        Name=name, Value=document.compact(), Type="String", Overwrite=True
    )
    return document


@dataclass(frozen=True)
class RuleTest:
    camera: str
    event_time: str
    mode: Mode
    moment: datetime
    matches: list[Match]
    note: str  # why the defaults apply, or ""


def find_event(target: Target, event: str) -> dict[str, Any]:
    """A stored event by `CAMERA/EVENT_TIME` (as `doorman events --json` prints them; a
    prefix of the event time is enough when it names one event)."""
    camera, _, when = event.partition("/")
    if not camera or not when:
        raise OperatorError(f"event {event!r}: use CAMERA/EVENT_TIME (see `doorman events --json`)")
    found = [
        item
        for item in target.tables().events.of_camera(camera, since=when[:19])
        if str(item.get("event_time", "")).startswith(when)
    ]
    if not found:
        raise OperatorError(f"no event {when!r} at camera {camera!r}")
    if len(found) > 1:
        raise OperatorError(f"{len(found)} events at {camera!r} start with {when!r}: give more")
    return found[0]


def try_rules(
    target: Target, event: str, *, mode: Mode | None = None, text: str | None = None
) -> RuleTest:
    """Which rule would fire for a stored event, and why the ones before it do not: with
    the stored rules (or the document `text`), in the current mode (or `mode`)."""
    item = find_event(target, event)
    if text is not None:
        document, note = parse_rules(text, cameras=_cameras(target) or None), ""
    else:
        document, note = show(target)
    faces = [FaceResult.model_validate(f) for f in item.get("faces") or []]
    moment = parse_time(str(item.get("captured_at", ""))) or datetime.now(UTC)
    situation = Situation(str(item["camera_id"]), moment, mode or mode_state(target))
    hits = [str(x) for x in item.get("alarm_labels") or []]
    return RuleTest(
        camera=situation.camera,
        event_time=str(item.get("event_time", "")),
        mode=situation.mode,
        moment=moment,
        matches=[first_match(document, s, situation) for s in subjects(faces, hits)],
        note=note,
    )


def pretty(document: RulesDocument) -> str:
    return json.dumps(document.model_dump(mode="json", exclude_defaults=True), indent=2)
