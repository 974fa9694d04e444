"""Who is it, how bad is it, and should anyone be told (DESIGN.md "Decisions")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from core.schemas import AlertReason, FaceResult, FaceStatus, Label, PersonRef, Severity

STRANGER_IDENTITY = "unknown"
LABEL_IDENTITY = "alarm-label"
IDENTIFIED: frozenset[FaceStatus] = frozenset({"known", "barred", "stranger"})
# Identities that only alert while armed (barred people always do).
_ARMED_ONLY = frozenset({STRANGER_IDENTITY, LABEL_IDENTITY})


def is_person(identity: str) -> bool:
    """A person_id, not "unknown" (any stranger) or "alarm-label" (any motion alarm): only a
    person's alerts are rate-limited across cameras, as one stranger's alert must not hide
    another's at the next door."""
    return identity not in _ARMED_ONLY


@dataclass(frozen=True)
class Thresholds:
    known: float = 90.0
    barred: float = 95.0
    possible: float = 80.0


@dataclass(frozen=True)
class Candidate:
    """A collection match whose person is still in People."""

    person: PersonRef
    face_id: str


@dataclass(frozen=True)
class Verdict:
    status: FaceStatus
    person: PersonRef | None = None
    possible_match: PersonRef | None = None
    face_id: str = ""


def classify_face(candidates: Iterable[Candidate], thresholds: Thresholds) -> Verdict:
    """Known/barred only above their own thresholds; anyone else is a stranger."""
    best = max(candidates, key=lambda c: c.person.similarity, default=None)
    if best is None:
        return Verdict("stranger")
    person = best.person
    if person.watchlist == "barred" and person.similarity >= thresholds.barred:
        return Verdict("barred", person=person, face_id=best.face_id)
    if person.watchlist == "known" and person.similarity >= thresholds.known:
        return Verdict("known", person=person, face_id=best.face_id)
    possible = person if person.similarity >= thresholds.possible else None
    return Verdict("stranger", possible_match=possible)


def alarm_hits(labels: Iterable[Label], alarm_labels: Iterable[str]) -> list[str]:
    wanted = {name.casefold() for name in alarm_labels}
    return sorted({label.name for label in labels if label.name.casefold() in wanted})


@dataclass(frozen=True)
class AlertPlan:
    severity: Severity
    reason: AlertReason
    identities: tuple[str, ...]


def assess(faces: Sequence[FaceResult], hits: Sequence[str]) -> AlertPlan | None:
    """The alert a frame deserves before arming and cooldown; None means record only.

    `identities` are everyone the alert reports (barred people, and "unknown" when strangers
    are in the frame): the alert takes a cooldown slot for each of them."""
    barred = sorted({f.person_id for f in faces if f.status == "barred"})
    strangers = (STRANGER_IDENTITY,) if any(f.status == "stranger" for f in faces) else ()
    if barred:
        return AlertPlan("critical", "barred-person", (*barred, *strangers))
    if strangers:
        return AlertPlan("warning", "unknown-face", strangers)
    if hits and not any(f.status in IDENTIFIED for f in faces):
        return AlertPlan("warning", "alarm-label", (LABEL_IDENTITY,))
    return None


def narrow(plan: AlertPlan, *, armed: bool, free: Callable[[str], bool]) -> AlertPlan | None:
    """The alert still owed once arming and cooldowns are applied; None means send nothing.

    Barred people alert even when disarmed. `free(identity)` claims that identity's cooldown
    slot and says whether it was free. Severity and reason follow what is left, so a barred
    person already alerted does not raise a second critical alert when a stranger joins.
    """
    eligible = [i for i in plan.identities if armed or i not in _ARMED_ONLY]
    kept = tuple(i for i in eligible if free(i))
    if not kept:
        return None
    if any(i not in _ARMED_ONLY for i in kept):
        return AlertPlan("critical", "barred-person", kept)
    if STRANGER_IDENTITY in kept:
        return AlertPlan("warning", "unknown-face", kept)
    return AlertPlan("warning", "alarm-label", kept)


def frame_severity(plan: AlertPlan | None) -> Severity:
    return plan.severity if plan else "info"


def should_alert(plan: AlertPlan | None, *, armed: bool) -> bool:
    """Barred people always alert; strangers and alarm labels only while armed."""
    if plan is None:
        return False
    return plan.severity == "critical" or armed


DISARMED_VALUES = frozenset({"disarmed", "false", "off", "no", "0"})


def is_armed(parameter_value: str | None) -> bool:
    """Anything but an explicit "disarmed" (or "false") counts as armed: fail safe."""
    return (parameter_value or "").strip().casefold() not in DISARMED_VALUES
