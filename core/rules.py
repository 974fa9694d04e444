"""Alert rules: who is told about what, where, when and in which mode (issue 14, item 1).

One small JSON document, validated here with pydantic and stored in an SSM parameter the
stack creates (`RulesParameter`); analyze reads it for every frame through the cached
Parameters adapter, `doorman rules show|set|test` manage it. Rules are tried in order and
the first one whose `when` matches a subject (a person, the strangers, the motion alarm)
decides that subject's action; a subject no rule matches is only recorded.

    {"timezone": "Europe/London",
     "rules": [
       {"name": "barred, always", "when": {"watchlist": "barred"},
        "then": {"severity": "critical", "recipients": ["owner", "authorities"]}},
       {"name": "quiet street while home", "when": {"camera": ["street"], "mode": ["home"]},
        "then": {"severity": "none"}},
       {"name": "Grace arrives", "when": {"person": "Grace Hopper", "camera": ["front-door"]},
        "then": {"severity": "info", "channels": ["email"]}},
       {"name": "strangers at night", "when": {"stranger": true, "mode": ["night"]},
        "then": {"severity": "warning"}}]}

`DEFAULT_RULES` reproduce the fixed policy of before (core.decisions.assess/narrow): barred
people alert critically to the owner and the authorities in every mode, strangers and alarm
labels warn the owner unless the mode is `home` (the old "disarmed").

Nothing here does I/O: the document is checked against the stack's cameras and the enrolled
people only when a validation context ({"cameras": [...], "people": [...]}) is given
(`doorman rules set`); analyze reads a stored document without one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from core.schemas import Watchlist

Mode = Literal["home", "away", "night"]
MODES: tuple[Mode, ...] = ("home", "away", "night")
RuleSeverity = Literal["critical", "warning", "info", "none"]
Channel = Literal["email", "sns", "webhook"]
CHANNELS: tuple[Channel, ...] = ("email", "sns", "webhook")
# Symbolic recipients, resolved by notify from its settings (owner_email,
# authorities_emails). No literal addresses: SES sends only to the stack's identities, and
# notify's role may send only as them (infra/stack.py _grant_notify).
Recipient = Literal["owner", "authorities"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SubjectKind = Literal["person", "stranger", "alarm-label"]
SEVERITY_RANK = {"none": 0, "info": 1, "warning": 2, "critical": 3}
MAX_RULES = 50
_OWNER: tuple[Recipient, ...] = ("owner",)
# SSM standard-tier parameters hold at most 4096 characters ("Standard tier parameters
# support a maximum parameter value of 4096 characters"; advanced: 8 KB), see
# https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html
# The stored document is compact JSON; `doorman rules set` refuses a longer one.
MAX_DOCUMENT_CHARS = 4096
_TIME_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f-\x9f]{1,64}$")

# The modes the armed switch (the SSM parameter analyze reads) may hold: home|away|night,
# and the values of before: "armed" is away, "disarmed" (or false/off/no/0) is home.
LEGACY_HOME = frozenset({"disarmed", "false", "off", "no", "0"})


def mode_of(parameter_value: str | None) -> Mode:
    """The mode the switch holds. Anything unrecognised, or no parameter, is `away`: fail
    safe, strangers alert."""
    value = (parameter_value or "").strip().casefold()
    for mode in MODES:
        if value == mode:
            return mode
    if value in LEGACY_HOME:
        return "home"
    return "away"


def _error(kind: str, message: str, **values: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, message, values)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class When(_Strict):
    """What a rule matches. Who: at most one of person, watchlist, stranger (optionally seen
    at least `seen_at_least` times), alarm_label; none of them is anyone. Every other
    condition left out matches always."""

    person: str | None = None
    watchlist: Watchlist | None = None
    stranger: bool = False
    seen_at_least: int | None = Field(None, ge=1)
    alarm_label: bool = False
    camera: list[str] = Field(default_factory=list)
    mode: list[Mode] = Field(default_factory=list)
    days: list[Weekday] = Field(default_factory=list)
    time: str | None = None  # "22:00-06:00" in the document's time zone; may wrap midnight

    @field_validator("camera", "mode", "days", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("camera")
    @classmethod
    def _known_cameras(cls, value: list[str], info: ValidationInfo) -> list[str]:
        cameras = (info.context or {}).get("cameras")
        if cameras is not None:
            unknown = [c for c in value if c not in cameras]
            if unknown:
                raise _error(
                    "unknown_camera",
                    "unknown camera {camera} (cameras: {known})",
                    camera=", ".join(json.dumps(c, ensure_ascii=False) for c in unknown),
                    known=", ".join(cameras),
                )
        return value

    @field_validator("person")
    @classmethod
    def _enrolled(cls, value: str | None, info: ValidationInfo) -> str | None:
        people = (info.context or {}).get("people")
        if value is not None and people is not None:
            wanted = value.strip().casefold()
            if not any(wanted == p.casefold() for p in people):
                raise _error(
                    "unknown_person",
                    "nobody enrolled is called {person}",
                    person=json.dumps(value, ensure_ascii=False),
                )
        return value

    @field_validator("time")
    @classmethod
    def _time_range(cls, value: str | None) -> str | None:
        if value is not None and not _TIME_RANGE.match(value):
            raise _error("time_range", 'a time range is "HH:MM-HH:MM" (e.g. "22:00-06:00")')
        return value

    @model_validator(mode="after")
    def _one_who(self) -> When:
        chosen = [
            name
            for name, on in (
                ("person", self.person is not None),
                ("watchlist", self.watchlist is not None),
                ("stranger", self.stranger or self.seen_at_least is not None),
                ("alarm_label", self.alarm_label),
            )
            if on
        ]
        if len(chosen) > 1:
            raise _error(
                "one_who",
                "name one of person, watchlist, stranger, alarm_label (got {who})",
                who=", ".join(chosen),
            )
        return self

    def who(self) -> str:
        if self.person is not None:
            return f"person {self.person}"
        if self.watchlist is not None:
            return f"watchlist {self.watchlist}"
        if self.seen_at_least is not None:
            return f"a stranger seen at least {self.seen_at_least} times"
        if self.stranger:
            return "strangers"
        if self.alarm_label:
            return "motion with an alarm label"
        return "anyone"


class Action(_Strict):
    severity: RuleSeverity
    channels: list[Channel] = Field(default_factory=lambda: list(CHANNELS))
    recipients: list[Recipient] = Field(default_factory=lambda: list(_OWNER))

    @property
    def silent(self) -> bool:
        return self.severity == "none"


class Rule(_Strict):
    name: str
    when: When = Field(default_factory=When)
    then: Action

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not _NAME.match(value):
            raise _error("rule_name", "1 to 64 characters, no control characters")
        return value


class RulesDocument(_Strict):
    version: Literal[1] = 1
    timezone: str = "UTC"
    rules: list[Rule] = Field(default_factory=list, max_length=MAX_RULES)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise _error(
                "timezone",
                "unknown IANA time zone {zone} (e.g. Europe/London)",
                zone=json.dumps(value, ensure_ascii=False),
            ) from exc
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> RulesDocument:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name.casefold() in seen:
                raise _error("duplicate_rule", "two rules are called {name}", name=rule.name)
            seen.add(rule.name.casefold())
        return self

    def compact(self) -> str:
        """The stored form: compact JSON without the values that are defaults anyway."""
        return self.model_dump_json(exclude_defaults=True)


DEFAULT_RULES = RulesDocument(
    rules=[
        Rule(
            name="barred people, always",
            when=When(watchlist="barred"),
            then=Action(severity="critical", recipients=["owner", "authorities"]),
        ),
        Rule(
            name="strangers unless home",
            when=When(stranger=True, mode=["away", "night"]),
            then=Action(severity="warning"),
        ),
        Rule(
            name="alarm labels unless home",
            when=When(alarm_label=True, mode=["away", "night"]),
            then=Action(severity="warning"),
        ),
    ]
)


class RulesRefused(ValueError):
    """A rules document that failed validation: one line per error, each named by path."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


