"""Alerting: the alert rules, the mode and cooldowns decide what a frame still owes; that
Alert is queued."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.decisions import RuleAlert, decide, is_person
from core.records import parse_time
from core.rules import RulesDocument, Situation, mode_of, stored_rules
from core.schemas import Alert, EventRecord
from core.settings import AnalyzeSettings
from core.tablekeys import cooldown_key, identity_limit_key
from functions.analyze.ports import AlertSink, CooldownSlots, ParameterReader

# The alert status of a frame whose identities all cleared their camera's cooldown, or
# were held by it, but at least one was held by the cross-camera rate limit.
RATE_LIMITED = "rate-limited"


class Alerter:
    def __init__(
        self,
        *,
        state: CooldownSlots,
        alerts: AlertSink,
        parameters: ParameterReader,
        settings: AnalyzeSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.state = state
        self.alerts = alerts
        self.parameters = parameters
        self.settings = settings
        self.clock = clock

    def alert(self, record: EventRecord) -> AlertDecision:
        """Queue the alert still owed for `record` under the alert rules (core/rules.py)
        and the mode; the decision's status is "sent", or why not: "none", "disarmed",
        "no-rule", "silenced", "cooldown", "rate-limited", and its rule the rule that
        decided. Severity, reason and routing follow the identities that clear their rule,
        the camera's cooldown and the cross-camera rate limit (core.decisions.decide).

        An identity must take its (camera, identity) cooldown slot and, when it is a person
        (`is_person`), its all-cameras slot (`alert_rate_seconds`): so however many cameras
        an edge credential writes as, each recipient hears about one person at most once
        per window. "rate-limited" means some identity cleared its camera's cooldown but
        not the cross-camera limit."""
        rules, situation = self.rules(), self.situation(record)
        now = int(self.clock().timestamp())
        limited: list[str] = []

        def free(identity: str) -> bool:
            # A slot's holder is the alert id, so a retried record keeps the slots it took.
            if not self.state.acquire_cooldown(
                cooldown_key(record.camera_id, identity),
                holder=record.alert_id,
                now=now,
                seconds=self.settings.cooldown_seconds,
            ):
                return False
            if not (self.settings.alert_rate_seconds and is_person(identity)):
                return True  # 0 turns the rate limit off; strangers stay per camera
            if self.state.acquire_cooldown(
                identity_limit_key(identity),
                holder=record.alert_id,
                now=now,
                seconds=self.settings.alert_rate_seconds,
            ):
                return True
            limited.append(identity)
            return False

        decision = decide(record.faces, record.alarm_labels, rules, situation, free)
        if decision.alert is None:
            status = RATE_LIMITED if decision.status == "cooldown" and limited else decision.status
            return AlertDecision(status, decision.rule)
        self.alerts.send(alert_message(decision.alert, record))
        return AlertDecision("sent", decision.rule)

    def situation(self, record: EventRecord) -> Situation:
        """Where, when and in which mode (the switch analyze reads) the frame was taken."""
        mode = mode_of(self.parameters.get(self.settings.armed_parameter))
        return Situation(record.camera_id, parse_time(record.captured_at) or self.clock(), mode)

    def alerted_identities(self, record: EventRecord) -> set[str]:
        """Who the rules would alert about in `record`, before cooldowns (no slot is taken):
        the people privacy_blur=bystanders leaves visible."""
        decision = decide(
            record.faces, record.alarm_labels, self.rules(), self.situation(record), lambda _: True
        )
        return set(decision.alert.identities) if decision.alert else set()

    def rules(self) -> RulesDocument:
        """The stored rules, or the defaults (no parameter, or one that does not validate)."""
        name = self.settings.rules_parameter
        return stored_rules(self.parameters.get(name) if name else None)[0]


@dataclass(frozen=True)
class AlertDecision:
    status: str
    rule: str = ""


def alert_message(plan: RuleAlert, record: EventRecord) -> Alert:
    """The alerts-queue message: what the rules owe, with everyone the frame shows."""
    return Alert(
        alert_id=record.alert_id,
        severity=plan.severity,
        reason=plan.reason,
        rule=plan.rule,
        channels=list(plan.channels),
        recipients=list(plan.recipients),
        why_unknown=[f.why_unknown.text for f in record.faces if f.why_unknown],
        camera_id=record.camera_id,
        event_time=record.captured_at,
        bucket=record.bucket,
        key=record.image_key,
        people=[f.person for f in record.faces if f.person],
        unknown_faces=sum(f.status == "stranger" for f in record.faces),
        labels=record.alarm_labels,
        source=record.source,
        possible_matches=[f.possible_match for f in record.faces if f.possible_match],
        strangers=[f.stranger for f in record.faces if f.stranger],
    )
