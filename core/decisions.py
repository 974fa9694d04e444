"""Who is it, how bad is it, and should anyone be told (DESIGN.md "Decisions")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from core.rules import (
    CHANNELS,
    SEVERITY_RANK,
    Channel,
    Match,
    Recipient,
    RulesDocument,
    Situation,
    Subject,
    first_match,
)
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


# ---- the rules (core/rules.py) decide who is told -----------------------------------------
# `assess` still sets an event's severity (and so its frame's alarm/quiet classification and
# retention): how serious the frame is does not depend on who wants to hear about it. The
# rules decide the alert: its severity, channels, recipients, and which rule fired.
# With core.rules.DEFAULT_RULES they reproduce assess/narrow/should_alert exactly
# (tests/unit/functions/test_decisions_rules.py compares them on every combination).

NO_RULE = "no-rule"  # something alarming, no rule asked to be told, mode not home
SILENCED = "silenced"  # a rule with severity "none" matched


def subjects(faces: Sequence[FaceResult], hits: Sequence[str]) -> list[Subject]:
    """Who the rules are asked about, in the order cooldown slots are claimed: barred
    people, the strangers (one subject, "unknown", as they share one cooldown slot per
    camera), known people, then the motion alarm when no face was identified."""
    people = {f.person.person_id: f.person for f in faces if f.person is not None}
    ordered = sorted(people.values(), key=lambda p: (p.watchlist != "barred", p.person_id))
    found = [Subject(p.person_id, "person", name=p.name, watchlist=p.watchlist) for p in ordered]
    strangers = [f for f in faces if f.status == "stranger"]
    if strangers:
        found.insert(
            sum(p.watchlist == "barred" for p in ordered),
            Subject(STRANGER_IDENTITY, "stranger", seen=_times_seen(strangers)),
        )
    if hits and not any(f.status in IDENTIFIED for f in faces):
        found.append(Subject(LABEL_IDENTITY, "alarm-label"))
    return found


def _times_seen(strangers: Sequence[FaceResult]) -> int | None:
    """How often the most often seen remembered stranger in the frame was seen (this time
    included), or None when no stranger is remembered (issue 13's `FaceResult.stranger`:
    read by name, so frames from before it, or without it, simply have no count)."""
    counts = [
        int(getattr(ref, "sightings", 0))
        for ref in (getattr(f, "stranger", None) for f in strangers)
        if ref is not None
    ]
    return max(counts) if counts else None


@dataclass(frozen=True)
class RuleAlert:
    """The alert the rules owe after cooldowns: everything notify needs to route it."""

    severity: Severity
    reason: AlertReason
    identities: tuple[str, ...]
    rule: str
    channels: tuple[Channel, ...]
    recipients: tuple[Recipient, ...]


@dataclass(frozen=True)
class RuleDecision:
    """`status`: "sent" (alert owed), "none", "disarmed", NO_RULE, SILENCED or "cooldown";
    `rule`: the rule that decided it ("" when none did); `matches`: each subject's rule."""

    status: str
    rule: str
    alert: RuleAlert | None
    matches: tuple[Match, ...]


def _reason(kept: Sequence[Match]) -> AlertReason:
    kinds = {(m.subject.kind, m.subject.watchlist) for m in kept}
    if ("person", "barred") in kinds:
        return "barred-person"
    if any(kind == "stranger" for kind, _ in kinds):
        return "unknown-face"
    if any(kind == "alarm-label" for kind, _ in kinds):
        return "alarm-label"
    return "known-person"


def _decisive(matches: Sequence[Match]) -> Match:
    """The first match of the highest severity: its rule is the one recorded."""
    return max(matches, key=lambda m: SEVERITY_RANK[m.action.severity if m.action else "none"])


def combine(kept: Sequence[Match]) -> RuleAlert:
    decisive = _decisive(kept)
    assert decisive.action is not None and decisive.rule is not None
    severity = decisive.action.severity
    assert severity != "none"
    channels = {c for m in kept if m.action for c in m.action.channels}
    recipients = {r for m in kept if m.action for r in m.action.recipients}
    return RuleAlert(
        severity=severity,
        reason=_reason(kept),
        identities=tuple(m.subject.identity for m in kept),
        rule=decisive.rule.name,
        channels=tuple(c for c in CHANNELS if c in channels),
        recipients=tuple(r for r in ("owner", "authorities") if r in recipients),
    )


def decide(
    faces: Sequence[FaceResult],
    hits: Sequence[str],
    rules: RulesDocument,
    situation: Situation,
    free: Callable[[str], bool],
) -> RuleDecision:
    """Each subject's first matching rule, then the cooldowns: `free(identity)` claims that
    identity's (camera, identity) slot and says whether it was free; it is called only for
    subjects whose rule alerts. Severity, reason, channels and recipients follow what is
    left, so a barred person already alerted does not raise a second critical alert when a
    stranger joins."""
    matches = tuple(first_match(rules, s, situation) for s in subjects(faces, hits))
    eligible = [m for m in matches if m.action is not None and not m.action.silent]
    if not eligible:
        silencer = next((m for m in matches if m.action is not None), None)
        if silencer is not None and silencer.rule is not None:
            return RuleDecision(SILENCED, silencer.rule.name, None, matches)
        if assess(faces, hits) is None:
            return RuleDecision("none", "", None, matches)
        status = "disarmed" if situation.mode == "home" else NO_RULE
        return RuleDecision(status, "", None, matches)
    kept = [m for m in eligible if free(m.subject.identity)]
    if not kept:
        decisive = _decisive(eligible).rule
        return RuleDecision("cooldown", decisive.name if decisive else "", None, matches)
    owed = combine(kept)
    return RuleDecision("sent", owed.rule, owed, matches)