def error_path(loc: Iterable[int | str]) -> str:
    """pydantic's location ("rules", 2, "when", "camera") -> `rules[2].when.camera`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(document)"


def parse_rules(
    text: str,
    *,
    cameras: Sequence[str] | None = None,
    people: Sequence[str] | None = None,
) -> RulesDocument:
    """The document in `text`, or RulesRefused naming every error by path. With `cameras`
    and `people` (names and person ids), it must name only those."""
    if len(text) > MAX_DOCUMENT_CHARS * 4:
        raise RulesRefused([f"(document): longer than {MAX_DOCUMENT_CHARS * 4} characters"])
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesRefused([f"(document): not JSON: {exc}"]) from exc
    context: dict[str, Any] = {}
    if cameras is not None:
        context["cameras"] = list(cameras)
    if people is not None:
        context["people"] = list(people)
    try:
        document = RulesDocument.model_validate(raw, context=context)
    except ValidationError as exc:
        raise RulesRefused(
            [f"{error_path(e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)]
        ) from exc
    stored = document.compact()
    if len(stored) > MAX_DOCUMENT_CHARS:
        raise RulesRefused(
            [
                f"(document): {len(stored)} characters as stored, SSM standard parameters "
                f"hold {MAX_DOCUMENT_CHARS}: use fewer or shorter rules"
            ]
        )
    return document


def stored_rules(value: str | None) -> tuple[RulesDocument, str]:
    """The rules analyze applies for a stored parameter value, and "" or why the defaults
    are used instead (no parameter, or a document that does not validate: an edit made
    around `doorman rules set`). Failing safe means today's policy, never silence."""
    if not value or not value.strip():
        return DEFAULT_RULES, "no rules stored"
    try:
        return parse_rules(value), ""
    except RulesRefused as refused:
        return DEFAULT_RULES, f"stored rules refused ({refused})"


# ---- evaluation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """One identity a frame shows, as the rules see it: a person (person_id, name,
    watchlist), the strangers (identity "unknown", or a stranger id once strangers have
    ids: then `seen` is how often that stranger was seen) or the motion alarm."""

    identity: str
    kind: SubjectKind
    name: str = ""
    watchlist: str = ""
    seen: int | None = None

    def describe(self) -> str:
        if self.kind == "person":
            return f"{self.name} ({self.watchlist})"
        if self.kind == "stranger":
            return "stranger" if self.seen is None else f"stranger seen {self.seen} times"
        return "motion alarm"


@dataclass(frozen=True)
class Situation:
    camera: str
    moment: datetime  # aware
    mode: Mode


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def in_time_range(range_text: str, local: time) -> bool:
    """ "22:00-06:00" wraps midnight; the end is exclusive; "00:00-24:00" is all day."""
    start_text, end_text = range_text.split("-")
    start, end, now = _minutes(start_text), _minutes(end_text), local.hour * 60 + local.minute
    if start == end:
        return True
    if start < end:
        return start <= now < end
    return now >= start or now < end


def mismatch(rule: Rule, subject: Subject, situation: Situation, zone: ZoneInfo) -> str:
    """ "" when `rule` matches, else the first condition that does not, in plain words."""
    when = rule.when
    if when.person is not None:
        wanted = when.person.strip().casefold()
        if subject.kind != "person" or wanted not in (
            subject.identity.casefold(),
            subject.name.casefold(),
        ):
            return f"{subject.describe()} is not {when.person}"
    if when.watchlist is not None and (
        subject.kind != "person" or subject.watchlist != when.watchlist
    ):
        return f"{subject.describe()} is not on the {when.watchlist} watchlist"
    if (when.stranger or when.seen_at_least is not None) and subject.kind != "stranger":
        return f"{subject.describe()} is not a stranger"
    if when.seen_at_least is not None and (subject.seen or 0) < when.seen_at_least:
        seen = "not counted" if subject.seen is None else f"seen {subject.seen} times"
        return f"stranger {seen}, the rule needs {when.seen_at_least}"
    if when.alarm_label and subject.kind != "alarm-label":
        return f"{subject.describe()} is not a motion alarm"
    if when.camera and situation.camera not in when.camera:
        return f"camera {situation.camera} is not {', '.join(when.camera)}"
    if when.mode and situation.mode not in when.mode:
        return f"mode is {situation.mode}, not {', '.join(when.mode)}"
    local = situation.moment.astimezone(zone)
    day = WEEKDAYS[local.weekday()]
    if when.days and day not in when.days:
        return f"{day} is not {', '.join(when.days)}"
    if when.time and not in_time_range(when.time, local.time()):
        return f"{local:%H:%M} is outside {when.time}"
    return ""


@dataclass(frozen=True)
class Match:
    """The rule that decides one subject (None: no rule matches), and why the rules before
    it did not."""

    subject: Subject
    rule: Rule | None
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def action(self) -> Action | None:
        return self.rule.then if self.rule else None


def first_match(document: RulesDocument, subject: Subject, situation: Situation) -> Match:
    zone = ZoneInfo(document.timezone)
    skipped: list[tuple[str, str]] = []
    for rule in document.rules:
        why_not = mismatch(rule, subject, situation, zone)
        if not why_not:
            return Match(subject, rule, tuple(skipped))
        skipped.append((rule.name, why_not))
    return Match(subject, None, tuple(skipped))
